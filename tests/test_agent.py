"""The agent loop against the scripted server: functions, malformed replies, memory pressure, eviction."""

from __future__ import annotations

import json

import pytest

from memgpt.agent import Agent
from memgpt.errors import LLMError
from memgpt.interface import RecordingInterface
from memgpt.tokens import count_tokens
from tests.fake_llm import context_length_error, send_message, text, tool_call, tool_calls


def call(function: str, heartbeat: bool = True, **args) -> object:
    return tool_call(function, {**args, "request_heartbeat": heartbeat}, content=f"calling {function}")


def last_tool_results(fake_llm, n: int = 1) -> list[dict]:
    """Tool results in the last request the server received."""
    messages = fake_llm.chat_requests()[-1]["messages"]
    return [json.loads(m["content"]) for m in messages if m["role"] == "tool"][-n:]


def last_user_event(fake_llm) -> dict:
    messages = fake_llm.chat_requests()[-1]["messages"]
    return json.loads([m for m in messages if m["role"] == "user"][-1]["content"])


def test_full_conversation_uses_every_function(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hello! I'm Sam."))
    assert agent.greet().messages == ["Hello! I'm Sam."]
    fake_llm.script(
        call("core_memory_append", name="human", content="Has a parrot called Kiwi"),
        call("core_memory_replace", name="human", old_content="Chad", new_content="Ana"),
        call("archival_memory_insert", content="Ana's parrot Kiwi is 12 years old."),
        call("archival_memory_search", query="parrot age"),
        call("conversation_search", query="parrot"),
        call("conversation_search_date", start_date="2000-01-01", end_date="2100-01-01"),
        tool_calls(
            [("pause_heartbeats", {"minutes": 9999}), ("send_message", {"message": "Kiwi sounds wonderful, Ana."})]
        ),
    )
    result = agent.user_message("I'm Ana, and my parrot Kiwi is 12.")
    assert result.messages == ["Kiwi sounds wonderful, Ana."]
    assert "Has a parrot called Kiwi" in agent.core.blocks["human"].value
    assert "First name: Ana" in agent.core.blocks["human"].value
    outputs = [e.text for e in agent.interface.of_kind("function_result")]
    assert any("Showing 1-1 of 1 results" in o and "12 years old" in o for o in outputs)
    assert any("my parrot Kiwi" in o for o in outputs)  # conversation_search found the user's words
    assert "Pausing timed heartbeats for 360 min" in outputs
    requests = fake_llm.chat_requests()
    system = requests[-1]["messages"][0]["content"]
    assert '<human characters="' in system and "Has a parrot called Kiwi" in system
    assert "1 passages are kept in archival memory" in system  # the snapshot follows memory changes
    assert {t["function"]["name"] for t in requests[0]["tools"]} == set(agent.functions)


@pytest.mark.parametrize(
    "reply, expect",
    [
        (tool_call("no_such_function", {"x": 1}), "No function named"),
        (tool_call("conversation_search", "{not json at all"), "not valid JSON"),
        (tool_call("conversation_search", {"request_heartbeat": True}), "missing required argument 'query'"),
        (
            tool_call("conversation_search", {"query": "x", "colour": "red", "request_heartbeat": True}),
            "unexpected argument 'colour'",
        ),
        (tool_call("conversation_search", {"query": "x", "page": "first", "request_heartbeat": True}), "page"),
        (
            tool_call("core_memory_append", {"name": "diary", "content": "x", "request_heartbeat": True}),
            "No memory block named 'diary'",
        ),
        (
            tool_call(
                "core_memory_replace",
                {"name": "human", "old_content": "Zed", "new_content": "Y", "request_heartbeat": True},
            ),
            "Content not found",
        ),
        (
            tool_call("core_memory_append", {"name": "human", "content": "x" * 2500, "request_heartbeat": True}),
            "exceed its 2000 character limit",
        ),
        (
            tool_call(
                "conversation_search_date",
                {"start_date": "last tuesday", "end_date": "2024-01-01", "request_heartbeat": True},
            ),
            "Invalid start_date",
        ),
        (tool_call("archival_memory_search", {"query": "x", "page": 7, "request_heartbeat": True}), "No results"),
    ],
)
def test_malformed_replies_become_failed_results(make_agent, fake_llm, reply, expect) -> None:
    agent = make_agent()
    fake_llm.script(reply, send_message("recovered"))
    result = agent.user_message("hi", verify=False)
    assert result.messages == ["recovered"]
    outcome = last_tool_results(fake_llm)[0]
    assert expect in str(outcome["message"])
    if expect != "No results":
        assert outcome["status"] == "Failed"
        assert "Function call failed" in last_user_event(fake_llm)["reason"]


def test_repairable_json_string_heartbeat_and_several_calls(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(
        tool_call(
            "core_memory_append",
            '```json\n{"name": "human", "content": "Likes jazz", "request_heartbeat": "true",}\n```',
        ),
        tool_calls([("send_message", {"message": "one"}), ("send_message", {"message": "two"})]),
    )
    result = agent.user_message("I like jazz", verify=False)
    assert "Likes jazz" in agent.core.blocks["human"].value
    assert result.messages == ["one", "two"]
    assert result.steps == 2


def test_plain_text_reply_gets_one_nudge(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(text("just thinking"), text("still only thinking"))
    result = agent.user_message("hello", verify=False)
    assert result.messages == [] and result.steps == 2  # nudged once, then control returns to the user
    assert "called no function" in last_user_event(fake_llm)["reason"]


def test_heartbeat_cap_stops_runaway_chains(make_agent, fake_llm) -> None:
    agent = make_agent(max_chained_steps=4)
    queries = iter(range(100))
    fake_llm.default = lambda request: call("conversation_search", query=f"loop {next(queries)}")  # all different
    result = agent.user_message("hi", verify=False)
    assert result.capped and result.steps == 4
    assert "heartbeat cap" in agent.interface.of_kind("system")[-1].text
    assert len(fake_llm.chat_requests()) == 4
    assert agent.in_context_messages()[-1].role == "tool"  # no unanswered heartbeat left in context


def test_first_message_verification(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(
        text("no call"),
        tool_call("send_message", {"message": "hi"}, content='{"bad": "json thought"}'),
        send_message("Hello properly"),
    )
    assert agent.greet().messages == ["Hello properly"]
    assert len(fake_llm.chat_requests()) == 3
    other = make_agent(name="stubborn")
    fake_llm.default = text("never a call")
    with pytest.raises(LLMError, match="10 attempts"):
        other.greet()


def test_memory_pressure_alert_then_eviction_with_recursive_summary(make_agent, fake_llm) -> None:
    window = 4096
    agent = make_agent(window=window)

    def reply(request: dict) -> object:
        if request["body"].get("tools") is None:  # the summariser
            return text(f"I remember chatting about topic {len(fake_llm.requests)}.")
        return send_message("ok " + "word " * 60)

    fake_llm.default = reply
    for i in range(40):
        agent.user_message(f"Message {i}: " + "blah " * 80, verify=False)
    kinds = [e.kind for e in agent.interface.events]
    assert "memory_warning" in kinds
    assert kinds.count("summary") >= 2
    assert kinds.index("memory_warning") < kinds.index("summary")
    for body in fake_llm.chat_requests():  # nothing sent ever exceeded the window
        sent = count_tokens(json.dumps(body["messages"])) + count_tokens(json.dumps(body.get("tools") or []))
        assert sent <= window
    summaries = [b for b in fake_llm.chat_requests() if b.get("tools") is None]
    assert "I remember chatting" in summaries[-1]["messages"][1]["content"]  # recursive: old summary included
    head = json.loads(agent.in_context_messages()[1].content)
    assert "moved out of view" in head["message"]
    assert agent.storage.recall.search_text(agent.name, "Message 0", 5, 0)[1] >= 1  # evicted, still in recall


def test_context_length_error_triggers_summary_and_retry(make_agent, fake_llm) -> None:
    agent = make_agent()
    for i in range(6):
        fake_llm.script(send_message(f"reply {i}"))
        agent.user_message(f"message {i}", verify=False)
    fake_llm.script(context_length_error("openai"), text("We talked about six messages."), send_message("still here"))
    assert agent.user_message("are you there?", verify=False).messages == ["still here"]
    assert agent.interface.of_kind("summary")


def test_interrupt_during_llm_call_leaves_consistent_agent(make_agent, fake_llm) -> None:
    agent = make_agent()
    client = agent.client

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    real_chat = client.chat
    client.chat = interrupted
    with pytest.raises(KeyboardInterrupt):
        agent.user_message("are you there?", verify=False)
    client.chat = real_chat
    stored = agent.storage.agents.load(agent.name)
    assert stored.in_context_ids == [m.id for m in agent.in_context_messages()[1:]]
    fake_llm.script(send_message("yes"))
    assert agent.retry().messages == ["yes"]


def test_resume_login_pop_rethink_rewrite_wipe(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("first answer"), send_message("second answer"))
    agent.user_message("one", verify=False)
    agent.user_message("two", verify=False)
    agent.rethink("a better thought")
    agent.rewrite("a better answer")
    last = agent.in_context_messages()[-2]
    assert last.content == "a better thought" and "a better answer" in last.tool_calls[0].arguments
    assert agent.storage.recall.search_text(agent.name, "better answer", 5, 0)[1] == 1
    before = agent.storage.recall.count(agent.name)
    assert agent.pop(1) == 3  # the user message, the reply and its result
    assert agent.storage.recall.count(agent.name) == before - 3
    config, storage, name = agent.config, agent.storage, agent.name
    agent.close()
    resumed = Agent.load(name, config=config, storage=storage, interface=RecordingInterface())
    try:
        assert json.loads(resumed.in_context_messages()[-1].content)["type"] == "login"
        assert resumed.wipe() > 0
        assert len(resumed.in_context_messages()) == 2
        assert resumed.memory_view()["recall_total"] > 5
        assert resumed.token_budget()["free"] > 0
    finally:
        resumed.close()
