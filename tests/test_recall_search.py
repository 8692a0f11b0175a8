"""conversation_search: answered from the full-text index per agent (SQLite and Postgres), and old
SQLite databases migrate."""

from __future__ import annotations

import json
import sqlite3

import pytest

from memgpt.schemas import Message
from memgpt.storage import open_storage
from memgpt.storage.migrations import MIGRATIONS, _statements


def _user(text: str) -> Message:
    return Message(role="user", content=json.dumps({"type": "user_message", "message": text, "time": "t"}))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, monkeypatch):
    if request.param == "postgres":
        with request.getfixturevalue("postgres_server").database() as uri:
            monkeypatch.setenv("MEMGPT_PG_URI", uri)
            yield request.param
    else:
        yield request.param


def test_search_is_per_agent_ranked_and_finds_word_prefixes(backend) -> None:
    storage = open_storage()
    with storage.transaction():
        storage.recall.append("ana", [_user("My nephew Otto plays chess."), _user("Dogs everywhere today.")])
        storage.recall.append("ana bob", [_user("Bob's nephew is called Max.")])  # names that share words
        storage.recall.append("bob", [_user("Another nephew story.")])
    found, total = storage.recall.search_text("ana", "nephew", 5, 0)
    assert total == 1 and "Otto" in (found[0].content or "")
    found, total = storage.recall.search_text("ana bob", "nephew", 5, 0)
    assert total == 1 and "Max" in (found[0].content or "")
    found, total = storage.recall.search_text("ana", "dog", 5, 0)  # a prefix: "dog" finds "Dogs"
    assert total == 1
    assert storage.recall.search_text("ana", "zeppelin", 5, 0) == ([], 0)
    storage.recall.delete("ana", [found[0].id])
    assert storage.recall.search_text("ana", "dog", 5, 0) == ([], 0)  # deletes leave the index
    storage.close()


def test_search_rules_and_paging(backend) -> None:
    """All words first, then prefixes, then any word; diacritics and case ignored; pages with true totals;
    ranked when matches are few (the message that says it most, briefly, first)."""
    storage = open_storage()
    with storage.transaction():
        storage.recall.append(
            "ana",
            [
                _user("Café au lait with Zoë"),
                _user("The red kite flew over the red barn, red everywhere."),
                _user("A kite festival is held in the long valley every spring, with many stalls and a red sun."),
                _user("kites and kiters"),
                *[_user(f"note {i} about tea") for i in range(12)],
                _user("🦜🦜"),
            ],
        )
    assert storage.recall.search_text("ana", "CAFE zoe", 5, 0)[1] == 1  # diacritics and case folded
    assert storage.recall.search_text("ana", "red kite", 5, 0)[1] == 2  # all words
    assert storage.recall.search_text("ana", "kite", 5, 0)[1] == 2  # exact words beat prefixes...
    assert storage.recall.search_text("ana", "kiter", 5, 0)[1] == 1  # ...which are tried next
    assert storage.recall.search_text("ana", "zeppelin tea", 5, 0)[1] == 12  # then any word
    first, total = storage.recall.search_text("ana", "red", 1, 0)
    assert total == 2 and "red barn" in (first[0].content or "")  # said three times, in fewer words
    pages = [storage.recall.search_text("ana", "tea", 5, offset) for offset in (0, 5, 10)]
    assert [len(p[0]) for p in pages] == [5, 5, 2] and {p[1] for p in pages} == {12}
    assert len({m.id for p in pages for m in p[0]}) == 12
    assert storage.recall.search_text("ana", "🦜", 5, 0)[1] == 1  # no words: a substring match
    storage.close()


def test_a_schema_1_database_migrates_its_search_index(memgpt_home) -> None:
    path = memgpt_home / "data" / "memgpt.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO messages (agent, role, content, created_at, local_date, search_text) VALUES (?,?,?,?,?,?)",
        ("ana", "user", "{}", "2024-01-01T10:00:00+00:00", "2024-01-01", "my parrot Kiwi"),
    )
    conn.commit()
    conn.close()
    from memgpt.config import MemGPTConfig

    config = MemGPTConfig()
    config.storage.recall_storage_path = str(path.parent)
    storage = open_storage(config)
    found, total = storage.recall.search_text("ana", "parrot", 5, 0)
    assert total == 1 and found[0].role == "user"
    storage.close()
