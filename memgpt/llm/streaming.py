"""Pull one string field (send_message's `message`, a wrapped reply's `inner_thoughts`) out of
partial JSON, as it arrives, so the user reads it while the model is still writing."""

from __future__ import annotations

import json
import re


class FieldStreamer:
    """Feed JSON fragments; get back the newly decoded part of the string value of `key`."""

    def __init__(self, key: str = "message") -> None:
        self._key = re.compile(rf'"{re.escape(key)}"\s*:\s*"')
        self._buffer = ""
        self._emitted = 0
        self._done = False

    def feed(self, fragment: str) -> str:
        if self._done:
            return ""
        self._buffer += fragment
        match = self._key.search(self._buffer)
        if not match:
            return ""
        decoded, closed = _decode_partial(self._buffer[match.end() :])
        self._done = closed
        new = decoded[self._emitted :]
        self._emitted = len(decoded)
        return new


class SendMessageStreamer(FieldStreamer):
    """The `message` argument of a send_message call."""

    def __init__(self) -> None:
        super().__init__("message")


_SEND_MESSAGE = re.compile(r'"function"\s*:\s*"send_message"')


class WrappedReplyStreamer:
    """A wrapped model's reply `{"function": ..., "params": {"inner_thoughts": ..., "message": ...}}`
    as it streams: inner thoughts as "thought" deltas, and once the function is known to be
    send_message, its message as "message" deltas."""

    def __init__(self, prefix: str = "") -> None:
        self._buffer = ""
        self._thought = FieldStreamer("inner_thoughts")
        self._message: FieldStreamer | None = None
        if prefix:
            self.feed(prefix)

    def feed(self, fragment: str) -> list[tuple[str, str]]:
        self._buffer += fragment
        out = []
        thought = self._thought.feed(fragment)
        if thought:
            out.append(("thought", thought))
        if self._message is None:
            if _SEND_MESSAGE.search(self._buffer):
                self._message = FieldStreamer("message")
                fragment = self._buffer  # catch up on everything so far
            else:
                return out
        message = self._message.feed(fragment)
        if message:
            out.append(("message", message))
        return out


def _decode_partial(body: str) -> tuple[str, bool]:
    """Decode a JSON string body up to its closing quote or the last complete escape."""
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            return "".join(out), True
        if ch == "\\":
            if i + 1 >= len(body):
                break
            if body[i + 1] == "u":
                if i + 6 > len(body):
                    break
                try:
                    out.append(json.loads(f'"{body[i : i + 6]}"'))
                except json.JSONDecodeError:
                    out.append(body[i : i + 6])
                i += 6
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), False
