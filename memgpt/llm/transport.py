"""Reading what a server sends, in bytes we count and time we bound.

The SDK still makes the request (auth, Azure, status errors), but the body is read here, through
its raw streaming response: a reply has a total deadline however slowly it trickles in, a size
cap, and bytes that are not UTF-8 or not JSON become our errors instead of the SDK's exceptions
escaping from deep inside an iterator.
"""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Iterator
from typing import Any

from memgpt.errors import LLMError
from memgpt.llm.policy import MAX_EVENT_BYTES, MAX_REPLY_BYTES
from memgpt.llm.text import loads_bounded

DONE = object()  # the `data: [DONE]` sentinel


class TransientError(LLMError):
    """Worth another attempt: a timeout, a dropped or cut connection, a server-side error object."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "timeout" | "connection" | "server"


class BodyError(LLMError):
    """The server answered 200 with something that is not the reply we asked for."""


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httpx2

    return (httpx2.HTTPError, httpx2.StreamError, OSError)


def iter_chunks(response: Any, deadline: float, endpoint: str) -> Iterator[bytes]:
    """The response body in chunks, within the deadline and the size cap."""
    import httpx2

    total = 0
    try:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > MAX_REPLY_BYTES:
                raise BodyError(
                    f"{endpoint} sent a reply larger than {MAX_REPLY_BYTES // (1024 * 1024)} MB; stopped reading."
                )
            if time.monotonic() > deadline:
                raise TransientError("timeout", f"{endpoint} was still sending its reply at the call's deadline")
            yield chunk
    except httpx2.TimeoutException:
        raise TransientError("timeout", f"{endpoint} stopped sending in the middle of its reply") from None
    except _transport_errors() as exc:
        raise TransientError(
            "connection", f"the connection to {endpoint} broke mid-reply ({type(exc).__name__})"
        ) from None


def read_body(response: Any, deadline: float, endpoint: str) -> bytes:
    return b"".join(iter_chunks(response, deadline, endpoint))


def content_type(response: Any) -> str:
    try:
        return str(response.headers.get("content-type") or "").lower()
    except Exception:
        return ""


def parse_json_body(data: bytes, response: Any, endpoint: str) -> Any:
    """The JSON document of a non-streamed reply; BodyError naming what came instead."""
    text = data.decode("utf-8", "replace")
    try:
        return loads_bounded(text)
    except (ValueError, RecursionError):
        pass
    kind = content_type(response) or "no content type"
    shown = " ".join(text[:200].split())
    if not text.strip():
        raise BodyError(f"{endpoint} answered with an empty body ({kind}).")
    raise BodyError(f"{endpoint} answered with something that is not JSON ({kind}): {shown!r}")


def iter_events(chunks: Iterator[bytes], endpoint: str) -> Iterator[Any]:
    """Server-sent events as decoded JSON values, then DONE if the server said `[DONE]`.

    Tolerant of what servers really send: `\\r\\n` line ends, comments, `event:`/`id:` lines,
    several `data:` lines per event, llama.cpp's `error:` lines, events that are not JSON (skipped).
    """
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    data: list[str] = []
    size = 0

    def dispatch() -> Iterator[Any]:
        payload = "\n".join(data).strip()
        data.clear()
        if not payload:
            return
        if payload == "[DONE]":
            yield DONE
            return
        try:
            yield loads_bounded(payload)
        except (ValueError, RecursionError):
            return  # an odd event (keep-alive text, a proxy's banner): not ours to read

    for chunk in chunks:
        pending += decoder.decode(chunk)
        if "\n" not in pending:
            if len(pending) > MAX_EVENT_BYTES:
                raise BodyError(f"{endpoint} sent a streamed line longer than {MAX_EVENT_BYTES // 1024} KB.")
            continue
        *lines, pending = pending.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            if not line:
                yield from dispatch()
                size = 0
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                size += len(value)
                if size > MAX_EVENT_BYTES:
                    raise BodyError(f"{endpoint} sent a streamed event larger than {MAX_EVENT_BYTES // 1024} KB.")
                data.append(value)
            elif field == "error":
                yield {"error": _error_value(value)}
    pending += decoder.decode(b"", final=True)
    if pending.strip().startswith("data:"):
        data.append(pending.strip()[5:].strip())
    yield from dispatch()


def _error_value(value: str) -> Any:
    try:
        return loads_bounded(value)
    except (ValueError, RecursionError):
        return value


def looks_like_sse(data: bytes) -> bool:
    head = data.lstrip()[:6]
    return head.startswith((b"data:", b"event:", b":"))


def error_message(error: Any) -> str:
    """The words of an `error` object a server put in a 200 reply or a streamed event."""
    if isinstance(error, dict):
        for key in ("message", "error", "detail"):
            if isinstance(error.get(key), str) and error[key]:
                return error[key]
        return json.dumps(error)[:500]
    return str(error)[:500]
