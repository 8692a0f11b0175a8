"""Archival memory and data sources: passages in SQLite, vectors in FAISS index files.

Each owner (`agent:<name>` or `source:<name>`) has its own vector space, recorded with the
embedding model that made it, and its own index file. Vectors are also kept in SQLite, so the
index is a cache: written atomically, caught up from SQLite when it is behind (a crash between
the commit and the index write), rebuilt when it is missing or does not match.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from memgpt.embeddings.base import embed_query
from memgpt.errors import EmbeddingMismatchError
from memgpt.schemas import Passage, clean_text, now
from memgpt.storage.base import require_embedder
from memgpt.storage.diversify import MMR_POOL, diversify
from memgpt.storage.fulltext import any_words_match, distinctive_words, fuse, owner_token, phrase_match
from memgpt.storage.vector_index import VectorIndex, index_path

if TYPE_CHECKING:
    import numpy as np

    from memgpt.embeddings.base import Embedder
    from memgpt.storage.sqlite import Database

SearchMode = Literal["dense", "diverse", "bm25", "hybrid", "rrf"]
DEFAULT_SEARCH_MODE: SearchMode = "hybrid"
FUSION_DEPTH = 50  # candidates taken from each side before fusing
KEYWORD_WEIGHT = 1.0  # BM25's share in the fusion (dense counts 1.0)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PassageStore:
    """Passages of one owner: insert with dedupe, vector search, listing."""

    def __init__(self, db: Database, owner: str, embedder: Embedder | None) -> None:
        self.db = db
        self.owner = owner
        self.embedder = embedder
        self._index: VectorIndex | None = None

    # -- vector space ---------------------------------------------------------------------
    def vector_space(self) -> tuple[str, int] | None:
        rows = self.db.query("SELECT model_id, dim FROM vector_spaces WHERE owner=?", (self.owner,))
        return (rows[0][0], rows[0][1]) if rows else None

    def _require_embedder(self) -> Embedder:
        return require_embedder(self.owner, self.vector_space(), self.embedder)

    def index(self) -> VectorIndex:
        if self._index is None:
            embedder = self._require_embedder()
            self._index = VectorIndex(self.db, self.owner, embedder.dim)
        return self._index

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
        texts = [clean_text(t) for t in texts]
        keep = [i for i, t in enumerate(texts) if t and t.strip()]  # texts, metadata and vectors stay aligned
        if len(keep) < len(texts):
            texts, metas = [texts[i] for i in keep], [metas[i] for i in keep]
            vectors = vectors[keep] if vectors is not None else None
        if not texts:
            return []
        if vectors is None:
            vectors = embedder.embed(list(texts))
        index = self.index()
        created = now().isoformat()
        new_ids: list[int] = []
        new_rows: list[int] = []
        with self.db.transaction() as conn:
            if self.vector_space() is None:
                conn.execute(
                    "INSERT INTO vector_spaces (owner, model_id, dim) VALUES (?,?,?)",
                    (self.owner, embedder.model_id, embedder.dim),
                )
            for row, (text, meta) in enumerate(zip(texts, metas, strict=True)):
                cur = conn.execute(
                    "INSERT OR IGNORE INTO passages (owner, text, source, metadata, created_at, content_hash,"
                    " embedding) VALUES (?,?,?,?,?,?,?)",
                    (
                        self.owner,
                        text,
                        source,
                        json.dumps(meta),
                        created,
                        content_hash(text),
                        vectors[row].astype("float32").tobytes(),
                    ),
                )
                if cur.rowcount:
                    new_ids.append(cur.lastrowid)
                    new_rows.append(row)
        index.add(vectors[new_rows], new_ids)
        return new_ids

    def copy_from(self, other: PassageStore) -> int:
        """Copy another owner's passages with their vectors (no re-embedding); returns how many were new."""
        theirs = other.vector_space()
        mine = self.vector_space()
        embedder = self._require_embedder()
        if theirs is not None and theirs != (mine or (embedder.model_id, embedder.dim)):
            raise EmbeddingMismatchError(
                f"{other.owner.split(':', 1)[1]!r} was embedded with {theirs[0]} (dim {theirs[1]}), but "
                f"{self.owner.split(':', 1)[1]!r} uses {embedder.model_id} (dim {embedder.dim}). Load the source "
                "again with the agent's embedding model to attach it."
            )
        import numpy as np

        index = self.index()
        added = 0
        last = 0
        while True:
            rows = self.db.query(
                "SELECT id, text, source, metadata, created_at, content_hash, embedding FROM passages "
                "WHERE owner=? AND id>? ORDER BY id LIMIT 1000",
                (other.owner, last),
            )
            if not rows:
                break
            last = rows[-1][0]
            new_ids, new_vecs = [], []
            with self.db.transaction() as conn:
                if self.vector_space() is None:
                    conn.execute(
                        "INSERT INTO vector_spaces (owner, model_id, dim) VALUES (?,?,?)",
                        (self.owner, embedder.model_id, embedder.dim),
                    )
                for r in rows:
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO passages (owner, text, source, metadata, created_at, content_hash,"
                        " embedding) VALUES (?,?,?,?,?,?,?)",
                        (self.owner, r[1], r[2], r[3], r[4], r[5], r[6]),
                    )
                    if cur.rowcount:
                        new_ids.append(cur.lastrowid)
                        new_vecs.append(np.frombuffer(r[6], dtype="float32"))
            if new_ids:
                index.add(np.vstack(new_vecs), new_ids)
            added += len(new_ids)
        index.flush()
        return added

    # -- reads ----------------------------------------------------------------------------
    def search(self, query: str, top_k: int, mode: SearchMode = DEFAULT_SEARCH_MODE) -> list[Passage]:
        """Most relevant first. `dense`: vectors only; `diverse`: vectors reordered by maximal marginal
        relevance (storage/diversify.py); `bm25`: any informative word, by BM25; `hybrid` (default):
        `diverse` fused (reciprocal rank) with BM25 over the query's exact-looking words (codes,
        numbers, names), or `diverse` alone when it has none; `rrf`: `diverse` fused with `bm25` as it
        is (kept for the benchmark, which shows why hybrid is gated: docs/retrieval.md)."""
        if self.count() == 0:
            return []
        if mode == "bm25":
            return self._by_ids(self.keyword_ids(any_words_match(query), top_k))
        embedder = self._require_embedder()
        vector = embed_query(embedder, query)
        depth = top_k if mode == "dense" else max(top_k, FUSION_DEPTH, MMR_POOL)
        dense = self.index().search(vector, depth)
        if mode != "dense":
            dense = diversify(dense[:MMR_POOL], self._vectors(dense[:MMR_POOL]), vector) + dense[MMR_POOL:]
        keywords = any_words_match(query) if mode == "rrf" else phrase_match(distinctive_words(query))
        if mode in ("dense", "diverse") or keywords is None:
            return self._by_ids(dense[:top_k])
        fused = fuse([dense, self.keyword_ids(keywords, depth)], weights=[1.0, KEYWORD_WEIGHT])
        return self._by_ids(fused[:top_k])

    def _vectors(self, ids: Sequence[int]) -> Any:
        """The stored unit rows of these passages, in the order of `ids`."""
        import numpy as np

        if not ids:
            return np.zeros((0, self.index().dim), dtype="float32")
        marks = ",".join("?" * len(ids))
        rows = dict(self.db.query(f"SELECT id, embedding FROM passages WHERE id IN ({marks})", list(ids)))
        return np.vstack([np.frombuffer(rows[i], dtype="float32") for i in ids])

    def keyword_ids(self, match_words: str | None, limit: int) -> list[int]:
        """Passage ids ranked by BM25 for an FTS5 expression over words (see storage/fulltext.py)."""
        if match_words is None:
            return []
        match = f"owner : {owner_token(self.owner)} AND text : ({match_words})"
        try:
            rows = self.db.query(
                "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts, 0.0, 1.0) "
                "LIMIT ?",
                (match, limit),
            )
        except sqlite3.OperationalError:  # a query FTS5 cannot parse finds nothing by keyword
            return []
        return [r[0] for r in rows]

    def _by_ids(self, ids: Sequence[int]) -> list[Passage]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.query(
            f"SELECT id, text, source, metadata, created_at, content_hash FROM passages WHERE id IN ({marks})",
            list(ids),
        )
        by_id = {r[0]: _row_to_passage(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def count(self) -> int:
        return self.db.query("SELECT COUNT(*) FROM passages WHERE owner=?", (self.owner,))[0][0]

    def list(self, limit: int, offset: int = 0) -> list[Passage]:
        rows = self.db.query(
            "SELECT id, text, source, metadata, created_at, content_hash FROM passages WHERE owner=? "
            "ORDER BY id LIMIT ? OFFSET ?",
            (self.owner, limit, offset),
        )
        return [_row_to_passage(r) for r in rows]

    def flush(self) -> None:
        if self._index is not None:
            self._index.flush()

    def reembed(self, embedder: Embedder, batch: int = 256) -> int:
        """Re-embed every passage with another model and rebuild the index: the way out of a mismatch."""
        import numpy as np

        done = 0
        last = 0
        with self.db.transaction() as conn:
            while True:
                rows = self.db.query(
                    "SELECT id, text FROM passages WHERE owner=? AND id>? ORDER BY id LIMIT ?",
                    (self.owner, last, batch),
                )
                if not rows:
                    break
                last = rows[-1][0]
                vectors = np.asarray(embedder.embed([r[1] for r in rows]), dtype="float32")
                conn.executemany(
                    "UPDATE passages SET embedding=? WHERE id=?",
                    [(vectors[i].tobytes(), r[0]) for i, r in enumerate(rows)],
                )
                done += len(rows)
            conn.execute("DELETE FROM vector_spaces WHERE owner=?", (self.owner,))
            conn.execute(
                "INSERT INTO vector_spaces (owner, model_id, dim) VALUES (?,?,?)",
                (self.owner, embedder.model_id, embedder.dim),
            )
        index_path(self.owner, self.db.index_dir).unlink(missing_ok=True)
        self.embedder = embedder
        self._index = VectorIndex(self.db, self.owner, embedder.dim)
        self._index.flush()
        return done


def _row_to_passage(r: Any) -> Passage:
    from datetime import datetime

    return Passage(
        id=r[0],
        text=r[1],
        source=r[2],
        metadata=json.loads(r[3] or "{}"),
        created_at=datetime.fromisoformat(r[4]),
        content_hash=r[5],
    )
