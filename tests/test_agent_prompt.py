"""What the model is sent: a prefix that does not move, thoughts as an argument, no empty turns."""

from __future__ import annotations

import json

import pytest

from memgpt.errors import LLMError
from tests.fake_llm import send_message, text, tool_call


def _prefix_len(a: list[dict], b: list[dict]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def test_consecutive_calls_extend_the_previous_prompt(make_agent, fake_llm) -> None:
    """Each call sends the previous call's messages unchanged plus the new ones, so the server's prompt
    cache evaluates only the new messages. Only a memory change rewrites the top (the system message
    with core memory and the memory-status snapshot)."""
    agent = make_agent()
    fake_llm.script(
        send_message("Hi!"),
        send_message("Nice to meet you."),
        tool_call("archival_memory_insert", {"content": "Ana has a dog, Rex.", "request_heartbeat": True}),
        send_message("Noted."),
        send_message("Lovely."),
        tool_call("core_memory_append", {"name": "human", "content": "Dog: Rex", "request_heartbeat": True}),
        send_message("Got it."),
    )
    agent.greet()
    agent.user_message("I'm Ana.")
    agent.user_message("My dog is called Rex.")
    agent.user_message("He is three.")
    agent.user_message("He likes apples.")
    requests = [r["messages"] for r in fake_llm.chat_requests()]
    assert len(requests) == 7
    rewritten = 0
    for before, after in zip(requests, requests[1:], strict=False):
        assert after[-1]["role"] != "system"  # the conversation ends with the newest event, as models expect
        if after[0] == before[0]:
            assert after[: len(before)] == before  # the whole previous prompt is reused
        else:  # a memory edit: the top changes, with the new counts and the new core memory
            rewritten += 1
            assert after[1 : len(before)] == before[1:]
    assert rewritten == 2  # the archival insert and the core-memory append, nothing else
    assert "1 passages are kept" in requests[-1][0]["content"] and "Dog: Rex" in requests[-1][0]["content"]


def test_a_bare_tool_call_with_thoughts_in_the_argument_passes_verification(make_agent, fake_llm) -> None:
    """gpt-4o and later answer with a tool call and empty content; the thought comes as an argument."""
    agent = make_agent()
    fake_llm.script(tool_call("send_message", {"inner_thoughts": "A new face. Be warm.", "message": "Hello!"}))
    result = agent.greet(verify=True)
    assert result.messages == ["Hello!"]
    assert [e.text for e in agent.interface.of_kind("inner_thought")] == ["A new face. Be warm."]
    stored = agent.in_context_messages()[-2]
    assert stored.role == "assistant" and stored.content == "A new face. Be warm."
    assert "inner_thoughts" not in stored.tool_calls[0].arguments  # stored once, as the monologue
    tools = fake_llm.chat_requests()[0]["tools"]
    for tool in tools:
        params = tool["function"]["parameters"]
        assert next(iter(params["properties"])) == "inner_thoughts" and params["required"][0] == "inner_thoughts"


def test_content_mode_keeps_the_2023_shape(make_agent, fake_llm) -> None:
    agent = make_agent()
    agent.llm_config = agent.llm_config.model_copy(update={"inner_thoughts": "content"})
    agent.state.llm = agent.llm_config.model_dump()
    agent.storage.agents.save(agent.state)
    agent.close()
    from memgpt.agent import Agent

    resumed = Agent.load("tester", config=agent.config, storage=agent.storage, interface=agent.interface)
    try:
        fake_llm.script(send_message("Hi.", thought="Say hi."))
        resumed.user_message("hello")
        tools = fake_llm.chat_requests()[-1]["tools"]
        assert all("inner_thoughts" not in t["function"]["parameters"]["properties"] for t in tools)
    finally:
        resumed.close()


def test_an_empty_reply_is_retried_then_reported_and_never_stored(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    before = agent.storage.recall.count(agent.name)
    fake_llm.script(text(""), text(""), text(""))
    with pytest.raises(LLMError, match="empty reply 3 times"):
        agent.user_message("are you there?", verify=False)
    assert agent.storage.recall.count(agent.name) == before + 1  # the user's message only
    assert agent.in_context_messages()[-1].role == "user"
    last = fake_llm.chat_requests()[-1]
    assert last["tool_choice"] == {"type": "function", "function": {"name": "send_message"}}  # forced at the end
    fake_llm.script(text(""), send_message("Yes, here."))  # one empty reply, then a good one
    assert agent.user_message("hello?", verify=False).messages == ["Yes, here."]
    assert not any(m.role == "assistant" and not m.content and not m.tool_calls for m in agent.in_context_messages())


def test_function_results_say_null_not_none(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    result = json.loads(agent.in_context_messages()[-1].content)
    assert result["status"] == "OK" and result["message"] is None


def test_a_local_native_model_that_forgets_the_heartbeat_after_a_search_still_answers(make_agent, fake_llm) -> None:
    agent = make_agent()
    agent.llm_config = agent.llm_config.model_copy(update={"model_endpoint_type": "ollama"})
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    fake_llm.script(tool_call("conversation_search", {"query": "birthday"}), send_message("On March 14th."))
    assert agent.user_message("When is my birthday?", verify=False).messages == ["On March 14th."]
