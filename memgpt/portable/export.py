"""`memgpt export`: one agent, as it is at one moment, streamed to a private file.

Everything is read inside one read transaction on a connection of its own: SQLite (WAL) gives it
a snapshot, so an agent that is running meanwhile (in `memgpt run` or the server) is exported as
it was when the export began, and neither side waits for the other. Rows are read in batches by
id, so a 100k-message agent costs the memory of one batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from memgpt import __version__
from memgpt.errors import NotFoundError, StorageError
from memgpt.fileio import create_private
from memgpt.portable.format import FORMAT, VECTOR_DTYPE, VERSION, RecordWriter, encode_vector
from memgpt.schemas import AgentState, now

BATCH = 2000


@dataclass
class ExportSummary:
    agent: str
    path: Path
    counts: dict[str, int]
    bytes: int


def without_credentials(url: str | None) -> str | None:
    """An endpoint URL without `user:password@` (keys live in credentials.json and never travel)."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def export_agent(storage: Any, name: str, path: Path) -> ExportSummary:
    """Write agent `name` to `path` (created 0600, replaced atomically: a failed export leaves no file)."""
    db_path = getattr(getattr(storage, "db", None), "path", None)
    if db_path is None:
        raise StorageError("Export reads the embedded SQLite storage; this storage backend does not offer it.")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with _snapshot(Path(db_path)) as conn:
            rows = conn.execute("SELECT state FROM agents WHERE name=?", (name,)).fetchall()
            if not rows:
                raise NotFoundError(f"No agent named {name!r}.")
            state = AgentState.model_validate_json(rows[0][0])
            create_private(tmp)
            with open(tmp, "wb") as out:
                writer = RecordWriter(out)
                for record in _records(conn, state):
                    writer.write(record)
                counts = writer.finish()
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return ExportSummary(agent=name, path=path, counts=counts, bytes=writer.bytes)


@contextlib.contextmanager
def _snapshot(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(db_path), isolation_level=None, timeout=30)  # only ever reads
    try:
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _records(conn: sqlite3.Connection, state: AgentState) -> Iterator[dict[str, Any]]:
    name = state.name
    yield {
        "kind": "header",
        "format": FORMAT,
        "version": VERSION,
        "memgpt_version": __version__,
        "exported_at": now().isoformat(),
        "agent": name,
    }
    body = state.model_dump(mode="json", exclude={"core_memory"})
    body["llm"]["model_endpoint"] = without_credentials(body["llm"].get("model_endpoint"))
    if "embedding_endpoint" in body["embedding"]:
        body["embedding"]["embedding_endpoint"] = without_credentials(body["embedding"]["embedding_endpoint"])
    yield {"kind": "agent", "state": body}
    for block in state.core_memory.values():
        if block.shared:  # the shared row is the truth; the state holds the copy of the last save
            row = conn.execute("SELECT value, char_limit, read_only FROM shared_blocks WHERE name=?", (block.shared,))
            found = row.fetchone()
            if found:
                block = block.model_copy(update={"value": found[0], "limit": found[1], "read_only": bool(found[2])})
        yield {"kind": "block", **block.model_dump(mode="json")}
    yield from _messages(conn, name)
    yield from _passages(conn, f"agent:{name}")
    yield from _sources(conn, name)


def _rows(conn: sqlite3.Connection, sql: str, key: str) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql` (which selects `id` first and filters on `?` = key, then `id > ?`) in id order, a
    batch at a time: keyset paging costs the same at the end of a long history as at its start."""
    last = 0
    while True:
        rows = conn.execute(f"{sql} AND id>? ORDER BY id LIMIT ?", (key, last, BATCH)).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from rows


def _messages(conn: sqlite3.Connection, agent: str) -> Iterator[dict[str, Any]]:
    sql = "SELECT id, role, content, name, tool_calls, tool_call_id, created_at, tokens FROM messages WHERE agent=?"
    for r in _rows(conn, sql, agent):
        yield {
            "kind": "message",
            "id": r[0],
            "role": r[1],
            "content": r[2],
            "name": r[3],
            "tool_calls": json.loads(r[4]) if r[4] else None,
            "tool_call_id": r[5],
            "created_at": r[6],
            "tokens": r[7],
        }


def _passages(conn: sqlite3.Connection, owner: str) -> Iterator[dict[str, Any]]:
    space = conn.execute("SELECT model_id, dim FROM vector_spaces WHERE owner=?", (owner,)).fetchone()
    if space is not None:
        yield {"kind": "vector_space", "model_id": space[0], "dim": space[1], "dtype": VECTOR_DTYPE}
    sql = "SELECT id, text, source, metadata, created_at, content_hash, embedding FROM passages WHERE owner=?"
    for r in _rows(conn, sql, owner):
        yield {
            "kind": "passage",
            "text": r[1],
            "source": r[2],
            "metadata": json.loads(r[3] or "{}"),
            "created_at": r[4],
            "content_hash": r[5],
            "vector": encode_vector(r[6]),
        }


def _sources(conn: sqlite3.Connection, agent: str) -> Iterator[dict[str, Any]]:
    """Where attached passages came from (the passages themselves are in the agent's archival)."""
    rows = conn.execute(
        "SELECT a.source, a.attached_at, s.created_at, s.embedding_model, s.embedding_dim FROM attachments a "
        "LEFT JOIN sources s ON s.name = a.source WHERE a.agent=? ORDER BY a.source",
        (agent,),
    ).fetchall()
    for source, attached_at, created_at, model, dim in rows:
        documents = conn.execute(
            "SELECT document, content_hash, size_bytes, passages, loaded_at FROM source_documents WHERE source=? "
            "ORDER BY loaded_at",
            (source,),
        ).fetchall()
        yield {
            "kind": "source",
            "name": source,
            "attached_at": attached_at,
            "created_at": created_at,
            "embedding_model": model,
            "embedding_dim": dim,
            "documents": [
                {"document": d[0], "sha256": d[1], "size_bytes": d[2], "passages": d[3], "loaded_at": d[4]}
                for d in documents
            ],
        }
