"""Reading JSON that language models write: fenced, trailing commas, single quotes, raw newlines,
unescaped quotes inside strings, Python literals, chatter around the object, missing closing braces.

Each repair is tried in order of how little it changes; the first that parses wins. The original
printed its parser failures to the user's terminal; we raise one typed error instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from memgpt.errors import LLMOutputParseError
from memgpt.llm.text import MAX_JSON_DEPTH, clean_value, too_deep

# The lenient passes below walk the text in Python, character by character; a reply this long is not
# a function call gone slightly wrong, so only the strict parse is tried on it.
MAX_REPAIR_CHARS = 200_000

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)\s*```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _strip_fences(text: str) -> str:
    match = _FENCE.search(text)
    return match.group(1) if match else text


def _scan(text: str) -> tuple[list[bool], bool]:
    """For each character, whether it lies inside a JSON string (its quotes excluded); and whether
    the text ends inside an unterminated string. One tokeniser for all the repairs below."""
    inside: list[bool] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                inside.append(False)
                continue
        elif ch == '"':
            in_string = True
            inside.append(False)
            continue
        inside.append(in_string)
    return inside, in_string


def _first_object(text: str) -> str:
    """From the first `{` to its balanced closing brace (or the end, if it never closes)."""
    start = text.find("{")
    if start < 0:
        return text
    depth = 0
    inside, _ = _scan(text[start:])
    for offset, (ch, quoted) in enumerate(zip(text[start:], inside, strict=True)):
        if quoted:
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : start + offset + 1]
    return text[start:]


def _close_open(text: str) -> str:
    """Close an unterminated string and any open brackets, innermost first."""
    stack: list[str] = []
    inside, unterminated = _scan(text)
    for ch, quoted in zip(text, inside, strict=True):
        if quoted:
            continue
        if ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    closing = ('"' if unterminated else "") + "".join(reversed(stack))
    return _TRAILING_COMMA.sub(r"\1", text.rstrip().rstrip(",") + closing)


_JSON_ESCAPES = set('"\\/bfnrtu')
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}
_VALUE_START = set("\"'{[}]-0123456789")


def _closes_string(text: str, i: int) -> bool:
    """Whether the quote at `i` ends its string: only if what follows is JSON structure.

    A quote followed by prose (`"He said "hi" to me"`) is part of the text. After a comma the next
    thing must look like a key or a value, so `"hi", then she left` stays inside the string too.
    """
    j = i + 1
    while j < len(text) and text[j] in " \t\r\n":
        j += 1
    if j >= len(text) or text[j] in "}]:":
        return True
    if text[j] != ",":
        return False
    j += 1
    while j < len(text) and text[j] in " \t\r\n":
        j += 1
    return j >= len(text) or text[j] in _VALUE_START or text.startswith(("true", "false", "null"), j)


def _normalise(text: str) -> str:
    """Rewrite almost-JSON as JSON, in one pass.

    Strings may be single- or double-quoted; quotes inside them that do not end them are escaped;
    raw newlines and tabs become escapes; invalid escapes keep their backslash; Python's
    True/False/None become JSON literals; trailing commas before a closing bracket are dropped.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            quote, i = ch, i + 1
            out.append('"')
            while i < n:
                c = text[i]
                if c == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    if nxt == "'" and quote == "'":
                        out.append("'")
                    elif nxt in _JSON_ESCAPES:
                        out.append(c + nxt)
                    else:
                        out.append("\\\\" + nxt)
                    i += 2
                    continue
                if c == quote and _closes_string(text, i):
                    i += 1
                    break
                out.append({'"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c, c))
                i += 1
            out.append('"')
            continue
        if ch in "}]":
            while out and out[-1] in (" ", "\n", "\t", "\r", ","):
                out.pop()
        elif ch.isalpha():
            j = i
            while j < n and text[j].isalnum():
                j += 1
            word = text[i:j]
            out.append(_PY_LITERALS.get(word, word))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text`, repaired if need be; LLMOutputParseError when nothing works."""
    if text is None:
        raise LLMOutputParseError("The model returned no text where JSON was expected.", "")
    if not isinstance(text, str):
        raise LLMOutputParseError(f"The model returned {type(text).__name__} where JSON text was expected.", "")
    if too_deep(text):
        raise LLMOutputParseError(f"The model's JSON is nested deeper than {MAX_JSON_DEPTH} levels.", text[:1000])

    def candidates() -> Iterator[str]:  # least change first; each built only if the previous failed
        yield text
        if len(text) > MAX_REPAIR_CHARS:
            return
        base = _strip_fences(text.strip())
        yield base
        obj = _first_object(base)
        yield obj
        yield _TRAILING_COMMA.sub(r"\1", obj)
        start = base.find("{")
        normal = _first_object(_normalise(base[start:] if start >= 0 else base))
        yield normal
        yield _close_open(normal)

    for candidate in candidates():
        try:
            value = json.loads(candidate, strict=False)
        except (json.JSONDecodeError, TypeError, ValueError):
            continue
        if isinstance(value, dict):
            return clean_value(value)
    shown = text if len(text) <= 300 else text[:300] + "..."
    raise LLMOutputParseError(f"Could not read a JSON object from the model's output: {shown!r}", text)
