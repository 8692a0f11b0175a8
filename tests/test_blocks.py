"""Memory blocks beyond persona and human: preset blocks, --block, read-only and shared blocks."""

from __future__ import annotations

import json

from memgpt import paths
from memgpt.agent import Agent
from memgpt.functions.registry import builtin_functions
from memgpt.interface import RecordingInterface
from memgpt.schemas import AgentState
from tests.conftest import run_memgpt
from tests.fake_llm import echo_user, send_message, tool_calls

PRESET = """
system_prompt: memgpt_chat
functions: [send_message, pause_heartbeats, core_memory_append, core_memory_replace, conversation_search,
  conversation_search_date, archival_memory_insert, archival_memory_search]
blocks:
  - label: project
    value: "Project: a garden shed."
    limit: 500
    description: the project you help the user with
  - label: rules
    value: "Never share the user's address."
    read_only: true
"""

SHARED = """
system_prompt: memgpt_chat
functions: [send_message, core_memory_append, core_memory_replace]
blocks:
  - label: team
    value: "Team notes:"
    shared: garden_team
"""


def _preset(name: str, text: str) -> None:
    directory = paths.user_texts_dir("presets")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.yaml").write_text(text)


def _edit(fake_llm, function: str, **args) -> None:
    """The model edits a block, then tells the user."""
    fake_llm.script(
        tool_calls([(function, {**args, "request_heartbeat": True})], content="Noting that."),
        send_message("Done."),
    )


def _schema(agent: Agent, name: str) -> dict:
    return next(s for s in agent.schemas if s["name"] == name)


def test_preset_block_is_edited_by_the_model_and_survives_resume(make_agent, configured, fake_llm) -> None:
    _preset("with_project", PRESET)
    agent = make_agent(name="builder", preset="with_project")
    assert list(agent.core.blocks) == ["persona", "human", "project", "rules"]
    labels = _schema(agent, "core_memory_append")["parameters"]["properties"]["name"]
    assert labels["enum"] == ["persona", "human", "project"]  # the read-only block is not offered
    assert '"project" (the project you help the user with)' in labels["description"]
    system = agent.prompt_messages()[0].content
    assert '<project characters="23/500">' in system and '<rules characters="31/2000" read_only="true">' in system

    _edit(fake_llm, "core_memory_append", name="project", content="Deadline: Friday.")
    agent.user_message("the shed must be done by Friday", verify=False)
    assert agent.core.blocks["project"].value == "Project: a garden shed.\nDeadline: Friday."
    config, storage = agent.config, agent.storage
    agent.close()

    resumed = Agent.load("builder", config=config, storage=storage, interface=RecordingInterface())
    try:
        assert resumed.core.blocks["project"].value.endswith("Deadline: Friday.")
        assert "Deadline: Friday." in resumed.prompt_messages()[0].content
    finally:
        resumed.close()
    shown = run_memgpt("run", "--agent", "builder", "-m", "/memory")
    assert "=== project (41/500 chars) ===" in shown.stdout
    assert "=== rules (31/2000 chars, read-only) ===" in shown.stdout


def test_read_only_block_refuses_edits_with_a_message(make_agent, fake_llm) -> None:
    _preset("with_project", PRESET)
    agent = make_agent(name="strict", preset="with_project")
    _edit(fake_llm, "core_memory_replace", name="rules", old_content="Never", new_content="Always")
    agent.user_message("change your rules", verify=False)
    results = [e for e in agent.interface.events if e.kind == "function_result"]
    assert results[0].data["status"] == "Failed" and "read-only" in results[0].text
    assert agent.core.blocks["rules"].value == "Never share the user's address."


def test_shared_block_edited_by_one_agent_is_seen_by_another(make_agent, fake_llm) -> None:
    _preset("team", SHARED)
    first = make_agent(name="first", preset="team")
    second = make_agent(name="second", preset="team")
    _edit(fake_llm, "core_memory_append", name="team", content="Buy cedar planks.")
    first.user_message("we need cedar", verify=False)
    assert second.memory_view()["blocks"]["team"]["value"] == "Team notes:\nBuy cedar planks."
    fake_llm.default = echo_user()
    second.user_message("what do we need?", verify=False)
    assert "Buy cedar planks." in fake_llm.chat_requests()[-1]["messages"][0]["content"]
    # and the other way round: an edit by the second builds on the first's text, not its stale copy
    _edit(fake_llm, "core_memory_append", name="team", content="Paint it green.")
    fake_llm.default = None
    second.user_message("paint it green", verify=False)
    assert first.memory_view()["blocks"]["team"]["value"] == "Team notes:\nBuy cedar planks.\nPaint it green."
    assert first.storage.agents.load("first").core_memory["team"].shared == "garden_team"


def test_agents_without_extra_blocks_send_the_schemas_they_always_sent(make_agent) -> None:
    agent = make_agent(name="plain")
    shipped = builtin_functions()["core_memory_append"].schema
    assert (
        _schema(agent, "core_memory_append")["parameters"]["properties"]["name"]
        == (shipped["parameters"]["properties"]["name"])
    )
    assert "read_only" not in agent.prompt_messages()[0].content


def test_a_state_saved_before_blocks_existed_loads_unchanged() -> None:
    old = {
        "name": "old",
        "preset": "memgpt_chat",
        "persona_name": "sam",
        "human_name": "basic",
        "system_prompt": "x",
        "functions": ["send_message"],
        "core_memory": {"persona": {"label": "persona", "value": "I am Sam.", "limit": 2000}},
    }
    state = AgentState.model_validate_json(json.dumps(old))
    block = state.core_memory["persona"]
    assert (block.read_only, block.shared, block.description) == (False, None, None)


def test_block_flag_adds_a_block_to_a_new_agent(configured, fake_llm) -> None:
    fake_llm.default = echo_user()
    created = run_memgpt(
        "run", "--agent", "flagged", "--first", "--block", "tasks=1. water the plants", "-m", "/memory"
    )
    assert created.returncode == 0, created.stderr
    assert "=== tasks (19/2000 chars) ===" in created.stdout and "1. water the plants" in created.stdout
    again = run_memgpt("run", "--agent", "flagged", "--block", "tasks=other", "-m", "/memory")
    assert "--block applies to new agents" in again.stderr and "1. water the plants" in again.stdout
    bad = run_memgpt("run", "--agent", "flagged2", "--first", "--block", "persona=x", "-m", "hi")
    assert bad.returncode == 1 and "--persona" in bad.stderr
