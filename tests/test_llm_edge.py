"""The LLM layer's edge against the scripted server: bad replies, retries that fit the endpoint,
bounded generation, forced calls, streaming text, constraints per server, context-window probes."""

from __future__ import annotations

import json
import socket
import time

import pytest

from memgpt.config import Credentials, LLMConfig
from memgpt.errors import ContextWindowExceededError, LLMConnectionError, LLMError, LLMOutputParseError
from memgpt.llm import create_llm_client
from memgpt.llm.policy import completion_reserve, forget_quirks
from memgpt.llm.probe import probe_context_window
from memgpt.llm.streaming import SendMessageStreamer, WrappedReplyStreamer
from tests.fake_llm import Reply, error, hang, raw, send_message, text, tool_call
from tests.test_llm import HISTORY, SEND


@pytest.fixture(autouse=True)
def clean_slate(monkeypatch):
    monkeypatch.setenv("MEMGPT_RETRY_BASE_DELAY", "0.001")
    forget_quirks()
    yield
    forget_quirks()


def native(server, endpoint_type="openai-compatible", **overrides):
    settings = {"model": "gpt-4", "max_retries": 2, "request_timeout": 5, **overrides}
    llm = LLMConfig(model_endpoint_type=endpoint_type, model_endpoint=server.url, **settings)
    return create_llm_client(llm, Credentials(openai_key="sk-test"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- retries and timeouts ------------------------------------------------------------------------
def test_dead_port_fails_fast_with_one_quick_retry() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/v1"
    notices = []
    c = create_llm_client(LLMConfig(model_endpoint_type="openai-compatible", model_endpoint=endpoint, max_retries=5))
    c.on_retry = lambda *args: notices.append(args)
    started = time.monotonic()
    with pytest.raises(LLMConnectionError, match=f"{endpoint} could not be reached \\(connection refused; 2 attempts"):
        c.chat(HISTORY, [SEND])
    assert time.monotonic() - started < 3  # the bound: not a minute of backoff behind a dead port
    assert [(n[0], n[1], n[3]) for n in notices] == [(1, 1, "connection refused")]


def test_server_errors_back_off_with_a_retry_notice(fake_llm) -> None:
    notices = []
    c = native(fake_llm, max_retries=5)
    c.on_retry = lambda attempt, most, delay, reason: notices.append((attempt, most, reason))
    fake_llm.script(error(503, "busy"), error(500, "oops"), send_message("ok"))
    assert c.chat(HISTORY, [SEND]).message.tool_calls
    assert notices == [(1, 5, "503 busy"), (2, 5, "500 oops")]


def test_slow_local_server_is_waited_for_once_not_resent(fake_llm) -> None:
    """First byte after 2.5x the timeout: a local endpoint waits for it; a hosted one gives up and re-sends."""
    slow = Reply("chat", content="thinking", tool_calls=[{"name": "send_message", "arguments": '{"message": "m"}'}])
    slow.delay = 1.0
    fake_llm.script(slow)
    assert native(fake_llm, "ollama", request_timeout=0.4, max_retries=5).chat(HISTORY, [SEND]).message.tool_calls
    assert len(fake_llm.chat_requests()) == 1
    fake_llm.reset()
    fake_llm.script(slow, send_message("second copy"))
    hosted = native(fake_llm, "openai", request_timeout=0.4, max_retries=1)
    assert "second copy" in hosted.chat(HISTORY, [SEND]).message.tool_calls[0].arguments
    assert len(fake_llm.chat_requests()) == 2


def test_local_timeouts_resend_at_most_once(fake_llm) -> None:
    fake_llm.script(hang(3), hang(3), hang(3))
    with pytest.raises(LLMConnectionError, match="timed out .*2 attempts"):
        native(fake_llm, "llamacpp", request_timeout=0.1, max_retries=5).chat(HISTORY, [SEND])
    assert len(fake_llm.chat_requests()) == 2


# -- replies that are not what they should be ---------------------------------------------------
def body(message: dict, **extra) -> str:
    choice = {"index": 0, "message": message, "finish_reason": extra.pop("finish", "stop")}
    return json.dumps({"id": "x", "object": "chat.completion", "choices": [choice], **extra})


CALL = {"id": "c1", "type": "function", "function": {"name": "send_message", "arguments": '{"message": "hi"}'}}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (raw(body({"content": "t", "tool_calls": CALL})), "send_message"),  # a dict, not a list: read it
        (
            raw(
                body(
                    {
                        "content": None,
                        "tool_calls": [{**CALL, "function": {**CALL["function"], "arguments": {"message": "o"}}}],
                    }
                )
            ),
            "send_message",
        ),
        (raw(body({"content": "\ud800 lone", "tool_calls": [CALL]})), "send_message"),
        (raw(body({"content": "t", "tool_calls": 5})), LLMOutputParseError),
        (raw(body({"content": "t", "tool_calls": [{"function": {"name": None}}]})), LLMOutputParseError),
        (raw(body({"content": {"a": 1}})), LLMOutputParseError),
        (raw(body({"content": "x" * 100_000})), LLMOutputParseError),  # far beyond the completion limit
        (
            raw(body({"tool_calls": [{**CALL, "function": {"name": "send_message", "arguments": "[" * 5000}}]})),
            LLMOutputParseError,
        ),
        (raw(json.dumps({"choices": []})), LLMError),
        (raw('{"choices": ' + "[" * 100_000 + "]" * 100_000 + "}"), LLMError),
        (raw("<html>Bad Gateway</html>", content_type="text/html"), LLMError),
        (raw('{"choices": [{"message": {"content": "cut'), LLMError),
        (raw(json.dumps({"error": {"message": "maximum context length is 4096 tokens"}})), ContextWindowExceededError),
        (raw(json.dumps({"error": {"message": "upstream exploded"}})), LLMError),
    ],
)
def test_malformed_replies_become_our_errors(fake_llm, reply, expected) -> None:
    fake_llm.script(reply, reply, reply)
    c = native(fake_llm)
    if isinstance(expected, str):
        result = c.chat(HISTORY, [SEND])
        assert result.message.tool_calls[0].name == expected
        (result.message.content or "").encode("utf-8")  # no lone surrogate left
    else:
        with pytest.raises(expected) as info:
            c.chat(HISTORY, [SEND])
        assert not str(info.value).startswith("Unexpected error")  # a real check caught it, not the guard


def sse(*events: object, done: bool = True) -> Reply:
    lines = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + ("data: [DONE]\n\n" if done else "")
    return raw(lines, content_type="text/event-stream")


def chunk(delta: dict, finish: str | None = None) -> dict:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_odd_streams(fake_llm) -> None:
    args = {"index": 0, "id": "c", "function": {"name": "send_message", "arguments": '{"message": "yo"}'}}
    no_done = sse(chunk({"content": "hm"}), chunk({"tool_calls": [args]}), chunk({}, "tool_calls"), done=False)
    other = {"index": 0, "function": {"name": "archival_memory_search", "arguments": '{"query": "x"}'}}
    cut = sse(chunk({"tool_calls": [other]}), done=False)  # nothing shown yet: safe to retry
    odd = raw(
        ': keep-alive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\ndata: not json\n\ndata: {"choices": null}\n\n'
        + f"data: {json.dumps(chunk({'tool_calls': args}, 'stop'))}\n\ndata: [DONE]\n\n",
        content_type="text/event-stream",
    )
    mid_error = sse(chunk({"content": "a"}), {"error": {"message": "server exploded"}})
    fake_llm.script(no_done, odd, cut, cut, cut, mid_error)
    c = native(fake_llm, stream=True)
    deltas = []
    for _ in range(2):
        assert c.chat(HISTORY, [SEND], on_delta=lambda k, t: deltas.append((k, t))).message.tool_calls
    with pytest.raises(LLMConnectionError, match="ended before the reply was complete"):
        c.chat(HISTORY, [SEND], on_delta=lambda k, t: None)
    with pytest.raises(LLMError, match="broke off.*server exploded"):  # text was shown: no silent re-send
        c.chat(HISTORY, [SEND], on_delta=lambda k, t: None)


# -- bounded generation, forced calls -----------------------------------------------------------
def test_every_request_carries_the_completion_limit(fake_llm) -> None:
    fake_llm.script(send_message("a"), text("a summary"))
    c = native(fake_llm, context_window=2048)
    c.chat(HISTORY, [SEND])
    c.chat(HISTORY)  # the summariser's call, without functions
    limits = [b["max_tokens"] for b in fake_llm.chat_requests()]
    assert limits == [completion_reserve(2048)] * 2 == [256, 256]
    fake_llm.script(text('{"function": "send_message", "params": {"inner_thoughts": "t", "message": "x"}}'))
    wrapped = create_llm_client(
        LLMConfig(model="m", model_endpoint_type="vllm", model_endpoint=fake_llm.url, model_wrapper="chatml")
    )
    wrapped.chat(HISTORY, [SEND])
    assert fake_llm.requests[-1]["body"]["max_tokens"] == completion_reserve(8192) == 1024


def test_reasoning_models_get_max_completion_tokens_and_refusals_are_learnt(fake_llm) -> None:
    fake_llm.script(send_message("a"))
    native(fake_llm, "openai", model="o3-mini").chat(HISTORY, [SEND])
    body = fake_llm.chat_requests()[-1]
    assert body["max_completion_tokens"] == 1024 and "max_tokens" not in body
    refusal = error(400, "Unsupported parameter: 'max_tokens' is not supported. Use 'max_completion_tokens' instead.")
    fake_llm.script(refusal, send_message("b"), send_message("c"))
    native(fake_llm).chat(HISTORY, [SEND])
    native(fake_llm).chat(HISTORY, [SEND])  # a new client for the same endpoint remembers
    assert [("max_tokens" in b, "max_completion_tokens" in b) for b in fake_llm.chat_requests()[1:]] == [
        (True, False),
        (False, True),
        (False, True),
    ]


def test_every_step_is_a_forced_function_call_with_remembered_fallback(fake_llm) -> None:
    fake_llm.script(send_message("a"))
    native(fake_llm).chat(HISTORY, [SEND])
    assert fake_llm.chat_requests()[-1]["tool_choice"] == "required"
    fake_llm.script(error(400, 'tool_choice "required" is not supported'), send_message("b"), send_message("c"))
    native(fake_llm).chat(HISTORY, [SEND])
    native(fake_llm).chat(HISTORY, [SEND])
    assert [b["tool_choice"] for b in fake_llm.chat_requests()[1:]] == ["required", "auto", "auto"]
    fake_llm.script(send_message("d"), send_message("e"))
    native(fake_llm).chat(HISTORY, [SEND], force_function="send_message")
    assert fake_llm.chat_requests()[-1]["tool_choice"] == {"type": "function", "function": {"name": "send_message"}}
    native(fake_llm, function_call_style="functions").chat(HISTORY, [SEND])
    assert fake_llm.chat_requests()[-1]["function_call"] == "auto"  # the legacy API has no "required"


# -- streaming text -----------------------------------------------------------------------------
def test_emoji_escape_split_across_chunks() -> None:
    s = SendMessageStreamer()
    pieces = ['{"message": "smile \\ud8', "3d\\u", "de00", '! lone \\ud800 end"}']
    assert "".join(s.feed(p) for p in pieces) == "smile \U0001f600! lone \ufffd end"


def test_streamed_emoji_and_a_20kb_message(fake_llm) -> None:
    long = "".join(f'Line {i}: caf\u00e9 "quoted" \U0001f600\n' for i in range(700))
    assert len(long.encode()) > 20_000
    escaped = '{"message": "smile \\ud83d\\ude00 done"}'  # the model wrote the emoji as an escape
    fake_llm.script(tool_call("send_message", escaped, content="hm"), tool_call("send_message", {"message": long}))
    c = native(fake_llm, stream=True)
    for expected in ("smile \U0001f600 done", long):
        deltas: list[tuple[str, str]] = []
        result = c.chat(HISTORY, [SEND], on_delta=lambda k, t, d=deltas: d.append((k, t)))
        assert "".join(t for k, t in deltas if k == "message") == expected
        assert json.loads(result.message.tool_calls[0].arguments)["message"] == expected


def test_wrapped_streamer_reads_by_key_path() -> None:
    w = WrappedReplyStreamer()
    reply = '{"function": "send_message", "params": {"inner_thoughts": "say \\"message\\": x", "message": "Hi"}}'
    out = [d for i in range(0, len(reply), 3) for d in w.feed(reply[i : i + 3])]
    assert "".join(t for k, t in out if k == "thought") == 'say "message": x'
    assert "".join(t for k, t in out if k == "message") == "Hi"


# -- context window from the server -------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint_type", "route", "answer", "expected"),
    [
        ("llamacpp", "/props", {"n_ctx": 4096}, (4096, "llama.cpp /props n_ctx")),
        ("llamacpp", "/props", {"default_generation_settings": {"n_ctx": 2048}}, (2048, "llama.cpp /props ")),
        (
            "ollama",
            "/api/show",
            {"parameters": "stop x\nnum_ctx 16384", "model_info": {"qwen2.context_length": 32768}},
            (16384, "Ollama /api/show parameters num_ctx"),
        ),
        (
            "ollama",
            "/api/show",
            {"model_info": {"llama.context_length": 131072}},
            (131072, "Ollama /api/show model_info"),
        ),
        (
            "lmstudio",
            "/api/v0/models",
            {"data": [{"id": "gpt-4", "max_context_length": 32768, "loaded_context_length": 8192}]},
            (8192, "LM Studio"),
        ),
        ("koboldcpp", "/api/extra/true_max_context_length", {"value": 6144}, (6144, "koboldcpp")),
        ("llamacpp", "/props", {"n_ctx": "lots"}, None),
        ("llamacpp", "/props", ["not", "a", "dict"], None),
    ],
)
def test_probe_context_window(fake_llm, endpoint_type, route, answer, expected) -> None:
    fake_llm.routes[route] = answer
    llm = LLMConfig(model="gpt-4", model_endpoint_type=endpoint_type, model_endpoint=fake_llm.url)
    found = probe_context_window(llm)
    if expected is None:
        assert found is None
    else:
        assert found[0] == expected[0] and found[1].startswith(expected[1])


def test_probe_vllm_and_unreachable(fake_llm) -> None:
    fake_llm.model_fields = {"max_model_len": 12288}
    llm = LLMConfig(model="gpt-4", model_endpoint_type="vllm", model_endpoint=fake_llm.url)
    assert probe_context_window(llm) == (12288, "vLLM /v1/models max_model_len")
    dead = LLMConfig(model="m", model_endpoint_type="llamacpp", model_endpoint=f"http://127.0.0.1:{free_port()}/v1")
    assert probe_context_window(dead) is None
    assert probe_context_window(LLMConfig(model="m", model_endpoint_type="ollama", model_endpoint=fake_llm.url)) is None


def test_llamacpp_gets_a_call_grammar_beside_tools_until_it_refuses(fake_llm) -> None:
    """llama-cpp-python ignores tool_choice "required" with a model's own template; a grammar holds the
    reply to one call, written as JSON text, which is read back as the tool call."""
    fake_llm.script(text('{"function": "send_message", "params": {"inner_thoughts": "hi", "message": "Hello"}}'))
    result = native(fake_llm, "llamacpp").chat(HISTORY, [SEND])
    assert 'root ::= "{"' in fake_llm.chat_requests()[-1]["grammar"]
    assert [c.name for c in result.message.tool_calls or []] == ["send_message"]
    fake_llm.script(
        error(400, "Cannot use custom grammar constraints with tools."), send_message("b"), send_message("c")
    )
    native(fake_llm, "llamacpp").chat(HISTORY, [SEND])
    native(fake_llm, "llamacpp").chat(HISTORY, [SEND])
    assert ["grammar" in b for b in fake_llm.chat_requests()[1:]] == [True, False, False]
    fake_llm.script(send_message("d"))
    native(fake_llm, "llamacpp", constrained_decoding=False, model="other").chat(HISTORY, [SEND])
    assert "grammar" not in fake_llm.chat_requests()[-1]
    fake_llm.script(send_message("e"))
    native(fake_llm, model="third").chat(HISTORY, [SEND])  # openai-compatible: tool_choice alone
    assert "grammar" not in fake_llm.chat_requests()[-1]


def test_warm_up_builds_the_client_without_calling_the_server(fake_llm) -> None:
    """The REPL warms the client while the user types: the SDK client and its lazily imported parts
    are ready, one client is shared by both threads, and nothing is sent (a warm-up must never cost a call)."""
    import threading

    client = native(fake_llm)
    threads = [threading.Thread(target=client.warm_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    built = client.client()
    for thread in threads:
        thread.join(10)
    assert client.client() is built and built is not None
    assert fake_llm.requests == []
    fake_llm.default = send_message("hi")
    assert client.chat(HISTORY, [SEND]).message.tool_calls
