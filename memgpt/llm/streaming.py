"""Strings out of JSON that is still arriving, so the user reads the reply while the model writes.

One incremental tokenizer (`PartialJSON`) reads each character once, whatever the number of
fragments: the previous decoder re-decoded the whole buffer per fragment (10 s for a 20 KB
message) and decoded `\\uXXXX` one unit at a time, so an emoji written as `\\ud83d\\ude00` came out
as two lone surrogates. Here a high surrogate waits for its partner, even across fragments, and
one left alone becomes U+FFFD. String values are reported by their key path, so a `"message":`
inside the inner thoughts is not mistaken for the message.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r'[^"\\]+')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "/": "/"}
_HEX = set("0123456789abcdefABCDEF")
_DELIMITERS = set(",]} \t\r\n")

Path = tuple[object, ...]


class PartialJSON:
    """Feed JSON text in pieces; `feed` returns (key path, decoded text) for string values.

    Text before the first `{` or `[` (chatter, a code fence) is skipped. After the document closes,
    or once the text stops being JSON, nothing more is reported.
    """

    def __init__(self) -> None:
        self._stack: list[list[object]] = []  # [kind "{"/"[", current key or index]
        self._state = "seek"  # seek | value | key | colon | after | string | scalar | done
        self._is_key = False
        self._key: list[str] = []
        self._escape: str | None = None  # "\\" after a backslash, "u..." while reading hex digits
        self._high: str | None = None  # a high surrogate waiting for its low half

    @property
    def done(self) -> bool:
        return self._state == "done"

    def inside(self, path: Path) -> bool:
        """Whether the string value at `path` is still being read."""
        return self._state == "string" and not self._is_key and self._path() == path

    def _path(self) -> Path:
        return tuple(frame[1] for frame in self._stack)

    def feed(self, text: str) -> list[tuple[Path, str]]:
        out: list[tuple[Path, str]] = []
        i, n = 0, len(text)
        while i < n and self._state != "done":
            if self._state == "string":
                i = self._string(text, i, out)
                continue
            ch = text[i]
            i += 1
            if self._state == "scalar":
                if ch in _DELIMITERS:
                    self._state = "after"
                    i -= 1
                continue
            if ch in " \t\r\n":
                continue
            self._structure(ch)
        return out

    def _structure(self, ch: str) -> None:
        state = self._state
        if state == "seek":
            if ch in "{[":
                self._open(ch)
            return
        if state == "key":
            if ch == '"':
                self._state, self._is_key = "string", True
                self._key = []
            elif ch == "}":
                self._close()
            else:
                self._state = "done"  # not JSON any more
        elif state == "colon":
            self._state = "value" if ch == ":" else "done"
        elif state == "value":
            if ch == '"':
                self._state, self._is_key = "string", False
            elif ch in "{[":
                self._open(ch)
            elif ch in "]}":
                self._close()
            else:
                self._state = "scalar"
        elif state == "after":
            if ch == ",":
                frame = self._stack[-1] if self._stack else None
                if frame is None:
                    self._state = "done"
                elif frame[0] == "{":
                    self._state = "key"
                else:
                    frame[1] = int(frame[1]) + 1  # type: ignore[call-overload]
                    self._state = "value"
            elif ch in "]}":
                self._close()
            else:
                self._state = "done"

    def _open(self, ch: str) -> None:
        self._stack.append([ch, None if ch == "{" else 0])
        self._state = "key" if ch == "{" else "value"

    def _close(self) -> None:
        if self._stack:
            self._stack.pop()
        self._state = "after" if self._stack else "done"

    def _string(self, text: str, i: int, out: list[tuple[Path, str]]) -> int:
        """Consume string characters from `i`; returns where it stopped."""
        pieces: list[str] = []
        n = len(text)
        while i < n:
            if self._escape is not None:
                i = self._escaped(text, i, pieces)
                continue
            match = _PLAIN.match(text, i)
            if match:
                self._flush_high(pieces)
                pieces.append(match.group())
                i = match.end()
                continue
            ch = text[i]
            i += 1
            if ch == "\\":
                self._escape = "\\"
                continue
            # the closing quote
            self._flush_high(pieces)
            self._emit(pieces, out)
            if self._is_key:
                if self._stack:
                    self._stack[-1][1] = "".join(self._key)
                self._state = "colon"
            else:
                self._state = "after"
            return i
        self._emit(pieces, out)
        return i

    def _escaped(self, text: str, i: int, pieces: list[str]) -> int:
        assert self._escape is not None
        if self._escape == "\\":
            ch = text[i]
            if ch == "u":
                self._escape = "u"
            else:
                self._flush_high(pieces)
                pieces.append(_ESCAPES.get(ch, ch))
                self._escape = None
            return i + 1
        while i < len(text) and len(self._escape) < 5:
            if text[i] not in _HEX:
                break
            self._escape += text[i]
            i += 1
        if len(self._escape) < 5:
            if i < len(text):  # a bad \u escape: keep the text, as written
                self._flush_high(pieces)
                pieces.append("\\" + self._escape)
                self._escape = None
            return i
        char = chr(int(self._escape[1:], 16))
        self._escape = None
        if "\ud800" <= char <= "\udbff":
            self._flush_high(pieces)
            self._high = char
        elif "\udc00" <= char <= "\udfff":
            if self._high is not None:
                pieces.append((self._high + char).encode("utf-16", "surrogatepass").decode("utf-16"))
                self._high = None
            else:
                pieces.append("\ufffd")
        else:
            self._flush_high(pieces)
            pieces.append(char)
        return i

    def _flush_high(self, pieces: list[str]) -> None:
        if self._high is not None:
            pieces.append("\ufffd")
            self._high = None

    def _emit(self, pieces: list[str], out: list[tuple[Path, str]]) -> None:
        if not pieces:
            return
        text = "".join(pieces)
        pieces.clear()
        if self._is_key:
            self._key.append(text)
        else:
            out.append((self._path(), text))


class FieldStreamer:
    """Feed JSON fragments; get back the newly decoded part of the string at `path`."""

    def __init__(self, path: Path = ("message",)) -> None:
        self._parser = PartialJSON()
        self._path = path

    def feed(self, fragment: str) -> str:
        return "".join(text for path, text in self._parser.feed(fragment) if path == self._path)


class SendMessageStreamer(FieldStreamer):
    """The `message` argument of a send_message call."""

    def __init__(self) -> None:
        super().__init__(("message",))


_THOUGHTS = {("inner_thoughts",), ("params", "inner_thoughts")}  # first, beside the call; or inside params
_MESSAGE = ("params", "message")
_FUNCTION = ("function",)


class WrappedReplyStreamer:
    """A wrapped model's reply `{"inner_thoughts": ..., "function": ..., "params": {"message": ...}}`
    as it streams: inner thoughts as "thought" deltas, and once the function is known to be
    send_message, its message as "message" deltas (what came before that is caught up then)."""

    def __init__(self, prefix: str = "") -> None:
        self._parser = PartialJSON()
        self._function: list[str] = []
        self._held: list[str] = []  # message text seen before the function name was complete
        self._is_send: bool | None = None
        if prefix:
            self.feed(prefix)

    def feed(self, fragment: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for path, text in self._parser.feed(fragment):
            if path in _THOUGHTS:
                out.append(("thought", text))
            elif path == _FUNCTION:
                self._function.append(text)
            elif path == _MESSAGE:
                if self._is_send:
                    out.append(("message", text))
                elif self._is_send is None:
                    self._held.append(text)
        if self._is_send is None and self._function and not self._parser.inside(_FUNCTION):
            self._decide(out)
        return out

    def _decide(self, out: list[tuple[str, str]]) -> None:
        self._is_send = "".join(self._function).strip() == "send_message"
        if self._is_send and self._held:
            out.append(("message", "".join(self._held)))
        self._held.clear()
