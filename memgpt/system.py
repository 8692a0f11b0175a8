"""The 0.1/0.2-era `memgpt.system` helpers: the JSON envelopes the model reads, as strings.

Scripts of that era built messages by hand with these (to seed a conversation, or to send an agent
an event). They delegate to `memgpt.agent.events`, which the agent itself uses, so a message built
here is exactly what the agent would have built. `time`/`timestamp` arguments replace the local
time the envelope would otherwise carry.
"""

from __future__ import annotations

import json
from typing import Any

from memgpt.agent import events
from memgpt.schemas import Message, ToolCall


def _with_time(message: Message, time: str | None) -> str:
    content = message.content or ""
    if time is None:
        return content
    data = json.loads(content)
    data["time"] = time
    return json.dumps(data, ensure_ascii=False)


def get_initial_boot_messages(version: str = "startup") -> list[dict[str, Any]]:
    """The messages a new agent starts with after its system message (a send_message and its result).

    Versions containing "gpt35" give the gpt-3.5 wording, as in the original.
    """
    thought, greeting = events.boot_texts("gpt-3.5" if "gpt35" in version else "gpt-4")
    tool_call = ToolCall(name="send_message", arguments=json.dumps({"message": greeting}))
    assistant = Message(role="assistant", content=thought, tool_calls=[tool_call])
    result = events.function_result(tool_call.id, "send_message", True, None)
    return [assistant.to_openai(), result.to_openai()]


def get_heartbeat(reason: str = events.HEARTBEAT_TIMER, **_location: Any) -> str:
    """A heartbeat event (`include_location` / `location_name` of the original are accepted and ignored)."""
    return events.heartbeat(reason).content or ""


def get_login_event(last_login: str = "Never (first login)", **_location: Any) -> str:
    """A login event; `last_login` is shown as given."""
    data = json.loads(events.login(None).content or "{}")
    data["last_login"] = last_login
    return json.dumps(data, ensure_ascii=False)


def get_token_limit_warning() -> str:
    """The memory-pressure alert the agent gets near the end of its context window."""
    return events.system_alert(events.MEMORY_PRESSURE_ALERT).content or ""


def package_user_message(user_message: str, time: str | None = None, name: str | None = None, **_location: Any) -> str:
    """A user message envelope; `name` is the sender (AutoGen agents set it)."""
    message = events.user_message(user_message, name=name)
    content = _with_time(message, time)
    if name is None:
        return content
    data = json.loads(content)
    data["name"] = name  # the original carried the sender inside the envelope too
    return json.dumps(data, ensure_ascii=False)


def package_function_response(was_success: bool, response_string: str | None, timestamp: str | None = None) -> str:
    """A function result envelope: status OK or Failed, the message, the time."""
    return _with_time(events.function_result("", "", was_success, response_string), timestamp)


def package_summarize_message(
    summary: str,
    summary_length: int,
    hidden_message_count: int,
    total_message_count: int,
    timestamp: str | None = None,
) -> str:
    """The alert that replaces summarised messages in the context."""
    alert = events.summary_alert(summary, hidden_message_count, total_message_count, summary_length)
    return _with_time(alert, timestamp)


__all__ = [
    "get_heartbeat",
    "get_initial_boot_messages",
    "get_login_event",
    "get_token_limit_warning",
    "package_function_response",
    "package_summarize_message",
    "package_user_message",
]
