"""`memgpt migrate`: SQLite -> Postgres -> SQLite keeps every agent, message, passage (with its vector)
and data source, with equal counts and equal search results; the SQLite file is not touched."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from memgpt.config import MemGPTConfig
from memgpt.schemas import Message, ToolCall
from memgpt.storage import open_sqlite, open_storage
from tests.conftest import run_memgpt
from tests.test_storage import make_state

MESSAGES = 10_000
PASSAGES = 10_000
DIM = 32


class HashEmbedder:
    """A deterministic vector per text, so a query equal to a passage finds it on both backends."""

    model_id, dim = "hash-test", DIM

    def embed(self, texts):
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(DIM)
                for t in texts]  # fmt: skip
        x = np.asarray(rows, dtype="float32")
        return x / np.linalg.norm(x, axis=1, keepdims=True)


WORDS = ["parrot", "kiwi", "chess", "garden", "piano", "river", "coffee", "winter", "rocket", "lemon"]


def _message(i: int) -> Message:
    text = f"{WORDS[i % 10]} {WORDS[(i * 7) % 10]} number {i}"
    if i % 2:
        return Message(role="user", content=json.dumps({"type": "user_message", "message": text}))
    call = ToolCall(name="send_message", arguments=json.dumps({"message": f"reply about {text}"}))
    return Message(role="assistant", content=f"thinking of {WORDS[i % 10]}", tool_calls=[call])


def _fact(i: int) -> str:
    return f"fact {i}: {WORDS[i % 10]} and {WORDS[(i * 3) % 10]}"


def _fill_sqlite() -> None:
    embedder = HashEmbedder()
    with open_sqlite() as storage:
        state = storage.agents.create(make_state("big"), [Message(role="system", content="sys")])
        with storage.transaction():
            stored = storage.recall.append("big", [_message(i) for i in range(MESSAGES)])
            tail = [m.id for m in stored[-20:]]
            storage.agents.save(state.model_copy(update={"in_context_ids": tail, "summary_id": tail[0]}))
        texts = [_fact(i) for i in range(PASSAGES)]
        storage.archival("big", embedder).insert(texts, vectors=embedder.embed(texts))
        storage.sources.create("docs", embedder)
        storage.sources.add_document("docs", "a.txt", "d1", 12, ["doc passage one", "doc passage two"], [{}, {}],
                                     embedder)  # fmt: skip
        storage.agents.create(make_state("small"), [Message(role="system", content="hi")])
        storage.sources.attach("docs", storage.archival("small", embedder), "small")
        storage.flush()


ARCHIVAL_QUERIES = (_fact(17), _fact(4242))
TEXT_QUERIES = ("parrot kiwi", "number 4242", "rock", "zzz", "lemon")


def _page(found: tuple[list[Message], int]) -> tuple[int, list[str | None]]:
    return found[1], sorted(m.content or "" for m in found[0]) if found[1] <= 5 else []


def _snapshot(storage) -> dict:
    """What a user would compare: counts, search results (by content), the context, sources."""
    embedder = HashEmbedder()
    out: dict = {"agents": sorted(storage.agents.names())}
    for name in out["agents"]:
        state = storage.agents.load(name)
        context = storage.recall.get(name, state.in_context_ids)
        summary = storage.recall.get(name, [state.summary_id])[0].content if state.summary_id else None
        arch = storage.archival(name, embedder)
        out[name] = {
            "messages": storage.recall.count(name),
            "roles": storage.recall.count_by_role(name),
            "context": [(m.role, m.content) for m in context],
            "summary": summary,
            "passages": arch.count(),
            "archival": [[p.text for p in arch.search(q, 5)] for q in ARCHIVAL_QUERIES],
            "text": {q: _page(storage.recall.search_text(name, q, 5, 0)) for q in TEXT_QUERIES},
        }
    out["sources"] = [(s.name, s.passages, s.documents, s.agents) for s in storage.sources.list()]
    return out


def test_migrate_round_trip(postgres_server, tmp_path) -> None:
    _fill_sqlite()
    from memgpt import paths

    db_file = paths.database_file()
    before_hash = hashlib.sha256(db_file.read_bytes()).hexdigest()
    with open_sqlite() as storage:
        original = _snapshot(storage)
    assert original["big"]["messages"] == MESSAGES + 1 and original["big"]["passages"] == PASSAGES
    assert original["big"]["archival"][0][0] == _fact(17)

    with postgres_server.database() as uri:
        result = run_memgpt("migrate", "--to", "postgres", "--postgres-uri", uri, timeout=240)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Counts match" in result.stdout
        assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before_hash  # the SQLite file is untouched
        config = MemGPTConfig.load()
        assert config.storage.recall_storage_type == "postgres"  # switched
        with open_storage(config) as pg:
            assert _snapshot(pg) == original

        again = run_memgpt("migrate", "--to", "postgres", "--postgres-uri", uri, timeout=120)  # resumable: a no-op
        assert again.returncode == 0 and "2 agents were already there" in again.stdout, again.stdout + again.stderr

        back = tmp_path / "back"
        config.storage.recall_storage_path = str(back)
        config.storage.archival_storage_path = str(back)
        config.save()
        result = run_memgpt("migrate", "--to", "sqlite", timeout=240)
        assert result.returncode == 0, result.stdout + result.stderr
        config = MemGPTConfig.load()
        assert config.storage.recall_storage_type == "sqlite"
        with open_storage(config) as sqlite_again:
            assert _snapshot(sqlite_again) == original


def test_migrate_refuses_to_overwrite_another_history(postgres_server, monkeypatch) -> None:
    with open_sqlite() as storage:
        storage.agents.create(make_state("ana"), [Message(role="system", content="sys")])
    with postgres_server.database() as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        with open_storage() as pg:
            two = [Message(role="system", content="a"), Message(role="user", content="b")]
            pg.agents.create(make_state("ana"), two)
        result = run_memgpt("migrate", "--to", "postgres", "--keep-config")
        assert result.returncode == 1 and "--replace" in result.stderr and "Traceback" not in result.stderr
        result = run_memgpt("migrate", "--to", "postgres", "--replace", "--keep-config")
        assert result.returncode == 0, result.stderr
        with open_storage() as pg:
            assert pg.recall.count("ana") == 1


@pytest.fixture(autouse=True)
def _no_env_uri(monkeypatch):
    monkeypatch.delenv("MEMGPT_PG_URI", raising=False)
