"""Chat completions through the `openai` SDK: OpenAI, Azure and every OpenAI-compatible server.

Retries are ours (the SDK's are turned off) so that every backend gets the same policy: bounded
exponential backoff with jitter on 429/5xx/timeouts/connection errors, honouring Retry-After,
then one clear error. Errors are mapped to the typed errors the agent acts on.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any

from memgpt.errors import (
    ContextWindowExceededError,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
    LLMModelNotFoundError,
)
from memgpt.llm.base import DeltaCallback, FunctionSchema
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.settings import load_completion_settings
from memgpt.llm.streaming import SendMessageStreamer
from memgpt.schemas import ChatResult, Message, ToolCall, Usage, new_tool_call_id

log = logging.getLogger("memgpt.llm")

_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context size|context window|maximum context|too many tokens|prompt is too long"
    r"|exceeds? the (?:available )?context|input length exceeds|context the overflows|reduce the length",
    re.IGNORECASE,
)
_TOOLS_UNSUPPORTED = re.compile(r"\btools?\b|tool_choice|function calling", re.IGNORECASE)

MAX_BACKOFF_SECONDS = 30.0


def is_context_length_error(text: str) -> bool:
    return bool(_CONTEXT_PATTERNS.search(text or ""))


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


def _tool_calls_from_text(content: str | None, known: set[str]) -> list[ToolCall] | None:
    """Some local servers put the call in `content` as JSON text; read it back when it names a function."""
    if not content or "{" not in content or not known:
        return None
    try:
        data = parse_json_object(content)
    except LLMError:
        return None
    name = data.get("name") or data.get("function")
    args = data.get("arguments", data.get("parameters", data.get("params")))
    if isinstance(name, str) and name in known and isinstance(args, (dict, str)):
        return [ToolCall(name=name, arguments=args if isinstance(args, str) else json.dumps(args))]
    return None


class OpenAIChatClient:
    def __init__(
        self,
        llm: Any,
        api_key: str | None,
        *,
        azure: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float | None = None,
    ) -> None:
        self.model = llm.model
        self.context_window = llm.context_window
        self.endpoint = llm.model_endpoint
        self.stream = llm.stream
        self.max_retries = llm.max_retries
        self.timeout = llm.request_timeout
        self.style = "functions" if llm.function_call_style == "functions" else "tools"
        self._auto_style = llm.function_call_style == "auto"
        self._api_key = api_key
        self._azure = azure
        self._sleep = sleep
        self._base_delay = default_base_delay() if base_delay is None else base_delay
        self._client: Any = None
        # the user's sampler settings (llm/settings.py), merged over ours in every request body
        self.settings: dict[str, Any] = load_completion_settings()

    # -- connection -----------------------------------------------------------------------
    def client(self) -> Any:
        if self._client is None:
            import openai

            if self._azure is not None:
                self._client = openai.AzureOpenAI(
                    api_key=self._api_key,
                    azure_endpoint=self._azure["endpoint"],
                    azure_deployment=self._azure.get("deployment"),
                    api_version=self._azure["api_version"],
                    max_retries=0,
                    timeout=self.timeout,
                )
            else:
                self._client = openai.OpenAI(
                    base_url=self.endpoint, api_key=self._api_key or "not-needed", max_retries=0, timeout=self.timeout
                )
        return self._client

    # -- the call -------------------------------------------------------------------------
    def chat(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None = None,
        *,
        force_function: str | None = None,
        on_delta: DeltaCallback | None = None,
    ) -> ChatResult:
        wire = [m.to_openai() for m in messages]
        while True:
            kwargs: dict[str, Any] = {"model": self.model}
            if functions and self.style == "tools":
                kwargs["messages"] = wire
                kwargs["tools"] = [{"type": "function", "function": f} for f in functions]
                kwargs["tool_choice"] = (
                    {"type": "function", "function": {"name": force_function}} if force_function else "auto"
                )
            elif functions:
                kwargs["messages"] = to_legacy(wire)
                kwargs["functions"] = functions
                kwargs["function_call"] = {"name": force_function} if force_function else "auto"
            else:
                kwargs["messages"] = to_legacy(wire) if self.style == "functions" else wire
            known = {f["name"] for f in functions or []}
            try:
                return self.retrying(lambda kw=kwargs, kn=known: self._request(kw, kn, on_delta), "tools" in kwargs)
            except _ToolsRejected:
                log.info("%s rejected the tools API; switching to legacy functions", self.endpoint)
                self.style = "functions"
                self._auto_style = False

    def _request(self, kwargs: dict[str, Any], known: set[str], on_delta: DeltaCallback | None) -> ChatResult:
        if log.isEnabledFor(logging.DEBUG):  # the dump costs ~0.5 ms at 32k: only when someone reads it
            log.debug("request to %s: %s", self.endpoint, json.dumps(kwargs, default=str)[:20000])
        kwargs = _bypass_transform(kwargs, self.settings)
        if self.stream and on_delta is not None:
            return self._streamed(kwargs, known, on_delta)
        return self._parse(self.client().chat.completions.create(**kwargs), known)

    def retrying(self, call: Callable[[], ChatResult], sent_tools: bool = False) -> ChatResult:
        """Run one request with our retry policy and error mapping."""
        import openai

        attempt = 0
        while True:
            try:
                return call()
            except openai.APIStatusError as exc:
                status = exc.status_code
                text = _error_text(exc)
                if status == 401 or status == 403:
                    raise LLMAuthError(
                        f"The API key was rejected by {self.endpoint} ({status}). Set OPENAI_API_KEY or run "
                        "`memgpt configure` to store the right key."
                    ) from None
                if is_context_length_error(text):
                    raise ContextWindowExceededError(f"The request did not fit the context window: {text}") from None
                if status == 404:
                    raise LLMModelNotFoundError(self._model_not_found(text)) from None
                if status in (400, 422) and self._auto_style and sent_tools and _TOOLS_UNSUPPORTED.search(text):
                    raise _ToolsRejected from None
                if status == 429 or status >= 500:
                    delay = self._retry_delay(attempt, exc.response.headers.get("retry-after"))
                    if attempt < self.max_retries:
                        log.warning("%s answered %s; retrying in %.1fs", self.endpoint, status, delay)
                        self._sleep(delay)
                        attempt += 1
                        continue
                    raise LLMError(
                        f"{self.endpoint} answered {status} {text} (gave up after {attempt + 1} attempts)."
                    ) from None
                raise LLMError(f"{self.endpoint} answered {status}: {text}") from None
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                kind = "timed out" if isinstance(exc, openai.APITimeoutError) else "could not be reached"
                if attempt < self.max_retries:
                    self._sleep(self._retry_delay(attempt, None))
                    attempt += 1
                    continue
                raise LLMConnectionError(
                    f"The LLM endpoint {self.endpoint} {kind} (after {attempt + 1} attempts). "
                    "Check that the server is running and the endpoint in `memgpt configure` is right."
                ) from None

    def _retry_delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        return min(self._base_delay * (2**attempt) * (1 + random.random()), MAX_BACKOFF_SECONDS)

    def _model_not_found(self, text: str) -> str:
        message = f"{self.endpoint} does not know the model {self.model!r} ({text})."
        try:
            models = sorted(m.id for m in self.client().models.list())
        except Exception:
            return message + " Choose another with `memgpt configure` or `--model`."
        return message + f" Models it offers: {', '.join(models[:30]) or 'none'}."

    # -- responses ------------------------------------------------------------------------
    def _parse(self, response: Any, known: set[str]) -> ChatResult:
        if not getattr(response, "choices", None):
            raise LLMError(f"{self.endpoint} returned a response without choices.")
        choice = response.choices[0]
        msg = choice.message
        calls: list[ToolCall] = []
        for tc in msg.tool_calls or []:
            fn = getattr(tc, "function", None)
            if fn is None:
                continue
            calls.append(ToolCall(id=tc.id or new_tool_call_id(), name=fn.name or "", arguments=fn.arguments or ""))
        if not calls and getattr(msg, "function_call", None):
            calls.append(ToolCall(name=msg.function_call.name or "", arguments=msg.function_call.arguments or ""))
        content = msg.content
        if not calls:
            parsed = _tool_calls_from_text(content, known)
            if parsed:
                calls, content = parsed, None
        if choice.finish_reason == "length" and not calls and not content:
            raise ContextWindowExceededError("The model stopped at the context limit without answering.")
        usage = response.usage
        raw = response.model_dump() if hasattr(response, "model_dump") else None
        log.debug("response: %s", json.dumps(raw, default=str)[:20000] if raw else response)
        return ChatResult(
            message=Message(role="assistant", content=content, tool_calls=calls or None),
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                total_tokens=getattr(usage, "total_tokens", 0) or 0,
            ),
            finish_reason=choice.finish_reason,
            raw=raw,
        )

    def _streamed(self, kwargs: dict[str, Any], known: set[str], on_delta: DeltaCallback) -> ChatResult:
        content: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        streamers: dict[int, SendMessageStreamer] = {}
        finish = None
        usage = Usage()
        for chunk in self.client().chat.completions.create(**kwargs, stream=True):
            if getattr(chunk, "usage", None):
                u = chunk.usage
                usage = Usage(
                    prompt_tokens=u.prompt_tokens or 0,
                    completion_tokens=u.completion_tokens or 0,
                    total_tokens=u.total_tokens or 0,
                )
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            finish = choice.finish_reason or finish
            delta = choice.delta
            if delta.content:
                content.append(delta.content)
                on_delta("thought", delta.content)
            pieces = []
            for tc in delta.tool_calls or []:
                pieces.append(
                    (
                        tc.index or 0,
                        tc.id,
                        tc.function.name if tc.function else None,
                        tc.function.arguments if tc.function else None,
                    )
                )
            if getattr(delta, "function_call", None):
                pieces.append((0, None, delta.function_call.name, delta.function_call.arguments))
            for index, call_id, name, args in pieces:
                slot = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
                if call_id:
                    slot["id"] = call_id
                if name:
                    slot["name"] += name
                if args:
                    slot["arguments"] += args
                    if slot["name"] == "send_message":
                        text = streamers.setdefault(index, SendMessageStreamer()).feed(args)
                        if text:
                            on_delta("message", text)
        tool_calls = [
            ToolCall(name=c["name"], arguments=c["arguments"], **({"id": c["id"]} if c["id"] else {}))
            for _, c in sorted(calls.items())
        ]
        text = "".join(content) or None
        if not tool_calls:
            parsed = _tool_calls_from_text(text, known)
            if parsed:
                tool_calls, text = parsed, None
        if finish == "length" and not tool_calls and not text:
            raise ContextWindowExceededError("The model stopped at the context limit without answering.")
        return ChatResult(
            message=Message(role="assistant", content=text, tool_calls=tool_calls or None),
            usage=usage,
            finish_reason=finish,
        )


class _ToolsRejected(Exception):
    """The server does not speak the tools API: retry the same call with legacy functions."""


def _error_text(exc: Any) -> str:
    """The server's own words, wherever this server put them (OpenAI, vLLM, Ollama, LM Studio differ)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err)
        return str(err)
    if isinstance(body, str) and body:
        return body
    response = getattr(exc, "response", None)
    try:
        return response.text if response is not None and response.text else str(exc)
    except Exception:
        return str(exc)


def _bypass_transform(kwargs: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send messages and schemas as they are, past the SDK's per-field TypedDict transform.

    The openai SDK walks every message through a recursive type-driven transform before sending:
    about 0.15 ms per message, so ~50 ms per call at a 32k context, more than the rest of an agent
    step together (bench/step_overhead.py). Our dicts are already in the API's wire shape, so they
    travel in `extra_body`, which the SDK merges into the JSON body untouched.
    """
    out = dict(kwargs)
    extra = {key: out.pop(key) for key in ("messages", "tools", "functions") if key in out}
    out["messages"] = []
    out["extra_body"] = {**(out.get("extra_body") or {}), **extra, **(settings or {})}
    return out
