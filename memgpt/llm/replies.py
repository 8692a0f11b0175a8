"""A server's reply, checked field by field, into our own types.

Nothing a server sends is trusted to have the shape the OpenAI spec promises: `tool_calls` may be a
dict or a string, names may be null, arguments may be objects, `choices` may be empty, and a 200
may carry an `error`. Reading goes through plain dicts (never the SDK's lazily built models, whose
attributes are whatever the server sent), so a surprise is one of our errors here rather than an
AttributeError three layers up. Lenient where the meaning is plain (arguments as an object, a single
call not in a list), strict where guessing would call a function the model did not ask for.
"""

from __future__ import annotations

import json
from typing import Any

from memgpt.errors import ContextWindowExceededError, LLMOutputParseError
from memgpt.llm.base import DeltaCallback
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.memory_slot import SLOT_FUNCTION, with_slot_call
from memgpt.llm.streaming import SendMessageStreamer
from memgpt.llm.text import MAX_JSON_DEPTH, clean_json_text, too_deep
from memgpt.llm.transport import BodyError, TransientError, error_message
from memgpt.schemas import ChatResult, Message, ToolCall, Usage, new_tool_call_id

MAX_TOOL_CALLS = 32
# A reply longer than this many characters per token of its limit was not written under that limit
# (tokens average ~4 characters; 16 leaves room for long words and escapes); 64 KB at the least.
CHARS_PER_TOKEN_CAP = 16
MIN_REPLY_CHARS = 65536
_CONTEXT_WORDS = (
    "context length",
    "context_length",
    "context size",
    "context window",
    "maximum context",
    "too many tokens",
    "prompt is too long",
    "exceeds the available context",
    "exceed the context",
    "input length exceeds",
)


def _excerpt(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def raise_error_object(error: Any, endpoint: str) -> None:
    """A 200 reply (or a streamed event) that says the request failed."""
    text = error_message(error)
    if any(word in text.lower() for word in _CONTEXT_WORDS):
        raise ContextWindowExceededError(f"The request did not fit the context window: {text}")
    raise TransientError("server", f"{endpoint} reported an error: {text}")


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else 0


def usage_of(data: Any) -> Usage | None:
    if not isinstance(data, dict):
        return None
    return Usage(
        prompt_tokens=as_int(data.get("prompt_tokens")),
        completion_tokens=as_int(data.get("completion_tokens")),
        total_tokens=as_int(data.get("total_tokens")),
    )


def text_of(content: Any, what: str = "content") -> str | None:
    """Message content: a string, null, or a list of text parts (some servers send those)."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    raise LLMOutputParseError(f"The model's reply has a {what} of type {type(content).__name__}.", _excerpt(content))


def safe_arguments(text: str) -> str:
    """Arguments as the rest of memgpt may decode them: bounded nesting, no lone surrogate escapes."""
    if too_deep(text):
        raise LLMOutputParseError(
            f"The model's function arguments are nested deeper than {MAX_JSON_DEPTH} levels.", text[:1000]
        )
    return clean_json_text(text)


def arguments_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_arguments(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    raise LLMOutputParseError(
        f"The model's function call has arguments of type {type(value).__name__}.", _excerpt(value)
    )


def _call_of(item: Any) -> ToolCall:
    if not isinstance(item, dict):
        raise LLMOutputParseError("The model's reply has a tool call that is not an object.", _excerpt(item))
    fn = item.get("function")
    if not isinstance(fn, dict):
        fn = item  # {"name": ..., "arguments": ...} without the "function" wrapper
    name = fn.get("name")
    if not isinstance(name, str) or not name.strip():
        raise LLMOutputParseError("The model's reply has a tool call without a function name.", _excerpt(item))
    call_id = item.get("id")
    return ToolCall(
        id=call_id if isinstance(call_id, str) and call_id else new_tool_call_id(),
        name=name.strip(),
        arguments=arguments_of(fn.get("arguments", fn.get("parameters"))),
    )


def calls_of(value: Any) -> list[ToolCall]:
    if value is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise LLMOutputParseError("The model's tool_calls are text, not a list.", value[:1000]) from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise LLMOutputParseError(f"The model's tool_calls are a {type(value).__name__}.", _excerpt(value))
    if len(value) > MAX_TOOL_CALLS:
        raise LLMOutputParseError(f"The model made {len(value)} function calls at once.", _excerpt(value[:3]))
    return [_call_of(item) for item in value]


def tool_calls_from_text(content: str | None, known: set[str]) -> list[ToolCall] | None:
    """Some local servers put the call in `content` as JSON text; read it back when it names a function."""
    if not content or "{" not in content or not known:
        return None
    try:
        data = parse_json_object(content)
    except LLMOutputParseError:
        return None
    name = data.get("name") or data.get("function")
    args = data.get("arguments", data.get("parameters", data.get("params")))
    thoughts = data.get("inner_thoughts")  # the call grammar puts them first, beside the call
    if isinstance(thoughts, str) and isinstance(args, dict) and "inner_thoughts" not in args:
        args = {"inner_thoughts": thoughts, **args}  # lifted into the monologue like a tools argument
    if isinstance(name, str) and name in known and isinstance(args, (dict, str)):
        call = ToolCall(name=name, arguments=safe_arguments(args) if isinstance(args, str) else json.dumps(args))
        return with_slot_call([call], data) if SLOT_FUNCTION in known else [call]
    return None


def finish(
    content: str | None,
    calls: list[ToolCall],
    finish_reason: Any,
    usage: Usage | None,
    known: set[str],
    limit: int | None,
    raw: dict[str, Any] | None = None,
) -> ChatResult:
    """One ChatResult from the parts of a reply, streamed or not."""
    reason = finish_reason if isinstance(finish_reason, str) else None
    cap = max(MIN_REPLY_CHARS, CHARS_PER_TOKEN_CAP * (limit or 4096))
    for text in [content or "", *(c.arguments for c in calls)]:
        if len(text) > cap:
            raise LLMOutputParseError(
                f"The model's reply is {len(text)} characters long, far more than it may write "
                f"({limit or 'no'} token limit); ignored.",
                text[:1000],
            )
    if not calls:
        parsed = tool_calls_from_text(content, known)
        if parsed:
            calls, content = parsed, None
    if reason == "length":
        if not calls and not content:
            if limit:
                raise LLMOutputParseError("The model used up its reply budget without answering.", "")
            raise ContextWindowExceededError("The model stopped at the context limit without answering.")
        for call in calls:
            try:
                json.loads(call.arguments or "{}")
            except (ValueError, RecursionError):
                raise LLMOutputParseError(
                    f"The model's {call.name} call was cut off at the reply's length limit.", call.arguments[:1000]
                ) from None
    return ChatResult(
        message=Message(role="assistant", content=content, tool_calls=calls or None),
        usage=usage or Usage(),
        finish_reason=reason,
        raw=raw,
    )


def _choice_of(data: dict[str, Any], endpoint: str) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BodyError(f"{endpoint} returned a response without choices.")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise BodyError(f"{endpoint} returned a choice that is not an object: {_excerpt(choice)}")
    return choice


def chat_result(data: Any, endpoint: str, known: set[str], limit: int | None) -> ChatResult:
    """A non-streamed /chat/completions body."""
    if not isinstance(data, dict):
        raise BodyError(f"{endpoint} returned JSON that is not a chat completion: {_excerpt(data)}")
    if data.get("error"):
        raise_error_object(data["error"], endpoint)
    choice = _choice_of(data, endpoint)
    message = choice.get("message")
    if message is None and isinstance(choice.get("text"), str):
        message = {"content": choice["text"]}
    if not isinstance(message, dict):
        raise BodyError(f"{endpoint} returned a choice without a message: {_excerpt(choice)}")
    calls = calls_of(message.get("tool_calls"))
    if not calls and message.get("function_call") is not None:
        calls = calls_of(message["function_call"])
    content = text_of(message.get("content"))
    return finish(content, calls, choice.get("finish_reason"), usage_of(data.get("usage")), known, limit, data)


def completion_text(data: Any, endpoint: str, api: str) -> tuple[str, str | None]:
    """A non-streamed /completions body (or /chat/completions for wrapped prompts): text, finish reason."""
    if not isinstance(data, dict):
        raise BodyError(f"{endpoint} returned JSON that is not a completion: {_excerpt(data)}")
    if data.get("error"):
        raise_error_object(data["error"], endpoint)
    choice = _choice_of(data, endpoint)
    if api == "chat" and isinstance(choice.get("message"), dict):
        value = choice["message"].get("content")
    else:
        value = choice.get("text")
    text = text_of(value, "text") or ""
    reason = choice.get("finish_reason")
    return text, reason if isinstance(reason, str) else None


def completion_piece(event: Any, endpoint: str, api: str) -> tuple[str, str | None]:
    """One streamed completion event: its text and finish reason (empty for events without choices)."""
    if not isinstance(event, dict):
        return "", None
    if event.get("error"):
        raise_error_object(event["error"], endpoint)
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", None
    choice = choices[0]
    source = choice.get("delta") if api == "chat" else choice
    value = source.get("content" if api == "chat" else "text") if isinstance(source, dict) else None
    reason = choice.get("finish_reason")
    return (value if isinstance(value, str) else ""), (reason if isinstance(reason, str) else None)


class ChatStreamAssembler:
    """Streamed /chat/completions events into one ChatResult, showing text as it arrives."""

    def __init__(self, endpoint: str, known: set[str], on_delta: DeltaCallback | None) -> None:
        self.endpoint = endpoint
        self.known = known
        self.on_delta = on_delta
        self.content: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.streamers: dict[int, SendMessageStreamer] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.emitted = False  # text reached the user: a retry would show it twice

    def _emit(self, kind: str, text: str) -> None:
        if self.on_delta is not None and text:
            self.emitted = True
            self.on_delta(kind, text)  # type: ignore[arg-type]

    def feed(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        if event.get("error"):
            raise_error_object(event["error"], self.endpoint)
        usage = usage_of(event.get("usage"))
        if usage is not None:
            self.usage = usage
        choices = event.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return
        choice = choices[0]
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.content.append(content)
            self._emit("thought", content)
        pieces = delta.get("tool_calls")
        if isinstance(pieces, dict):
            pieces = [pieces]
        for position, piece in enumerate(pieces if isinstance(pieces, list) else []):
            if isinstance(piece, dict):
                index = piece.get("index")
                self._add(as_int(index) if index is not None else position, piece)
        if isinstance(delta.get("function_call"), dict):
            self._add(0, {"function": delta["function_call"]})

    def _add(self, index: int, piece: dict[str, Any]) -> None:
        if index not in self.calls and len(self.calls) >= MAX_TOOL_CALLS:
            raise LLMOutputParseError(f"The model streamed more than {MAX_TOOL_CALLS} function calls.", "")
        slot = self.calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
        fn = piece.get("function") if isinstance(piece.get("function"), dict) else {}
        if isinstance(piece.get("id"), str) and piece["id"]:
            slot["id"] = piece["id"]
        if isinstance(fn.get("name"), str):
            slot["name"] += fn["name"]
        args = fn.get("arguments")
        if isinstance(args, (dict, list)):
            args = json.dumps(args, ensure_ascii=False)
        if isinstance(args, str) and args:
            slot["arguments"] += args
            if slot["name"] == "send_message":
                self._emit("message", self.streamers.setdefault(index, SendMessageStreamer()).feed(args))

    def result(self, limit: int | None) -> ChatResult:
        calls = []
        for _, slot in sorted(self.calls.items()):
            if not slot["name"].strip():
                raise LLMOutputParseError(
                    "The model streamed a function call without a name.", slot["arguments"][:1000]
                )
            calls.append(
                ToolCall(
                    name=slot["name"].strip(),
                    arguments=safe_arguments(slot["arguments"]),
                    **({"id": slot["id"]} if slot["id"] else {}),
                )
            )
        text = "".join(self.content) or None
        return finish(text, calls, self.finish_reason, self.usage, self.known, limit)
