"""A scripted OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

Real HTTP (stdlib `ThreadingHTTPServer`, ephemeral port) so requests go through the real
`openai` SDK exactly as they would in production. Each test scripts the replies:

    server.script(tool_call("send_message", {"message": "hi"}), text("just thinking"))

A script entry is a `Reply` or a function `request -> Reply`. When the script runs out the
server answers with `server.default` (if set) or an HTTP 500 that names the problem, so a test
that expected fewer calls fails loudly. Every request is recorded in `server.requests`.

Routes: POST /v1/chat/completions (tools and legacy functions, SSE streaming or not),
POST /v1/completions, POST /v1/embeddings, GET /v1/models, and the Azure shape
POST /openai/deployments/<deployment>/chat/completions?api-version=... (and /embeddings).
`server.routes` adds fixed JSON answers (a llama.cpp `/props`, an Ollama `/api/show`...) and
`server.model_fields` extra fields of the /v1/models entries (vLLM's `max_model_len`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Reply:
    """One scripted answer. Build with the helper functions below."""

    kind: str  # "chat" | "error" | "raw" | "hang"
    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str | None = None
    usage: dict[str, int] | None = None


def tool_call(name: str, arguments: dict[str, Any] | str, content: str | None = None, **kw: Any) -> Reply:
    """A reply calling one function. `arguments` may be a raw (even malformed) string."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Reply("chat", content=content, tool_calls=[{"name": name, "arguments": args}], **kw)


def tool_calls(calls: list[tuple[str, dict[str, Any] | str]], content: str | None = None) -> Reply:
    """A reply calling several functions at once."""
    return Reply(
        "chat",
        content=content,
        tool_calls=[{"name": n, "arguments": a if isinstance(a, str) else json.dumps(a)} for n, a in calls],
    )


def send_message(message: str, thought: str = "I should answer.") -> Reply:
    return tool_call("send_message", {"message": message}, content=thought)


def text(content: str, **kw: Any) -> Reply:
    return Reply("chat", content=content, **kw)


def error(
    status: int,
    message: str = "error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
    err_type: str = "server_error",
) -> Reply:
    body = {"error": {"message": message, "type": err_type, "param": None, "code": code}}
    return Reply("error", status=status, body=body, headers=headers or {})


# What each provider says when the prompt does not fit the window.
CONTEXT_LENGTH_ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "openai": (
        400,
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens. However, your messages resulted "
                "in 9000 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
    ),
    "vllm": (
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, "
            "you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the "
            "length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    "ollama": (
        400,
        {
            "error": {
                "message": "the input length exceeds the context length",
                "type": "api_error",
                "param": None,
                "code": None,
            }
        },
    ),
    "llamacpp": (
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            }
        },
    ),
    "lmstudio": (
        400,
        {
            "error": "Trying to keep the first 5000 tokens when context the overflows. However, the "
            "model is loaded with context length of only 4096 tokens, which is not enough."
        },
    ),
}


def context_length_error(provider: str = "openai") -> Reply:
    status, body = CONTEXT_LENGTH_ERRORS[provider]
    return Reply("error", status=status, body=body)


def raw(body: str, status: int = 200, content_type: str = "application/json") -> Reply:
    """A response body sent as is (e.g. malformed JSON)."""
    return Reply("raw", status=status, body=body, headers={"Content-Type": content_type})


def hang(seconds: float) -> Reply:
    """Accept the request and answer nothing for `seconds` (client timeouts)."""
    return Reply("hang", delay=seconds)


ScriptEntry = Reply | Callable[[dict[str, Any]], Reply]


def fake_embedding(text: str, dim: int) -> list[float]:
    """Deterministic unit vector from the text's words: equal words give similar vectors."""
    vec = [0.0] * dim
    for word in text.lower().split():
        h = hashlib.sha256(word.strip(".,!?;:\"'()").encode()).digest()
        vec[int.from_bytes(h[:4], "little") % dim] += 1.0
        vec[int.from_bytes(h[4:8], "little") % dim] += 0.5
    norm = sum(v * v for v in vec) ** 0.5 or 1.0
    return [v / norm for v in vec]


class FakeLLMServer:
    def __init__(self, models: list[str] | None = None, embedding_dim: int = 64) -> None:
        self.models = models or ["gpt-4", "gpt-4o-mini", "fake-model"]
        self.embedding_dim = embedding_dim
        self.requests: list[dict[str, Any]] = []
        self.default: ScriptEntry | None = None
        self.server_seconds = 0.0  # time spent inside handlers (for overhead benchmarks)
        # extra JSON routes (GET or POST), e.g. {"/props": {"n_ctx": 4096}} for llama.cpp-style probes
        self.routes: dict[str, Any] = {}
        self.model_fields: dict[str, Any] = {}  # extra fields of every /v1/models entry (max_model_len)
        self._script: list[ScriptEntry] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default, per test).
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL including /v1, as OpenAI clients expect."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------
    def script(self, *entries: ScriptEntry) -> None:
        with self._lock:
            self._script.extend(entries)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.server_seconds = 0.0

    @property
    def remaining(self) -> int:
        return len(self._script)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            entry = self._script.pop(0) if self._script else self.default
        if entry is None:
            return error(500, "fake server: script exhausted (the test expected fewer LLM calls)")
        return entry(request) if callable(entry) else entry

    # -- HTTP ------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the body waits ~40 ms for the
            # client's delayed ACK on every request (it dominated step timings and slowed the suite).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return None

            def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                started = time.perf_counter()
                path = urlparse(self.path).path
                server.requests.append({"method": "GET", "path": path, "headers": dict(self.headers), "body": None})
                if path in server.routes:
                    self._send_json(200, server.routes[path])
                elif path.endswith("/models"):
                    self._send_json(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {"id": m, "object": "model", "created": 0, "owned_by": "fake", **server.model_fields}
                                for m in server.models
                            ],
                        },
                    )
                else:
                    self._send_json(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
                server.server_seconds += time.perf_counter() - started

            def do_POST(self) -> None:  # noqa: N802
                started = time.perf_counter()
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw_body = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw_body or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw_body.decode(errors="replace")}
                record = {
                    "method": "POST",
                    "path": parsed.path,
                    "query": parse_qs(parsed.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                server.requests.append(record)
                try:
                    if parsed.path in server.routes:
                        self._send_json(200, server.routes[parsed.path])
                    elif parsed.path.endswith("/embeddings"):
                        self._embeddings(body)
                    elif parsed.path.endswith("/chat/completions"):
                        self._chat(record, body)
                    elif parsed.path.endswith("/completions"):
                        self._completion(record, body)
                    else:
                        self._send_json(404, {"error": {"message": f"no route {parsed.path}", "type": "not_found"}})
                except (BrokenPipeError, ConnectionResetError):
                    pass
                server.server_seconds += time.perf_counter() - started

            def _embeddings(self, body: dict[str, Any]) -> None:
                inputs = body.get("input")
                if isinstance(inputs, str):
                    inputs = [inputs]
                dim = int(body.get("dimensions") or server.embedding_dim)
                data = [
                    {"object": "embedding", "index": i, "embedding": fake_embedding(str(t), dim)}
                    for i, t in enumerate(inputs or [])
                ]
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model", "fake"),
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    },
                )

            def _deliver_special(self, reply: Reply) -> bool:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.kind == "hang":
                    return True  # answer nothing; the client times out
                if reply.kind == "error":
                    self._send_json(reply.status, reply.body, reply.headers)
                    return True
                if reply.kind == "raw":
                    data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return True
                return False

            def _chat(self, record: dict[str, Any], body: dict[str, Any]) -> None:
                reply = server._next(record)
                if self._deliver_special(reply):
                    return
                legacy = "functions" in body and "tools" not in body
                model = body.get("model", "fake-model")
                usage = reply.usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                calls = [dict(c, id="call_" + uuid.uuid4().hex[:12]) for c in reply.tool_calls]
                if legacy:
                    finish = reply.finish_reason or ("function_call" if calls else "stop")
                else:
                    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
                if body.get("stream"):
                    self._stream_chat(model, reply.content, calls, legacy, finish, usage)
                    return
                message: dict[str, Any] = {"role": "assistant", "content": reply.content}
                if calls and legacy:
                    message["function_call"] = {"name": calls[0]["name"], "arguments": calls[0]["arguments"]}
                elif calls:
                    message["tool_calls"] = [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in calls
                    ]
                self._send_json(
                    200,
                    {
                        "id": "chatcmpl-" + uuid.uuid4().hex[:12],
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": usage,
                    },
                )

            def _stream_chat(
                self,
                model: str,
                content: str | None,
                calls: list[dict[str, Any]],
                legacy: bool,
                finish: str,
                usage: dict[str, int],
            ) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                base = {
                    "id": "chatcmpl-" + uuid.uuid4().hex[:12],
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                }

                def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> None:
                    payload = dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish_reason}])
                    self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                    self.wfile.flush()

                chunk({"role": "assistant", "content": ""})
                for piece in _pieces(content or "", 7):
                    chunk({"content": piece})
                for index, call in enumerate(calls):
                    if legacy:
                        chunk({"function_call": {"name": call["name"], "arguments": ""}})
                        for piece in _pieces(call["arguments"], 5):
                            chunk({"function_call": {"arguments": piece}})
                        break
                    chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": index,
                                    "id": call["id"],
                                    "type": "function",
                                    "function": {"name": call["name"], "arguments": ""},
                                }
                            ]
                        }
                    )
                    for piece in _pieces(call["arguments"], 5):
                        chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                chunk({}, finish)
                self.wfile.write(f"data: {json.dumps(dict(base, choices=[], usage=usage))}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _completion(self, record: dict[str, Any], body: dict[str, Any]) -> None:
                reply = server._next(record)
                if self._deliver_special(reply):
                    return
                usage = reply.usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                if body.get("stream"):
                    self._stream_completion(body.get("model", "fake-model"), reply.content or "", reply.finish_reason)
                    return
                self._send_json(
                    200,
                    {
                        "id": "cmpl-" + uuid.uuid4().hex[:12],
                        "object": "text_completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake-model"),
                        "choices": [
                            {
                                "index": 0,
                                "text": reply.content or "",
                                "logprobs": None,
                                "finish_reason": reply.finish_reason or "stop",
                            }
                        ],
                        "usage": usage,
                    },
                )

            def _stream_completion(self, model: str, content: str, finish: str | None) -> None:
                """A streamed /v1/completions reply: the text in 7-character pieces."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                base = {"id": "cmpl-" + uuid.uuid4().hex[:12], "object": "text_completion", "model": model}
                pieces = [(p, None) for p in _pieces(content, 7)] + [("", finish or "stop")]
                for piece, reason in pieces:
                    payload = dict(base, choices=[{"index": 0, "text": piece, "finish_reason": reason}])
                    self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler


def _pieces(s: str, n: int) -> list[str]:
    return [s[i : i + n] for i in range(0, len(s), n)]


def echo_user(prefix: str = "You said: ") -> Callable[[dict[str, Any]], Reply]:
    """A reply function that answers the latest event, so tests can tell replies apart.

    A user message gets send_message(prefix + text); other events (login, heartbeat, alerts) get
    "Event: <type>"; summariser calls (no tools) get a short summary.
    """

    def reply(request: dict[str, Any]) -> Reply:
        if request["body"].get("tools") is None:
            return text("We chatted a little.")
        for message in reversed(request["body"]["messages"]):
            if message["role"] == "user":
                data = json.loads(message["content"])
                if data.get("type") == "user_message":
                    return send_message(f"{prefix}{data['message']}")
                return send_message(f"Event: {data.get('type')}")
        return send_message("hello")

    return reply
