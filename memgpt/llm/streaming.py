"""Pull the `message` argument of a streamed send_message call out of partial JSON, as it arrives."""

from __future__ import annotations

import json
import re

_MESSAGE_KEY = re.compile(r'"message"\s*:\s*"')


class SendMessageStreamer:
    """Feed argument fragments; get back the newly decoded part of the message text."""

    def __init__(self) -> None:
        self._buffer = ""
        self._emitted = 0
        self._done = False

    def feed(self, fragment: str) -> str:
        if self._done:
            return ""
        self._buffer += fragment
        match = _MESSAGE_KEY.search(self._buffer)
        if not match:
            return ""
        decoded, closed = _decode_partial(self._buffer[match.end() :])
        self._done = closed
        new = decoded[self._emitted :]
        self._emitted = len(decoded)
        return new


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
