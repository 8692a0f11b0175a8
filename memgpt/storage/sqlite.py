"""The embedded default storage: one SQLite database (WAL) plus FAISS index files.

SQLite is the source of truth for everything, vectors included (float32 blobs); FAISS index files
are a cache that is caught up or rebuilt from SQLite when missing or behind. That is what lets a
`kill -9` at any moment leave a loadable agent: every write is a SQLite transaction, and the index
can always be recomputed without re-embedding.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from memgpt import paths
from memgpt.errors import NewerDataError, NotFoundError, StorageError, StorageWriteError
from memgpt.fileio import create_private
from memgpt.schemas import STATE_VERSION, AgentState, CoreMemoryBlock, Message, ToolCall
from memgpt.storage.base import AgentSummary
from memgpt.storage.migrations import migrate
from memgpt.storage.searchable import searchable_text


class Database:
    """A SQLite connection with nestable transactions, shared by the stores of one process."""

    def __init__(self, path: Path, index_dir: Path | None = None) -> None:
        self.path = path
        self.index_dir = index_dir  # None: paths.index_dir()
        try:
            paths.make_private_dir(path.parent)
            _refuse_empty_database(path, index_dir)
            # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
            create_private(path)
        except OSError as exc:
            raise StorageWriteError(_os_error_text(path, exc)) from None
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            with self.transaction():
                migrate(self.conn)
        except StorageError:
            raise
        except sqlite3.DatabaseError as exc:
            raise describe_sqlite_error(path, exc, opening=True) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Writes inside commit together; nested uses join the outermost transaction. A write SQLite
        refuses (disk full, read-only, locked) rolls back and is told truthfully: nothing is lost."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                except sqlite3.DatabaseError as exc:
                    raise describe_sqlite_error(self.path, exc) from None
            self._depth += 1
            try:
                yield self.conn
            except BaseException as exc:
                self._depth -= 1
                if outermost:
                    with contextlib.suppress(sqlite3.DatabaseError):
                        self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not _is_fts_syntax(exc):
                    raise describe_sqlite_error(self.path, exc) from None
                raise
            self._depth -= 1
            if outermost:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    with contextlib.suppress(sqlite3.DatabaseError):
                        self.conn.execute("ROLLBACK")
                    raise describe_sqlite_error(self.path, exc) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                if _is_fts_syntax(exc):
                    raise
                raise describe_sqlite_error(self.path, exc) from None

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.DatabaseError):
            self.conn.close()


def _is_fts_syntax(exc: sqlite3.DatabaseError) -> bool:
    """A query the full-text parser rejected: the caller falls back to a plain match."""
    return isinstance(exc, sqlite3.OperationalError) and "fts5" in str(exc).lower()


def _os_error_text(path: Path, exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return f"The disk holding {path.parent} is full, so memgpt cannot create {path.name}. Free some space."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"memgpt cannot write to {path.parent} ({exc.strerror}). Make it writable, or point MEMGPT_HOME "
            "at a folder you can write to."
        )
    return f"memgpt cannot create {path} ({exc.strerror or exc})."


def describe_sqlite_error(path: Path, exc: sqlite3.DatabaseError, opening: bool = False) -> StorageError:
    """Each failure with its true cause and way out. Only real damage suggests moving the file aside:
    that advice, given for a full disk, made people abandon healthy databases."""
    text = str(exc).lower()
    kept = "Nothing was lost: the last change was not saved, and memgpt goes on."
    if "full" in text or "disk i/o" in text and _disk_full(path):
        return StorageWriteError(f"The disk holding {path} is full. {kept} Free some space and try again.")
    if "readonly" in text or "read-only" in text or ("unable to open" in text and not os.access(path.parent, os.W_OK)):
        return StorageWriteError(
            f"{path} cannot be written (read-only file, folder or file system). Your data is intact. Make it "
            "writable, or point MEMGPT_HOME at a folder you can write to."
        )
    if "locked" in text or "busy" in text:
        return StorageWriteError(
            f"{path} is busy: another memgpt process held it for more than 30 s. {kept} Try again in a moment."
        )
    if "disk i/o" in text:
        return StorageWriteError(f"The operating system reported an I/O error on {path} ({exc}). {kept}")
    if "unable to open" in text:
        return StorageError(f"{path} cannot be opened ({exc}). Check that the folder exists and is yours.")
    if (
        isinstance(exc, sqlite3.OperationalError)
        and not opening
        and "malformed" not in text
        and "not a database" not in text
    ):
        return StorageError(f"A database operation on {path} failed ({exc}). Your data is intact.")
    return StorageError(
        f"The database {path} cannot be read ({exc}). It may be truncated or corrupt: restore it from a backup, "
        "or move it aside to start afresh. Nothing was changed."
    )


def _disk_full(path: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


def _refuse_empty_database(path: Path, index_dir: Path | None) -> None:
    """A zero-byte database where memgpt has run before is a lost file (a failed copy, a full disk), not a
    new start: opening it would silently create an empty one and agents would seem to be gone."""
    if not path.exists() or path.stat().st_size:
        return
    traces = [p for p in (path.with_name(path.name + "-wal"), index_dir or paths.index_dir()) if p.exists()]
    used_before = any(p.is_file() or any(p.iterdir()) for p in traces) or any(paths.locks_dir().glob("*"))
    if used_before:
        raise StorageError(
            f"The database {path} is empty (0 bytes), though memgpt has been used here before: it was probably "
            "lost in a failed copy or on a full disk. memgpt will not start afresh over it. Restore it from a "
            "backup, or delete it to start afresh."
        )


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _row_to_message(row: sqlite3.Row) -> Message:
    tool_calls = json.loads(row["tool_calls"]) if row["tool_calls"] else None
    return Message(
        id=row["id"],
        role=row["role"],
        content=row["content"],
        name=row["name"],
        tool_calls=[ToolCall(**tc) for tc in tool_calls] if tool_calls else None,
        tool_call_id=row["tool_call_id"],
        created_at=_dt(row["created_at"]),
        tokens=row["tokens"],
    )


RANKED_MATCHES = 2000  # up to this many matches are ranked by relevance; more are paged newest first


class SQLiteRecallStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, agent: str, messages: Sequence[Message]) -> list[Message]:
        stored = []
        with self.db.transaction() as conn:
            for msg in messages:
                cur = conn.execute(
                    "INSERT INTO messages (agent, role, content, name, tool_calls, tool_call_id, created_at,"
                    " local_date, tokens, search_text) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        agent,
                        msg.role,
                        msg.content,
                        msg.name,
                        json.dumps([tc.model_dump() for tc in msg.tool_calls]) if msg.tool_calls else None,
                        msg.tool_call_id,
                        msg.created_at.isoformat(),
                        msg.created_at.date().isoformat(),
                        msg.tokens,
                        searchable_text(msg),
                    ),
                )
                stored.append(msg.model_copy(update={"id": cur.lastrowid}))
        return stored

    def get(self, agent: str, ids: Sequence[int]) -> list[Message]:
        if not ids:
            return []
        by_id: dict[int, Message] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(f"SELECT * FROM messages WHERE agent=? AND id IN ({marks})", [agent, *chunk])
            by_id.update({row["id"]: _row_to_message(row) for row in rows})
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise StorageError(
                f"Agent {agent!r} refers to messages {missing[:5]} that are not in {self.db.path}; "
                "the database may have been edited or damaged."
            )
        return [by_id[i] for i in ids]

    def update(self, agent: str, message: Message) -> None:
        if message.id is None:
            raise ValueError("cannot update a message that was never stored")
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET content=?, tool_calls=?, tokens=?, search_text=? WHERE agent=? AND id=?",
                (
                    message.content,
                    json.dumps([tc.model_dump() for tc in message.tool_calls]) if message.tool_calls else None,
                    message.tokens,
                    searchable_text(message),
                    agent,
                    message.id,
                ),
            )

    def delete(self, agent: str, ids: Sequence[int]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("DELETE FROM messages WHERE agent=? AND id=?", [(agent, i) for i in ids])

    def count(self, agent: str) -> int:
        return self.db.query("SELECT COUNT(*) FROM messages WHERE agent=?", (agent,))[0][0]

    def count_by_role(self, agent: str) -> dict[str, int]:
        rows = self.db.query("SELECT role, COUNT(*) FROM messages WHERE agent=? GROUP BY role", (agent,))
        return {row[0]: row[1] for row in rows}

    def last(self, agent: str, n: int) -> list[Message]:
        rows = self.db.query("SELECT * FROM messages WHERE agent=? ORDER BY id DESC LIMIT ?", (agent, n))
        return [_row_to_message(r) for r in reversed(rows)]

    def search_text(self, agent: str, query: str, limit: int, offset: int) -> tuple[list[Message], int]:
        """Messages matching the query's words, best first, with the true total.

        Driven from the FTS index (the cost follows the matches, not the history: joining from the
        messages side ran one FTS lookup per message of the agent, 4.9 s at 20k messages). All words,
        then all words as prefixes ("dog" finds "dogs"), then any word; a substring scan only for a
        query with no words at all (emoji, punctuation)."""
        words = [w for w in "".join(c if c.isalnum() else " " for c in query).split() if w][:32]
        if words:
            attempts = (
                " AND ".join(f'"{w}"' for w in words),
                " AND ".join(f'"{w}"*' for w in words),
                " OR ".join(f'"{w}"*' for w in words),
            )
            for fts_query in attempts:
                try:
                    found = self._fts_search(agent, fts_query, limit, offset)
                except sqlite3.OperationalError:
                    break  # FTS could not parse it: fall back to a substring match
                if found[1]:
                    return found
            else:
                return [], 0
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = "agent=? AND search_text IS NOT NULL AND search_text LIKE ? ESCAPE '\\'"
        total = self.db.query(f"SELECT COUNT(*) FROM messages WHERE {where}", (agent, pattern))[0][0]
        rows = self.db.query(
            f"SELECT * FROM messages WHERE {where} ORDER BY id LIMIT ? OFFSET ?", (agent, pattern, limit, offset)
        )
        return [_row_to_message(r) for r in rows], total

    def _fts_search(self, agent: str, fts_query: str, limit: int, offset: int) -> tuple[list[Message], int]:
        """Count and page from the index alone. Many matches (a common word) are paged newest first:
        ranking thousands costs more than it tells; a few are ranked by BM25 (the text column only)."""
        match = f"owner : a{agent.encode('utf-8').hex().upper()} AND ({fts_query})"
        total = self.db.query("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", (match,))[0][0]
        if not total:
            return [], 0
        order = "bm25(messages_fts, 0.0, 1.0), rowid" if total <= RANKED_MATCHES else "rowid DESC"
        ids = [
            r[0]
            for r in self.db.query(
                f"SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY {order} LIMIT ? OFFSET ?",
                (match, limit, offset),
            )
        ]
        by_id = {m.id: m for m in self.get(agent, ids)}
        return [by_id[i] for i in ids if i in by_id], total

    def search_date(self, agent: str, start: date, end: date, limit: int, offset: int) -> tuple[list[Message], int]:
        where = "agent=? AND search_text IS NOT NULL AND local_date BETWEEN ? AND ?"
        params = (agent, start.isoformat(), end.isoformat())
        total = self.db.query(f"SELECT COUNT(*) FROM messages WHERE {where}", params)[0][0]
        rows = self.db.query(
            f"SELECT * FROM messages WHERE {where} ORDER BY id LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [_row_to_message(r) for r in rows], total


class SQLiteAgentStore:
    def __init__(self, db: Database, recall: SQLiteRecallStore) -> None:
        self.db = db
        self.recall = recall

    def create(self, state: AgentState, initial_messages: Sequence[Message]) -> AgentState:
        with self.db.transaction() as conn:
            if self.exists(state.name):
                raise StorageError(f"An agent named {state.name!r} already exists.")
            stored = self.recall.append(state.name, initial_messages)
            state = state.model_copy(update={"in_context_ids": [m.id for m in stored]})
            conn.execute(
                "INSERT INTO agents (name, state, created_at, updated_at) VALUES (?,?,?,?)",
                (state.name, state.model_dump_json(), state.created_at.isoformat(), state.created_at.isoformat()),
            )
        return state

    def load(self, name: str) -> AgentState:
        rows = self.db.query("SELECT state FROM agents WHERE name=?", (name,))
        if not rows:
            raise NotFoundError(f"No agent named {name!r}.")
        try:
            raw = json.loads(rows[0]["state"])
            version = raw.get("state_version", 1) if isinstance(raw, dict) else None
        except ValueError:
            version = None
        if isinstance(version, int) and version > STATE_VERSION:
            raise NewerDataError(
                f"Agent {name!r} was saved by a newer memgpt (state version {version}; this release knows "
                f"{STATE_VERSION}). It is left untouched: upgrade memgpt to run it."
            )
        try:
            return AgentState.model_validate_json(rows[0]["state"])
        except ValueError as exc:
            raise StorageError(f"The saved state of agent {name!r} in {self.db.path} is damaged ({exc}).") from None

    def save(self, state: AgentState) -> None:
        from memgpt.schemas import now

        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE agents SET state=?, updated_at=? WHERE name=?",
                (state.model_dump_json(), now().isoformat(), state.name),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"No agent named {state.name!r} (was it deleted?).")

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM agents WHERE name=?", (name,)))

    def names(self) -> list[str]:
        """Most recently used first."""
        return [r[0] for r in self.db.query("SELECT name FROM agents ORDER BY updated_at DESC")]

    def list(self) -> list[AgentSummary]:
        counts = {r[0]: r[1] for r in self.db.query("SELECT agent, COUNT(*) FROM messages GROUP BY agent")}
        passages = {r[0]: r[1] for r in self.db.query("SELECT owner, COUNT(*) FROM passages GROUP BY owner")}
        out = []
        for row in self.db.query("SELECT state FROM agents ORDER BY updated_at DESC"):
            try:
                st = AgentState.model_validate_json(row["state"])
            except ValueError:
                continue
            out.append(AgentSummary.of(st, counts, passages))
        return out

    def delete(self, name: str) -> None:
        if not self.exists(name):
            raise NotFoundError(f"No agent named {name!r}.")
        owner = f"agent:{name}"
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE agent=?", (name,))
            conn.execute("DELETE FROM passages WHERE owner=?", (owner,))
            conn.execute("DELETE FROM vector_spaces WHERE owner=?", (owner,))
            conn.execute("DELETE FROM attachments WHERE agent=?", (name,))
            conn.execute("DELETE FROM agents WHERE name=?", (name,))
        from memgpt.storage.vector_index import index_path

        index_path(owner, self.db.index_dir).unlink(missing_ok=True)


class SQLiteBlockStore:
    """Core memory blocks shared between agents: one row each, read by every agent that links it.

    Writes join the open transaction (an agent's edit commits with its step). The agent lock still
    makes each agent single-writer; two agents editing one block are serialised by SQLite's write
    lock, and each edit re-reads the row first (see memgpt.memory.core), so neither is lost.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, name: str) -> CoreMemoryBlock | None:
        rows = self.db.query(
            "SELECT label, value, char_limit, read_only, description FROM shared_blocks WHERE name=?", (name,)
        )
        if not rows:
            return None
        r = rows[0]
        return CoreMemoryBlock(label=r[0], value=r[1], limit=r[2], read_only=bool(r[3]), shared=name, description=r[4])

    def create(self, name: str, block: CoreMemoryBlock) -> CoreMemoryBlock:
        """The shared block `name`: created from `block` if new; an existing one is kept as it is."""
        from memgpt.schemas import now

        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO shared_blocks (name, label, value, char_limit, read_only, description,"
                " updated_at) VALUES (?,?,?,?,?,?,?)",
                (
                    name,
                    block.label,
                    block.value,
                    block.limit,
                    int(block.read_only),
                    block.description,
                    now().isoformat(),
                ),
            )
        stored = self.get(name)
        assert stored is not None
        return stored.model_copy(update={"label": block.label})

    def set_value(self, name: str, value: str) -> None:
        from memgpt.schemas import now

        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE shared_blocks SET value=?, updated_at=? WHERE name=?", (value, now().isoformat(), name)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"No shared memory block named {name!r}.")

    def names(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT name FROM shared_blocks ORDER BY name")]


def block_store(storage: Any) -> SQLiteBlockStore:
    """The storage's shared-block store: `storage.blocks` where a backend provides one, else one over
    its SQLite database (kept on the storage object, so one per process)."""
    store = getattr(storage, "blocks", None)
    if store is None:
        store = SQLiteBlockStore(storage.db)
        storage.blocks = store
    return store


def configured_index_dir(config: Any = None) -> Path | None:
    custom = getattr(getattr(config, "storage", None), "archival_storage_path", None)
    return Path(custom).expanduser() if custom else None


def default_database_path(config: Any = None) -> Path:
    custom = getattr(getattr(config, "storage", None), "recall_storage_path", None)
    return Path(custom).expanduser() / "memgpt.db" if custom else paths.database_file()
