"""A slot for a new fact in every constrained call, because small local models do not chain to save one.

Found with a real 1.5B model (docs/local_llm.md): told in passing "Biscuit chewed through my charger,
that beagle of mine", it thinks "the user has a beagle called Biscuit" and calls send_message; choosing
a second function first and chaining to the answer is the step small models miss. Where the server
holds each reply to our call grammar or schema, that constraint can also hold a question the model
answers on every step, `"new_fact_about_user": null` or one line. A line becomes
core_memory_append(name="human", content=line), run after the main call in the same step, as a
parallel call from a hosted model would be. The model still decides what to remember, and the edit is
an ordinary function call: stored, shown, answered with its result.

`llm.memory_slot` turns it on or off; "auto" uses it exactly where a constraint is sent.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from memgpt.llm.base import FunctionSchema
from memgpt.schemas import Message, ToolCall

SLOT_KEY = "new_fact_about_user"
# In a constraint: no slot, a slot for a line or null ("open"), or one held to null ("null")
Slot = Literal["open", "null"] | None
SLOT_FUNCTION = "core_memory_append"
SLOT_BLOCK = "human"
# What small models write when they mean "nothing new"
_NOTHING = {"", "none", "null", "n/a", "na", "nothing", "no", "nothing new", "no new fact", "unknown"}
MAX_FACT_CHARS = 300
INSTRUCTION = (
    f'"{SLOT_KEY}" is almost always null. Only when the user\'s newest message tells you something new and '
    "lasting about themselves (a name, a pet, their work, a date, a place, a book) that your <human> memory does "
    "not hold yet, write that one fact there in one short line, with names, numbers and dates exactly as the user "
    "wrote them; it is added to your <human> memory for you."
)


def slot_wanted(setting: str, constrained: bool) -> bool:
    """Whether calls carry the slot: `on`, `off`, or (auto) where a constraint holds the reply to it."""
    return setting == "on" or (setting == "auto" and constrained)


def slot_offered(functions: list[FunctionSchema] | None) -> bool:
    """Whether the prompt describes the slot: the same on every step, so the prompt's prefix stays put."""
    return any(f.get("name") == SLOT_FUNCTION for f in functions or [])


def slot_for(offered: bool, force: str | None, messages: list[Message]) -> Slot:
    """This step's slot: open only in the answer to a user's message (the facts are in it; on logins,
    heartbeats and alerts the real 1.5B model filled it with whatever it had just said), held to null on
    other steps so every reply keeps one shape, and absent from a forced call or when not offered."""
    if not offered or force is not None:
        return None
    return "open" if messages and _is_user_message(messages[-1]) else "null"


def _is_user_message(message: Message) -> bool:
    """A user-role message that is not a system event (those are JSON with another "type")."""
    if message.role != "user":
        return False
    try:
        event = json.loads(message.content or "")
    except ValueError:
        return True  # sent unpacked: the user's own words
    return not isinstance(event, dict) or event.get("type", "user_message") == "user_message"


def with_slot_instruction(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages whose system message ends with what the slot is for (native calls under a grammar,
    where no other text tells the model)."""
    if not wire or wire[0].get("role") != "system" or not isinstance(wire[0].get("content"), str):
        return wire
    return [{**wire[0], "content": f"{wire[0]['content']}\n\n{INSTRUCTION}"}, *wire[1:]]


def fact_of(value: Any) -> str | None:
    """The slot's line, or None when it holds nothing worth saving."""
    if not isinstance(value, str):
        return None
    fact = " ".join(value.split())
    if fact.strip(" .").lower() in _NOTHING:
        return None
    return fact[:MAX_FACT_CHARS]


def slot_call(value: Any) -> ToolCall | None:
    fact = fact_of(value)
    if fact is None:
        return None
    return ToolCall(name=SLOT_FUNCTION, arguments=json.dumps({"name": SLOT_BLOCK, "content": fact}, ensure_ascii=False))


def with_slot_call(calls: list[ToolCall], data: dict[str, Any]) -> list[ToolCall]:
    """The calls read from a reply, with the slot's append after them when it holds a fact."""
    extra = slot_call(data.get(SLOT_KEY)) if calls else None
    return [*calls, extra] if extra else calls


def slot_fact(message: Message) -> str | None:
    """The fact a stored reply saved through the slot (its second call), for rendering it back."""
    calls = message.tool_calls or []
    if len(calls) < 2 or calls[1].name != SLOT_FUNCTION:
        return None
    try:
        args = json.loads(calls[1].arguments)
    except (ValueError, TypeError):
        return None
    if not isinstance(args, dict) or args.get("name") != SLOT_BLOCK:
        return None
    return fact_of(args.get("content"))
