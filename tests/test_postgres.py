"""What only the Postgres backend has: nested transactions as savepoints, errors that name the server,
per-owner HNSW indexes, text Postgres refuses (NUL), configure flags that keep the password apart."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from memgpt.errors import StorageError
from memgpt.schemas import CoreMemoryBlock, Message
from memgpt.storage import open_storage
from tests.conftest import run_memgpt
from tests.test_storage import make_state, user


@pytest.fixture
def pg_uri(postgres_server, monkeypatch):
    with postgres_server.database() as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        yield uri


@pytest.fixture
def pg(pg_uri):
    with open_storage() as storage:
        yield storage


class UnitEmbedder:
    model_id, dim = "unit-test", 16

    def embed(self, texts):
        rng = np.random.default_rng(abs(hash(tuple(texts))) % 2**32)
        x = rng.standard_normal((len(texts), self.dim)).astype("float32")
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_nested_transactions_join_the_step_and_fail_alone(pg) -> None:
    pg.agents.create(make_state(), [])
    with pg.transaction():
        pg.recall.append("a1", [user("kept one")])
        with pytest.raises(RuntimeError), pg.transaction():
            pg.recall.append("a1", [user("rolled back")])
            raise RuntimeError("a function failed")
        pg.recall.append("a1", [user("kept two")])  # the step goes on after a failed nested part
    assert [json.loads(m.content)["message"] for m in pg.recall.last("a1", 5)] == ["kept one", "kept two"]
    with pytest.raises(KeyboardInterrupt), pg.transaction():
        pg.recall.append("a1", [user("interrupted")])
        raise KeyboardInterrupt
    assert pg.recall.count("a1") == 2


def test_threads_have_transactions_of_their_own(pg) -> None:
    errors = []

    def work(name: str) -> None:
        try:
            for i in range(20):
                with pg.transaction():
                    pg.recall.append(name, [user(f"{name} {i}")])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and [pg.recall.count(f"t{n}") for n in range(4)] == [20] * 4


def test_text_postgres_cannot_hold_is_replaced_not_fatal(pg) -> None:
    state = make_state()
    state.core_memory["human"] = CoreMemoryBlock(label="human", value="nul\x00here")
    pg.agents.create(state, [Message(role="user", content="a\x00b")])
    assert pg.agents.load("a1").core_memory["human"].value == "nul\ufffdhere"
    assert pg.recall.last("a1", 1)[0].content == "a\ufffdb"
    assert pg.archival("a1", UnitEmbedder()).insert(["zero\x00byte"]) != []


def test_times_keep_the_writers_offset(pg) -> None:
    from datetime import datetime, timedelta, timezone

    when = datetime(2024, 5, 1, 23, 30, tzinfo=timezone(timedelta(hours=-7)))
    pg.recall.append("a1", [Message(role="user", content=json.dumps({"type": "user_message", "message": "late"}),
                                    created_at=when)])  # fmt: skip
    stored = pg.recall.last("a1", 1)[0]
    assert stored.created_at == when and stored.created_at.utcoffset() == timedelta(hours=-7)
    from datetime import date

    assert pg.recall.search_date("a1", date(2024, 5, 1), date(2024, 5, 1), 5, 0)[1] == 1  # the local date


def test_large_owner_gets_its_own_hnsw_index(pg, monkeypatch) -> None:
    from memgpt.storage.postgres import archival

    monkeypatch.setattr(archival, "HNSW_MIN_VECTORS", 4000)
    embedder = UnitEmbedder()
    pg.agents.create(make_state("big"), [])
    store = pg.archival("big", embedder)
    texts = [f"passage {i}" for i in range(5000)]  # where the planner prefers the index to a sort (16 dims)
    vectors = embedder.embed(texts)
    store.insert(texts, vectors=vectors)
    pg.archival("small", embedder).insert(["alone"])
    exact = [p.text for p in store.search("passage 7", 10)]
    pg.flush()
    assert pg.db.value("SELECT hnsw FROM vector_spaces WHERE owner='agent:big'") is True
    assert pg.db.value("SELECT hnsw FROM vector_spaces WHERE owner='agent:small'") is False
    plan = "\n".join(r[0] for r in pg.db.query(
        "EXPLAIN SELECT id FROM passages WHERE owner = 'agent:big' "
        "ORDER BY embedding::vector(16) <=> (SELECT embedding FROM passages LIMIT 1)::vector(16) LIMIT 5"
    ))  # fmt: skip
    assert "passages_hnsw_" in plan
    approx = [p.text for p in store.search("passage 7", 10)]
    assert len(set(approx) & set(exact)) >= 7  # HNSW's recall@10 at ef_search 100 (~0.99 here)
    store.insert(["a late passage"])  # pgvector keeps the index up to date on insert
    assert store.count() == 5001 and store.search("a late passage", 1)[0].text == "a late passage"
    assert len(store.search("x", 150)) == 150  # more than ef_search: raised for that query
    assert pg.archival("small", embedder).search("alone", 3)[0].text == "alone"  # other owners unaffected
    pg.agents.delete("big")
    assert not pg.db.query("SELECT 1 FROM pg_indexes WHERE indexname LIKE 'passages_hnsw_%%'")


def test_server_down_is_named(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MEMGPT_PG_URI", f"postgresql://nobody@/memgpt?host={tmp_path}&port=1")
    with pytest.raises(StorageError, match=f"Cannot connect to the PostgreSQL server at {tmp_path}"):
        open_storage()
    result = run_memgpt("list", "agents")
    assert result.returncode == 1 and "Cannot connect to the PostgreSQL server" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_extension_is_named(postgres_server, monkeypatch) -> None:
    from memgpt.storage.postgres import db

    monkeypatch.setattr(db, "EXTENSION", "vector_not_installed")
    with postgres_server.database(template="template0") as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        with pytest.raises(StorageError, match="does not have the 'vector_not_installed' extension"):
            open_storage()


def test_fresh_database_is_migrated_and_a_newer_schema_refused(postgres_server, monkeypatch) -> None:
    with postgres_server.database(template="template0") as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        with open_storage() as storage:  # creates pgvector, the schema and the tables
            assert storage.db.value("SELECT version FROM schema_version") >= 1
            storage.db.query("UPDATE schema_version SET version = 999 RETURNING version")
        with pytest.raises(StorageError, match="newer memgpt"):
            open_storage()


def test_configure_keeps_the_password_out_of_config(postgres_server, monkeypatch, memgpt_home) -> None:
    from memgpt import paths

    monkeypatch.delenv("MEMGPT_PG_URI", raising=False)
    with postgres_server.database() as uri:
        from urllib.parse import urlsplit

        parts = urlsplit(uri)  # the local server trusts its socket: any password is accepted
        with_password = f"postgresql://postgres:s3cret-pw@{parts.path}?{parts.query}"
        result = run_memgpt("configure", "--yes", "--storage", "postgres", "--postgres-uri", with_password)
        assert result.returncode == 0, result.stderr
        assert "s3cret-pw" not in result.stdout + result.stderr
        assert "s3cret-pw" not in paths.config_file().read_text()
        config = json.loads(paths.config_file().read_text())
        assert config["storage"]["recall_storage_type"] == "postgres"
        assert json.loads(paths.credentials_file().read_text())["postgres_password"] == "s3cret-pw"
        assert paths.credentials_file().stat().st_mode & 0o777 == 0o600
        result = run_memgpt("list", "agents")
        assert result.returncode == 0, result.stderr
        result = run_memgpt("configure", "--yes", "--storage", "sqlite")
        assert result.returncode == 0 and json.loads(paths.config_file().read_text())["storage"][
            "recall_storage_type"] == "sqlite"  # fmt: skip


def test_uri_helpers() -> None:
    from memgpt.storage.postgres import uri as uris

    bare, password = uris.split_password("postgresql://ana:p%40ss@db.example:5432/memgpt")
    assert (bare, password) == ("postgresql://ana@db.example:5432/memgpt", "p@ss")
    assert uris.with_password(bare, password) == "postgresql://ana:p%40ss@db.example:5432/memgpt"
    assert uris.redact("postgresql://ana:p%40ss@db.example/memgpt") == "postgresql://ana:***@db.example/memgpt"
    assert uris.describe("postgresql://ana:x@db.example:5433/memgpt") == "db.example:5433/memgpt"
    with pytest.raises(Exception, match="not a PostgreSQL URI"):
        uris.check_uri("mysql://x")
