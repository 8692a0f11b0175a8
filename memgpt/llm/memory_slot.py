"""A yes/no question in every constrained call, because small local models do not chain to save a fact.

Found with a real 1.5B model (docs/local_llm.md): told in passing "Biscuit chewed through my charger,
that beagle of mine", it thinks "the user has a beagle" and calls send_message; choosing a second
function first and chaining to the answer is the step small models miss. Given a free-text slot for
"a new fact" instead, it wrote one on every turn, mostly narration ("The user is feeling down") or
inventions ("I am an artificial intelligence, Sam"), and dropped the very names it was told (the dog
became "Beagle"). Rewriting faithfully is beyond such a model; a yes/no seemed not to be.

So where the server holds each reply to our call grammar or schema, that constraint also holds
`"remember_this_message": true | false` between the thoughts and the call, open only in the answer to a
user's message (held to false on logins, heartbeats and alerts, so every reply keeps one shape). True
saves that message, in the user's own words, as core_memory_append(name="human", content=...) run after
the main call in the same step, like a parallel call from a hosted model: stored, shown and answered
with its result like any call. The model decides what is remembered; the words, names and dates are the
user's.

`llm.memory_slot`: "auto" uses it exactly where a constraint is sent, "on" also in an unconstrained
wrapper's prompt; "off" is the default, because measured (docs/local_llm.md) the real 1.5B model gave
the same answer on every turn: true in native mode (every message saved, each save re-evaluating the
prompt from core memory on: 140 s per turn instead of ~30), false with the chatml wrapper.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from memgpt.llm.base import FunctionSchema
from memgpt.schemas import Message, ToolCall, user_text

SLOT_KEY = "remember_this_message"
SLOT_FUNCTION = "core_memory_append"
SLOT_BLOCK = "human"
# In a constraint: no slot, a free true/false ("open"), or one held to false ("closed")
Slot = Literal["open", "closed"] | None
QUOTE_PREFIX = "The user said: "
MAX_QUOTE_CHARS = 400
# Stands for the user's message between reading the reply and filling it in (fill_slot)
_PLACEHOLDER = "(the user's newest message)"
INSTRUCTION = (
    f'"{SLOT_KEY}" is false, except when the user\'s newest message tells you something new and lasting about '
    "themselves (a name, a pet, their work, a date, a place, a book) that your <human> memory does not hold yet: "
    "then true, and that message is added to your <human> memory in the user's own words."
)


def slot_wanted(setting: str, constrained: bool) -> bool:
    """Whether calls carry the slot: `on`, `off`, or (auto) where a constraint holds the reply to it."""
    return setting == "on" or (setting == "auto" and constrained)


def slot_offered(functions: list[FunctionSchema] | None) -> bool:
    """Whether the prompt describes the slot: the same on every step, so the prompt's prefix stays put."""
    return any(f.get("name") == SLOT_FUNCTION for f in functions or [])


def slot_for(offered: bool, force: str | None, messages: list[Message]) -> Slot:
    """This step's slot: open only in the answer to a user's message, closed on other steps, absent from
    a forced call or when not offered."""
    if not offered or force is not None:
        return None
    return "open" if messages and _said(messages[-1]) is not None else "closed"


def _said(message: Message) -> str | None:
    """The user's words when `message` is what the user said (not a login, heartbeat or alert)."""
    return user_text(message.content) if message.role == "user" else None


def with_slot_instruction(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages whose system message ends with what the slot is for (native calls under a grammar,
    where no other text tells the model)."""
    if not wire or wire[0].get("role") != "system" or not isinstance(wire[0].get("content"), str):
        return wire
    return [{**wire[0], "content": f"{wire[0]['content']}\n\n{INSTRUCTION}"}, *wire[1:]]


def with_slot_call(calls: list[ToolCall], data: dict[str, Any]) -> list[ToolCall]:
    """The calls read from a reply, with a save after them when the slot says true (filled by fill_slot)."""
    if not calls or data.get(SLOT_KEY) not in (True, "true"):
        return calls
    args = {"name": SLOT_BLOCK, "content": _PLACEHOLDER}
    return [*calls, ToolCall(name=SLOT_FUNCTION, arguments=json.dumps(args))]


def fill_slot(reply: Message, messages: list[Message]) -> Message:
    """The reply with the slot's save holding the user's newest message (dropped when there is none)."""
    calls = reply.tool_calls or []
    if len(calls) < 2 or calls[-1].name != SLOT_FUNCTION or _PLACEHOLDER not in calls[-1].arguments:
        return reply
    text = _said(messages[-1]) if messages else None
    if not text or not text.strip():
        return reply.model_copy(update={"tool_calls": calls[:-1]})
    args = {"name": SLOT_BLOCK, "content": QUOTE_PREFIX + json.dumps(_shortened(text), ensure_ascii=False)}
    saved = calls[-1].model_copy(update={"arguments": json.dumps(args, ensure_ascii=False)})
    return reply.model_copy(update={"tool_calls": [*calls[:-1], saved]})


def _shortened(text: str) -> str:
    words = " ".join(text.split())
    if len(words) <= MAX_QUOTE_CHARS:
        return words
    return words[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0] + "..."


def slot_said_true(message: Message) -> bool:
    """Whether a stored reply saved the user's message through the slot (to render it back as true)."""
    calls = message.tool_calls or []
    if len(calls) < 2 or calls[-1].name != SLOT_FUNCTION:
        return False
    try:
        args = json.loads(calls[-1].arguments)
    except (ValueError, TypeError):
        return False
    content = args.get("content") if isinstance(args, dict) else None
    return isinstance(content, str) and args.get("name") == SLOT_BLOCK and content.startswith(QUOTE_PREFIX)
