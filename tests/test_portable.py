"""Export / import: a round trip keeps everything an agent is; a damaged file imports nothing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from memgpt.agent import Agent
from memgpt.config import Credentials, EmbeddingConfig
from memgpt.embeddings import create_embedder
from memgpt.interface import RecordingInterface
from memgpt.portable import PortableFormatError, export_agent, import_file
from tests.conftest import run_memgpt
from tests.fake_llm import echo_user, send_message, tool_calls

FACTS = [
    "The user's cat is called Miso.",
    "The user works night shifts at a bakery.",
    "Blue is their favourite colour.",
]


def _converse(agent: Agent, fake_llm) -> None:
    """A little history: archival inserts, a core memory edit, a few turns."""
    fake_llm.script(
        tool_calls(
            [("archival_memory_insert", {"content": fact, "request_heartbeat": False}) for fact in FACTS]
            + [("core_memory_append", {"name": "human", "content": "Has a cat, Miso.", "request_heartbeat": True})],
            content="Worth remembering.",
        ),
        send_message("Noted all of that!"),
    )
    agent.user_message("my cat is Miso, I bake at night, and I love blue", verify=False)
    fake_llm.script(send_message("Miso sounds lovely."))
    agent.user_message("tell me about my cat")


def _snapshot(storage, name: str, embedder) -> dict:
    archival = storage.archival(name, embedder)
    return {
        "recall": storage.recall.count(name),
        "by_role": storage.recall.count_by_role(name),
        "text_search": [m.content for m in storage.recall.search_text(name, "cat", 50, 0)[0]],
        "archival": [p.text for p in archival.search("what is the cat called", 3)],
        "archival_night": [p.text for p in archival.search("night work", 3)],
        "archival_count": archival.count(),
    }


def test_round_trip_keeps_memory_history_and_archival(make_agent, fake_llm, tmp_path) -> None:
    agent = make_agent(name="orig")
    _converse(agent, fake_llm)
    storage = agent.storage
    embedder = create_embedder(EmbeddingConfig(), Credentials())
    before = _snapshot(storage, "orig", embedder)
    queue_before = [(m.role, m.content) for m in agent.in_context_messages()[1:]]
    core_before = {k: b.model_dump() for k, b in agent.core.blocks.items()}
    path = tmp_path / "orig.memgpt.jsonl"
    summary = export_agent(storage, "orig", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert summary.counts["message"] == before["recall"] and summary.counts["passage"] == len(FACTS)

    imported = import_file(storage, path)  # "orig" exists here: imported under a free name
    assert imported.agent == "orig-2"
    assert any("imported as 'orig-2'" in note for note in imported.notes)
    assert _snapshot(storage, "orig-2", embedder) == before

    agent.close()
    copy = Agent.load("orig-2", config=agent.config, storage=storage, interface=RecordingInterface())
    try:
        assert {k: b.model_dump() for k, b in copy.core.blocks.items()} == core_before
        assert copy.state.system_prompt == agent.state.system_prompt
        assert copy.state.functions == agent.state.functions
        # the queue as it was (the resume adds its own login event at the end)
        assert [(m.role, m.content) for m in copy.in_context_messages()[1:]][: len(queue_before)] == queue_before
        fake_llm.default = echo_user()
        result = copy.user_message("do you still remember me?")
        assert result.messages == ["You said: do you still remember me?"]
        sent = json.dumps(fake_llm.chat_requests()[-1]["messages"])
        assert "Miso sounds lovely." in sent and "Has a cat, Miso." in sent  # the conversation goes on
    finally:
        copy.close()


def test_summary_and_queue_ids_are_mapped(make_agent, fake_llm, tmp_path) -> None:
    agent = make_agent(name="summ")
    fake_llm.default = echo_user()
    for i in range(6):
        agent.user_message(f"message number {i}")
    assert agent.summarize() > 0
    summary_text = agent.storage.recall.get("summ", [agent.state.summary_id])[0].content
    path = tmp_path / "summ.jsonl"
    export_agent(agent.storage, "summ", path)
    result = import_file(agent.storage, path, name="summ_copy")
    state = agent.storage.agents.load("summ_copy")
    assert result.agent == "summ_copy" and state.summary_id in state.in_context_ids
    assert agent.storage.recall.get("summ_copy", [state.summary_id])[0].content == summary_text
    assert len(state.in_context_ids) == len(agent.state.in_context_ids)


def _export(make_agent, fake_llm, tmp_path) -> tuple[object, Path]:
    agent = make_agent(name="src")
    _converse(agent, fake_llm)
    path = tmp_path / "src.jsonl"
    export_agent(agent.storage, "src", path)
    return agent.storage, path


def _refused(storage, tmp_path: Path, data: bytes, match: str) -> None:
    """Importing `data` fails with `match` in the message and leaves no trace of the agent."""
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(data)
    with pytest.raises(PortableFormatError, match=match):
        import_file(storage, path, name="victim")
    assert not storage.agents.exists("victim")
    assert storage.recall.count("victim") == 0
    assert storage.archival("victim", None).count() == 0


def test_truncated_export_is_refused_and_imports_nothing(make_agent, fake_llm, tmp_path) -> None:
    storage, path = _export(make_agent, fake_llm, tmp_path)
    data = path.read_bytes()
    _refused(storage, tmp_path, data[: len(data) // 2], "truncated")
    _refused(storage, tmp_path, b"".join(data.splitlines(keepends=True)[:-1]), "no footer")


def test_corrupted_export_is_refused_and_imports_nothing(make_agent, fake_llm, tmp_path) -> None:
    storage, path = _export(make_agent, fake_llm, tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    _refused(storage, tmp_path, b"".join(line.replace(b"Miso", b"Mosi") for line in lines), "checksum")
    _refused(storage, tmp_path, b"".join(lines[:3] + lines[4:]), "records")  # one record lost
    _refused(storage, tmp_path, b"".join(lines[:2] + [b"{not json\n"] + lines[2:]), "line 3 is not valid JSON")


def test_newer_format_is_refused(make_agent, fake_llm, tmp_path) -> None:
    storage, path = _export(make_agent, fake_llm, tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["version"] = 99
    _refused(storage, tmp_path, json.dumps(header).encode() + b"\n" + b"".join(lines[1:]), "newer memgpt")


def test_export_carries_no_credentials(make_agent, fake_llm, tmp_path) -> None:
    agent = make_agent(name="keys")
    agent.state.llm["model_endpoint"] = "http://user:sk-secret@127.0.0.1:9/v1"
    agent.save()
    path = tmp_path / "keys.jsonl"
    export_agent(agent.storage, "keys", path)
    text = path.read_text()
    assert "sk-secret" not in text and "sk-test" not in text
    assert '"model_endpoint":"http://127.0.0.1:9/v1"' in text


def test_cli_export_and_import(configured, fake_llm, tmp_path) -> None:
    fake_llm.default = echo_user()
    assert run_memgpt("run", "--agent", "cli_agent", "--first", "-m", "remember the number 4242").returncode == 0
    out = tmp_path / "cli.jsonl"
    exported = run_memgpt("export", "--agent", "cli_agent", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "Exported 'cli_agent'" in exported.stdout and out.exists()
    again = run_memgpt("export", "--agent", "cli_agent", "-o", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    imported = run_memgpt("import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 'cli_agent-2'" in imported.stdout
    resumed = run_memgpt("run", "--agent", "cli_agent-2", "-m", "/dump")
    assert "remember the number 4242" in resumed.stdout
    named = run_memgpt("import", str(out), "--name", "cli_agent")
    assert named.returncode == 1 and "already exists" in named.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(out.read_bytes()[:-20])
    refused = run_memgpt("import", str(broken), "--name", "fresh")
    assert refused.returncode == 1 and "truncated" in refused.stderr
    assert "fresh" not in run_memgpt("list", "agents").stdout


FIXTURES = Path(__file__).parent / "fixtures"


def test_letta_agent_file_imports_what_maps(make_agent, fake_llm) -> None:
    storage = make_agent(name="host").storage
    result = import_file(storage, FIXTURES / "letta_agent.af")
    assert (result.agent, result.source_format) == ("garden_helper", "letta")
    state = storage.agents.load("garden_helper")
    assert state.system_prompt == "You are Letta, a helpful gardening assistant."
    assert state.core_memory["human"].value == "Name: Robin. Has a small garden."
    garden = state.core_memory["garden"]
    assert (garden.value, garden.limit, garden.read_only, garden.description) == (
        "Beds: tulips, roses.",
        1000,
        True,
        "What grows where",
    )
    assert state.functions == ["send_message", "core_memory_append", "core_memory_replace", "conversation_search"]
    assert storage.recall.count("garden_helper") == 4  # Letta's stored system message is not kept
    queue = storage.recall.get("garden_helper", state.in_context_ids)
    assert [m.role for m in queue] == ["user", "assistant", "tool"]
    assert json.loads(queue[0].content)["message"] == "When should I plant tulips?"
    assert queue[1].tool_calls[0].name == "send_message" and queue[2].tool_call_id == queue[1].tool_calls[0].id
    notes = " ".join(result.notes)
    assert "check_weather" in notes and "mcp servers" in notes and "tool_rules" in notes
    hits, total = storage.recall.search_text("garden_helper", "tulips", 5, 0)
    assert total >= 2


def test_legacy_letta_agent_file(make_agent, tmp_path) -> None:
    storage = make_agent(name="host").storage
    legacy = {
        "name": "old_letta",
        "version": "0.6.47",
        "system": "You are an older Letta agent.",
        "core_memory": [{"label": "persona", "value": "I am old.", "limit": 2000}],
        "messages": [
            {"role": "system", "text": "sys"},
            {"role": "user", "text": '{"type": "user_message", "message": "hello", "time": "2025-01-01"}'},
        ],
        "in_context_message_indices": [0, 1],
        "tools": [{"name": "archival_memory_search"}],
    }
    path = tmp_path / "old.af"
    path.write_text(json.dumps(legacy))
    result = import_file(storage, path)
    state = storage.agents.load(result.agent)
    assert state.core_memory["persona"].value == "I am old." and state.core_memory["human"].value == ""
    assert "archival_memory_search" in state.functions
    (message,) = storage.recall.get(result.agent, state.in_context_ids)
    assert json.loads(message.content)["message"] == "hello"


def test_shared_block_travels_with_its_name(make_agent, fake_llm, tmp_path) -> None:
    from memgpt.storage.sqlite import block_store
    from memgpt.texts import PresetBlock

    agent = make_agent(name="sharer")
    storage = agent.storage
    agent.close()
    other = Agent.create(
        name="sharer2",
        config=agent.config,
        storage=storage,
        interface=RecordingInterface(),
        blocks=[PresetBlock(label="team", value="shared notes", shared="crew")],
    )
    other.close()
    path = tmp_path / "sharer2.jsonl"
    export_agent(storage, "sharer2", path)
    block_store(storage).set_value("crew", "changed here since")
    result = import_file(storage, path, name="sharer3")
    assert storage.agents.load("sharer3").core_memory["team"].shared == "crew"
    assert any("already here" in note for note in result.notes)
