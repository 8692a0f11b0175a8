"""The scripted server speaks the OpenAI wire format well enough for the real SDK."""

import openai
import pytest

from tests.fake_llm import context_length_error, send_message, text


def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="sk-test", max_retries=0)


def test_tool_call_roundtrip(fake_llm) -> None:
    fake_llm.script(send_message("hello there", thought="greet"))
    resp = client(fake_llm).chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "hi"}],
        tools=[{"type": "function", "function": {"name": "send_message", "parameters": {"type": "object"}}}],
    )
    msg = resp.choices[0].message
    assert msg.content == "greet"
    assert msg.tool_calls[0].function.name == "send_message"
    assert fake_llm.chat_requests()[0]["messages"][0]["content"] == "hi"


def test_streaming_and_errors(fake_llm) -> None:
    fake_llm.script(text("streamed words arrive in pieces"), context_length_error("openai"))
    stream = client(fake_llm).chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "streamed words arrive in pieces"
    with pytest.raises(openai.BadRequestError) as info:
        client(fake_llm).chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "context_length_exceeded"


def test_exhausted_script_fails_loudly(fake_llm) -> None:
    with pytest.raises(openai.InternalServerError):
        client(fake_llm).chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
