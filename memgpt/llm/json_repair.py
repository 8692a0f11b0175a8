"""Reading JSON that language models write: fenced, trailing commas, single quotes, raw newlines,
chatter around the object, missing closing braces.

Each repair is tried in order of how little it changes; the first that parses wins. The original
printed its parser failures to the user's terminal; we raise one typed error instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

from memgpt.errors import LLMOutputParseError

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


def _escape_newlines_in_strings(text: str) -> str:
    inside, _ = _scan(text)
    escapes = {"\n": "\\n", "\t": "\\t"}
    return "".join(escapes.get(ch, ch) if quoted else ch for ch, quoted in zip(text, inside, strict=True))


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


def _single_quotes(text: str) -> str:
    """Python-style dicts: swap quote kinds where it is unambiguous."""
    if '"' in text:
        return text
    return text.replace("'", '"').replace(": True", ": true").replace(": False", ": false").replace(": None", ": null")


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text`, repaired if need be; LLMOutputParseError when nothing works."""
    if text is None:
        raise LLMOutputParseError("The model returned no text where JSON was expected.", "")
    candidates = []
    base = _strip_fences(text.strip())
    obj = _first_object(base)
    for candidate in (text, base, obj):
        candidates.append(candidate)
    fixed = _TRAILING_COMMA.sub(r"\1", obj)
    candidates.append(fixed)
    newlines = _escape_newlines_in_strings(fixed)
    candidates.append(newlines)
    candidates.append(_single_quotes(newlines))
    candidates.append(_close_open(newlines))
    candidates.append(_close_open(_single_quotes(newlines)))
    for candidate in candidates:
        try:
            value = json.loads(candidate, strict=False)
        except (json.JSONDecodeError, TypeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    shown = text if len(text) <= 300 else text[:300] + "..."
    raise LLMOutputParseError(f"Could not read a JSON object from the model's output: {shown!r}", text)
