"""Recall messages by meaning: vectors of their searchable text, made while the user types.

Embedding inside each step would put the embedder in every turn (tens of ms for e5 on a busy CPU,
more for a remote endpoint). Instead the REPL embeds new messages in the background while its prompt
waits (cli/background.py: local embedders only, paused the moment a line is entered), which also
backfills an old agent's history; and `conversation_search` first embeds whatever is still missing,
newest first within a time budget (a server, a script, or a remote embedder), so a search never misses
recent messages (the ones not reached yet are still found by their words). Vectors live in SQLite
(`message_vectors`, migration 4), keyed by message id and model; each process keeps the agent's matrix
in memory and reads only rows that are new.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memgpt.embeddings.base import embed_queries, embed_query

if TYPE_CHECKING:
    from memgpt.storage.sqlite import Database

EMBED_BATCH = 64
BACKFILL_SECONDS = 3.0  # at most this long embedding old messages per search (the rest: next searches)


@dataclass
class _Matrix:
    ids: list[int] = field(default_factory=list)
    vectors: Any = None  # np.ndarray (n, dim)
    last_seq: int = 0
    rows: int = 0


_cache: dict[tuple[str, str, str], _Matrix] = {}
_cache_lock = threading.Lock()


class MessageVectors:
    """The message vectors of one agent in one embedding model's space."""

    def __init__(self, db: Database, agent: str, embedder: Any) -> None:
        self.db = db
        self.agent = agent
        self.embedder = embedder
        self.model_id = f"{embedder.model_id}:{embedder.dim}:q"  # messages in the query form (symmetric)

    def pending(self) -> int:
        """Searchable messages with no vector yet."""
        return self.db.query(
            "SELECT COUNT(*) FROM messages m WHERE m.agent=? AND m.search_text IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM message_vectors v WHERE v.message_id=m.id AND v.model_id=?)",
            (self.agent, self.model_id),
        )[0][0]

    def catch_up(
        self, budget_seconds: float = BACKFILL_SECONDS, *, batch: int = EMBED_BATCH, stop: threading.Event | None = None
    ) -> int:
        """Embed messages that have no vector, newest first, until done, the budget is spent (at least
        one batch) or `stop` is set (checked between batches). Returns how many were embedded."""
        import numpy as np

        done = 0
        started = time.perf_counter()
        while stop is None or not stop.is_set():
            rows = self.db.query(
                "SELECT m.id, m.search_text FROM messages m WHERE m.agent=? AND m.search_text IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM message_vectors v WHERE v.message_id=m.id AND v.model_id=?) "
                "ORDER BY m.id DESC LIMIT ?",
                (self.agent, self.model_id, batch),
            )
            if not rows:
                return done
            vectors = np.asarray(embed_queries(self.embedder, [r[1] for r in rows]), dtype="float32")
            with self.db.transaction() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO message_vectors (message_id, agent, model_id, embedding) VALUES (?,?,?,?)",
                    [(r[0], self.agent, self.model_id, vectors[i].tobytes()) for i, r in enumerate(rows)],
                )
            done += len(rows)
            if time.perf_counter() - started > budget_seconds:
                return done
        return done

    def _matrix(self) -> _Matrix:
        """This agent's vectors in memory, caught up with rows added since the last search (reloaded
        whole when rows went away: a /pop or a rewrite)."""
        import numpy as np

        key = (str(self.db.path), self.agent, self.model_id)
        with _cache_lock:
            matrix = _cache.setdefault(key, _Matrix())
            rows_now = self.db.query(
                "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM message_vectors WHERE agent=? AND model_id=?",
                (self.agent, self.model_id),
            )[0]
            if rows_now[0] < matrix.rows + _new_rows(self.db, self.agent, self.model_id, matrix.last_seq):
                matrix = _cache[key] = _Matrix()  # something was deleted: start over
            new = self.db.query(
                "SELECT seq, message_id, embedding FROM message_vectors WHERE agent=? AND model_id=? AND seq>? "
                "ORDER BY seq",
                (self.agent, self.model_id, matrix.last_seq),
            )
            if new:
                block = np.frombuffer(b"".join(r[2] for r in new), dtype="float32").reshape(len(new), -1)
                matrix.vectors = block if matrix.vectors is None else np.vstack([matrix.vectors, block])
                matrix.ids.extend(r[1] for r in new)
                matrix.last_seq = new[-1][0]
                matrix.rows += len(new)
            return matrix

    def search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(message id, cosine) of the most similar messages, best first."""
        import numpy as np

        self.catch_up()
        matrix = self._matrix()
        if not matrix.ids:
            return []
        scores = matrix.vectors @ np.asarray(embed_query(self.embedder, about(query)), dtype="float32")
        top = np.argsort(-scores)[:limit]
        return [(matrix.ids[i], float(scores[i])) for i in top]


_ASKING_ABOUT = re.compile(
    r"^\s*(?:(?:what|when|where|how|did|do|have|has)\b[^?]*?\b(?:tell|told|say|said|mention(?:ed)?|talk(?:ed)?|"
    r"share[d]?)\b(?:\s+(?:you|me|to you))?\s*(?:about|of|regarding|that|on)?\s+)",
    flags=re.IGNORECASE,
)


def about(query: str) -> str:
    """What a question asks about, without the asking: "what did I tell you about my nephew?" -> "my
    nephew?". The asking part made e5 rank the user's other questions ("can you remind me what we talked
    about?") above the message meant (rank 65 -> 4 on the benchmark's conversation set)."""
    rest = _ASKING_ABOUT.sub("", query, count=1)
    return rest if rest.strip(" ?.!") else query


def _new_rows(db: Database, agent: str, model_id: str, after_seq: int) -> int:
    return db.query(
        "SELECT COUNT(*) FROM message_vectors WHERE agent=? AND model_id=? AND seq>?", (agent, model_id, after_seq)
    )[0][0]


def message_vectors_for(recall: Any, agent: str, embedder: Any) -> MessageVectors | None:
    """Meaning search for recall stores that live in the SQLite database; None elsewhere (a store
    without it keeps keyword search only)."""
    from memgpt.storage.sqlite import Database

    db = getattr(recall, "db", None)
    if embedder is None or not isinstance(db, Database):
        return None
    return MessageVectors(db, agent, embedder)
