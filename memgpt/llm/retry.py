"""One retry policy and one error mapping for every backend (the SDK's own retries are off).

Failures fall in four kinds, each with its own budget (llm/policy.py): a refused connection or an
unknown host (nothing listens: one quick retry, then a clear error); a timeout or a connection that
broke mid-reply (backoff; at most one re-send to a local server, which is probably still computing
the first copy); 429/5xx and error objects in a 200 (backoff, honouring Retry-After); and answers
that will not change on a retry (401/403, 404, 400, a body that is not a reply), which fail at once.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from memgpt.errors import (
    ContextWindowExceededError,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
)
from memgpt.llm.policy import CONNECT_RETRY_DELAY, CallPolicy, RetryCallback
from memgpt.llm.transport import TransientError

log = logging.getLogger("memgpt.llm")

T = TypeVar("T")

MAX_BACKOFF_SECONDS = 30.0

_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context size|context window|maximum context|too many tokens|prompt is too long"
    r"|exceeds? the (?:available )?context|input length exceeds|context the overflows|reduce the length",
    re.IGNORECASE,
)


def is_context_length_error(text: str) -> bool:
    return bool(_CONTEXT_PATTERNS.search(text or ""))


class BadRequest(LLMError):
    """A 400/422 the caller may adapt to (drop a parameter the server refuses) before giving up."""

    def __init__(self, message: str, status: int, text: str) -> None:
        super().__init__(message)
        self.status = status
        self.text = text


class ModelNotFound(Exception):
    """Internal: a 404; the client turns it into LLMModelNotFoundError with the models on offer."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def error_text(exc: Any) -> str:
    """The server's own words, wherever this server put them (OpenAI, vLLM, Ollama, LM Studio differ)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err)[:2000]
        return str(err)[:2000]
    if isinstance(body, str) and body:
        return body[:2000]
    response = getattr(exc, "response", None)
    try:
        return (response.text if response is not None and response.text else str(exc))[:2000]
    except Exception:
        return str(exc)[:2000]


def _connect_failure(exc: Any) -> str | None:
    """Why nothing could be connected to (refused, unknown host), or None for other failures."""
    import httpx2

    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, httpx2.ConnectError):
        text = str(cause)
        if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return "unknown host"
        if "refused" in text.lower():
            return "connection refused"
        return text or "could not connect"
    return None


class Retrier:
    def __init__(
        self,
        endpoint: str,
        policy: CallPolicy,
        sleep: Callable[[float], None],
        base_delay: float,
        on_retry: RetryCallback | None = None,
        call_end: float = float("inf"),
    ) -> None:
        self.endpoint = endpoint
        self.policy = policy
        self.sleep = sleep
        self.base_delay = base_delay
        self.on_retry = on_retry
        self.call_end = call_end

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return max(0.0, min(float(retry_after), 60.0))
            except ValueError:
                pass
        return min(self.base_delay * (2**attempt) * (1 + random.random()), MAX_BACKOFF_SECONDS)

    def run(self, call: Callable[[], T]) -> T:
        import openai

        attempt = 0
        while True:
            if time.monotonic() >= self.call_end:
                budget = f"the call's budget of {self.policy.budget:g} s ran out"
                raise self._final("timeout", budget, attempt) from None
            try:
                return call()
            except openai.APIStatusError as exc:
                kind, budget, wait, reason = self._status(exc, attempt)
            except openai.APIConnectionError as exc:
                why = _connect_failure(exc)
                if why is not None:
                    kind, budget, wait, reason = "connect", self.policy.connect_retries, CONNECT_RETRY_DELAY, why
                elif isinstance(exc, openai.APITimeoutError):
                    kind, budget, wait = "timeout", self.policy.timeout_retries, self.delay(attempt)
                    reason = f"no reply within {self.policy.first_byte_timeout:g} s"
                else:
                    kind, budget, wait = "connection", self.policy.timeout_retries, self.delay(attempt)
                    reason = f"the connection broke ({type(exc.__cause__ or exc).__name__})"
            except TransientError as exc:
                kind, wait, reason = exc.kind, self.delay(attempt), str(exc)
                budget = (
                    self.policy.timeout_retries if exc.kind in ("timeout", "connection") else self.policy.max_retries
                )
            except openai.APIError as exc:  # anything else the SDK may raise: one clear line
                raise LLMError(f"{self.endpoint} failed: {type(exc).__name__}: {exc}") from None
            if attempt < budget and time.monotonic() + wait < self.call_end:
                attempt += 1
                log.warning("%s: %s; retrying in %.1fs (%d/%d)", self.endpoint, reason, wait, attempt, budget)
                if self.on_retry is not None:
                    self.on_retry(attempt, budget, wait, reason)
                self.sleep(wait)
                continue
            raise self._final(kind, reason, attempt + 1) from None

    def _status(self, exc: Any, attempt: int) -> tuple[str, int, float, str]:
        """Raise for statuses a retry cannot fix; else (kind, budget, delay, reason)."""
        status = exc.status_code
        text = error_text(exc)
        if status in (401, 403):
            raise LLMAuthError(
                f"The API key was rejected by {self.endpoint} ({status}). Set OPENAI_API_KEY or run "
                "`memgpt configure` to store the right key."
            ) from None
        if is_context_length_error(text):
            raise ContextWindowExceededError(f"The request did not fit the context window: {text}") from None
        if status == 404:
            raise ModelNotFound(text) from None
        if status == 429 or status >= 500:
            try:
                retry_after = exc.response.headers.get("retry-after")
            except Exception:
                retry_after = None
            return "server", self.policy.max_retries, self.delay(attempt, retry_after), f"{status} {text}"
        message = f"{self.endpoint} answered {status}: {text}"
        if status in (400, 422):
            raise BadRequest(message, status, text) from None
        raise LLMError(message) from None

    def _final(self, kind: str, reason: str, attempts: int) -> LLMError:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if kind == "connect":
            return LLMConnectionError(
                f"The LLM endpoint {self.endpoint} could not be reached ({reason}; {tries}). Check that the "
                "server is running and that the endpoint is right (`memgpt configure`, or the agent's settings)."
            )
        if kind in ("timeout", "connection"):
            what = "timed out" if kind == "timeout" else "dropped the connection"
            return LLMConnectionError(
                f"The LLM endpoint {self.endpoint} {what} ({reason}; {tries}). A local server may need a longer "
                "request_timeout for long prompts; check that it is still running."
            )
        return LLMError(f"{self.endpoint} answered {reason} (gave up after {tries}).")
