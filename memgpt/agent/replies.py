"""Reading what the model answered: thoughts, calls, arguments, and what a result may cost.

Pure functions, no agent state: the step loop in `agent.py` uses them, tests can call them alone.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from memgpt import constants
from memgpt.errors import LLMOutputParseError
from memgpt.llm.json_repair import parse_json_object
from memgpt.schemas import Message, ToolCall

SEARCH_FUNCTIONS = {"conversation_search", "conversation_search_date", "archival_memory_search"}
FIRST_MESSAGE_FUNCTIONS = {"send_message", "archival_memory_search"}

# Inner thoughts as the first argument of every function: models that answer with a bare tool call
# (gpt-4o and later, most local models, any forced call) still think before they act.
INNER_THOUGHTS = "inner_thoughts"
INNER_THOUGHTS_SPEC = {
    "type": "string",
    "description": "Your private thoughts before this call (the user never sees them).",
}


def with_inner_thoughts(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a function schema with a required `inner_thoughts` string as its first parameter."""
    out = copy.deepcopy(schema)
    params = out.setdefault("parameters", {"type": "object", "properties": {}})
    props = params.get("properties") or {}
    params["properties"] = {
        INNER_THOUGHTS: INNER_THOUGHTS_SPEC,
        **{k: v for k, v in props.items() if k != INNER_THOUGHTS},
    }
    params["required"] = [INNER_THOUGHTS, *(r for r in params.get("required", []) if r != INNER_THOUGHTS)]
    return out


def lift_inner_thoughts(reply: Message) -> Message:
    """Move `inner_thoughts` out of the call arguments into the message's inner monologue.

    Text content wins when the model wrote both (it is what the original stored); either way the
    argument is removed, so stored calls look the same in every mode.
    """
    if not reply.tool_calls:
        return reply
    thoughts: list[str] = []
    calls = []
    for call in reply.tool_calls:
        try:
            args = parse_json_object(call.arguments) if call.arguments.strip() else {}
        except LLMOutputParseError:
            calls.append(call)
            continue
        if INNER_THOUGHTS not in args:
            calls.append(call)
            continue
        value = args.pop(INNER_THOUGHTS)
        if isinstance(value, str) and value.strip():
            thoughts.append(value.strip())
        calls.append(call.model_copy(update={"arguments": json.dumps(args, ensure_ascii=False)}))
    content = reply.content if (reply.content or "").strip() else ("\n".join(thoughts) or reply.content)
    return reply.model_copy(update={"content": content, "tool_calls": calls})


def thoughts_into_arguments(message: Message) -> Message:
    """The outgoing form of a stored assistant message when thoughts travel as an argument: the model
    sees its past calls in the shape its schema asks for, and copies that shape."""
    if message.role != "assistant" or not message.tool_calls or not (message.content or "").strip():
        return message
    first, *rest = message.tool_calls
    try:
        args = parse_json_object(first.arguments) if first.arguments.strip() else {}
    except LLMOutputParseError:
        return message
    args = {INNER_THOUGHTS: message.content, **args}
    moved = first.model_copy(update={"arguments": json.dumps(args, ensure_ascii=False)})
    return message.model_copy(update={"content": None, "tool_calls": [moved, *rest]})


def truthy(value: Any) -> bool:
    """request_heartbeat as the model sent it: true, "true", "True", 1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value == 1


def send_message_text(call: ToolCall) -> str:
    try:
        args = parse_json_object(call.arguments)
    except LLMOutputParseError:
        return ""
    return str(args.get("message", ""))


def normalise_result(output: Any, name: str) -> str | None:
    """A function's return value as the text the model reads (None stays None: JSON null)."""
    if output is None:
        return None
    if isinstance(output, str):
        text = output
    else:
        try:
            text = json.dumps(output, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(output)
    limit = constants.FUNCTION_RETURN_CHAR_LIMIT
    if len(text) > limit and name not in SEARCH_FUNCTIONS:
        text = text[:limit] + f"... [NOTE: output cut to {limit} characters; it was {len(text)} characters long]"
    elif len(text) > 3 * limit:
        text = text[: 3 * limit] + "... [NOTE: results cut; ask for a smaller page]"
    return text


def cap_text(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"... [NOTE: cut to {limit} characters to fit the context window; it was {len(text)}]"


def is_empty(reply: Message) -> bool:
    """Nothing to act on and nothing to remember: such a reply is never committed as a turn."""
    return not (reply.content or "").strip() and not reply.tool_calls


def good_first_message(message: Message, require_thought: bool = False) -> bool:
    """A usable opening, as the original checked it: a send_message (or archival search) call whose
    arguments parse, with inner thoughts (required for gpt-4 models) free of function syntax.

    The thought may have arrived as text or as the `inner_thoughts` argument (already lifted into
    `content` by the time this runs), so modern models that answer with a bare call pass."""
    calls = message.tool_calls or []
    if not calls or calls[0].name not in FIRST_MESSAGE_FUNCTIONS:
        return False
    try:
        args = parse_json_object(calls[0].arguments)
    except LLMOutputParseError:
        return False
    if calls[0].name == "send_message" and not isinstance(args.get("message"), str):
        return False
    thought = (message.content or "").strip()
    if require_thought and not thought:
        return False
    return not any(ch in thought for ch in '(){}[]"') and "send_message" not in thought and "functions" not in thought
