"""Copying everything between SQLite and Postgres (`memgpt migrate`): agents with their messages,
passages with their vectors, data sources with their documents and attachments.

Resumable: an agent's messages and state are copied in one transaction (all or nothing), passages
in batches that skip what the target already has (content hash), sources' documents are upserts,
so running the copy again continues where a killed run stopped. Message ids are the target's own
(another database has its own sequence); `in_context_ids` and `summary_id` are mapped to them.
Agents and sources are only read from the source storage: it is left as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from memgpt.errors import EmbeddingMismatchError, StorageError
from memgpt.schemas import Message, Passage, ToolCall

BATCH = 1000
Progress = Callable[[str], None]


@dataclass
class Report:
    agents: list[str] = field(default_factory=list)  # copied in this run
    skipped: list[str] = field(default_factory=list)  # already in the target, same history
    sources: list[str] = field(default_factory=list)
    messages: int = 0
    passages: int = 0


def is_postgres(storage: Any) -> bool:
    return type(storage).__name__ == "PostgresStorage"


# -- reading ------------------------------------------------------------------------------------
def iter_messages(storage: Any, agent: str) -> Iterator[list[Message]]:
    """An agent's messages, oldest first, in batches (never the whole history in memory)."""
    last = 0
    while True:
        if is_postgres(storage):
            from memgpt.storage.postgres.recall import _COLUMNS, _row_to_message

            rows = storage.db.query(
                f"SELECT {_COLUMNS} FROM messages WHERE agent=%s AND id>%s ORDER BY id LIMIT %s", (agent, last, BATCH)
            )
            batch = [_row_to_message(r) for r in rows]
        else:
            rows = storage.db.query(
                "SELECT id, role, content, name, tool_calls, tool_call_id, created_at, tokens FROM messages"
                " WHERE agent=? AND id>? ORDER BY id LIMIT ?",
                (agent, last, BATCH),
            )
            batch = [_sqlite_message(r) for r in rows]
        if not batch:
            return
        last = batch[-1].id  # type: ignore[assignment]
        yield batch


def _sqlite_message(r: Any) -> Message:
    calls = json.loads(r[4]) if r[4] else None
    return Message(
        id=r[0],
        role=r[1],
        content=r[2],
        name=r[3],
        tool_calls=[ToolCall(**c) for c in calls] if calls else None,
        tool_call_id=r[5],
        created_at=datetime.fromisoformat(r[6]),
        tokens=r[7],
    )


def iter_passages(storage: Any, owner: str) -> Iterator[list[tuple[Passage, np.ndarray]]]:
    """An owner's passages with their vectors, in id order and batches."""
    last = 0
    while True:
        if is_postgres(storage):
            from memgpt.storage.postgres.archival import _COLUMNS, _row_to_passage

            rows = storage.db.query(
                f"SELECT {_COLUMNS}, embedding FROM passages WHERE owner=%s AND id>%s ORDER BY id LIMIT %s",
                (owner, last, BATCH),
                binary=True,
            )
            batch = [(_row_to_passage(r), r[7]) for r in rows]
        else:
            rows = storage.db.query(
                "SELECT id, text, source, metadata, created_at, content_hash, embedding FROM passages"
                " WHERE owner=? AND id>? ORDER BY id LIMIT ?",
                (owner, last, BATCH),
            )
            from memgpt.storage.archival import _row_to_passage as sqlite_passage

            batch = [(sqlite_passage(r), np.frombuffer(r[6], dtype="float32")) for r in rows]
        if not batch:
            return
        last = batch[-1][0].id  # type: ignore[assignment]
        yield batch


def vector_space(storage: Any, owner: str) -> tuple[str, int] | None:
    mark = "%s" if is_postgres(storage) else "?"
    rows = storage.db.query(f"SELECT model_id, dim FROM vector_spaces WHERE owner={mark}", (owner,))
    return (rows[0][0], rows[0][1]) if rows else None


def passage_count(storage: Any, owner: str) -> int:
    mark = "%s" if is_postgres(storage) else "?"
    return storage.db.query(f"SELECT count(*) FROM passages WHERE owner={mark}", (owner,))[0][0]


def source_rows(storage: Any) -> list[tuple[str, str, str, int]]:
    """(name, created_at ISO, model, dim) of every data source."""
    rows = storage.db.query("SELECT name, created_at, embedding_model, embedding_dim FROM sources ORDER BY name")
    return [(r[0], _iso(r[1]), r[2], r[3]) for r in rows]


def document_rows(storage: Any, source: str) -> list[tuple[Any, ...]]:
    mark = "%s" if is_postgres(storage) else "?"
    rows = storage.db.query(
        "SELECT document, content_hash, size_bytes, passages, loaded_at FROM source_documents"
        f" WHERE source={mark} ORDER BY content_hash",
        (source,),
    )
    return [(r[0], r[1], r[2], r[3], _iso(r[4])) for r in rows]


def attachment_rows(storage: Any) -> list[tuple[str, str, str]]:
    rows = storage.db.query("SELECT source, agent, attached_at FROM attachments ORDER BY source, agent")
    return [(r[0], r[1], _iso(r[2])) for r in rows]


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


# -- writing ------------------------------------------------------------------------------------
def write_passages(storage: Any, owner: str, space: tuple[str, int], batch: list[tuple[Passage, np.ndarray]]) -> int:
    """Insert a batch (with its vectors, times and hashes as they were); returns how many were new."""
    ours = vector_space(storage, owner)
    if ours is not None and ours != space:
        raise EmbeddingMismatchError(
            f"{owner} is embedded with {ours[0]} (dim {ours[1]}) in the target but with {space[0]} (dim {space[1]}) "
            "in the source; delete it in the target (`memgpt delete`) or re-embed one side first."
        )
    if is_postgres(storage):
        from memgpt.storage.postgres.archival import insert_passages, passage_row

        with storage.db.transaction() as conn:
            conn.execute(
                "INSERT INTO vector_spaces (owner, model_id, dim) VALUES (%s,%s,%s) ON CONFLICT (owner) DO NOTHING",
                (owner, *space),
            )
            return len(insert_passages(conn, [passage_row(owner, p, v) for p, v in batch]))
    with storage.db.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO vector_spaces (owner, model_id, dim) VALUES (?,?,?)", (owner, *space))
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO passages (owner, text, source, metadata, created_at, content_hash, embedding)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (owner, p.text, p.source, json.dumps(p.metadata), p.created_at.isoformat(), p.content_hash,
                 np.asarray(v, dtype="float32").tobytes())
                for p, v in batch
            ],
        )  # fmt: skip
        return conn.total_changes - before


def write_source(storage: Any, row: tuple[str, str, str, int], docs: list[tuple[Any, ...]]) -> None:
    name, created, model, dim = row
    if is_postgres(storage):
        from memgpt.storage.postgres.sources import record_document

        with storage.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (name, created_at, embedding_model, embedding_dim) VALUES (%s,%s,%s,%s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, datetime.fromisoformat(created), model, dim),
            )
            for doc in docs:
                record_document(conn, name, doc[0], doc[1], doc[2], doc[3], datetime.fromisoformat(doc[4]))
        return
    with storage.db.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO sources (name, created_at, embedding_model, embedding_dim) VALUES (?,?,?,?)",
            (name, created, model, dim),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO source_documents (source, document, content_hash, size_bytes, passages,"
            " loaded_at) VALUES (?,?,?,?,?,?)",
            [(name, *doc) for doc in docs],
        )


def write_attachments(storage: Any, rows: list[tuple[str, str, str]]) -> None:
    if is_postgres(storage):
        from memgpt.storage.postgres.sources import record_attachment

        with storage.db.transaction() as conn:
            for source, agent, at in rows:
                record_attachment(conn, source, agent, datetime.fromisoformat(at))
        return
    with storage.db.transaction() as conn:
        conn.executemany("INSERT OR IGNORE INTO attachments (source, agent, attached_at) VALUES (?,?,?)", rows)


# -- the copy -----------------------------------------------------------------------------------
def copy_agent(source: Any, target: Any, name: str, replace: bool, report: Report) -> None:
    """Messages and state in one target transaction; then passages, resumably."""
    state = source.agents.load(name)
    count = source.recall.count(name)
    if target.agents.exists(name):
        if target.recall.count(name) == count:
            report.skipped.append(name)
        elif not replace:
            raise StorageError(
                f"Agent {name!r} is already in the target with another history ({target.recall.count(name)} "
                f"messages there, {count} here). Run again with --replace to overwrite it there, or delete it "
                "there first."
            )
        else:
            target.agents.delete(name)
    if not target.agents.exists(name):
        mapping: dict[int, int] = {}
        with target.transaction():
            target.agents.create(state.model_copy(update={"in_context_ids": [], "summary_id": None}), [])
            for batch in iter_messages(source, name):
                stored = target.recall.append(name, [m.model_copy(update={"id": None}) for m in batch])
                mapping.update({old.id: new.id for old, new in zip(batch, stored, strict=True)})  # type: ignore[misc]
            missing = [i for i in state.in_context_ids if i not in mapping]
            if missing:
                raise StorageError(f"Agent {name!r} refers to messages {missing[:5]} its recall does not have.")
            target.agents.save(
                state.model_copy(
                    update={
                        "in_context_ids": [mapping[i] for i in state.in_context_ids],
                        "summary_id": mapping.get(state.summary_id) if state.summary_id is not None else None,
                    }
                )
            )
        report.agents.append(name)
        report.messages += len(mapping)
    report.passages += copy_owner(source, target, f"agent:{name}")


def copy_owner(source: Any, target: Any, owner: str) -> int:
    space = vector_space(source, owner)
    if space is None or passage_count(source, owner) == passage_count(target, owner):
        return 0
    return sum(write_passages(target, owner, space, batch) for batch in iter_passages(source, owner))


def copy_all(source: Any, target: Any, replace: bool = False, progress: Progress | None = None) -> Report:
    """Every source and agent; raises on the first agent that cannot be copied (a re-run resumes)."""
    say = progress or (lambda text: None)
    report = Report()
    for row in source_rows(source):
        say(f"data source {row[0]}")
        write_source(target, row, document_rows(source, row[0]))
        report.passages += copy_owner(source, target, f"source:{row[0]}")
        report.sources.append(row[0])
    for name in source.agents.names():
        say(f"agent {name}")
        with source.lock_agent(name), target.lock_agent(name):
            copy_agent(source, target, name, replace, report)
    write_attachments(target, [a for a in attachment_rows(source) if target.agents.exists(a[1])])
    target.flush()
    return report


def verify(source: Any, target: Any) -> list[str]:
    """What differs between the two, by counts; empty when the copy is complete."""
    problems = []

    def compare(what: str, mine: int, theirs: int) -> None:
        if mine != theirs:
            problems.append(f"{what}: {mine} here, {theirs} there")

    for name in source.agents.names():
        if not target.agents.exists(name):
            problems.append(f"agent {name}: missing")
            continue
        compare(f"agent {name} messages", source.recall.count(name), target.recall.count(name))
        owner = f"agent:{name}"
        compare(f"agent {name} passages", passage_count(source, owner), passage_count(target, owner))
    for name, *_ in source_rows(source):
        owner = f"source:{name}"
        compare(f"source {name} passages", passage_count(source, owner), passage_count(target, owner))
        compare(f"source {name} documents", len(document_rows(source, name)), len(document_rows(target, name)))
    return problems
