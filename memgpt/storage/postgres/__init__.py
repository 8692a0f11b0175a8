"""Postgres + pgvector storage: the protocols of storage/base.py on a server several processes
and hosts share (docs/storage.md). Needs the `postgres` extra: `pip install 'pymemgpt[postgres]'`."""

from __future__ import annotations

from typing import Any

# Nothing imported here: `memgpt.storage.postgres.uri` is read by every `open_storage()`, and
# must not load psycopg (an optional extra) on machines that use SQLite.


def __getattr__(name: str) -> Any:
    if name == "PostgresStorage":
        from memgpt.storage.postgres.storage import PostgresStorage

        return PostgresStorage
    raise AttributeError(name)


__all__ = ["PostgresStorage"]
