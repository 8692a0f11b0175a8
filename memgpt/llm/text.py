"""Text and JSON from a server, made safe to keep: no lone surrogates, no unbounded nesting.

A JSON string may legally carry `\\ud83d` without its partner; Python decodes it into a lone
surrogate, which SQLite, the terminal and `str.encode("utf-8")` all refuse later, far from where it
came in. Deep nesting (`[[[[...`) makes `json.loads` raise RecursionError. Both are cut off here, at
the edge of `memgpt/llm`, so nothing downstream has to know.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Our replies nest four or five levels deep ({"function", "params": {...: [..]}}); a server that
# sends more is broken or hostile, and json.loads recurses once per level.
MAX_JSON_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def clean_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (pairs that were split apart are joined)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_value(value: Any) -> Any:
    """A decoded JSON value with every string (keys too) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    return value


def json_depth(text: str) -> int:
    """How deeply brackets nest outside strings (C-speed scans: strings dropped by one regex)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    # cheap pre-check: fewer opening brackets than the limit cannot nest past it
    if text.count("[") + text.count("{") <= limit:
        return False
    return json_depth(text) > limit


def loads_bounded(text: str | bytes, *, strict: bool = True) -> Any:
    """`json.loads` that raises ValueError (never RecursionError) on deep nesting, and cleans strings."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if too_deep(text):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return clean_value(json.loads(text, strict=strict))


# A surrogate escape in JSON text, after an even number of backslashes (so it is an escape), with the
# low half that may follow it.
_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    r"|(?<!\\)((?:\\\\)*)\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _fix_escape(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return match.group(0) if match.group(3) else match.group(1) + "\\ufffd"
    return match.group(4) + "\\ufffd"


def clean_json_text(text: str) -> str:
    """JSON text (a call's arguments) whose `\\uXXXX` escapes decode to no lone surrogate.

    Storage and search decode the arguments later; a lone `\\ud800` would come out of that decoding
    as a character SQLite refuses. Works on malformed JSON too: only the escapes are touched.
    """
    text = clean_text(text)
    if "\\u" not in text and "\\U" not in text:
        return text
    return _SURROGATE_ESCAPE.sub(_fix_escape, text)
