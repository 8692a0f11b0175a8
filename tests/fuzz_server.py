"""A seeded fuzzing OpenAI-compatible server on 127.0.0.1: replies a broken or hostile server could send.

Each request draws one reply kind (a valid call, or one of the malformations below) from a
`random.Random` seeded by (seed, request number), so a failing run replays exactly with the same
seed. Kinds cover what issue 13 measured crashing the loop: `tool_calls` not a list, null and
wrong-typed fields, empty `choices`, deep nesting, lone surrogates and odd unicode, non-JSON and cut
bodies, 200s carrying an error, wrong content types, odd SSE events, streams without `[DONE]`,
huge chunks, invalid UTF-8 mid-stream, error events mid-stream, stalls and dropped connections.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ODD_TEXT = [
    "\ud800",
    "a\udfffb",
    "\ud83d",
    "emoji \U0001f600 ok",
    "\u202eevil rtl\u202c",
    "nul\u0000byte",
    "\ufeffbom",
    "z\u0301\u0302\u0303",
    "\x1b[31mansi\x1b[0m",
    "line\r\nbreak\u2028sep",
    "",
    " ",
]
JUNK_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], {}, [1, "a"], {"a": {"b": None}}, 10**30]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hang up on us all the time here (timeouts, size caps): not worth a traceback."""


def _odd(rng: random.Random) -> str:
    return rng.choice(ODD_TEXT) + rng.choice(["", "hello", "I will answer."])


def _dumps(value: Any) -> bytes:
    """JSON that may carry lone surrogates (as \\u escapes, the way Python servers write them)."""
    return json.dumps(value).encode()


def _kinds(names: str) -> tuple[str, ...]:
    """Reply kinds, drawn uniformly (a kind listed three times comes three times as often)."""
    return tuple(names.split())


class FuzzServer:
    STREAM_KINDS = _kinds(
        "ok ok ok no_done no_done_no_finish odd_events bad_utf8 error_event wrong_types crlf huge_event "
        "cut stall json_instead surrogate_args deep_args split_utf8 "
    )
    CHAT_KINDS = _kinds(
        "ok ok ok ok_other tool_calls_dict tool_calls_str tool_calls_junk null_fields wrong_types "
        "empty_choices no_choices choice_junk deep_body deep_args surrogates odd_unicode non_json "
        "cut_body empty_body error_200 error_200_context html sse_instead status hang drip close "
        "short_body huge args_object text_call length_cut "
    )
    COMPLETION_KINDS = _kinds(
        "ok ok ok garbage_text deep_text surrogate_text null_text empty_choices non_json cut_body "
        "error_200 status html stream_junk hang close length_cut "
    )

    def __init__(self, seed: int = 0, hang_seconds: float = 1.0, huge_bytes: int = 1_500_000) -> None:
        self.seed = seed
        self.hang_seconds = hang_seconds
        self.huge_bytes = huge_bytes
        self.requests: list[dict[str, Any]] = []
        self.kinds: Counter[str] = Counter()
        self._count = 0
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FuzzServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _rng(self) -> tuple[random.Random, int]:
        with self._lock:
            n = self._count
            self._count += 1
        return random.Random(self.seed * 1_000_003 + n), n

    # -- reply builders --------------------------------------------------------------------
    @staticmethod
    def _names(body: dict[str, Any]) -> list[str]:
        names = []
        for tool in body.get("tools") or []:
            fn = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                names.append(fn["name"])
        for fn in body.get("functions") or []:
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                names.append(fn["name"])
        return names or ["send_message"]

    @staticmethod
    def _call(rng: random.Random, names: list[str], other: bool = False) -> tuple[str, dict[str, Any]]:
        if not other or len(names) == 1:
            return "send_message", {"message": rng.choice(["Hi!", "Sure.", "Noted \U0001f600", "Okay"])}
        name = rng.choice(names)
        args: dict[str, Any] = {"request_heartbeat": rng.random() < 0.3}
        if name.startswith("core_memory"):
            args.update(name=rng.choice(["human", "persona", "nope"]), content="likes tea", old_content="x")
            args["new_content"] = "y"
        elif "search" in name:
            args.update(query="tea", page=rng.choice([0, 1, "x", None]))
        elif name == "archival_memory_insert":
            args.update(content="tea is nice")
        elif name == "pause_heartbeats":
            args = {"minutes": rng.choice([1, -5, "ten"])}
        else:
            args.update(message="hm")
        return name, args

    def _completion(self, model: str, message: dict[str, Any], finish: Any = "stop") -> dict[str, Any]:
        return {
            "id": "chatcmpl-" + uuid.uuid4().hex[:8],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def _ok_message(self, rng: random.Random, names: list[str], other: bool = False) -> dict[str, Any]:
        name, args = self._call(rng, names, other)
        return {
            "role": "assistant",
            "content": rng.choice(["I should reply.", None, "Thinking it over."]),
            "tool_calls": [
                {
                    "id": "call_" + uuid.uuid4().hex[:8],
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            ],
        }

    # -- the handler -----------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                return None

            def _raw(
                self, status: int, data: bytes, ctype: str = "application/json", length: int | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.end_headers()
                self.wfile.write(data)
                if length is not None:
                    self.close_connection = True

            def _json(self, status: int, payload: Any) -> None:
                self._raw(status, _dumps(payload))

            def _sse(self, events: list[bytes], pause: float = 0.0, ctype: str = "text/event-stream") -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Connection", "close")
                self.end_headers()
                for event in events:
                    self.wfile.write(event)
                    self.wfile.flush()
                    if pause:
                        time.sleep(pause)
                self.close_connection = True

            def do_GET(self) -> None:  # noqa: N802
                self._json(200, {"object": "list", "data": [{"id": "fuzz-model", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                server.requests.append({"path": self.path, "body": body})
                rng, _ = server._rng()
                try:
                    if self.path.endswith("/chat/completions"):
                        if body.get("stream"):
                            self._stream_chat(rng, body)
                        else:
                            self._chat(rng, body)
                    else:
                        self._completions(rng, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _pick(self, rng: random.Random, kinds: tuple[str, ...], prefix: str) -> str:
                kind = rng.choice(kinds)
                with server._lock:
                    server.kinds[f"{prefix}:{kind}"] += 1
                return kind

            def _common(self, rng: random.Random, kind: str) -> bool:
                """Kinds that look the same on every route."""
                if kind == "status":
                    status = rng.choice([400, 401, 404, 422, 429, 500, 502, 503])
                    err = {"error": {"message": rng.choice(["boom", "overloaded", "bad", "\ud800"]), "type": "x"}}
                    data = _dumps(err) if rng.random() < 0.7 else b"<html>oops</html>"
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    if status == 429:
                        self.send_header("Retry-After", rng.choice(["0", "0.01", "soon", "-3"]))
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif kind == "hang":
                    time.sleep(server.hang_seconds)
                    self.close_connection = True
                elif kind == "close":
                    self.close_connection = True
                elif kind == "non_json":
                    self._raw(200, rng.choice([b"not json", b"\xff\xfe\x00garbage", b"{'single': 'quotes'}", b"[1, 2"]))
                elif kind == "html":
                    self._raw(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
                elif kind == "empty_body":
                    self._raw(200, b"")
                elif kind == "error_200":
                    self._json(200, {"error": rng.choice([{"message": "upstream failed"}, "plain error", {"code": 1}])})
                elif kind == "error_200_context":
                    self._json(200, {"error": {"message": "maximum context length is 4096 tokens"}})
                else:
                    return False
                return True

            def _chat(self, rng: random.Random, body: dict[str, Any]) -> None:
                kind = self._pick(rng, server.CHAT_KINDS, "chat")
                if self._common(rng, kind):
                    return
                names = server._names(body)
                model = str(body.get("model", "m"))
                ok = server._completion(model, server._ok_message(rng, names, other=kind == "ok_other"))
                msg = ok["choices"][0]["message"]
                call = msg["tool_calls"][0]
                if kind in ("ok", "ok_other"):
                    payload: Any = ok
                elif kind == "tool_calls_dict":
                    msg["tool_calls"] = call
                    payload = ok
                elif kind == "tool_calls_str":
                    msg["tool_calls"] = rng.choice([json.dumps([call]), "not a list", ""])
                    payload = ok
                elif kind == "tool_calls_junk":
                    msg["tool_calls"] = rng.choice([5, True, [None], [5], [{"function": None}], [{"function": {}}]])
                    payload = ok
                elif kind == "null_fields":
                    target = rng.choice(["message", "content", "function", "name", "arguments", "id", "all"])
                    if target == "message":
                        ok["choices"][0]["message"] = None
                    elif target in ("content", "all"):
                        msg["content"] = None
                        if target == "all":
                            msg["tool_calls"] = None
                    elif target == "function":
                        call["function"] = None
                    else:
                        (call if target == "id" else call["function"])[target] = None
                    payload = ok
                elif kind == "wrong_types":
                    where = rng.choice(["content", "name", "arguments", "id", "finish", "usage", "index", "type"])
                    junk = rng.choice(JUNK_VALUES)
                    if where == "content":
                        msg["content"] = junk
                    elif where in ("name", "arguments"):
                        call["function"][where] = junk
                    elif where == "id":
                        call["id"] = junk
                    elif where == "finish":
                        ok["choices"][0]["finish_reason"] = junk
                    elif where == "usage":
                        ok["usage"] = junk
                    else:
                        call[where] = junk
                    payload = ok
                elif kind == "empty_choices":
                    ok["choices"] = []
                    payload = ok
                elif kind == "no_choices":
                    ok.pop("choices")
                    payload = ok
                elif kind == "choice_junk":
                    ok["choices"] = rng.choice([[None], [5], "x", {"0": 1}, [[1]]])
                    payload = ok
                elif kind == "deep_body":
                    depth = rng.choice([200, 5000, 100000])
                    self._raw(200, b'{"choices": ' + b"[" * depth + b"]" * depth + b"}")
                    return
                elif kind == "deep_args":
                    depth = rng.choice([100, 3000, 50000])
                    call["function"]["arguments"] = '{"message": ' + "[" * depth + "]" * rng.choice([0, depth]) + "}"
                    payload = ok
                elif kind == "surrogates":
                    msg["content"] = _odd(rng)
                    call["function"]["arguments"] = json.dumps({"message": "\ud83d" + rng.choice(["", "\udc00x"])})
                    if rng.random() < 0.3:
                        call["function"]["name"] = "send_\ud800message"
                    payload = ok
                elif kind == "odd_unicode":
                    msg["content"] = _odd(rng)
                    call["function"]["arguments"] = json.dumps({"message": _odd(rng)})
                    payload = ok
                elif kind == "cut_body":
                    data = _dumps(ok)
                    self._raw(200, data[: rng.randrange(1, len(data))])
                    return
                elif kind == "short_body":  # Content-Length promises more than comes
                    data = _dumps(ok)
                    self._raw(200, data[: len(data) // 2], length=len(data))
                    return
                elif kind == "sse_instead":
                    self._sse(self._events(rng, ok, names), ctype=rng.choice(["application/json", "text/event-stream"]))
                    return
                elif kind == "drip":
                    data = _dumps(ok)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    step = max(1, len(data) // 8)
                    for i in range(0, len(data), step):
                        self.wfile.write(data[i : i + step])
                        self.wfile.flush()
                        time.sleep(server.hang_seconds / 6)
                    return
                elif kind == "huge":
                    msg["content"] = "x" * rng.choice([server.huge_bytes, 9_000_000])
                    payload = ok
                elif kind == "args_object":
                    call["function"]["arguments"] = {"message": "as an object"}
                    payload = ok
                elif kind == "text_call":
                    msg.pop("tool_calls")
                    msg["content"] = json.dumps({"name": "send_message", "arguments": {"message": "in text"}})
                    payload = ok
                elif kind == "length_cut":
                    ok["choices"][0]["finish_reason"] = "length"
                    call["function"]["arguments"] = call["function"]["arguments"][: rng.randrange(0, 12)]
                    if rng.random() < 0.3:
                        msg.pop("tool_calls")
                        msg["content"] = None
                    payload = ok
                else:  # pragma: no cover - every kind is handled above
                    raise AssertionError(kind)
                self._json(200, payload)

            def _events(self, rng: random.Random, ok: dict[str, Any], names: list[str]) -> list[bytes]:
                """A valid completion as SSE chunks."""
                base = {"id": ok["id"], "object": "chat.completion.chunk", "model": ok["model"]}
                msg = ok["choices"][0]["message"]
                out = []

                def chunk(delta: Any, finish: Any = None) -> bytes:
                    return (
                        b"data: "
                        + _dumps(dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}]))
                        + b"\n\n"
                    )

                out.append(chunk({"role": "assistant", "content": ""}))
                content = msg.get("content") or ""
                for i in range(0, len(content), 5):
                    out.append(chunk({"content": content[i : i + 5]}))
                for index, call in enumerate(msg.get("tool_calls") or []):
                    fn = call["function"]
                    out.append(
                        chunk(
                            {
                                "tool_calls": [
                                    {
                                        "index": index,
                                        "id": call["id"],
                                        "function": {"name": fn["name"], "arguments": ""},
                                    }
                                ]
                            }
                        )
                    )
                    args = fn["arguments"] if isinstance(fn["arguments"], str) else json.dumps(fn["arguments"])
                    step = rng.randint(1, 9)
                    for i in range(0, len(args), step):
                        out.append(
                            chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i : i + step]}}]})
                        )
                out.append(chunk({}, "tool_calls"))
                out.append(b"data: [DONE]\n\n")
                return out

            def _stream_chat(self, rng: random.Random, body: dict[str, Any]) -> None:
                kind = self._pick(rng, server.STREAM_KINDS, "stream")
                names = server._names(body)
                ok = server._completion(str(body.get("model", "m")), server._ok_message(rng, names, rng.random() < 0.3))
                call = ok["choices"][0]["message"]["tool_calls"][0]
                if kind == "surrogate_args":
                    call["function"]["arguments"] = '{"message": "smile \\ud83d\\ude00 and lone \\ud800 end"}'
                elif kind == "deep_args":
                    call["function"]["arguments"] = '{"message": ' + "[" * 20000 + "}"
                elif kind == "json_instead":
                    self._json(200, ok)
                    return
                events = self._events(rng, ok, names)
                if kind == "no_done":
                    events = events[:-1]
                elif kind == "no_done_no_finish":
                    events = events[:-2]
                elif kind == "odd_events":
                    odd = [
                        b": keep-alive\n\n",
                        b"event: ping\ndata: {}\n\n",
                        b"data: not json\n\n",
                        b"data: [1,2]\n\n",
                        b"data:\n\n",
                        b"id: 5\nretry: 10\n\n",
                        b'data: {"choices": null}\n\n',
                        b'data: {"choices": [{"delta": null}]}\n\n',
                        b"garbage line\n\n",
                    ]
                    for item in rng.sample(odd, 4):
                        events.insert(rng.randrange(0, len(events)), item)
                elif kind == "bad_utf8":
                    events.insert(
                        rng.randrange(1, len(events)),
                        b'data: {"choices": [{"delta": {"content": "\xff\xfe\xc3"}}]}\n\n',
                    )
                elif kind == "error_event":
                    err = rng.choice(
                        [
                            b'data: {"error": {"message": "server exploded"}}\n\n',
                            b'error: {"code": 500, "message": "oops"}\n\n',
                        ]
                    )
                    events.insert(rng.randrange(1, len(events)), err)
                elif kind == "wrong_types":
                    junk = [
                        b'data: {"choices": [{"delta": {"content": 5}}]}\n\n',
                        b'data: {"choices": [{"delta": {"tool_calls": {"index": "0", "function": {"arguments": 7}}}}]}'
                        b"\n\n",
                        b'data: {"choices": [{"delta": {"tool_calls": [{"index": null, "function": {"name": 3}}]}}]}'
                        b"\n\n",
                        b'data: {"choices": [{"delta": {"tool_calls": "x"}, "finish_reason": 9}]}\n\n',
                        b'data: {"usage": "lots", "choices": []}\n\n',
                        b'data: {"choices": [{"delta": {"function_call": {"arguments": {"a": 1}}}}]}\n\n',
                    ]
                    for item in rng.sample(junk, 3):
                        events.insert(rng.randrange(1, len(events)), item)
                elif kind == "crlf":
                    events = [e.replace(b"\n", b"\r\n") for e in events]
                elif kind == "huge_event":
                    events.insert(1, b'data: {"choices": [{"delta": {"content": "' + b"y" * 1_200_000 + b'"}}]}\n\n')
                elif kind == "cut":
                    data = b"".join(events)
                    events = [data[: rng.randrange(1, len(data))]]
                elif kind == "stall":
                    self._sse(events[:3] + [b""], pause=server.hang_seconds / 2)
                    return
                elif kind == "split_utf8":
                    data = b"".join(events).replace(b"Hi!", "H\u00e9\U0001f600!".encode())
                    events = [data[i : i + 3] for i in range(0, len(data), 3)]
                self._sse(events)

            def _completions(self, rng: random.Random, body: dict[str, Any]) -> None:
                kind = self._pick(rng, server.COMPLETION_KINDS, "completion")
                if self._common(rng, kind):
                    return
                good = json.dumps({"function": "send_message", "params": {"inner_thoughts": "hm", "message": "Hello"}})
                text: Any = good
                finish: Any = "stop"
                if kind == "garbage_text":
                    text = rng.choice(
                        ["no json at all", "{'function': send_message", '{"function": null}', "```json\n{", "{}"]
                    )
                elif kind == "deep_text":
                    text = '{"function": "send_message", "params": ' + "{" * rng.choice([100, 20000])
                elif kind == "surrogate_text":
                    text = (
                        '{"function": "send_message", "params": {"inner_thoughts": "\\ud800", "message": "\\udfff hi"}}'
                    )
                elif kind == "null_text":
                    text = rng.choice([None, 5, ["a"], {"t": 1}])
                elif kind == "length_cut":
                    text, finish = good[: rng.randrange(1, len(good))], "length"
                chat = "messages" in body
                choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
                if chat:
                    choice["message"] = {"role": "assistant", "content": text}
                else:
                    choice["text"] = text
                payload: dict[str, Any] = {"id": "cmpl-1", "object": "text_completion", "choices": [choice]}
                if kind == "empty_choices":
                    payload["choices"] = []
                if kind == "cut_body":
                    data = _dumps(payload)
                    self._raw(200, data[: rng.randrange(1, len(data))])
                    return
                if kind == "stream_junk" or body.get("stream"):
                    pieces = [good[i : i + 4] for i in range(0, len(good), 4)] if isinstance(text, str) else [text]
                    events = [
                        b"data: " + _dumps({"choices": [{"text": p, "delta": {"content": p}}]}) + b"\n\n"
                        for p in pieces
                    ]
                    if kind == "stream_junk":
                        events.insert(
                            rng.randrange(0, len(events)),
                            rng.choice([b"data: nope\n\n", b"\xff\n\n", b'data: {"choices": [7]}\n\n']),
                        )
                    if rng.random() < 0.5:
                        events.append(b"data: [DONE]\n\n")
                    self._sse(events)
                    return
                self._json(200, payload)

        return Handler


def run_calls(call: Callable[[], Any], n: int) -> Counter[str]:
    """Call `call` n times; count outcomes by result or memgpt error type (anything else propagates)."""
    from memgpt.errors import MemGPTError

    outcomes: Counter[str] = Counter()
    for _ in range(n):
        try:
            call()
            outcomes["ok"] += 1
        except MemGPTError as exc:
            outcomes[type(exc).__name__] += 1
    return outcomes
