"""Events packaged as the LLM sees them: small JSON envelopes with a type, the text and local time.

The shapes follow the original MemGPT (user_message, heartbeat, login, system_alert, function
results with status/message/time), so prompts written for it keep working. Texts the system adds
carry a prefix telling the model the user cannot see them.
"""

from __future__ import annotations

import json
from datetime import datetime

from memgpt.constants import NON_USER_MSG_PREFIX
from memgpt.schemas import Message, now

HEARTBEAT_TIMER = "Automated timer"
HEARTBEAT_REQUESTED = NON_USER_MSG_PREFIX + "Function called using request_heartbeat=true, returning control"
HEARTBEAT_FAILED = NON_USER_MSG_PREFIX + "Function call failed, returning control"
HEARTBEAT_NO_FUNCTION = (
    NON_USER_MSG_PREFIX + "Your last reply called no function, so the user saw nothing. Use send_message to "
    "talk to the user; otherwise your reply stays private."
)
HEARTBEAT_REPEATED = (
    NON_USER_MSG_PREFIX + "You already made this exact call in this chain, and its result is above. Do not "
    "repeat it: use what you have, try something else, or answer the user with send_message."
)
MEMORY_PRESSURE_ALERT = (
    NON_USER_MSG_PREFIX + "The conversation history will soon reach its maximum length and older messages "
    "will be summarised and moved out of view. Do not tell the user about this. Save anything important "
    "from the conversation now with core_memory_append, core_memory_replace or archival_memory_insert."
)

BOOT_THOUGHT = "Boot sequence finished, persona loaded. Checking that messaging works."
BOOT_MESSAGE = "Hello? Is anyone there?"
# gpt-3.5-era models copied the boot thought's style too literally; the original gave them their own.
BOOT_THOUGHT_GPT35 = "*inner thoughts* Nobody has written yet. I will greet them with the send_message function."
BOOT_MESSAGE_GPT35 = "Hi! Is anyone there?"


def boot_texts(model: str) -> tuple[str, str]:
    """(inner thought, greeting) of the boot sequence for this model."""
    if "gpt-3.5" in model:
        return BOOT_THOUGHT_GPT35, BOOT_MESSAGE_GPT35
    return BOOT_THOUGHT, BOOT_MESSAGE


def local_time(dt: datetime | None = None) -> str:
    dt = dt or now()
    return dt.strftime("%Y-%m-%d %I:%M:%S %p %Z%z").strip()


def _envelope(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def user_message(text: str, name: str | None = None) -> Message:
    fields: dict[str, object] = {"type": "user_message", "message": text, "time": local_time()}
    return Message(role="user", content=_envelope(**fields), name=name)


def heartbeat(reason: str) -> Message:
    return Message(role="user", content=_envelope(type="heartbeat", reason=reason, time=local_time()))


def login(last_login: datetime | None) -> Message:
    last = local_time(last_login) if last_login else "Never (first login)"
    return Message(role="user", content=_envelope(type="login", last_login=last, time=local_time()))


def system_alert(text: str) -> Message:
    return Message(role="user", content=_envelope(type="system_alert", message=text, time=local_time()))


def function_result(call_id: str, name: str, ok: bool, message: str | None) -> Message:
    content = _envelope(status="OK" if ok else "Failed", message=message, time=local_time())
    return Message(role="tool", tool_call_id=call_id, name=name, content=content)


def summary_alert(summary: str, hidden: int, total: int, summarised: int) -> Message:
    text = (
        f"Note: {hidden} earlier messages (of {total} in total) have been moved out of view to make room; "
        "they are still in recall memory (use conversation_search to read them).\n"
        f"Summary of the {summarised} messages just moved out of view:\n{summary}"
    )
    return system_alert(text)


def envelope_type(message: Message) -> str | None:
    """The `type` of a user-role envelope (user_message, heartbeat, login, system_alert)."""
    if message.role != "user" or not message.content:
        return None
    try:
        data = json.loads(message.content)
    except json.JSONDecodeError:
        return None
    return data.get("type") if isinstance(data, dict) else None
