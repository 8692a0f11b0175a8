"""What of a message is worth finding with conversation_search.

The original searched raw JSON envelopes, so "message" or "time" matched everything and what the
agent *said* (inside send_message arguments) could not be found. We index what a person would
call the conversation: user texts, the agent's thoughts, and what it sent to the user.
"""

from __future__ import annotations

import json

from memgpt.schemas import Message, user_text


def sent_messages(message: Message) -> list[str]:
    """Texts the assistant sent to the user with send_message."""
    out = []
    for call in message.tool_calls or []:
        if call.name != "send_message":
            continue
        try:
            args = json.loads(call.arguments)
        except (json.JSONDecodeError, TypeError):
            continue
        if isinstance(args, dict) and isinstance(args.get("message"), str):
            out.append(args["message"])
    return out


def searchable_text(message: Message) -> str | None:
    if message.role == "user":
        return user_text(message.content)
    if message.role == "assistant":
        parts = [p for p in [message.content, *sent_messages(message)] if p]
        return "\n".join(parts) or None
    return None
