"""Archival memory and data sources: passages in SQLite, vectors in FAISS index files.

Each owner (`agent:<name>` or `source:<name>`) has its own vector space, recorded with the
embedding model that made it, and its own index file. Vectors are also kept in SQLite, so the
index is a cache: written atomically, caught up from SQLite when it is behind (a crash between
the commit and the index write), rebuilt when it is missing or does not match.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memgpt import paths
from memgpt.errors import EmbeddingMismatchError, NotFoundError
from memgpt.fileio import atomic_write_bytes
from memgpt.schemas import Passage, now
from memgpt.storage.base import SourceSummary

if TYPE_CHECKING:
    import numpy as np

    from memgpt.embeddings.base import Embedder
    from memgpt.storage.sqlite import Database

log = logging.getLogger(__name__)

# Below this many vectors exact search is fast enough (a few ms); above it an IVF index pays.
APPROX_MIN_VECTORS = 100_000


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def index_path(owner: str, directory: Path | None = None) -> Path:
    """Where an owner's index file lives: `archival_storage_path` from the config, else the data dir."""
    kind, _, name = owner.partition(":")
    return (directory or paths.index_dir()) / f"{kind}-{name}.faiss"


def nprobe_for(nlist: int) -> int:
    return max(8, nlist // 8)


def build_index(vectors: np.ndarray, ids: np.ndarray, dim: int) -> Any:
    """Exact inner-product search while small, IVF (inverted lists) past APPROX_MIN_VECTORS."""
    import faiss
    import numpy as np

    if len(ids) < APPROX_MIN_VECTORS:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = int(4 * math.sqrt(len(ids)))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(vectors), size=min(len(vectors), nlist * 40), replace=False)]
        index.train(sample)
        index.nprobe = nprobe_for(nlist)
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index


def _max_id(index: Any) -> int:
    import faiss

    if index.ntotal == 0:
        return 0
    if isinstance(index, faiss.IndexIDMap2) or hasattr(index, "id_map"):
        return int(faiss.vector_to_array(index.id_map).max())
    invlists = index.invlists
    best = 0
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size:
            ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size)
            best = max(best, int(ids.max()))
    return best


class VectorIndex:
    """The FAISS index of one owner, kept in step with the passages table."""

    def __init__(self, db: Database, owner: str, dim: int) -> None:
        self.db = db
        self.owner = owner
        self.dim = dim
        self.path = index_path(owner, db.index_dir)
        self.dirty = False
        self.index = self._open()

    def _vectors_after(self, after_id: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        rows = self.db.query(
            "SELECT id, embedding FROM passages WHERE owner=? AND id>? ORDER BY id", (self.owner, after_id)
        )
        if not rows:
            return np.zeros((0, self.dim), dtype="float32"), np.zeros(0, dtype="int64")
        ids = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype="float32").reshape(len(rows), self.dim)
        return vecs, ids

    def _open(self) -> Any:
        import faiss

        count = self.db.query("SELECT COUNT(*) FROM passages WHERE owner=?", (self.owner,))[0][0]
        index = None
        if self.path.exists():
            try:
                index = faiss.deserialize_index(_read_bytes(self.path))
                if index.d != self.dim or index.ntotal > count:
                    log.warning("Index %s does not match the stored passages; rebuilding it.", self.path)
                    index = None
            except Exception as exc:  # a truncated or foreign file: the passages table has the truth
                log.warning("Index %s could not be read (%s); rebuilding it from stored vectors.", self.path, exc)
                index = None
        elif count:
            log.warning("Index %s is missing; rebuilding it from stored vectors.", self.path)
        if index is None:
            vecs, ids = self._vectors_after(0)
            index = build_index(vecs, ids, self.dim)
            self.dirty = True
        elif index.ntotal < count:
            vecs, ids = self._vectors_after(_max_id(index))
            index.add_with_ids(vecs, ids)
            self.dirty = True
        return index

    def add(self, vectors: np.ndarray, ids: Sequence[int]) -> None:
        import numpy as np

        if not len(ids):
            return
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype="float32"), np.asarray(ids, dtype="int64"))
        self.dirty = True
        if self.index.ntotal >= APPROX_MIN_VECTORS and not hasattr(self.index, "nprobe"):
            vecs, all_ids = self._vectors_after(0)
            self.index = build_index(vecs, all_ids, self.dim)

    def search(self, vector: np.ndarray, k: int) -> list[int]:
        import faiss

        if self.index.ntotal == 0:
            return []
        # One query: thread start-up costs more than it saves below ~100k vectors (0.6 -> 0.2 ms at 10k).
        faiss.omp_set_num_threads(1 if self.index.ntotal < APPROX_MIN_VECTORS else (os.cpu_count() or 1))
        _, ids = self.index.search(vector.reshape(1, -1).astype("float32"), min(k, self.index.ntotal))
        return [int(i) for i in ids[0] if i >= 0]

    def flush(self) -> None:
        import faiss

        if self.dirty:
            atomic_write_bytes(self.path, faiss.serialize_index(self.index).tobytes())
            self.dirty = False


def _read_bytes(path: Path) -> Any:
    import numpy as np

    return np.frombuffer(path.read_bytes(), dtype="uint8")


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
        if self.embedder is None:
            raise ValueError("this passage store was opened without an embedder")
        space = self.vector_space()
        if space is not None and space != (self.embedder.model_id, self.embedder.dim):
            what = self.owner.replace("agent:", "agent ").replace("source:", "data source ")
            raise EmbeddingMismatchError(
                f"The archival memory of {what} was embedded with {space[0]} (dim {space[1]}), but the "
                f"embedder in use is {self.embedder.model_id} (dim {self.embedder.dim}). Vectors of two models "
                "cannot be mixed. Switch back to that embedding model (`memgpt configure`), or re-embed with "
                "`memgpt reembed`."
            )
        return self.embedder

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
        texts = [t for t in texts if t and t.strip()]
        if not texts:
            return []
        metas = list(metadata) if isinstance(metadata, Sequence) else [metadata or {}] * len(texts)
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
    def search(self, query: str, top_k: int) -> list[Passage]:
        if self.count() == 0:
            return []
        embedder = self._require_embedder()
        ids = self.index().search(embedder.embed([query])[0], top_k)
        return self._by_ids(ids)

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


class SourceStore:
    """Data sources loaded with `memgpt load`, attachable to any agent."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._stores: dict[tuple[str, str], PassageStore] = {}

    def passages(self, name: str, embedder: Embedder | None = None) -> PassageStore:
        """One store per source and model, so its in-memory index is built once per process."""
        key = (name, getattr(embedder, "model_id", ""))
        if key not in self._stores:
            self._stores[key] = PassageStore(self.db, f"source:{name}", embedder)
        return self._stores[key]

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM sources WHERE name=?", (name,)))

    def create(self, name: str, embedder: Embedder) -> None:
        """Create the source if it is new; an existing one must use the same embedding model."""
        rows = self.db.query("SELECT embedding_model, embedding_dim FROM sources WHERE name=?", (name,))
        if rows:
            if (rows[0][0], rows[0][1]) != (embedder.model_id, embedder.dim):
                raise EmbeddingMismatchError(
                    f"Data source {name!r} was loaded with {rows[0][0]} (dim {rows[0][1]}); the configured "
                    f"embedder is {embedder.model_id} (dim {embedder.dim}). Use another name, or delete the "
                    f"source first (`memgpt delete source --name {name}`)."
                )
            return
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (name, created_at, embedding_model, embedding_dim) VALUES (?,?,?,?)",
                (name, now().isoformat(), embedder.model_id, embedder.dim),
            )

    def has_document(self, name: str, digest: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM source_documents WHERE source=? AND content_hash=?", (name, digest)))

    def add_document(
        self,
        name: str,
        document: str,
        digest: str,
        size_bytes: int,
        texts: Sequence[str],
        metadata: Sequence[dict[str, Any]],
        embedder: Embedder,
        vectors: np.ndarray | None = None,
    ) -> int:
        """Add one document's passages and record the document, in one transaction (resumable loads)."""
        store = self.passages(name, embedder)
        with self.db.transaction() as conn:
            ids = store.insert(texts, metadata, source=name, vectors=vectors)
            conn.execute(
                "INSERT OR REPLACE INTO source_documents (source, document, content_hash, size_bytes, passages,"
                " loaded_at) VALUES (?,?,?,?,?,?)",
                (name, document, digest, size_bytes, len(ids), now().isoformat()),
            )
        return len(ids)

    def flush(self, name: str, embedder: Embedder) -> None:
        self.passages(name, embedder).flush()

    def list(self) -> list[SourceSummary]:
        out = []
        for row in self.db.query("SELECT name, created_at, embedding_model, embedding_dim FROM sources ORDER BY name"):
            name = row[0]
            stats = self.db.query(
                "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM source_documents WHERE source=?", (name,)
            )[0]
            passages = self.db.query("SELECT COUNT(*) FROM passages WHERE owner=?", (f"source:{name}",))[0][0]
            agents = [
                r[0] for r in self.db.query("SELECT agent FROM attachments WHERE source=? ORDER BY agent", (name,))
            ]
            out.append(
                SourceSummary(
                    name=name,
                    passages=passages,
                    documents=stats[0],
                    size_bytes=stats[1],
                    embedding_model=row[2],
                    embedding_dim=row[3],
                    created_at=row[1],
                    agents=agents,
                )
            )
        return out

    def get(self, name: str) -> SourceSummary:
        for summary in self.list():
            if summary.name == name:
                return summary
        raise NotFoundError(f"No data source named {name!r}. Load one with `memgpt load`.")

    def delete(self, name: str) -> None:
        if not self.exists(name):
            raise NotFoundError(f"No data source named {name!r}.")
        owner = f"source:{name}"
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM passages WHERE owner=?", (owner,))
            conn.execute("DELETE FROM vector_spaces WHERE owner=?", (owner,))
            conn.execute("DELETE FROM source_documents WHERE source=?", (name,))
            conn.execute("DELETE FROM attachments WHERE source=?", (name,))
            conn.execute("DELETE FROM sources WHERE name=?", (name,))
        index_path(owner, self.db.index_dir).unlink(missing_ok=True)
        self._stores = {k: v for k, v in self._stores.items() if k[0] != name}

    def attach(self, name: str, agent_archival: PassageStore, agent: str) -> int:
        """Copy the source's passages into an agent's archival memory; returns how many were new."""
        if not self.exists(name):
            raise NotFoundError(f"No data source named {name!r}. Load one with `memgpt load`.")
        added = agent_archival.copy_from(self.passages(name))
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO attachments (source, agent, attached_at) VALUES (?,?,?)",
                (name, agent, now().isoformat()),
            )
        return added
