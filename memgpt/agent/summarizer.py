"""Summarise-and-evict: what to move out of the main context, and the summary that replaces it.

The span is chosen oldest first, never separating a function call from its result, always keeping
the newest messages. The summariser reads a plain transcript (the original fed it a Python repr of
message dicts); a transcript too long for the window is summarised in parts first.
"""

from __future__ import annotations

import json

from memgpt.constants import SUMMARY_WORD_LIMIT
from memgpt.schemas import Message
from memgpt.storage.searchable import sent_messages, user_text

SUMMARIZER_PROMPT = f"""You condense part of a conversation between an AI companion and a human into a short memory.
The transcript shows who spoke: "user" lines are the human; "assistant thought" lines are the AI's private
thoughts, which the human never saw; "assistant to user" lines are what the AI actually said; "function" lines
are results of the AI's memory tools; "event" lines are system events such as logins and heartbeats.
Write the summary in the first person, as the AI remembering what happened ("I learned...", "they told me...").
Keep names, facts, commitments, preferences and open questions; drop greetings and filler.
Write at most {SUMMARY_WORD_LIMIT} words. Reply with the summary only."""


def transcript_line(message: Message) -> str:
    when = message.created_at.strftime("%Y-%m-%d %H:%M")
    if message.role == "user":
        said = user_text(message.content)
        if said is not None:
            return f"[{when}] user: {said}"
        try:
            data = json.loads(message.content or "{}")
            detail = data.get("message") or data.get("reason") or data.get("type")
        except json.JSONDecodeError:
            detail = message.content
        return f"[{when}] event: {detail}"
    if message.role == "assistant":
        lines = []
        if message.content:
            lines.append(f"[{when}] assistant thought: {message.content}")
        lines.extend(f"[{when}] assistant to user: {text}" for text in sent_messages(message))
        for call in message.tool_calls or []:
            if call.name != "send_message":
                lines.append(f"[{when}] assistant called {call.name}({call.arguments[:300]})")
        return "\n".join(lines) or f"[{when}] assistant: (nothing)"
    if message.role == "tool":
        try:
            data = json.loads(message.content or "{}")
            detail = f"{data.get('status')}: {data.get('message')}"
        except json.JSONDecodeError:
            detail = message.content
        return f"[{when}] function {message.name}: {str(detail)[:500]}"
    return f"[{when}] {message.role}: {message.content}"


def transcript(messages: list[Message]) -> str:
    return "\n".join(transcript_line(m) for m in messages)


def choose_cutoff(tokens: list[int], keep_tokens: int, keep_last: int, roles: list[str], forward: bool = False) -> int:
    """How many of the oldest messages to evict so the rest is at most `keep_tokens`.

    Keeps at least `keep_last` messages and never separates a function call from its results: a
    cut that lands on a tool result moves back to before its call (or, with `forward`, past its
    last result: used when the newest messages alone do not fit). Returns 0 when nothing can go.
    """
    n = len(tokens)
    limit = max(0, n - keep_last)
    cutoff = 0
    remaining = sum(tokens)
    while cutoff < limit and remaining > keep_tokens:
        remaining -= tokens[cutoff]
        cutoff += 1
    if cutoff < n and roles[cutoff] == "tool":
        back = cutoff
        while back > 0 and roles[back] == "tool":
            back -= 1  # to the assistant message that made the call
        if back > 0 and not forward:
            return back
        while cutoff < n and roles[cutoff] == "tool":
            cutoff += 1  # a result goes with its call
    return cutoff
