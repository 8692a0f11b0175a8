"""The extra functions of the `memgpt_extras` preset: files, HTTP, and asking a plain assistant.

They reach outside the agent's memory (the user's files, the network), so no preset enables them
by default, and even then they stay inside a boundary (`memgpt/functions/boundary.py`): file tools
use only folders the user allowed (a workspace folder under the data dir by default), and
`http_request` reaches only public addresses unless the user allowed a host, checking every
redirect hop, within a size and time cap.
"""

from __future__ import annotations

import json
from pathlib import Path

from memgpt.functions import boundary
from memgpt.functions.context import FunctionContext, FunctionError

READ_CHAR_LIMIT = 500
ASSISTANT_SYSTEM = "You are a helpful assistant. Answer briefly and to the point."


def message_chatgpt(self: FunctionContext, message: str) -> str:
    """Ask a plain AI assistant (no memory, no persona) a question and get its answer.

    Args:
        message: The question or request for the assistant. Give it all the context it needs.
    """
    if self.ask_llm is None:
        raise FunctionError("No assistant model is available in this session.")
    return self.ask_llm(ASSISTANT_SYSTEM, message)


def _existing_file(filename: str, ctx: FunctionContext | None, write: bool = False) -> Path:
    path = boundary.check_file(filename, getattr(ctx, "agent_name", None), write=write)
    if not path.is_file():
        raise FunctionError(f"No file named {filename!r} (give a path to an existing text file).")
    return path


def read_from_text_file(self: FunctionContext, filename: str, line_start: int, num_lines: int | None = 1) -> str:
    """Read lines from a text file.

    Args:
        filename: The path of the file to read.
        line_start: The first line to read, counting from 1.
        num_lines: How many lines to read (default 1).
    """
    if line_start < 1 or (num_lines or 1) < 1:
        raise FunctionError("line_start and num_lines must be 1 or more (lines are counted from 1).")
    path = _existing_file(filename, self)
    wanted = num_lines or 1
    out: list[str] = []
    used = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if number < line_start:
                continue
            if number >= line_start + wanted:
                break
            line = line.rstrip("\n")
            if used + len(line) > READ_CHAR_LIMIT:
                out.append(line[: READ_CHAR_LIMIT - used])
                out.append(f"[SYSTEM ALERT: stopped reading at the {READ_CHAR_LIMIT}-character limit]")
                break
            out.append(line)
            used += len(line)
    if not out:
        raise FunctionError(f"{filename} has fewer than {line_start} lines.")
    return "\n".join(out)


def append_to_text_file(self: FunctionContext, filename: str, content: str) -> None:
    """Append text (and a newline) to the end of an existing text file.

    Args:
        filename: The path of the file; it must already exist.
        content: The text to append.
    """
    path = _existing_file(filename, self, write=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(content + "\n")


def http_request(self: FunctionContext, method: str, url: str, payload_json: str | None = None) -> str:
    """Make an HTTP request and get its status, headers and body.

    Args:
        method: The HTTP method: GET, POST, PUT, PATCH or DELETE.
        url: The full URL, starting with http:// or https://.
        payload_json: For methods other than GET, a JSON object to send as the request body.
    """
    method = method.upper().strip()
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
        raise FunctionError(f"Unsupported HTTP method {method!r}.")
    data = None
    if payload_json and method != "GET":
        try:
            data = json.dumps(json.loads(payload_json)).encode()
        except json.JSONDecodeError as exc:
            raise FunctionError(f"payload_json is not valid JSON ({exc}).") from None
    answer = boundary.fetch(method, url, data, getattr(self, "agent_name", None))
    return json.dumps(
        {
            "status_code": answer.status,
            "url": answer.url,
            "headers": answer.headers,
            "body": answer.body.decode("utf-8", errors="replace"),
            **({"truncated": True} if answer.truncated else {}),
        },
        ensure_ascii=False,
    )


EXTRA_FUNCTIONS = [message_chatgpt, read_from_text_file, append_to_text_file, http_request]
