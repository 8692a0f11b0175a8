"""No wedged agents: the context budget holds for any input, and one reply's work is bounded."""

from __future__ import annotations

import json

import pytest

from memgpt.agent import Agent
from memgpt.config import LLMConfig, MemGPTConfig
from memgpt.constants import MAX_SUMMARY_CALLS_PER_STEP, MAX_TOOL_CALLS_PER_REPLY
from memgpt.errors import MemGPTError
from memgpt.interface import RecordingInterface
from memgpt.storage import open_storage
from memgpt.tokens import count_tokens
from tests.fake_llm import Reply, send_message, text, tool_call, tool_calls


def _summariser_requests(fake_llm) -> list[dict]:
    return [r for r in fake_llm.chat_requests() if not r.get("tools")]


def _sent_tokens(body: dict) -> int:
    return count_tokens(json.dumps(body["messages"])) + count_tokens(json.dumps(body.get("tools") or []))


def _script_chat(fake_llm, *replies: Reply) -> None:
    """Replies for the agent's own calls in order; summariser calls (no tools) get a summary. A summary
    can run before any step, so a plain script would hand it the next scripted reply."""
    queue = list(replies)

    def reply(request: dict) -> Reply:
        if not request["body"].get("tools"):
            return text("We talked about many things.")
        return queue.pop(0) if queue else send_message("Sure.")

    fake_llm.default = reply


def _answer(request: dict) -> Reply:
    """A model that summarises when asked to and otherwise answers the user briefly."""
    if not request["body"].get("tools"):
        return text("We talked about many things.")
    return send_message("Sure.")


@pytest.mark.parametrize("window", [4096, 8192])
@pytest.mark.parametrize("where", ["message", "thought"])
def test_a_40kb_single_line_reply_does_not_wedge_the_agent(make_agent, fake_llm, window, where) -> None:
    agent = make_agent(window=window)
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    huge = "word" * 10_000  # 40 KB, one line, no spaces
    if where == "message":
        fake_llm.script(send_message(huge))
    else:
        fake_llm.script(send_message("ok", thought=huge))
    fake_llm.default = _answer
    agent.user_message("tell me everything", verify=False)
    agent.user_message("and now?", verify=False)  # the next turn answers
    assert agent.interface.of_kind("assistant_message")[-1].text == "Sure."
    assert len(_summariser_requests(fake_llm)) <= 2 * MAX_SUMMARY_CALLS_PER_STEP
    for body in fake_llm.chat_requests():
        assert _sent_tokens(body) <= window
    agent.close()
    resumed = Agent.load(agent.name, config=agent.config, storage=agent.storage, interface=RecordingInterface())
    try:
        calls_before = len(fake_llm.chat_requests())
        assert resumed.user_message("still there?", verify=False).messages[0] == "Sure."
        assert len(fake_llm.chat_requests()) - calls_before <= 3  # a clean restart: no summary storm
    finally:
        resumed.close()


def test_a_4096_window_agent_with_default_texts_chats_for_200_turns_across_resumes(make_agent, fake_llm) -> None:
    agent = make_agent(window=4096, name="small")
    config, storage = agent.config, agent.storage
    fake_llm.default = _answer
    for turn in range(200):
        if turn % 20 == 19:
            agent.close()
            agent = Agent.load("small", config=config, storage=storage, interface=RecordingInterface())
        assert agent.user_message(f"Turn {turn}: how was your day? I walked the dog.", verify=False).messages
    agent.close()
    for body in fake_llm.chat_requests():
        assert _sent_tokens(body) <= 4096


def test_logins_without_a_word_between_collapse_to_one(make_agent, fake_llm) -> None:
    agent = make_agent(window=4096)
    config, storage = agent.config, agent.storage
    agent.close()
    for _ in range(30):
        Agent.load("tester", config=config, storage=storage, interface=RecordingInterface()).close()
    resumed = Agent.load("tester", config=config, storage=storage, interface=RecordingInterface())
    try:
        logins = [m for m in resumed.in_context_messages() if '"type": "login"' in (m.content or "")]
        assert len(logins) == 1
        fake_llm.script(send_message("Hello again"))
        assert resumed.user_message("hello", verify=False).messages == ["Hello again"]
    finally:
        resumed.close()


def test_a_window_too_small_for_the_agent_is_refused_at_creation_with_the_numbers(fake_llm) -> None:
    config = MemGPTConfig(
        llm=LLMConfig(
            model="gpt-4", model_endpoint_type="openai-compatible", model_endpoint=fake_llm.url, context_window=2048
        )
    )
    storage = open_storage(config)
    with pytest.raises(MemGPTError, match=r"window of 2048 tokens is too small.*system prompt \(\d+\)"):
        Agent.create(name="tiny", config=config, storage=storage, interface=RecordingInterface())
    assert not storage.agents.exists("tiny")


def test_core_memory_cannot_grow_past_what_the_window_allows(make_agent, fake_llm) -> None:
    agent = make_agent(window=4096, core_memory_human_limit=50_000)
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    fake_llm.script(
        tool_call("core_memory_append", {"name": "human", "content": "likes tea " * 200, "request_heartbeat": True}),
        send_message("Noted."),
    )
    fake_llm.default = _answer  # a small window: a memory alert may follow
    agent.user_message("I like tea.", verify=False)
    results = [e for e in agent.interface.of_kind("function_result") if e.data["name"] == "core_memory_append"]
    assert results[-1].data["status"] == "Failed" and "core memory as a whole" in results[-1].text
    assert "likes tea" not in agent.core.blocks["human"].value
    assert agent.user_message("hello", verify=False).messages[0] == "Sure."  # the user still has room


def test_a_reply_with_many_calls_runs_only_the_first_few(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    calls = [("archival_memory_insert", {"content": f"note {i}"}) for i in range(20)]
    fake_llm.script(tool_calls(calls), send_message("Done."))
    assert agent.user_message("save these", verify=False).messages == ["Done."]
    assert agent.archival_count == MAX_TOOL_CALLS_PER_REPLY
    failed = [e for e in agent.interface.of_kind("function_result") if e.data["status"] == "Failed"]
    assert len(failed) == 1 and "this and 11 more calls" in failed[0].text
    stored = [m for m in agent.in_context_messages() if m.tool_calls and len(m.tool_calls) > 1][-1]
    assert len(stored.tool_calls) == MAX_TOOL_CALLS_PER_REPLY + 1  # the context does not carry them all
    # 500 calls at once is not a reply but a runaway: the client refuses it whole, the model hears why.
    fake_llm.script(tool_calls([("archival_memory_insert", {"content": f"x {i}"}) for i in range(500)]))
    fake_llm.default = send_message("Sorry.")
    assert agent.user_message("and these", verify=False).messages == ["Sorry."]
    assert agent.archival_count == MAX_TOOL_CALLS_PER_REPLY


def test_huge_arguments_are_refused_and_long_queries_cut(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    fake_llm.script(
        tool_call("conversation_search", {"query": "dog " * 250_000, "request_heartbeat": True}),
        tool_call("conversation_search", {"query": "dog " * 1_000, "request_heartbeat": True}),
        send_message("No."),
    )
    assert agent.user_message("did I mention a dog?", verify=False).messages == ["No."]
    results = [e for e in agent.interface.of_kind("function_result") if e.data["name"] == "conversation_search"]
    # The 1 MB call never runs: the client refuses a reply that far past its completion limit (or, for
    # one that slips through, the agent refuses arguments over 20,000 characters).
    assert all(r.data["status"] == "OK" or "at most 20000 are accepted" in r.text for r in results)
    assert results[-1].data["status"] == "OK"  # 4,000 characters: cut to 1,000 and searched
    assert all(len(c.arguments) < 5_000 for m in agent.in_context_messages() for c in m.tool_calls or [])


def _fill_to_the_warning_line(agent, fake_llm) -> None:
    """Up to 70% of the window (a turn adds ~300 tokens, so it stops short of the 75% line); the
    test's next message (450 words) then crosses the line but not the window's limit."""
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    fake_llm.default = send_message("ok " + "fine " * 40)
    while agent._prompt_tokens() < 0.70 * agent.window:
        agent.user_message("chatter " * 60, verify=False)
    assert not agent.state.memory_pressure_alerted


def _last_user_types(body: dict) -> list[str]:
    """The envelope types of the user-role messages after the last assistant message."""
    tail = []
    for message in reversed(body["messages"]):
        if message["role"] == "assistant":
            break
        if message["role"] == "user":
            tail.insert(0, json.loads(message["content"]).get("type"))
    return tail


def test_a_requested_heartbeat_is_never_replaced_by_the_memory_alert(make_agent, fake_llm) -> None:
    """The original sent the alert instead of the heartbeat, and the search result never reached the
    user. Here the alert goes in just before the heartbeat, in the same call: no round of its own."""
    agent = make_agent(window=8192)
    _fill_to_the_warning_line(agent, fake_llm)
    _script_chat(
        fake_llm,
        tool_call("archival_memory_search", {"query": "chatter " * 100, "request_heartbeat": True}),
        send_message("Here is what I found."),
    )
    fake_llm.requests.clear()
    result = agent.user_message("chatter " * 450 + " what did you find?", verify=False)
    assert result.messages == ["Here is what I found."]
    calls = [b for b in fake_llm.chat_requests() if b.get("tools")]
    assert len(calls) == 2  # the search, then its heartbeat carrying the alert
    assert _last_user_types(calls[1]) == ["system_alert", "heartbeat"]
    kinds = [e.kind for e in agent.interface.events if e.kind in ("heartbeat", "memory_warning", "assistant_message")]
    assert kinds[-3:] == ["memory_warning", "heartbeat", "assistant_message"]
    assert not agent.state.memory_pressure_owed


def test_the_memory_alert_goes_in_with_the_next_user_message_once(make_agent, fake_llm) -> None:
    """Crossing the warning line without a pending heartbeat costs no call: the alert is owed (and kept
    across a restart) and goes in just before the user's next message; once per approach to the limit."""
    agent = make_agent(window=8192)
    _fill_to_the_warning_line(agent, fake_llm)
    fake_llm.requests.clear()
    agent.user_message("chatter " * 450, verify=False)
    assert len([b for b in fake_llm.chat_requests() if b.get("tools")]) == 1  # no alert round
    assert agent.state.memory_pressure_owed
    agent.close()
    resumed = Agent.load(agent.name, config=agent.config, storage=agent.storage, interface=RecordingInterface())
    try:
        fake_llm.requests.clear()
        resumed.user_message("and another thing", verify=False)
        calls = [b for b in fake_llm.chat_requests() if b.get("tools")]
        assert _last_user_types(calls[0])[-2:] == ["system_alert", "user_message"]
        assert resumed.interface.of_kind("memory_warning")
        fake_llm.requests.clear()
        resumed.user_message("one more", verify=False)
        assert all("system_alert" not in _last_user_types(b) for b in fake_llm.chat_requests() if b.get("tools"))
    finally:
        resumed.close()


def test_a_call_repeated_in_one_chain_is_pointed_out_then_stopped(make_agent, fake_llm) -> None:
    """A real 1.5B model, after a login, searched "" with a heartbeat step after step until the 20-step
    cap: the second identical call hears that it repeats itself, the third ends the chain."""
    agent = make_agent()
    loop = tool_call("conversation_search", {"query": "", "request_heartbeat": True})
    fake_llm.script(*[loop] * 5)
    fake_llm.requests.clear()
    result = agent.user_message("hello?", verify=False)
    calls = [b for b in fake_llm.chat_requests() if b.get("tools")]
    assert len(calls) == 3 and result.messages == []
    assert "exact call" in json.loads(calls[2]["messages"][-1]["content"])["reason"]
    assert any("same call (conversation_search) 3 times" in t for t in agent.interface.texts("system"))
    fake_llm.script(send_message("Hi!"))
    assert agent.user_message("hello again", verify=False).messages == ["Hi!"]  # a new chain starts afresh


def test_different_calls_in_one_chain_are_not_a_loop(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(
        *[tool_call("conversation_search", {"query": f"topic {i}", "request_heartbeat": True}) for i in range(4)],
        send_message("Found it."),
    )
    assert agent.user_message("find things", verify=False).messages == ["Found it."]
