"""Function calling for models that have none: the call is asked for, and read back, as JSON text.

A wrapper renders the system prompt, the function descriptions and the history into one prompt in
the model's chat format, ending with an open assistant turn that starts the JSON object; the
completion is parsed back (with repairs) into one function call; its `inner_thoughts`, written
before the function is chosen, become the assistant's inner monologue.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from memgpt.errors import ConfigError, ContextWindowExceededError, LLMModelNotFoundError, LLMOutputParseError
from memgpt.llm.base import DeltaCallback, FunctionSchema
from memgpt.llm.constraints import constraint_params, forms_for
from memgpt.llm.formats import FORMATS, ChatFormat
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.memory_slot import INSTRUCTION as SLOT_INSTRUCTION
from memgpt.llm.memory_slot import (
    SLOT_KEY,
    fill_slot,
    slot_for,
    slot_offered,
    slot_said_true,
    slot_wanted,
    with_slot_call,
)
from memgpt.llm.openai_client import OpenAIChatClient
from memgpt.llm.replies import completion_piece, completion_text
from memgpt.llm.retry import BadRequest
from memgpt.llm.streaming import WrappedReplyStreamer
from memgpt.llm.transport import (
    DONE,
    content_type,
    iter_chunks,
    iter_events,
    looks_like_sse,
    parse_json_body,
    read_body,
)
from memgpt.schemas import ChatResult, Message, ToolCall, Usage
from memgpt.tokens import count_tokens

log = logging.getLogger("memgpt.llm")


# Thoughts first: a model that names the function before it thinks picks send_message out of habit.
JSON_START = '{\n  "inner_thoughts":'


def _call_instructions(slot: bool) -> str:
    """How to answer: one JSON call, the thoughts first (and, with `slot`, the remember-this-message answer)."""
    answer = f'"{SLOT_KEY}": false, ' if slot else ""
    text = (
        "Answer with exactly one JSON object and nothing else, of the form "
        f'{{"inner_thoughts": "<your private thoughts>", {answer}"function": "<function name>", '
        '"params": {...arguments}}. Think first, then choose the function your thoughts call for from the list below.'
    )
    return f"{text} {SLOT_INSTRUCTION}" if slot else text


INSTRUCTIONS = _call_instructions(slot=False)
SLOT_INSTRUCTIONS = _call_instructions(slot=True)
# For calls without functions (the summariser, message_chatgpt): models used to the JSON format keep
# answering in it unless told not to.
PLAIN_INSTRUCTION = "Answer in plain prose: no JSON, no function calls."


def render_functions(functions: list[FunctionSchema]) -> str:
    lines = ["Available functions:"]
    for fn in functions:
        lines.append(f"{fn['name']}:")
        lines.append(f"  description: {fn.get('description', '')}")
        lines.append("  params:")
        props = fn.get("parameters", {}).get("properties", {})
        required = set(fn.get("parameters", {}).get("required", []))
        for param, spec in props.items():
            flag = "" if param in required else " (optional)"
            lines.append(f"    {param} ({spec.get('type', 'string')}){flag}: {spec.get('description', '')}")
    return "\n".join(lines)


def render_assistant(message: Message, slot: bool = False) -> str:
    """A past reply in the shape the model is asked to write now (it copies what it sees)."""
    head: dict[str, Any] = {"inner_thoughts": message.content or ""}
    if slot:
        head[SLOT_KEY] = slot_said_true(message)
    if not message.tool_calls:
        return json.dumps({**head, "function": None, "params": {}}, indent=2)
    call = message.tool_calls[0]
    try:
        args = json.loads(call.arguments)
    except (json.JSONDecodeError, TypeError):
        args = {"raw_arguments": call.arguments}
    params = args if isinstance(args, dict) else {}
    return json.dumps({**head, "function": call.name, "params": params}, indent=2)


def render_prompt(
    fmt: ChatFormat,
    messages: list[Message],
    functions: list[FunctionSchema] | None,
    force_function: str | None,
    prefill: bool = True,
    slot: bool = False,
) -> tuple[str, str]:
    """The prompt, and the text the open assistant turn was pre-filled with.

    A constrained reply is not pre-filled: the constraint admits whole objects only, from `{`.
    """
    parts = []
    for i, msg in enumerate(messages):
        text = msg.content or ""
        if i == 0 and msg.role == "system":
            instructions = SLOT_INSTRUCTIONS if slot else INSTRUCTIONS
            extra = f"{instructions}\n\n{render_functions(functions)}" if functions else PLAIN_INSTRUCTION
            text = f"{text}\n\n{extra}"
        if msg.role == "assistant" and functions:
            text = render_assistant(msg, slot)
        elif msg.role == "tool":
            text = f"FUNCTION RETURN ({msg.name}): {text}"
        parts.append(fmt.render_turn(msg.role, text))
    prefix = JSON_START if functions and prefill else ""  # a forced function is held by the constraint
    return "".join(parts) + fmt.open_turn + prefix, prefix


def parse_completion(text: str, prefix: str) -> Message:
    """The model's JSON text back into an assistant message with one tool call."""
    # The model may continue our pre-filled prefix, or (ignoring it) write a whole object itself.
    own_object = text.lstrip().startswith(("{", "`"))
    attempts = [text, prefix + text] if own_object else [prefix + text, text]
    try:
        data = parse_json_object(attempts[0])
    except LLMOutputParseError:
        data = parse_json_object(attempts[1])
    if isinstance(data.get("function"), dict):  # doubly nested {"function": {"function": ..., "params": ...}}
        data = data["function"]
    name = data.get("function") or data.get("name")
    params = data.get("params", data.get("arguments", {}))
    if isinstance(params, str):
        params = parse_json_object(params)
    if not isinstance(params, dict):
        raise LLMOutputParseError("The model's JSON has no 'params' object.", text)
    thoughts = data.get("inner_thoughts")  # first, beside the call (older habits: inside params)
    inside = params.pop("inner_thoughts", None)
    thoughts = thoughts if isinstance(thoughts, str) else inside
    if not name or str(name).lower() in ("none", "null"):
        return Message(role="assistant", content=thoughts or None)
    if not isinstance(name, str):
        raise LLMOutputParseError("The model's JSON has no function name.", text)
    return Message(
        role="assistant",
        content=str(thoughts) if thoughts is not None else None,
        tool_calls=with_slot_call([ToolCall(name=name, arguments=json.dumps(params))], data),
    )


def plain_reply(text: str) -> str:
    """A plain-text answer; when the model answered in its JSON habit anyway, the text inside it."""
    stripped = text.strip()
    if not stripped.startswith(("{", "`")):
        return stripped
    try:
        data = parse_json_object(stripped)
    except LLMOutputParseError:
        return stripped
    params = data.get("params") if isinstance(data.get("params"), dict) else data
    for key in ("message", "summary", "content", "text", "inner_thoughts"):
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return stripped


def _complete_json(text: str) -> bool:
    """Whether `text` holds a whole JSON object (nothing cut off)."""
    start = text.find("{")
    try:
        json.JSONDecoder().raw_decode(text[start:] if start >= 0 else text)
    except (ValueError, RecursionError):
        return False
    return True


NO_HEARTBEAT_FUNCTIONS = {"send_message", "pause_heartbeats"}


def correct_heartbeat(reply: Message, history: list[Message]) -> Message:
    """Small local models often forget `request_heartbeat` after searching or editing memory in answer
    to the user, and then never answer. When the last event was the user's message and the model
    called anything but send_message, ask for the heartbeat on its behalf (as the original did)."""
    if not reply.tool_calls or not history or history[-1].role != "user":
        return reply
    try:
        last = json.loads(history[-1].content or "")
    except json.JSONDecodeError:
        return reply
    call = reply.tool_calls[0]
    if not isinstance(last, dict) or last.get("type") != "user_message" or call.name in NO_HEARTBEAT_FUNCTIONS:
        return reply
    try:
        args = json.loads(call.arguments)
    except json.JSONDecodeError:
        return reply
    if isinstance(args, dict) and args.get("request_heartbeat") is not True:
        args["request_heartbeat"] = True
        reply.tool_calls = [call.model_copy(update={"arguments": json.dumps(args)}), *reply.tool_calls[1:]]
    return reply


class WrappedCompletionClient(OpenAIChatClient):
    """A model without function calling, driven through a text wrapper.

    The prompt goes to `/v1/completions` (the model continues our open assistant turn). Servers
    without that endpoint (404) get it as one user message on `/v1/chat/completions` instead, as
    the original's lmstudio-legacy backend did; the choice is remembered. Where the server can
    constrain sampling (llm/constraints.py) the reply is held to a valid call of one function.
    """

    def __init__(self, llm: Any, api_key: str | None, *, constrain: bool | None = None, **kwargs: Any) -> None:
        super().__init__(llm, api_key, **kwargs)
        if llm.model_wrapper not in FORMATS:
            raise ConfigError(
                f"Unknown model wrapper {llm.model_wrapper!r}. Available: {', '.join(FORMATS)} "
                "(or none, for models with native function calling)."
            )
        self.format = FORMATS[llm.model_wrapper]
        self.api = "completions"
        if constrain is None:
            constrain = getattr(llm, "constrained_decoding", True) is not False
        self.constrain = constrain

    def constraint_form(self) -> str | None:
        """The form of constraint this server gets now (None: the prompt and the repair chain only)."""
        forms = forms_for(self.endpoint_type) if self.constrain else ()
        step = self.quirks.constraint_step
        return forms[step] if step < len(forms) else None

    def _chat(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None,
        force_function: str | None,
        on_delta: DeltaCallback | None,
    ) -> ChatResult:
        while True:
            form = self.constraint_form() if functions else None
            try:
                return self._chat_once(messages, functions, force_function, on_delta, form)
            except BadRequest as exc:
                if form is None:
                    raise
                log.info("%s refused the %s constraint (%s); trying the next form", self.endpoint, form, exc.text)
                self.quirks.constraint_step += 1

    def _chat_once(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None,
        force_function: str | None,
        on_delta: DeltaCallback | None,
        form: str | None,
    ) -> ChatResult:
        offered = slot_wanted(self.memory_slot, form is not None) and slot_offered(functions)
        slot = slot_for(offered, force_function, messages)
        prompt, prefix = render_prompt(self.format, messages, functions, force_function, form is None, offered)
        prompt_tokens = count_tokens(prompt, self.model)
        budget = self.context_window - prompt_tokens
        if budget < 64:
            raise ContextWindowExceededError(
                f"The prompt has {prompt_tokens} tokens; the context window is {self.context_window}."
            )
        max_tokens = min(budget, self.max_completion_tokens)
        request: dict[str, Any] = {"max_tokens": max_tokens, "stop": list(self.format.stop), "temperature": 0.7}
        if form is not None and functions:
            request.update(constraint_params(form, functions, force_function, slot))
        request.update(self.settings)
        stream = on_delta if self.stream and functions else None

        def call() -> ChatResult:
            text, finish = self._complete(prompt, prefix, request, stream)
            completion_tokens = count_tokens(text, self.model)
            usage = Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            )
            if not functions:
                return ChatResult(message=Message(role="assistant", content=plain_reply(text)), usage=usage)
            if finish == "length":
                # a repaired half-reply would be a wrong call: the window cut it, or our cap did
                if max_tokens < self.max_completion_tokens:
                    raise ContextWindowExceededError(
                        f"The model ran out of context window after {completion_tokens} tokens of its reply."
                    )
                if not _complete_json(prefix + text) and not _complete_json(text):
                    raise LLMOutputParseError(
                        f"The model's reply was cut off at the {max_tokens}-token limit before the call was complete.",
                        text,
                    )
            message = fill_slot(parse_completion(text, prefix), messages)
            return ChatResult(message=correct_heartbeat(message, messages), usage=usage, finish_reason=finish)

        if self.api == "chat":
            return self.retrying(call)
        try:
            return self.retrying(call)
        except LLMModelNotFoundError as not_found:
            self.api = "chat"
            try:
                result = self.retrying(call)
            except LLMModelNotFoundError:
                self.api = "completions"
                raise not_found from None
            log.info("%s has no /completions endpoint; sending wrapped prompts to /chat/completions", self.endpoint)
            return result

    def _complete(
        self, prompt: str, prefix: str, request: dict[str, Any], on_delta: DeltaCallback | None
    ) -> tuple[str, str | None]:
        """The model's continuation of the prompt, and why it stopped."""
        client = self.client()
        body: dict[str, Any] = {"model": self.model, "extra_body": dict(request)}
        if log.isEnabledFor(logging.DEBUG):
            shown = json.dumps({"prompt": prompt, **request})[:20000]
            log.debug("%s request to %s: %s", self.api, self.endpoint, shown)
        if self.api == "chat":
            body["extra_body"]["messages"] = [{"role": "user", "content": prompt}]
            create = client.chat.completions.with_streaming_response.create
            body["messages"] = []
        else:
            create = client.completions.with_streaming_response.create
            body["prompt"] = prompt
        if on_delta is not None:
            body["stream"] = True
        deadline, timeout = self.attempt_limits()
        with create(**body, timeout=timeout) as response:
            if on_delta is not None and "event-stream" in content_type(response):
                chunks = iter_chunks(response, deadline, self.endpoint)
            else:
                data = read_body(response, deadline, self.endpoint)
                if not looks_like_sse(data):
                    text, finish = completion_text(
                        parse_json_body(data, response, self.endpoint), self.endpoint, self.api
                    )
                    log.debug("response: %s", text[:20000])
                    if on_delta is not None:
                        for kind, delta in WrappedReplyStreamer(prefix).feed(text):
                            on_delta(kind, delta)  # type: ignore[arg-type]
                    return text, finish
                chunks = iter([data])
            return self._read_pieces(chunks, prefix, on_delta)

    def _read_pieces(self, chunks: Any, prefix: str, on_delta: DeltaCallback | None) -> tuple[str, str | None]:
        streamer = WrappedReplyStreamer(prefix)
        pieces: list[str] = []
        finish = None
        for event in iter_events(chunks, self.endpoint):
            if event is DONE:
                break
            piece, reason = completion_piece(event, self.endpoint, self.api)
            finish = reason or finish
            if piece:
                pieces.append(piece)
                if on_delta is not None:
                    for kind, delta in streamer.feed(piece):
                        on_delta(kind, delta)  # type: ignore[arg-type]
        text = "".join(pieces)
        log.debug("response: %s", text[:20000])
        return text, finish
