"""Recall, archival and agent storage against real SQLite and FAISS files, and a real PostgreSQL + pgvector
(the `backend` fixture runs each storage test on both; tests of files stay SQLite-only)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta

import pytest

from memgpt import paths
from memgpt.config import EmbeddingConfig
from memgpt.embeddings import chunk_text, create_embedder
from memgpt.errors import AgentLockedError, EmbeddingMismatchError, StorageError
from memgpt.schemas import AgentState, CoreMemoryBlock, Message, ToolCall, now
from memgpt.storage import open_storage
from memgpt.storage.vector_index import index_path
from tests.conftest import REPO_ROOT


def make_state(name: str = "a1") -> AgentState:
    return AgentState(
        name=name,
        preset="memgpt_chat",
        persona_name="sam_pov",
        human_name="basic",
        system_prompt="sys",
        functions=["send_message"],
        core_memory={
            "persona": CoreMemoryBlock(label="persona", value="I am Sam."),
            "human": CoreMemoryBlock(label="human", value="Name: Chad"),
        },
    )


def user(text: str) -> Message:
    return Message(role="user", content=json.dumps({"type": "user_message", "message": text, "time": "now"}))


def said(thought: str, message: str) -> Message:
    return Message(
        role="assistant",
        content=thought,
        tool_calls=[ToolCall(name="send_message", arguments=json.dumps({"message": message}))],
    )


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, monkeypatch):
    """"sqlite", or "postgres" with MEMGPT_PG_URI pointing at a fresh database of the session's server,
    so every `open_storage()` of the test (and of the processes it starts) uses it."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    with request.getfixturevalue("postgres_server").database() as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        yield "postgres"


@pytest.fixture
def storage(backend):
    s = open_storage()
    yield s
    s.close()


def test_agent_create_load_and_recall_search(storage) -> None:
    state = storage.agents.create(make_state(), [Message(role="system", content="sys")])
    assert len(state.in_context_ids) == 1
    storage.recall.append(
        "a1",
        [
            user("I adopted a parrot named Kiwi"),
            said("nice pet", "Kiwi is a lovely name!"),
            Message(role="user", content=json.dumps({"type": "heartbeat", "reason": "x"})),
        ],
    )
    loaded = storage.agents.load("a1")
    assert loaded.core_memory["human"].value == "Name: Chad"
    hits, total = storage.recall.search_text("a1", "kiwi", 5, 0)
    assert total == 2  # the user's words and what the agent sent; heartbeats are not searchable
    hits, total = storage.recall.search_text("a1", "heartbeat", 5, 0)
    assert total == 0
    hits, total = storage.recall.search_text("a1", 'parrot" OR (', 5, 0)  # FTS syntax in the query is harmless
    assert total == 1
    today = now().date()
    _, total = storage.recall.search_date("a1", today - timedelta(days=1), today, 5, 0)
    assert total == 2
    _, total = storage.recall.search_date("a1", date(2000, 1, 1), date(2000, 1, 2), 5, 0)
    assert total == 0
    assert storage.recall.count("a1") == 4
    assert storage.recall.count_by_role("a1")["user"] == 2


def test_create_is_atomic(storage) -> None:
    bad = Message(role="system", content="x")
    object.__setattr__(bad, "created_at", "not a date")  # fails inside the transaction
    with pytest.raises(AttributeError):
        storage.agents.create(make_state("half"), [Message(role="system", content="ok"), bad])
    assert not storage.agents.exists("half")
    assert storage.recall.count("half") == 0


def _three_facts(storage, embedder) -> None:
    arch = storage.archival("a1", embedder)
    ids = arch.insert(
        ["The capital of France is Paris.", "Bananas are yellow fruit.", "Python is a programming language."]
    )
    assert len(ids) == 3
    assert arch.insert(["Bananas are yellow fruit."]) == []  # same text twice is stored once
    assert arch.search("which city is France's capital", 1)[0].text.startswith("The capital")
    assert [p.text for p in arch.list(2, 1)] == ["Bananas are yellow fruit.", "Python is a programming language."]


def test_archival_insert_dedupe_search_and_list(storage) -> None:
    embedder = create_embedder(EmbeddingConfig())
    _three_facts(storage, embedder)
    storage.close()
    with open_storage() as fresh:
        assert fresh.archival("a1", embedder).search("yellow fruit", 1)[0].text.startswith("Bananas")
        assert fresh.archival("a1", None).count() == 3


def test_archival_index_file_is_rebuilt() -> None:
    embedder = create_embedder(EmbeddingConfig())
    storage = open_storage()
    _three_facts(storage, embedder)
    storage.close()
    assert index_path("agent:a1").exists()
    index_path("agent:a1").unlink()
    fresh = open_storage()
    try:
        assert fresh.archival("a1", embedder).search("yellow fruit", 1)[0].text.startswith("Bananas")
    finally:
        fresh.close()
    index_path("agent:a1").write_bytes(b"garbage")
    again = open_storage()
    try:
        assert again.archival("a1", embedder).count() == 3
        assert again.archival("a1", embedder).search("programming", 1)[0].text.startswith("Python")
    finally:
        again.close()


def test_embedding_mismatch_is_refused(storage) -> None:
    storage.archival("a1", create_embedder(EmbeddingConfig())).insert(["hello"])

    class Other:
        model_id, dim = "other-model", 256

        def embed(self, texts):
            raise AssertionError("must not embed")

    with open_storage() as other, pytest.raises(EmbeddingMismatchError, match="other-model"):
        other.archival("a1", Other()).insert(["x"])


def test_corrupt_database_gives_clear_error() -> None:
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    paths.database_file().write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="memgpt.db"):
        open_storage()


def test_chunking_respects_the_limit() -> None:
    from memgpt.tokens import count_tokens

    text = " ".join(f"Sentence number {i} says something about topic {i % 7}." for i in range(300))
    chunks = chunk_text(text, max_tokens=60, overlap=10)
    assert len(chunks) > 5
    assert all(count_tokens(c) <= 60 for c in chunks)
    assert "Sentence number 299" in chunks[-1]


def test_second_process_cannot_take_the_agent_lock(storage) -> None:
    code = textwrap.dedent("""
        import sys, time
        from memgpt.storage import open_storage
        with open_storage().lock_agent("busy"):
            print("locked", flush=True)
            time.sleep(60)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(AgentLockedError, match=f"pid {child.pid}"), storage.lock_agent("busy"):
            pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # released when the holder died: by the OS (file lock) or by the server ending its session, which
    # happens a moment after the socket closes, so wait for it (bounded) rather than race it
    deadline = time.monotonic() + 20
    while True:
        try:
            with storage.lock_agent("busy"):
                break
        except AgentLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_reembed_moves_an_agent_to_another_model(storage) -> None:
    import numpy as np

    storage.archival("a1", create_embedder(EmbeddingConfig())).insert(["alpha fact", "beta fact"])

    class Other:
        model_id, dim = "other-model", 8

        def embed(self, texts):
            return np.eye(8, dtype="float32")[[len(t) % 8 for t in texts]]

    with pytest.raises(EmbeddingMismatchError):
        storage.archival("a1", Other()).search("alpha", 1)
    assert storage.archival("a1", None).reembed(Other()) == 2
    fresh = open_storage()
    try:
        assert fresh.archival("a1", Other()).search("alpha fact", 1)[0].text == "alpha fact"
    finally:
        fresh.close()


def test_configured_storage_paths_are_used(tmp_path) -> None:  # SQLite only: files
    from memgpt.config import MemGPTConfig, StorageConfig

    config = MemGPTConfig(
        storage=StorageConfig(recall_storage_path=str(tmp_path / "db"), archival_storage_path=str(tmp_path / "idx"))
    )
    with open_storage(config) as storage:
        storage.archival("a9", create_embedder(EmbeddingConfig())).insert(["a fact worth keeping"])
    assert (tmp_path / "db" / "memgpt.db").exists()
    assert (tmp_path / "idx" / "agent-a9.faiss").exists()
