"""PostgresStorage: the stores of this package behind the Storage protocol of storage/base.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from memgpt.storage.postgres.agents import PgAgentStore
from memgpt.storage.postgres.archival import PgPassageStore
from memgpt.storage.postgres.blocks import PgBlockStore
from memgpt.storage.postgres.db import PgDatabase
from memgpt.storage.postgres.lock import advisory_agent_lock
from memgpt.storage.postgres.recall import PgRecallStore
from memgpt.storage.postgres.sources import PgSourceStore

if TYPE_CHECKING:
    from memgpt.embeddings.base import Embedder


class PostgresStorage:
    """What SQLiteStorage is, on a PostgreSQL server: same stores, same transaction and lock contracts."""

    def __init__(self, uri: str) -> None:
        self.db = PgDatabase(uri)
        self.recall = PgRecallStore(self.db)
        self.agents = PgAgentStore(self.db, self.recall)
        self.sources = PgSourceStore(self.db)
        self.blocks = PgBlockStore(self.db)
        self._archival: dict[tuple[str, str], PgPassageStore] = {}
        self._closed = False

    def archival(self, agent: str, embedder: Embedder | None) -> PgPassageStore:
        key = (agent, getattr(embedder, "model_id", ""))
        if key not in self._archival:
            self._archival[key] = PgPassageStore(self.db, f"agent:{agent}", embedder)
        return self._archival[key]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    def lock_agent(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Exclusive across processes and hosts sharing the database; AgentLockedError names the holder."""
        return advisory_agent_lock(self.db, name)

    def flush(self) -> None:
        """Build HNSW indexes of agents that grew past the exact-search size (nothing else is pending)."""
        for store in list(self._archival.values()):
            store.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self.db.close()

    def __enter__(self) -> PostgresStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

