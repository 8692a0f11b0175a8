"""Recall storage on Postgres: messages with full-text search (tsvector + GIN) and date search.

The words are cut in Python, the same way for a message and for a query (letters and digits,
lower case, diacritics removed: what SQLite's `unicode61 remove_diacritics 2` does), and handed to
Postgres as a ready tsvector literal. Postgres's own parser depends on the server's locale (under
`C` it drops non-ASCII letters) and splits "don't", URLs and e-mail addresses its own way, so the
same query would find other messages than on SQLite.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from memgpt.errors import StorageError
from memgpt.schemas import Message, ToolCall
from memgpt.storage.postgres.db import PgDatabase
from memgpt.storage.searchable import searchable_text
from memgpt.storage.sqlite import RANKED_MATCHES

MAX_QUERY_WORDS = 32
MAX_LEXEME_BYTES = 2046  # Postgres refuses longer lexemes; no one searches for a 2 KB "word"
MAX_POSITIONS = 255  # per lexeme, as tsvector keeps
MAX_POSITION = 16383
MAX_VECTOR_BYTES = 900_000  # a tsvector holds at most 1 MB: a giant message is indexed by its start
_COLUMNS = "id, role, content, name, tool_calls, tool_call_id, created_at, utc_offset, tokens"


def words(text: str) -> list[str]:
    """Searchable words: runs of letters and digits, lower-cased, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    out = "".join(c if c.isalnum() else " " for c in plain).split()
    return [w for w in out if len(w.encode("utf-8")) <= MAX_LEXEME_BYTES]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def owner_lexeme(agent: str) -> str:
    """One lexeme per agent that no query word can equal ('@' is never part of a word)."""
    return "@" + agent.encode("utf-8").hex()


def tsvector_literal(agent: str, text: str | None) -> str | None:
    """`'word':1,4 'other':2 ...` plus the agent's owner lexeme; None when nothing is searchable."""
    if text is None:
        return None
    positions: dict[str, list[int]] = {}
    for pos, word in enumerate(words(text), start=1):
        seen = positions.setdefault(word, [])
        if len(seen) < MAX_POSITIONS:
            seen.append(min(pos, MAX_POSITION))
    parts = [_quote(owner_lexeme(agent))]
    size = len(parts[0])
    for word, where in positions.items():
        part = f"{_quote(word)}:{','.join(map(str, where))}"
        size += len(part.encode("utf-8")) + 1
        if size > MAX_VECTOR_BYTES:
            break
        parts.append(part)
    return " ".join(parts)


def _tsquery(terms: Sequence[str], operator: str, prefix: bool) -> str:
    suffix = ":*" if prefix else ""
    return f" {operator} ".join(_quote(t) + suffix for t in terms)


def _aware(value: datetime, offset: int) -> datetime:
    return value.astimezone(timezone(timedelta(seconds=offset)))


def offset_of(value: datetime) -> int:
    """Seconds east of UTC of an aware time (naive times are taken as UTC, as Postgres does)."""
    delta = value.utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def no_nul(value: Any) -> Any:
    """Postgres text cannot hold NUL characters (SQLite can): they become U+FFFD, in nested JSON too."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, list):
        return [no_nul(v) for v in value]
    if isinstance(value, dict):
        return {no_nul(k): no_nul(v) for k, v in value.items()}
    return value


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(no_nul(value))


def _row_to_message(row: Sequence[Any]) -> Message:
    return Message(
        id=row[0],
        role=row[1],
        content=row[2],
        name=row[3],
        tool_calls=[ToolCall(**tc) for tc in row[4]] if row[4] else None,
        tool_call_id=row[5],
        created_at=_aware(row[6], row[7]),
        tokens=row[8],
    )


def message_row(agent: str, msg: Message) -> tuple[Any, ...]:
    """The INSERT parameters of one message (shared with `memgpt migrate`'s bulk copy)."""
    text = searchable_text(msg)
    created = msg.created_at if msg.created_at.tzinfo else msg.created_at.replace(tzinfo=timezone.utc)
    return (
        agent,
        msg.role,
        no_nul(msg.content),
        no_nul(msg.name),
        _json([tc.model_dump() for tc in msg.tool_calls]) if msg.tool_calls else None,
        no_nul(msg.tool_call_id),
        created,
        offset_of(created),
        msg.created_at.date(),
        msg.tokens,
        no_nul(text),
        tsvector_literal(agent, text),
    )


INSERT_MESSAGE = (
    "INSERT INTO messages (agent, role, content, name, tool_calls, tool_call_id, created_at, utc_offset,"
    " local_date, tokens, search_text, search_vector)"
    " VALUES (%s,%s,%s,%s,%s::jsonb,%s,%s,%s,%s,%s,%s,%s::tsvector) RETURNING id"
)


class PgRecallStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def append(self, agent: str, messages: Sequence[Message]) -> list[Message]:
        if not messages:
            return []
        with self.db.transaction() as conn:
            cur = conn.cursor()
            cur.executemany(INSERT_MESSAGE, [message_row(agent, m) for m in messages], returning=True)
            ids = []
            while True:
                ids.append(cur.fetchone()[0])  # type: ignore[index]
                if not cur.nextset():
                    break
        return [m.model_copy(update={"id": i}) for m, i in zip(messages, ids, strict=True)]

    def get(self, agent: str, ids: Sequence[int]) -> list[Message]:
        if not ids:
            return []
        rows = self.db.query(f"SELECT {_COLUMNS} FROM messages WHERE agent=%s AND id = ANY(%s)", (agent, list(ids)))
        by_id = {row[0]: _row_to_message(row) for row in rows}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise StorageError(
                f"Agent {agent!r} refers to messages {missing[:5]} that are not in the PostgreSQL database at "
                f"{self.db.display}; the database may have been edited or damaged."
            )
        return [by_id[i] for i in ids]

    def update(self, agent: str, message: Message) -> None:
        if message.id is None:
            raise ValueError("cannot update a message that was never stored")
        text = searchable_text(message)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET content=%s, tool_calls=%s::jsonb, tokens=%s, search_text=%s,"
                " search_vector=%s::tsvector WHERE agent=%s AND id=%s",
                (
                    no_nul(message.content),
                    _json([tc.model_dump() for tc in message.tool_calls]) if message.tool_calls else None,
                    message.tokens,
                    no_nul(text),
                    tsvector_literal(agent, text),
                    agent,
                    message.id,
                ),
            )

    def delete(self, agent: str, ids: Sequence[int]) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE agent=%s AND id = ANY(%s)", (agent, list(ids)))

    def count(self, agent: str) -> int:
        return self.db.value("SELECT count(*) FROM messages WHERE agent=%s", (agent,))

    def count_by_role(self, agent: str) -> dict[str, int]:
        rows = self.db.query("SELECT role, count(*) FROM messages WHERE agent=%s GROUP BY role", (agent,))
        return {row[0]: row[1] for row in rows}

    def last(self, agent: str, n: int) -> list[Message]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM messages WHERE agent=%s ORDER BY id DESC LIMIT %s", (agent, n)
        )
        return [_row_to_message(r) for r in reversed(rows)]

    def search_text(self, agent: str, query: str, limit: int, offset: int) -> tuple[list[Message], int]:
        """As SQLiteRecallStore.search_text: all words, then all words as prefixes, then any word;
        ranked when there are few matches, newest first when many; a substring scan only for a
        query without words (emoji, punctuation)."""
        terms = words(query)[:MAX_QUERY_WORDS]
        if terms:
            for operator, prefix in (("&", False), ("&", True), ("|", True)):
                found = self._fts_search(agent, _tsquery(terms, operator, prefix), limit, offset)
                if found[1]:
                    return found
            return [], 0
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = "agent=%s AND search_text IS NOT NULL AND search_text ILIKE %s"
        total = self.db.value(f"SELECT count(*) FROM messages WHERE {where}", (agent, pattern))
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY id LIMIT %s OFFSET %s",
            (agent, pattern, limit, offset),
        )
        return [_row_to_message(r) for r in rows], total

    def _fts_search(self, agent: str, tsquery: str, limit: int, offset: int) -> tuple[list[Message], int]:
        match = f"{_quote(owner_lexeme(agent))} & ({tsquery})"
        total = self.db.value("SELECT count(*) FROM messages WHERE search_vector @@ %s::tsquery", (match,))
        if not total:
            return [], 0
        # ts_rank normalisation 1 divides by 1 + log(length): short messages that say it win, as with BM25
        order = "ts_rank(search_vector, %s::tsquery, 1) DESC, id" if total <= RANKED_MATCHES else "id DESC"
        params: tuple[Any, ...] = (match, tsquery, limit, offset) if total <= RANKED_MATCHES else (match, limit, offset)
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM messages WHERE search_vector @@ %s::tsquery ORDER BY {order} LIMIT %s OFFSET %s",
            params,
        )
        return [_row_to_message(r) for r in rows], total

    def search_date(self, agent: str, start: date, end: date, limit: int, offset: int) -> tuple[list[Message], int]:
        where = "agent=%s AND search_text IS NOT NULL AND local_date BETWEEN %s AND %s"
        total = self.db.value(f"SELECT count(*) FROM messages WHERE {where}", (agent, start, end))
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY id LIMIT %s OFFSET %s",
            (agent, start, end, limit, offset),
        )
        return [_row_to_message(r) for r in rows], total
