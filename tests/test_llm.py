"""LLM backends against the scripted server, through the real openai SDK."""

from __future__ import annotations

import json

import pytest

from memgpt.config import Credentials, LLMConfig
from memgpt.errors import (
    ConfigError,
    ContextWindowExceededError,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
    LLMModelNotFoundError,
    LLMOutputParseError,
)
from memgpt.llm import context_window_for, create_llm_client
from memgpt.llm.formats import FORMATS
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.streaming import SendMessageStreamer
from memgpt.schemas import Message, ToolCall
from tests.fake_llm import CONTEXT_LENGTH_ERRORS, context_length_error, error, hang, send_message, text, tool_call

SEND = {
    "name": "send_message",
    "description": "Send a message to the user.",
    "parameters": {
        "type": "object",
        "properties": {"message": {"type": "string", "description": "text"}},
        "required": ["message"],
    },
}
HISTORY = [Message(role="system", content="You are a test."), Message(role="user", content="hi")]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("MEMGPT_RETRY_BASE_DELAY", "0.001")


def client(server, **overrides):
    llm = LLMConfig(
        model="gpt-4",
        model_endpoint_type="openai-compatible",
        model_endpoint=server.url,
        max_retries=2,
        request_timeout=5,
        **overrides,
    )
    return create_llm_client(llm, Credentials(openai_key="sk-test"))


def test_tools_reply(fake_llm) -> None:
    fake_llm.script(send_message("hello!", thought="say hi"))
    result = client(fake_llm).chat(HISTORY, [SEND])
    assert result.message.content == "say hi"
    assert result.message.tool_calls[0].name == "send_message"
    assert json.loads(result.message.tool_calls[0].arguments) == {"message": "hello!"}
    body = fake_llm.chat_requests()[0]
    assert body["tools"][0]["function"]["name"] == "send_message"
    assert fake_llm.requests[-1]["headers"]["authorization"] == "Bearer sk-test"


def test_legacy_functions_and_fallback(fake_llm) -> None:
    fake_llm.script(send_message("old style"))
    result = client(fake_llm, function_call_style="functions").chat(HISTORY, [SEND])
    assert "functions" in fake_llm.chat_requests()[0] and "tools" not in fake_llm.chat_requests()[0]
    assert result.message.tool_calls[0].name == "send_message"
    fake_llm.reset()
    fake_llm.script(error(400, "this server does not support tools"), send_message("after fallback"))
    result = client(fake_llm).chat(HISTORY, [SEND])
    assert json.loads(result.message.tool_calls[0].arguments)["message"] == "after fallback"
    assert "functions" in fake_llm.chat_requests()[1]


def test_tool_call_written_as_text_is_read(fake_llm) -> None:
    fake_llm.script(text('{"name": "send_message", "arguments": {"message": "from content"}}'))
    result = client(fake_llm).chat(HISTORY, [SEND])
    assert result.message.tool_calls[0].name == "send_message"


@pytest.mark.parametrize("provider", sorted(CONTEXT_LENGTH_ERRORS))
def test_context_length_errors(fake_llm, provider) -> None:
    fake_llm.script(context_length_error(provider))
    with pytest.raises(ContextWindowExceededError):
        client(fake_llm).chat(HISTORY, [SEND])


def test_retries_honour_retry_after_then_give_up(fake_llm) -> None:
    sleeps = []
    c = client(fake_llm)
    c._sleep = sleeps.append
    fake_llm.script(error(429, "slow down", headers={"Retry-After": "0.02"}), error(503, "busy"), send_message("ok"))
    assert c.chat(HISTORY, [SEND]).message.tool_calls
    assert sleeps[0] == pytest.approx(0.02)
    fake_llm.script(error(500, "a"), error(500, "b"), error(500, "c"))
    with pytest.raises(LLMError, match="gave up after 3 attempts"):
        c.chat(HISTORY, [SEND])


def test_auth_and_model_errors(fake_llm) -> None:
    fake_llm.script(error(401, "bad key", err_type="invalid_request_error"))
    with pytest.raises(LLMAuthError, match="API key was rejected"):
        client(fake_llm).chat(HISTORY, [SEND])
    fake_llm.script(error(404, "The model `nope` does not exist", code="model_not_found"))
    with pytest.raises(LLMModelNotFoundError, match="gpt-4o-mini"):
        client(fake_llm).chat(HISTORY, [SEND])


def test_timeouts_and_unreachable_servers(fake_llm) -> None:
    fake_llm.script(hang(2), hang(2), hang(2))
    c = create_llm_client(
        LLMConfig(
            model_endpoint_type="openai-compatible", model_endpoint=fake_llm.url, request_timeout=0.2, max_retries=1
        )
    )
    with pytest.raises(LLMConnectionError, match="timed out"):
        c.chat(HISTORY, [SEND])
    dead = create_llm_client(
        LLMConfig(
            model_endpoint_type="ollama", model_endpoint="http://127.0.0.1:9/v1", max_retries=0, request_timeout=2
        )
    )
    with pytest.raises(LLMConnectionError, match="could not be reached"):
        dead.chat(HISTORY, [SEND])


def test_local_endpoint_needs_no_key(fake_llm) -> None:
    fake_llm.script(send_message("local"))
    llm = LLMConfig(model="qwen2.5", model_endpoint_type="ollama", model_endpoint=fake_llm.url)
    assert create_llm_client(llm, Credentials()).chat(HISTORY, [SEND]).message.tool_calls


def test_azure_request_shape(fake_llm) -> None:
    fake_llm.script(send_message("from azure"))
    llm = LLMConfig(model="gpt-4", model_endpoint_type="azure", azure_deployment="my-gpt4")
    creds = Credentials(azure_key="az-key", azure_endpoint=fake_llm.root_url, azure_version="2024-02-01")
    create_llm_client(llm, creds).chat(HISTORY, [SEND])
    req = fake_llm.requests[-1]
    assert req["path"] == "/openai/deployments/my-gpt4/chat/completions"
    assert req["query"]["api-version"] == ["2024-02-01"]
    assert req["headers"]["api-key"] == "az-key"


def test_streaming_text_and_arguments(fake_llm) -> None:
    fake_llm.script(tool_call("send_message", {"message": 'Hello "friend",\nnice day'}, content="thinking hard"))
    deltas = []
    result = client(fake_llm, stream=True).chat(HISTORY, [SEND], on_delta=lambda k, t: deltas.append((k, t)))
    assert "".join(t for k, t in deltas if k == "thought") == "thinking hard"
    assert "".join(t for k, t in deltas if k == "message") == 'Hello "friend",\nnice day'
    assert len([d for d in deltas if d[0] == "message"]) > 1  # arrived in pieces
    assert json.loads(result.message.tool_calls[0].arguments)["message"].startswith("Hello")


@pytest.mark.parametrize(
    "damaged",
    [
        '```json\n{"function": "send_message", "params": {"inner_thoughts": "t", "message": "hi"}}\n```',
        '{"function": "send_message", "params": {"inner_thoughts": "t", "message": "hi",},}',
        "{'function': 'send_message', 'params': {'inner_thoughts': 't', 'message': 'hi'}}",
        '{"function": "send_message", "params": {"inner_thoughts": "t", "message": "line one\nline two"}}',
        'Sure! Here you go: {"function": "send_message", "params": {"inner_thoughts": "t", "message": "hi"}} Bye.',
        '{"function": "send_message", "params": {"inner_thoughts": "t", "message": "hi"}',
        # the form asked for now: thoughts first, beside the call
        '{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi"}}',
        '```json\n{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi",},}\n```',
        '{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi"}',
    ],
)
def test_wrapped_model_damaged_json(fake_llm, damaged) -> None:
    fake_llm.script(text(damaged))
    llm = LLMConfig(model="dolphin", model_endpoint_type="vllm", model_endpoint=fake_llm.url, model_wrapper="chatml")
    c = create_llm_client(llm)
    c.constrain = False  # the repair chain, as for a server that takes no constraint
    result = c.chat(HISTORY, [SEND])
    assert result.message.content == "t"
    assert json.loads(result.message.tool_calls[0].arguments)["message"].startswith(("hi", "line one"))
    prompt = fake_llm.requests[-1]["body"]["prompt"]
    assert "<|im_start|>system" in prompt and "send_message" in prompt and prompt.endswith('"inner_thoughts":')


def test_wrapped_model_prefix_completion_and_garbage(fake_llm) -> None:
    fake_llm.script(text(' "t", "function": "send_message", "params": {"message": "hey"}}'), text("no json"))
    llm = LLMConfig(model="llama3", model_endpoint_type="llamacpp", model_endpoint=fake_llm.url, model_wrapper="llama3")
    c = create_llm_client(llm)
    c.constrain = False
    reply = c.chat(HISTORY, [SEND]).message
    assert reply.tool_calls[0].name == "send_message" and reply.content == "t"
    with pytest.raises(LLMOutputParseError):
        c.chat(HISTORY, [SEND])


def test_helpers() -> None:
    assert context_window_for("gpt-4-32k-0613") == 32768
    assert context_window_for("gpt-4") == 8192
    assert context_window_for("some-unknown-model") is None
    assert context_window_for("o1-mini") == 128000 and context_window_for("text-o1x") is None
    assert context_window_for("qwen2.5:7b") == context_window_for("Qwen/Qwen2.5-7B-Instruct") == 32768
    assert context_window_for("NousResearch/Hermes-3-Llama-3.1-8B") == 131072  # a fine-tune names its base
    assert context_window_for("llama-2-7b-chat.Q4_K_M.gguf") == 4096
    assert parse_json_object('{"a": 1,}') == {"a": 1}
    s = SendMessageStreamer()
    assert s.feed('{"message": "ab') == "ab"
    assert s.feed("c\\") == "c"
    assert s.feed('n", "x": 1}') == "\n"


def test_wrapped_model_heartbeat_correction(fake_llm) -> None:
    """After a user message, a wrapped model's memory call gets request_heartbeat so it answers next."""
    search = '{"function": "conversation_search", "params": {"inner_thoughts": "t", "query": "cats"}}'
    fake_llm.script(text(search), text(search))
    llm = LLMConfig(model="dolphin", model_endpoint_type="vllm", model_endpoint=fake_llm.url, model_wrapper="chatml")
    client = create_llm_client(llm)
    user = Message(role="user", content=json.dumps({"type": "user_message", "message": "cats?", "time": "t"}))
    beat = Message(role="user", content=json.dumps({"type": "heartbeat", "reason": "r", "time": "t"}))
    after_user = client.chat([HISTORY[0], user], [SEND])
    assert json.loads(after_user.message.tool_calls[0].arguments)["request_heartbeat"] is True
    after_beat = client.chat([HISTORY[0], beat], [SEND])
    assert "request_heartbeat" not in json.loads(after_beat.message.tool_calls[0].arguments)


def wrapped(server, wrapper="chatml", constrain=False, endpoint_type="vllm", **overrides):
    """A wrapped client; unconstrained unless asked, so the prompt ends in the pre-filled JSON start."""
    llm = LLMConfig(
        model="dolphin",
        model_endpoint_type=endpoint_type,
        model_endpoint=server.url,
        model_wrapper=wrapper,
        **overrides,
    )
    c = create_llm_client(llm)
    c.constrain = constrain
    return c


@pytest.mark.parametrize(
    ("damaged", "expected"),
    [
        ('{"message": "He said "hi" to me"}', {"message": 'He said "hi" to me'}),
        ('{"message": "He said "hi", then left"}', {"message": 'He said "hi", then left'}),
        ("{'message': 'it\\'s fine, it's ok', 'n': 1}", {"message": "it's fine, it's ok", "n": 1}),
        ('{"request_heartbeat": True, "page": None}', {"request_heartbeat": True, "page": None}),
        ('{"a": [1, 2, ], "b": {"c": 1,},', {"a": [1, 2], "b": {"c": 1}}),
        ('{"path": "C:\\dos", "x": "tab\there"}', {"path": "C:\\dos", "x": "tab\there"}),
        ('```json\n{"a": {"b": "unfinished', {"a": {"b": "unfinished"}}),
        ('{"a": 1}}}', {"a": 1}),
    ],
)
def test_json_repair_forms(damaged, expected) -> None:
    assert parse_json_object(damaged) == expected


@pytest.mark.parametrize("garbage", ["no json here", "[1, 2]", ""])
def test_json_repair_gives_up_clearly(garbage) -> None:
    with pytest.raises(LLMOutputParseError, match="Could not read a JSON object") as info:
        parse_json_object(garbage)
    assert info.value.raw == garbage


def test_streaming_through_legacy_functions(fake_llm) -> None:
    fake_llm.script(tool_call("send_message", {"message": "old but streamed"}, content="hmm"))
    deltas = []
    c = client(fake_llm, stream=True, function_call_style="functions")
    result = c.chat(HISTORY, [SEND], on_delta=lambda k, t: deltas.append((k, t)))
    assert "functions" in fake_llm.chat_requests()[0] and fake_llm.chat_requests()[0]["stream"] is True
    assert "".join(t for k, t in deltas if k == "message") == "old but streamed"
    assert result.message.content == "hmm"
    assert json.loads(result.message.tool_calls[0].arguments) == {"message": "old but streamed"}


def test_wrapped_plain_text_call_asks_for_prose(fake_llm) -> None:
    """The summariser's call: no function list, an instruction not to answer in JSON, and a JSON habit undone."""
    habit = '{"function": "send_message", "params": {"message": "S"}}'
    fake_llm.script(text("  They talked about cats.  "), text(habit))
    c = wrapped(fake_llm)
    assert c.chat(HISTORY).message.content == "They talked about cats."
    prompt = fake_llm.requests[-1]["body"]["prompt"]
    assert "no JSON" in prompt and "Available functions" not in prompt and prompt.endswith("<|im_start|>assistant\n")
    assert c.chat(HISTORY).message.content == "S"


def test_wrapped_streaming(fake_llm) -> None:
    fake_llm.script(text(' "greet them", "function": "send_message", "params": {"message": "Hello there"}}'))
    deltas = []
    result = wrapped(fake_llm, stream=True).chat(HISTORY, [SEND], on_delta=lambda k, t: deltas.append((k, t)))
    assert fake_llm.requests[-1]["body"]["stream"] is True
    assert "".join(t for k, t in deltas if k == "thought") == "greet them"
    assert "".join(t for k, t in deltas if k == "message") == "Hello there"
    assert len([d for d in deltas if d[0] == "message"]) > 1
    assert result.message.content == "greet them"
    assert json.loads(result.message.tool_calls[0].arguments) == {"message": "Hello there"}


def test_wrapped_falls_back_to_chat_endpoint(fake_llm) -> None:
    """A server without /v1/completions gets the wrapped prompt as one user message, from then on."""
    reply = '{"function": "send_message", "params": {"inner_thoughts": "t", "message": "via chat"}}'
    fake_llm.script(error(404, "Not Found"), text(reply), text(reply))
    c = wrapped(fake_llm, wrapper="llama3")
    for _ in range(2):
        assert json.loads(c.chat(HISTORY, [SEND]).message.tool_calls[0].arguments)["message"] == "via chat"
    posts = [r["path"] for r in fake_llm.requests if r["method"] == "POST"]
    assert posts == ["/v1/completions", "/v1/chat/completions", "/v1/chat/completions"]
    sent = fake_llm.chat_requests()[-1]["messages"]
    assert len(sent) == 1 and sent[0]["role"] == "user" and "<|start_header_id|>system" in sent[0]["content"]


def test_wrapped_model_not_found_is_reported(fake_llm) -> None:
    missing = error(404, "The model `dolphin` does not exist.")
    fake_llm.script(missing, missing)
    with pytest.raises(LLMModelNotFoundError, match="Models it offers: .*gpt-4"):
        wrapped(fake_llm).chat(HISTORY, [SEND])


def test_wrapped_reply_cut_by_the_window(fake_llm) -> None:
    fake_llm.script(text(' "send_message", "params": {"inner_thoughts": "I was about to', finish_reason="length"))
    c = wrapped(fake_llm, context_window=600)
    c.max_completion_tokens = 1024  # so the window, not our cap, is what the reply ran into
    with pytest.raises(ContextWindowExceededError):
        c.chat(HISTORY, [SEND])
    assert fake_llm.requests[-1]["body"]["max_tokens"] < 600


def test_user_completion_settings(fake_llm) -> None:
    from memgpt.llm.settings import settings_file

    path = settings_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"temperature": 0.1, "min_p": 0.05, "stop": ["<|eot|>"]}')
    fake_llm.script(text('{"function": "send_message", "params": {"message": "x"}}'), send_message("y"))
    wrapped(fake_llm).chat(HISTORY, [SEND])
    body = fake_llm.requests[-1]["body"]
    assert (body["temperature"], body["min_p"], body["stop"]) == (0.1, 0.05, ["<|eot|>"])
    client(fake_llm).chat(HISTORY, [SEND])
    body = fake_llm.requests[-1]["body"]
    assert (body["temperature"], body["min_p"]) == (0.1, 0.05) and body["tools"]
    path.write_text('{"temperature": 0.1,}')
    with pytest.raises(ConfigError, match="not valid JSON"):
        client(fake_llm)
    path.write_text('{"model": "other"}')
    with pytest.raises(ConfigError, match="sets model"):
        client(fake_llm)


def test_unknown_wrapper_is_a_config_error(fake_llm) -> None:
    with pytest.raises(ConfigError, match="Unknown model wrapper 'vicuna'.*chatml"):
        wrapped(fake_llm, wrapper="vicuna")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_wrapper_format_round_trips(fake_llm, name) -> None:
    """Each format marks every role, leaves the assistant turn open with the JSON started, and reads the reply."""
    fmt = FORMATS[name]
    assert len(fmt.stop) <= 4  # OpenAI-compatible servers may refuse more stop strings
    fake_llm.script(text(' "t", "function": "send_message", "params": {"message": "hi"}}'))
    history = [
        *HISTORY,
        Message(role="assistant", content="thinking", tool_calls=[ToolCall(name="send_message", arguments="{}")]),
        Message(role="tool", name="send_message", content='{"status": "OK"}'),
    ]
    result = wrapped(fake_llm, wrapper=name).chat(history, [SEND])
    assert json.loads(result.message.tool_calls[0].arguments) == {"message": "hi"}
    body = fake_llm.requests[-1]["body"]
    prompt = body["prompt"]
    assert prompt.endswith(fmt.open_turn + '{\n  "inner_thoughts":') and body["stop"] == list(fmt.stop)
    for needle in ("You are a test.", "Available functions", "hi", '"inner_thoughts": "thinking"', "FUNCTION RETURN"):
        assert needle in prompt


def test_configure_refuses_an_unknown_wrapper(memgpt_home) -> None:
    from tests.conftest import run_memgpt

    result = run_memgpt("configure", "--model-endpoint-type", "vllm", "--model", "m", "--model-wrapper", "vicuna", "-y")
    assert result.returncode == 2 and "--model-wrapper must be one of: chatml" in result.stderr
