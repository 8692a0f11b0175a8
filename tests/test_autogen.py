"""A MemGPT agent in AutoGen chats, through AutoGen's own classes, against the scripted server."""

from __future__ import annotations

import json

import pytest

autogen = pytest.importorskip("autogen")

from memgpt.config import MemGPTConfig  # noqa: E402
from memgpt.storage import open_storage  # noqa: E402
from tests.fake_llm import echo_user  # noqa: E402

reply_to_last = echo_user("MemGPT heard: ")


def llm_config(server) -> dict:
    return {"config_list": [{"model": "gpt-4", "base_url": server.url, "api_key": "sk-test"}]}


def test_two_agent_chat_and_memory_persists(fake_llm, memgpt_home) -> None:
    from memgpt.autogen.memgpt_agent import create_memgpt_autogen_agent_from_config

    fake_llm.default = reply_to_last
    coder = create_memgpt_autogen_agent_from_config(
        "MemGPT coder",
        system_message="I am a careful Python programmer.",
        llm_config=llm_config(fake_llm),
        human_input_mode="NEVER",
        skip_verify=True,
    )
    user = autogen.UserProxyAgent(
        "user", human_input_mode="NEVER", code_execution_config=False, default_auto_reply="Please continue."
    )
    try:
        result = user.initiate_chat(coder, message="Write a function that adds two numbers.", max_turns=2)
    finally:
        coder.close()
    replies = [m["content"] for m in result.chat_history if m.get("name") == "MemGPT coder"]
    assert replies[0] == "MemGPT heard: Write a function that adds two numbers."
    assert replies[1] == "MemGPT heard: Please continue."
    assert fake_llm.chat_requests()[0]["messages"][0]["content"].count("careful Python programmer") == 1
    with open_storage(MemGPTConfig()) as storage:  # the chat is in the agent's recall memory
        state = storage.agents.load("MemGPT_coder")
        assert "Work by yourself" in state.core_memory["human"].value
        assert storage.recall.search_text("MemGPT_coder", "adds two numbers", 5, 0)[1] == 2

    again = create_memgpt_autogen_agent_from_config("MemGPT coder", llm_config=llm_config(fake_llm), skip_verify=True)
    try:  # a second run resumes the same agent with its memories
        assert "careful Python programmer" in again.agent.core.blocks["persona"].value
    finally:
        again.close()


def test_group_chat_member(fake_llm, memgpt_home) -> None:
    from memgpt.autogen.memgpt_agent import create_memgpt_autogen_agent_from_config

    fake_llm.default = reply_to_last
    member = create_memgpt_autogen_agent_from_config(
        "archivist", llm_config=llm_config(fake_llm), skip_verify=True, human_input_mode="NEVER"
    )
    user = autogen.UserProxyAgent(
        "user", human_input_mode="NEVER", code_execution_config=False, default_auto_reply="Thanks."
    )
    pm = autogen.ConversableAgent(
        "pm", llm_config=False, human_input_mode="NEVER", default_auto_reply="As product manager I agree."
    )
    group = autogen.GroupChat(
        agents=[user, member, pm], messages=[], max_round=4, speaker_selection_method="round_robin"
    )
    manager = autogen.GroupChatManager(groupchat=group, llm_config=False)
    try:
        user.initiate_chat(manager, message="Team, remember that the launch is on Friday.")
    finally:
        member.close()
    spoken = [(m.get("name"), m.get("content")) for m in group.messages]
    assert ("archivist", "MemGPT heard: Team, remember that the launch is on Friday.") in spoken
    sent = [json.loads(m["content"]) for m in fake_llm.chat_requests()[0]["messages"] if m["role"] == "user"]
    assert sent[-1]["message"] == "Team, remember that the launch is on Friday."
    with open_storage(MemGPTConfig()) as storage:
        assert storage.recall.search_text("archivist", "launch Friday", 5, 0)[1] >= 1
