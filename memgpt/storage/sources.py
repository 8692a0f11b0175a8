"""Data sources loaded with `memgpt load`: their passages, documents and attachments to agents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memgpt.errors import EmbeddingMismatchError, NotFoundError
from memgpt.schemas import now
from memgpt.storage.archival import PassageStore
from memgpt.storage.base import SourceSummary
from memgpt.storage.vector_index import index_path

if TYPE_CHECKING:
    import numpy as np

    from memgpt.embeddings.base import Embedder
    from memgpt.storage.sqlite import Database


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
