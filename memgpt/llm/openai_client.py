"""Chat completions through the `openai` SDK: OpenAI, Azure and every OpenAI-compatible server.

The SDK sends the request; the reply is read and checked here (llm/transport.py, llm/replies.py),
retries follow llm/retry.py. Every step asks for a function call (`tool_choice: "required"`), and
every request carries a completion limit equal to the room the agent keeps for the reply. What a
server refuses (a 400 naming `tool_choice`, `max_tokens`, the tools API) is dropped and remembered
for that endpoint (llm/policy.py `EndpointQuirks`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from memgpt.errors import LLMError, LLMModelNotFoundError, MemGPTError
from memgpt.llm.base import DeltaCallback, FunctionSchema
from memgpt.llm.constraints import call_grammar
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.memory_slot import fill_slot, slot_for, slot_offered, slot_wanted, with_slot_instruction
from memgpt.llm.policy import (
    CallPolicy,
    RetryCallback,
    completion_reserve,
    default_limit_param,
    quirks_for,
)
from memgpt.llm.replies import ChatStreamAssembler, chat_result
from memgpt.llm.retry import BadRequest, ModelNotFound, Retrier, is_context_length_error
from memgpt.llm.settings import load_completion_settings
from memgpt.llm.transport import DONE, TransientError, content_type, iter_chunks, iter_events, looks_like_sse
from memgpt.llm.transport import parse_json_body as _parse_json_body
from memgpt.llm.transport import read_body as _read_body
from memgpt.schemas import ChatResult, Message

log = logging.getLogger("memgpt.llm")

T = TypeVar("T")

# Servers whose /chat/completions take a GBNF `grammar` next to `tools` (see OpenAIChatClient._chat_grammar).
CHAT_GRAMMAR_TYPES = {"llamacpp"}
_TOOLS_UNSUPPORTED = re.compile(r"\btools?\b|tool_choice|function calling", re.IGNORECASE)
_TOOL_CHOICE = re.compile(r"tool_choice|required", re.IGNORECASE)

__all__ = ["OpenAIChatClient", "is_context_length_error", "to_legacy"]


def default_base_delay() -> float:
    """1 s as in the original; MEMGPT_RETRY_BASE_DELAY shortens it (tests, impatient scripts)."""
    try:
        return float(os.environ.get("MEMGPT_RETRY_BASE_DELAY", "1.0"))
    except ValueError:
        return 1.0


def to_legacy(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tools-shaped history to the legacy `functions` shape (one call per assistant message)."""
    out = []
    for msg in messages:
        if msg["role"] == "assistant" and msg.get("tool_calls"):
            first = msg["tool_calls"][0]["function"]
            out.append({"role": "assistant", "content": msg.get("content") or "", "function_call": first})
        elif msg["role"] == "tool":
            out.append({"role": "function", "name": msg.get("name") or "function", "content": msg.get("content") or ""})
        else:
            out.append(msg)
    return out


class OpenAIChatClient:
    def __init__(
        self,
        llm: Any,
        api_key: str | None,
        *,
        azure: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float | None = None,
        on_retry: RetryCallback | None = None,
        max_completion_tokens: int | None = None,
        policy: CallPolicy | None = None,
    ) -> None:
        self.model = llm.model
        self.context_window = llm.context_window
        self.endpoint = llm.model_endpoint
        self.endpoint_type = str(llm.model_endpoint_type)
        self.stream = llm.stream
        self.max_retries = llm.max_retries
        self.timeout = llm.request_timeout
        self.policy = policy or CallPolicy.for_config(llm)
        self.style = "functions" if llm.function_call_style == "functions" else "tools"
        self._auto_style = llm.function_call_style == "auto"
        self.constrained = getattr(llm, "constrained_decoding", True) is not False
        self.memory_slot = getattr(llm, "memory_slot", "off")
        # The most the model may write in one reply: the reserve the agent's context accounting keeps.
        self.max_completion_tokens = (
            max_completion_tokens
            or getattr(llm, "max_completion_tokens", None)
            or completion_reserve(self.context_window)
        )
        # Called before each retry with (attempt, attempts at most, delay in s, reason): the REPL's notice.
        self.on_retry = on_retry
        self.quirks = quirks_for(self.endpoint or "", self.model)
        self._api_key = api_key
        self._azure = azure
        self._sleep = sleep
        self._base_delay = default_base_delay() if base_delay is None else base_delay
        self._client: Any = None
        self._client_lock = threading.Lock()
        self.call_end = float("inf")  # when the current chat() call's time budget runs out
        # the user's sampler settings (llm/settings.py), merged over ours in every request body
        self.settings: dict[str, Any] = load_completion_settings()

    # -- connection -----------------------------------------------------------------------
    def client(self) -> Any:
        with self._client_lock:  # the REPL's warm-up thread may build it while the first turn starts
            if self._client is None:
                self._client = self._build_client()
        return self._client

    def warm_up(self) -> None:
        """Build the SDK client and its lazily imported resources (the HTTP transport, TLS context and
        chat/completions modules cost ~0.25 s together; the platform headers run `uname` once) so the
        first call costs what later ones do."""
        client = self.client()
        client.chat.completions  # noqa: B018  (cached_property: imports the chat resources)
        client.completions  # noqa: B018
        client.default_headers  # noqa: B018  (includes the cached platform headers)
        "localhost".encode("idna")  # the codec httpx uses for host names is imported on first use

    def _build_client(self) -> Any:
        import openai

        timeout = openai.Timeout(self.policy.first_byte_timeout, connect=self.policy.connect_timeout)
        if self._azure is not None:
            return openai.AzureOpenAI(
                api_key=self._api_key,
                azure_endpoint=self._azure["endpoint"],
                azure_deployment=self._azure.get("deployment"),
                api_version=self._azure["api_version"],
                max_retries=0,
                timeout=timeout,
            )
        key = self._api_key or "not-needed"
        return openai.OpenAI(base_url=self.endpoint, api_key=key, max_retries=0, timeout=timeout)

    def attempt_limits(self) -> tuple[float, Any]:
        """This attempt's deadline and SDK timeout: the policy's, cut to what the call has left."""
        import openai

        now = time.monotonic()
        left = max(0.05, self.call_end - now)
        timeout = openai.Timeout(
            min(self.policy.first_byte_timeout, left), connect=min(self.policy.connect_timeout, left)
        )
        return now + min(self.policy.deadline, left), timeout

    def retrying(self, call: Callable[[], T]) -> T:
        """Run one request with our retry policy and error mapping."""
        retrier = Retrier(
            self.endpoint, self.policy, lambda s: self._sleep(s), self._base_delay, self.on_retry, self.call_end
        )
        try:
            return retrier.run(call)
        except ModelNotFound as exc:
            raise LLMModelNotFoundError(self._model_not_found(exc.text)) from None

    def guarded(self, call: Callable[[], T]) -> T:
        """The reply boundary: whatever goes wrong leaves as one of memgpt.errors, within the call's budget."""
        self.call_end = time.monotonic() + self.policy.budget
        try:
            return call()
        except MemGPTError:
            raise
        except Exception as exc:
            log.exception("unexpected failure talking to %s", self.endpoint)
            raise LLMError(f"Unexpected error talking to {self.endpoint}: {type(exc).__name__}: {exc}") from None

    # -- the call -------------------------------------------------------------------------
    def chat(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None = None,
        *,
        force_function: str | None = None,
        on_delta: DeltaCallback | None = None,
    ) -> ChatResult:
        return self.guarded(lambda: self._chat(messages, functions, force_function, on_delta))

    def _chat(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None,
        force_function: str | None,
        on_delta: DeltaCallback | None,
    ) -> ChatResult:
        wire = [m.to_openai() for m in messages]
        known = {f["name"] for f in functions or []}
        while True:
            kwargs = self._chat_kwargs(wire, functions, force_function, messages)
            try:
                result = self.retrying(lambda kw=kwargs: self._request(kw, known, on_delta))
                return result.model_copy(update={"message": fill_slot(result.message, messages)})
            except BadRequest as exc:
                if not self._adapt(exc.text, kwargs):
                    raise

    def _chat_kwargs(
        self,
        wire: list[dict[str, Any]],
        functions: list[FunctionSchema] | None,
        force_function: str | None,
        messages: list[Message],
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model}
        if functions and self.style == "tools":
            kwargs["messages"] = wire
            kwargs["tools"] = [{"type": "function", "function": f} for f in functions]
            if force_function:
                kwargs["tool_choice"] = {"type": "function", "function": {"name": force_function}}
            else:
                kwargs["tool_choice"] = "required" if self.quirks.tool_choice_required else "auto"
            if self._chat_grammar():
                offered = slot_wanted(self.memory_slot, True) and slot_offered(functions)
                if offered:
                    kwargs["messages"] = with_slot_instruction(wire)
                slot = slot_for(offered, force_function, messages)
                kwargs["grammar"] = call_grammar(functions, force_function, slot)
        elif functions:
            # the legacy API has no "any function" value: "auto", "none" or one function by name
            kwargs["messages"] = to_legacy(wire)
            kwargs["functions"] = functions
            kwargs["function_call"] = {"name": force_function} if force_function else "auto"
        else:
            kwargs["messages"] = to_legacy(wire) if self.style == "functions" else wire
        limit_param = self.limit_param()
        if limit_param:
            kwargs[limit_param] = self.max_completion_tokens
        return kwargs

    def _chat_grammar(self) -> bool:
        """llama-cpp-python's server renders tools with the model's own chat template but ignores
        tool_choice "required" (a real 0.5B model then echoed its input instead of calling anything);
        it does take a GBNF grammar on /chat/completions, which holds the reply to one valid call as
        JSON text (read back by replies.tool_calls_from_text). A server that refuses the pair (llama.cpp's
        own server with --jinja does tools itself) says so in a 400, and is not sent it again."""
        return self.endpoint_type in CHAT_GRAMMAR_TYPES and self.constrained and self.quirks.chat_grammar

    def limit_param(self) -> str:
        if self.quirks.limit_param is None:
            return default_limit_param(self.endpoint_type, self.model)
        return self.quirks.limit_param

    def _adapt(self, text: str, kwargs: dict[str, Any]) -> bool:
        """Whether a 400 named something we can stop sending (remembered for this endpoint and model)."""
        lowered = text.lower()
        if "grammar" in kwargs and "grammar" in lowered:
            log.info("%s refused a grammar beside tools; relying on tool_choice from now on", self.endpoint)
            self.quirks.chat_grammar = False
            return True
        if kwargs.get("tool_choice") == "required" and _TOOL_CHOICE.search(text):
            log.info("%s refused tool_choice=required; sending auto from now on", self.endpoint)
            self.quirks.tool_choice_required = False
            return True
        sent = self.limit_param()
        if sent and sent in lowered:
            other = "max_completion_tokens" if sent == "max_tokens" else "max_tokens"
            self.quirks.limit_param = other if other in lowered and self.quirks.limit_param is None else ""
            log.info("%s refused %s; sending %s", self.endpoint, sent, self.quirks.limit_param or "no limit")
            return True
        if self._auto_style and "tools" in kwargs and _TOOLS_UNSUPPORTED.search(text):
            log.info("%s rejected the tools API; switching to legacy functions", self.endpoint)
            self.style = "functions"
            self._auto_style = False
            return True
        return False

    def _request(self, kwargs: dict[str, Any], known: set[str], on_delta: DeltaCallback | None) -> ChatResult:
        if log.isEnabledFor(logging.DEBUG):  # the dump costs ~0.5 ms at 32k: only when someone reads it
            log.debug("request to %s: %s", self.endpoint, json.dumps(kwargs, default=str)[:20000])
        body = _bypass_transform(kwargs, self.settings)
        stream = self.stream and on_delta is not None
        if stream:
            body["stream"] = True
        limit = self.max_completion_tokens if self.limit_param() else None
        deadline, timeout = self.attempt_limits()
        with self.client().chat.completions.with_streaming_response.create(**body, timeout=timeout) as response:
            if stream and "event-stream" in content_type(response):
                return self._read_stream(iter_chunks(response, deadline, self.endpoint), known, on_delta, limit)
            data = _read_body(response, deadline, self.endpoint)
            if looks_like_sse(data):  # streamed although we did not ask (or the content type lied)
                return self._read_stream(iter([data]), known, on_delta, limit)
            result = chat_result(_parse_json_body(data, response, self.endpoint), self.endpoint, known, limit)
        log.debug("response: %s", json.dumps(result.raw, default=str)[:20000] if result.raw else result)
        if stream:
            replay(result.message, on_delta)
        return result

    def _read_stream(
        self, chunks: Any, known: set[str], on_delta: DeltaCallback | None, limit: int | None
    ) -> ChatResult:
        assembler = ChatStreamAssembler(self.endpoint, known, on_delta)
        done = False
        try:
            for event in iter_events(chunks, self.endpoint):
                if event is DONE:
                    done = True
                    break
                assembler.feed(event)
            if not done and assembler.finish_reason is None:
                raise TransientError(
                    "connection", f"the stream from {self.endpoint} ended before the reply was complete"
                )
        except TransientError as exc:
            if assembler.emitted:  # part of it is on the user's screen: a retry would show it twice
                raise LLMError(f"The reply from {self.endpoint} broke off: {exc}") from None
            raise
        return assembler.result(limit)

    def _model_not_found(self, text: str) -> str:
        message = f"{self.endpoint} does not know the model {self.model!r} ({text})."
        try:
            models = sorted(str(m.id) for m in self.client().models.list())
        except Exception:
            return message + " Choose another with `memgpt configure` or `--model`."
        return message + f" Models it offers: {', '.join(models[:30]) or 'none'}."


def replay(message: Message, on_delta: DeltaCallback | None) -> None:
    """Show a reply that arrived whole although streaming was asked for, as if it had streamed."""
    if on_delta is None:
        return
    if message.content:
        on_delta("thought", message.content)
    for call in message.tool_calls or []:
        if call.name != "send_message":
            continue
        try:
            text = parse_json_object(call.arguments).get("message")
        except LLMError:
            continue
        if isinstance(text, str) and text:
            on_delta("message", text)


def _bypass_transform(kwargs: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send messages and schemas as they are, past the SDK's per-field TypedDict transform.

    The openai SDK walks every message through a recursive type-driven transform before sending:
    about 0.15 ms per message, so ~50 ms per call at a 32k context, more than the rest of an agent
    step together (bench/step_overhead.py). Our dicts are already in the API's wire shape, so they
    travel in `extra_body`, which the SDK merges into the JSON body untouched.
    """
    out = {"model": kwargs["model"], "messages": []}
    extra = {key: value for key, value in kwargs.items() if key != "model"}
    out["extra_body"] = {**extra, **(settings or {})}
    return out
