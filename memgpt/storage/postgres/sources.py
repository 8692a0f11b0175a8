"""Data sources on Postgres (`memgpt load`, `attach`): their passages, documents and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memgpt.errors import EmbeddingMismatchError, NotFoundError
from memgpt.schemas import now
from memgpt.storage.base import SourceSummary
from memgpt.storage.postgres.archival import PgPassageStore, drop_hnsw
from memgpt.storage.postgres.db import PgDatabase
from memgpt.storage.postgres.recall import no_nul

if TYPE_CHECKING:
    import numpy as np

    from memgpt.embeddings.base import Embedder


class PgSourceStore:
    """Data sources loaded with `memgpt load`, attachable to any agent."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def passages(self, name: str, embedder: Embedder | None = None) -> PgPassageStore:
        return PgPassageStore(self.db, f"source:{name}", embedder)

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM sources WHERE name=%s", (name,)))

    def create(self, name: str, embedder: Embedder) -> None:
        """Create the source if it is new; an existing one must use the same embedding model."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (name, created_at, embedding_model, embedding_dim) VALUES (%s,%s,%s,%s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, now(), embedder.model_id, embedder.dim),
            )
            model, dim = conn.execute(
                "SELECT embedding_model, embedding_dim FROM sources WHERE name=%s", (name,)
            ).fetchone()  # type: ignore[misc]
        if (model, dim) != (embedder.model_id, embedder.dim):
            raise EmbeddingMismatchError(
                f"Data source {name!r} was loaded with {model} (dim {dim}); the configured "
                f"embedder is {embedder.model_id} (dim {embedder.dim}). Use another name, or delete the "
                f"source first (`memgpt delete source --name {name}`)."
            )

    def has_document(self, name: str, digest: str) -> bool:
        return bool(
            self.db.query("SELECT 1 FROM source_documents WHERE source=%s AND content_hash=%s", (name, digest))
        )

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
            record_document(conn, name, no_nul(document), digest, size_bytes, len(ids), now())
        return len(ids)

    def flush(self, name: str, embedder: Embedder) -> None:
        """Nothing to write: the server has everything (a source's passages are copied, not searched)."""

    def list(self) -> list[SourceSummary]:
        docs = {r[0]: (r[1], r[2]) for r in self.db.query(
            "SELECT source, count(*), COALESCE(sum(size_bytes), 0) FROM source_documents GROUP BY source"
        )}
        passages = dict(
            self.db.query("SELECT owner, count(*) FROM passages WHERE owner LIKE 'source:%%' GROUP BY owner")
        )
        agents: dict[str, list[str]] = {}
        for source, agent in self.db.query("SELECT source, agent FROM attachments ORDER BY agent"):
            agents.setdefault(source, []).append(agent)
        out = []
        for name, created, model, dim in self.db.query(
            "SELECT name, created_at, embedding_model, embedding_dim FROM sources ORDER BY name"
        ):
            count, size = docs.get(name, (0, 0))
            out.append(
                SourceSummary(
                    name=name,
                    passages=passages.get(f"source:{name}", 0),
                    documents=count,
                    size_bytes=int(size),
                    embedding_model=model,
                    embedding_dim=dim,
                    created_at=created.isoformat(),
                    agents=agents.get(name, []),
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
            drop_hnsw(conn, owner)
            conn.execute("DELETE FROM passages WHERE owner=%s", (owner,))
            conn.execute("DELETE FROM vector_spaces WHERE owner=%s", (owner,))
            conn.execute("DELETE FROM source_documents WHERE source=%s", (name,))
            conn.execute("DELETE FROM attachments WHERE source=%s", (name,))
            conn.execute("DELETE FROM sources WHERE name=%s", (name,))

    def attach(self, name: str, agent_archival: PgPassageStore, agent: str) -> int:
        """Copy the source's passages into an agent's archival memory; returns how many were new."""
        if not self.exists(name):
            raise NotFoundError(f"No data source named {name!r}. Load one with `memgpt load`.")
        added = agent_archival.copy_from(self.passages(name))
        with self.db.transaction() as conn:
            record_attachment(conn, name, agent, now())
        return added


def record_document(conn: Any, source: str, document: str, digest: str, size: int, passages: int, at: Any) -> None:
    conn.execute(
        "INSERT INTO source_documents (source, document, content_hash, size_bytes, passages, loaded_at)"
        " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (source, content_hash) DO UPDATE SET document=excluded.document,"
        " size_bytes=excluded.size_bytes, passages=excluded.passages, loaded_at=excluded.loaded_at",
        (source, document, digest, size, passages, at),
    )


def record_attachment(conn: Any, source: str, agent: str, at: Any) -> None:
    conn.execute(
        "INSERT INTO attachments (source, agent, attached_at) VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
        (source, agent, at),
    )
