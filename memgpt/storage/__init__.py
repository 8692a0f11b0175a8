"""Storage: `open_storage()` gives the configured implementation of storage/base.py: the embedded
SQLite + FAISS default, or Postgres + pgvector (`storage.*_type = "postgres"`, or MEMGPT_PG_URI set)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from memgpt.storage.archival import PassageStore
from memgpt.storage.lock import agent_lock
from memgpt.storage.sources import SourceStore
from memgpt.storage.sqlite import (
    Database,
    SQLiteAgentStore,
    SQLiteRecallStore,
    configured_index_dir,
    default_database_path,
)

if TYPE_CHECKING:
    from memgpt.embeddings.base import Embedder


class SQLiteStorage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.recall = SQLiteRecallStore(db)
        self.agents = SQLiteAgentStore(db, self.recall)
        self.sources = SourceStore(db)
        self._archival: dict[tuple[str, str], PassageStore] = {}

    def archival(self, agent: str, embedder: Embedder | None) -> PassageStore:
        key = (agent, getattr(embedder, "model_id", ""))
        if key not in self._archival:
            self._archival[key] = PassageStore(self.db, f"agent:{agent}", embedder)
        return self._archival[key]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    def lock_agent(self, name: str) -> contextlib.AbstractContextManager[None]:
        return agent_lock(name)

    def flush(self) -> None:
        """Write index files that changed (they are caches; SQLite already has everything)."""
        for store in self._archival.values():
            store.flush()

    def close(self) -> None:
        self.flush()
        self.db.close()

    def __enter__(self) -> SQLiteStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_storage(config: Any = None) -> Any:
    """SQLiteStorage or PostgresStorage: whichever, the agent sees the same stores and contracts."""
    from memgpt.storage.postgres.uri import configured_backend, configured_uri

    if configured_backend(config) == "postgres":
        return open_postgres(configured_uri(config))
    return open_sqlite(config)


def open_sqlite(config: Any = None) -> SQLiteStorage:
    return SQLiteStorage(Database(default_database_path(config), configured_index_dir(config)))


def open_postgres(uri: str) -> Any:
    try:
        from memgpt.storage.postgres.storage import PostgresStorage
    except ImportError as exc:
        from memgpt.errors import ConfigError

        raise ConfigError(
            f"Postgres storage is configured, but its driver is not installed ({exc}). Install it with "
            "`pip install 'pymemgpt[postgres]'`, or switch back with `memgpt configure --storage sqlite`."
        ) from None
    return PostgresStorage(uri)


__all__ = ["SQLiteStorage", "open_postgres", "open_sqlite", "open_storage"]
