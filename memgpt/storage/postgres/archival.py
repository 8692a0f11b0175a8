"""Archival memory on Postgres: passages with pgvector embeddings, one vector space per owner.

As with SQLite + FAISS, each owner (`agent:<name>`, `source:<name>`) records the embedding model
and dimension of its vectors, and a store opened with another embedder is refused
(EmbeddingMismatchError). Search is exact (a scan of the owner's rows) while an owner is small;
past HNSW_MIN_VECTORS `flush()` builds an HNSW index (cosine) of that owner alone, a partial
index on `owner`, which pgvector then keeps up to date on every insert. One index per owner keeps
searches of a small agent from wading through a big one's graph, and lets each have its own dimension.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from psycopg import sql

from memgpt.embeddings.base import embed_query
from memgpt.errors import EmbeddingMismatchError
from memgpt.schemas import Passage, clean_text, now
from memgpt.storage.base import require_embedder
from memgpt.storage.diversify import MMR_POOL, diversify
from memgpt.storage.postgres.db import EF_SEARCH, PgDatabase, Vector
from memgpt.storage.postgres.recall import _aware, _json, no_nul, offset_of

if TYPE_CHECKING:
    from memgpt.embeddings.base import Embedder

# Below this many passages an exact scan (~1.5-3 µs a 256-d passage, bench/postgres.py) costs tens of
# ms at most, small next to an LLM call, and is never wrong; past it HNSW answers in a few ms with
# recall@10 ~0.97 (ef_search 100), and its one-off build (~45 s at 100k on 2 cores) is worth paying.
HNSW_MIN_VECTORS = 20_000
_COLUMNS = "id, text, source, metadata, created_at, utc_offset, content_hash"
INSERT_PASSAGE = (
    "INSERT INTO passages (owner, text, source, metadata, created_at, utc_offset, content_hash, embedding)"
    " VALUES (%s,%s,%s,%s::jsonb,%s,%s,%s,%b) ON CONFLICT (owner, content_hash) DO NOTHING RETURNING id"
)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hnsw_name(space_id: int) -> str:
    return f"passages_hnsw_{space_id}"


def drop_hnsw(conn: psycopg.Connection, owner: str) -> None:
    """Drop an owner's HNSW index (inside the transaction that deletes or re-embeds its passages)."""
    row = conn.execute("SELECT id FROM vector_spaces WHERE owner=%s", (owner,)).fetchone()
    if row:
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(hnsw_name(row[0]))))


def _row_to_passage(r: Sequence[Any]) -> Passage:
    return Passage(
        id=r[0], text=r[1], source=r[2], metadata=r[3] or {}, created_at=_aware(r[4], r[5]), content_hash=r[6]
    )


class PgPassageStore:
    """Passages of one owner: insert with dedupe, vector search, listing, copying, re-embedding."""

    def __init__(self, db: PgDatabase, owner: str, embedder: Embedder | None) -> None:
        self.db = db
        self.owner = owner
        self.embedder = embedder

    # -- vector space ---------------------------------------------------------------------
    def _space(self) -> tuple[int, str, int, bool] | None:
        rows = self.db.query("SELECT id, model_id, dim, hnsw FROM vector_spaces WHERE owner=%s", (self.owner,))
        return rows[0] if rows else None  # type: ignore[return-value]

    def vector_space(self) -> tuple[str, int] | None:
        space = self._space()
        return (space[1], space[2]) if space else None

    def _require_embedder(self) -> Embedder:
        return require_embedder(self.owner, self.vector_space(), self.embedder)

    def _claim_space(self, conn: psycopg.Connection, embedder: Embedder) -> None:
        conn.execute(
            "INSERT INTO vector_spaces (owner, model_id, dim) VALUES (%s,%s,%s) ON CONFLICT (owner) DO NOTHING",
            (self.owner, embedder.model_id, embedder.dim),
        )

    # -- writes ---------------------------------------------------------------------------
    def insert(
        self,
        texts: Sequence[str],
        metadata: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
        source: str | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[int]:
        """Store passages (skipping texts this owner already has); returns the ids of new ones."""
        embedder = self._require_embedder()
        metas = list(metadata) if isinstance(metadata, Sequence) else [metadata or {}] * len(texts)
        texts = [no_nul(clean_text(t)) for t in texts]
        keep = [i for i, t in enumerate(texts) if t and t.strip()]  # texts, metadata and vectors stay aligned
        if len(keep) < len(texts):
            texts, metas = [texts[i] for i in keep], [metas[i] for i in keep]
            vectors = vectors[keep] if vectors is not None else None
        if not texts:
            return []
        if vectors is None:
            vectors = embedder.embed(list(texts))
        created = now()
        rows = [
            (self.owner, text, source, _json(meta), created, offset_of(created), content_hash(text), Vector(vec))
            for text, meta, vec in zip(texts, metas, vectors, strict=True)
        ]
        with self.db.transaction() as conn:
            self._claim_space(conn, embedder)
            self._require_embedder()  # another process may have claimed the space with another model
            return insert_passages(conn, rows)

    def copy_from(self, other: PgPassageStore) -> int:
        """Copy another owner's passages with their vectors (no re-embedding, all inside the server)."""
        theirs = other.vector_space()
        mine = self.vector_space()
        embedder = self._require_embedder()
        if theirs is not None and theirs != (mine or (embedder.model_id, embedder.dim)):
            raise EmbeddingMismatchError(
                f"{other.owner.split(':', 1)[1]!r} was embedded with {theirs[0]} (dim {theirs[1]}), but "
                f"{self.owner.split(':', 1)[1]!r} uses {embedder.model_id} (dim {embedder.dim}). Load the source "
                "again with the agent's embedding model to attach it."
            )
        with self.db.transaction() as conn:
            self._claim_space(conn, embedder)
            cur = conn.execute(
                "INSERT INTO passages (owner, text, source, metadata, created_at, utc_offset, content_hash, embedding)"
                " SELECT %s, text, source, metadata, created_at, utc_offset, content_hash, embedding"
                " FROM passages WHERE owner=%s ORDER BY id ON CONFLICT (owner, content_hash) DO NOTHING",
                (self.owner, other.owner),
            )
            added = cur.rowcount
        self.flush()
        return added

    def reembed(self, embedder: Embedder, batch: int = 256) -> int:
        """Re-embed every passage with another model, in one transaction: the way out of a mismatch."""
        done = 0
        last = 0
        with self.db.transaction() as conn:
            while True:
                rows = conn.execute(
                    "SELECT id, text FROM passages WHERE owner=%s AND id>%s ORDER BY id LIMIT %s",
                    (self.owner, last, batch),
                ).fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                vectors = embedder.embed([r[1] for r in rows])
                updates = [(Vector(v), r[0]) for v, r in zip(vectors, rows, strict=True)]
                conn.cursor().executemany("UPDATE passages SET embedding=%b WHERE id=%s", updates)
                done += len(rows)
            drop_hnsw(conn, self.owner)
            conn.execute("DELETE FROM vector_spaces WHERE owner=%s", (self.owner,))
            self._claim_space(conn, embedder)
        self.embedder = embedder
        self.flush()
        return done

    # -- reads ----------------------------------------------------------------------------
    def search(self, query: str, top_k: int) -> list[Passage]:
        """Nearest first, the first MMR_POOL reordered by maximal marginal relevance (as on SQLite)."""
        space = self._space()
        if space is None:
            return []
        embedder = self._require_embedder()
        query_vector = embed_query(embedder, query)
        vector = Vector(query_vector)
        depth = max(top_k, MMR_POOL)
        space_id, _, dim, hnsw = space
        if not hnsw:
            rows = self.db.query(
                f"SELECT {_COLUMNS}, embedding FROM passages WHERE owner=%s ORDER BY embedding <=> %b LIMIT %s",
                (self.owner, vector, depth),
            )
        else:
            # The partial index is used only when the planner sees the owner itself, so it is a literal here.
            search = sql.SQL(
                "SELECT {cols}, embedding FROM passages WHERE owner = {owner} "
                "ORDER BY embedding::vector({dim}) <=> %b::vector({dim}) LIMIT %s"
            ).format(cols=sql.SQL(_COLUMNS), owner=sql.Literal(self.owner), dim=sql.Literal(dim))
            if depth <= EF_SEARCH:
                rows = self.db.query(search, (vector, depth))
            else:
                with self.db.transaction() as conn:  # HNSW returns at most ef_search rows
                    conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(depth),))
                    rows = conn.execute(search, (vector, depth)).fetchall()
        by_id = {r[0]: _row_to_passage(r[:-1]) for r in rows}
        pool = rows[:MMR_POOL]
        order = diversify([r[0] for r in pool], np.vstack([r[-1] for r in pool]), query_vector) if pool else []
        order += [r[0] for r in rows[MMR_POOL:]]
        return [by_id[i] for i in order[:top_k]]

    def _by_ids(self, ids: Sequence[int]) -> list[Passage]:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM passages WHERE id = ANY(%s)", (list(ids),))
        by_id = {r[0]: _row_to_passage(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def count(self) -> int:
        return self.db.value("SELECT count(*) FROM passages WHERE owner=%s", (self.owner,))

    def list(self, limit: int, offset: int = 0) -> list[Passage]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM passages WHERE owner=%s ORDER BY id LIMIT %s OFFSET %s",
            (self.owner, limit, offset),
        )
        return [_row_to_passage(r) for r in rows]

    # -- the index ------------------------------------------------------------------------
    def flush(self) -> None:
        """Build this agent's HNSW index once it has grown past HNSW_MIN_VECTORS (data sources are only
        copied, never searched, so they get none). Concurrently: other agents keep writing meanwhile."""
        if not self.owner.startswith("agent:") or self.db.in_transaction():
            return
        space = self._space()
        if space is None or space[3] or self.count() < HNSW_MIN_VECTORS:
            return
        build_hnsw(self.db, self.owner, space[0], space[2])


def insert_passages(conn: psycopg.Connection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """INSERT_PASSAGE for each row; the ids of the rows that were new (duplicates return none)."""
    cur = conn.cursor()
    cur.executemany(INSERT_PASSAGE, rows, returning=True)
    ids = []
    while True:
        row = cur.fetchone()
        if row is not None:
            ids.append(row[0])
        if not cur.nextset():
            break
    return ids


def build_hnsw(db: PgDatabase, owner: str, space_id: int, dim: int) -> None:
    """CREATE INDEX CONCURRENTLY on a connection of its own; a build that was killed leaves an invalid
    index behind, which is dropped and built again."""
    name = hnsw_name(space_id)
    memory = os.environ.get("MEMGPT_PG_INDEX_MEMORY", "512MB")
    with contextlib.closing(db.connect()) as conn, db.errors():
        invalid = conn.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s "
            "AND NOT i.indisvalid",
            (name,),
        ).fetchone()
        if invalid:
            conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute("SELECT set_config('maintenance_work_mem', %s, false)", (memory,))
        conn.execute(
            sql.SQL(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON passages "
                "USING hnsw ((embedding::vector({dim})) vector_cosine_ops) WHERE owner = {owner}"
            ).format(name=sql.Identifier(name), dim=sql.Literal(dim), owner=sql.Literal(owner))
        )
        conn.execute("ANALYZE passages")  # the planner must know this owner is big, or it sorts a scan instead
        conn.execute("UPDATE vector_spaces SET hnsw = true WHERE id=%s", (space_id,))


def passage_row(owner: str, passage: Passage, vector: Any) -> tuple[Any, ...]:
    """INSERT_PASSAGE parameters for a passage copied from elsewhere (`memgpt migrate`)."""
    created: datetime = passage.created_at
    text = no_nul(passage.text)
    return (
        owner,
        text,
        no_nul(passage.source),
        _json(passage.metadata),
        created,
        offset_of(created),
        passage.content_hash or content_hash(text),
        Vector(vector),
    )
