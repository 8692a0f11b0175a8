"""Storage failures are told truthfully, lose nothing, and never end a session with a traceback."""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path

import pytest

from memgpt.agent import Agent
from memgpt.agent.agent import bound_reply
from memgpt.errors import NewerDataError, StorageError, StorageWriteError
from memgpt.interface import RecordingInterface
from memgpt.schemas import Message, ToolCall
from memgpt.storage import open_storage
from memgpt.storage.sqlite import _os_error_text, describe_sqlite_error
from tests.fake_llm import send_message


class _FailingCommits:
    """A sqlite3 connection whose COMMITs fail, after the first `ok` of them, as a full disk makes them fail."""

    def __init__(self, conn: sqlite3.Connection, ok: int) -> None:
        self._conn = conn
        self.ok = ok
        self.fail = True

    def execute(self, sql: str, *args):
        if self.fail and sql.strip().upper() == "COMMIT":
            if self.ok <= 0:
                raise sqlite3.OperationalError("database or disk is full")
            self.ok -= 1
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_disk_full_at_commit_is_one_clear_error_and_the_session_goes_on(make_agent, fake_llm, monkeypatch) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    before = agent.storage.recall.count(agent.name)
    failing = _FailingCommits(agent.storage.db.conn, ok=1)  # the user's message is saved, the step is not
    monkeypatch.setattr(agent.storage.db, "conn", failing)
    monkeypatch.setattr("memgpt.storage.sqlite._disk_full", lambda path: True)
    fake_llm.script(send_message("This will not be saved."))
    with pytest.raises(StorageWriteError, match=r"is full\. Nothing was lost"):
        agent.user_message("hello", verify=False)
    failing.fail = False
    assert agent.storage.recall.count(agent.name) == before + 1  # the step rolled back whole
    assert agent.in_context_messages()[-1].role == "user"  # and the agent's view agrees
    fake_llm.script(send_message("Now it works."))
    assert agent.user_message("hello again", verify=False).messages == ["Now it works."]
    agent.close()  # no second traceback from closing


def test_each_cause_gets_its_own_message() -> None:
    path = Path("/data/memgpt.db")
    full = describe_sqlite_error(path, sqlite3.OperationalError("database or disk is full"))
    assert isinstance(full, StorageWriteError) and "full" in str(full) and "corrupt" not in str(full)
    readonly = describe_sqlite_error(path, sqlite3.OperationalError("attempt to write a readonly database"))
    assert isinstance(readonly, StorageWriteError) and "read-only" in str(readonly) and "intact" in str(readonly)
    busy = describe_sqlite_error(path, sqlite3.OperationalError("database is locked"))
    assert isinstance(busy, StorageWriteError) and "busy" in str(busy)
    damaged = describe_sqlite_error(path, sqlite3.DatabaseError("file is not a database"), opening=True)
    assert "corrupt" in str(damaged) and "backup" in str(damaged)
    assert "is full" in _os_error_text(path, OSError(errno.ENOSPC, "No space left on device"))
    assert "cannot write" in _os_error_text(path, OSError(errno.EROFS, "Read-only file system"))


def test_a_zero_byte_database_where_memgpt_ran_before_is_refused(fake_llm) -> None:
    from memgpt.config import LLMConfig, MemGPTConfig

    config = MemGPTConfig(llm=LLMConfig(model_endpoint_type="openai-compatible", model_endpoint=fake_llm.url))
    storage = open_storage(config)
    Agent.create(name="ana", config=config, storage=storage, interface=RecordingInterface()).close()
    path = storage.db.path
    storage.close()
    path.write_bytes(b"")
    Path(str(path) + "-wal").unlink(missing_ok=True)
    with pytest.raises(StorageError, match=r"empty \(0 bytes\).*will not start afresh"):
        open_storage(config)
    assert path.stat().st_size == 0  # untouched


def test_a_first_run_is_not_mistaken_for_a_lost_database() -> None:
    storage = open_storage()  # nothing here yet: a fresh database, no complaint
    assert storage.agents.names() == []
    storage.close()


def test_state_from_a_newer_release_is_refused_and_left_untouched(make_agent) -> None:
    agent = make_agent()
    config, storage = agent.config, agent.storage
    agent.close()
    raw = json.loads(storage.db.query("SELECT state FROM agents WHERE name='tester'")[0][0])
    raw["state_version"] = 99
    raw["a_field_from_the_future"] = {"keep": True}
    with storage.db.transaction() as conn:
        conn.execute("UPDATE agents SET state=? WHERE name='tester'", (json.dumps(raw),))
    with pytest.raises(NewerDataError, match="newer memgpt"):
        Agent.load("tester", config=config, storage=storage, interface=RecordingInterface())
    kept = json.loads(storage.db.query("SELECT state FROM agents WHERE name='tester'")[0][0])
    assert kept["a_field_from_the_future"] == {"keep": True}


def test_a_lone_surrogate_reaches_storage_as_a_replacement_character(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(send_message("Hi"))
    agent.greet(verify=False)
    agent.core.append("human", "likes \ud83d tea")  # half an emoji, as undecodable input arrives
    fake_llm.script(send_message("Noted \ud83d."))
    assert agent.user_message("broken \udcff bytes", verify=False).messages
    agent.save()
    assert "\ufffd" in agent.storage.agents.load(agent.name).core_memory["human"].value


def test_arguments_over_the_cap_are_shortened_before_they_are_stored() -> None:
    huge = json.dumps({"query": "x" * 30_000})
    reply = bound_reply(Message(role="assistant", tool_calls=[ToolCall(name="conversation_search", arguments=huge)]))
    stored = json.loads(reply.tool_calls[0].arguments)
    assert stored["_too_long"] == f"{len(huge)} characters" and len(reply.tool_calls[0].arguments) < 400
