"""One PostgreSQL database shared by the stores of a process: a connection pool, transactions that
nest like SQLite's, vectors sent as pgvector's binary format, and errors that name the server.

A transaction belongs to the thread that opened it (the server runs agents on worker threads):
while it is open, every query of that thread uses its connection, so a step's reads see its own
writes. A nested `transaction()` joins it through a savepoint: an error inside rolls back only
the nested part, as a failed statement does in SQLite, instead of poisoning the whole step (a
failed statement aborts a Postgres transaction until it rolls back).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg_pool import ConnectionPool, PoolTimeout

from memgpt.errors import StorageError, StorageWriteError
from memgpt.storage.postgres import uri as uris

SCHEMA = "memgpt"
EXTENSION = "vector"  # pgvector; a name, so a test can ask for one the server does not have
CONNECT_TIMEOUT = 10  # seconds: a server that is down is reported promptly, not after minutes
POOL_TIMEOUT = 15.0  # seconds to wait for a free connection before saying so
EF_SEARCH = 100  # HNSW candidates per query: recall@10 ~0.99 where the default 40 gave ~0.95


def pool_size() -> int:
    """Connections per process: a CLI uses one at a time; the server one per busy worker thread.
    MEMGPT_PG_POOL_SIZE overrides (each `memgpt run` also holds one connection per agent lock)."""
    try:
        return max(1, int(os.environ.get("MEMGPT_PG_POOL_SIZE", "")))
    except ValueError:
        return min(8, (os.cpu_count() or 1) + 2)


def application_name() -> str:
    """Shown in pg_stat_activity, and in the error a second writer of an agent sees."""
    return f"memgpt pid {os.getpid()} on {socket.gethostname()}"[:63]


class Vector:
    """A float32 row to send as a pgvector value (binary: no text formatting of 256+ floats)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = np.asarray(data, dtype=">f4").reshape(-1)


class _VectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Vector) -> bytes:
        return struct.pack(">HH", obj.data.shape[0], 0) + obj.data.tobytes()


class _VectorBinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data: Any) -> np.ndarray:
        dim = struct.unpack_from(">H", data)[0]
        return np.frombuffer(bytes(data), dtype=">f4", count=dim, offset=4).astype("float32")


class _VectorTextLoader(Loader):
    def load(self, data: Any) -> np.ndarray:
        return np.array(bytes(data)[1:-1].split(b","), dtype="float32")


class PgDatabase:
    """The pool and the per-thread transaction of one database; `display` names it without secrets."""

    def __init__(self, uri: str) -> None:
        from memgpt.storage.postgres.migrations import migrate

        self.uri = uri
        self.display = uris.describe(uri)
        self._local = threading.local()
        self._vector_oid = 0
        with self.connect() as conn:
            migrate(conn, self)
            self._vector_oid = psycopg.types.TypeInfo.fetch(conn, EXTENSION).oid  # type: ignore[union-attr]
        self.pool = ConnectionPool(
            uri,
            min_size=1,
            max_size=pool_size(),
            kwargs=self._connect_kwargs(),
            configure=self._configure,
            check=ConnectionPool.check_connection,  # a server restart between steps costs a reconnect, not a step
            timeout=POOL_TIMEOUT,
            name="memgpt",
            open=False,
        )
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except PoolTimeout:
            raise StorageError(f"The PostgreSQL server at {self.display} stopped answering.") from None

    # -- connections ----------------------------------------------------------------------
    def _connect_kwargs(self) -> dict[str, Any]:
        return {
            "autocommit": True,
            "application_name": application_name(),
            "connect_timeout": CONNECT_TIMEOUT,
            # a host that vanishes (not a process that dies: its socket closes at once) is noticed in ~1 min
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }

    def connect(self) -> psycopg.Connection:
        """A connection of its own (migrations, agent locks, index builds), outside the pool."""
        try:
            conn = psycopg.connect(self.uri, **self._connect_kwargs())
        except psycopg.OperationalError as exc:
            raise StorageError(
                f"Cannot connect to the PostgreSQL server at {self.display}: {_first_line(exc)}. Check that it is "
                "running and that the URI is right (`memgpt configure --postgres-uri ...` or MEMGPT_PG_URI)."
            ) from None
        if self._vector_oid:
            self._configure(conn)
        else:
            _use_schema(conn)
        return conn

    def _configure(self, conn: psycopg.Connection) -> None:
        _use_schema(conn)
        dumper = type("VectorDumper", (_VectorDumper,), {"oid": self._vector_oid})
        conn.adapters.register_dumper(Vector, dumper)
        conn.adapters.register_loader(self._vector_oid, _VectorBinaryLoader)
        conn.adapters.register_loader(self._vector_oid, _VectorTextLoader)
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(EF_SEARCH),))

    # -- transactions and queries ---------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Writes inside commit together; a nested use joins the outer transaction (as a savepoint)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with self.errors(), conn.transaction():
                yield conn
            return
        with self.errors():
            conn = self.pool.getconn()
        self._local.conn = conn
        try:
            with self.errors(), conn.transaction():
                yield conn
        finally:
            self._local.conn = None
            self.pool.putconn(conn)

    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def query(self, sql: str, params: Sequence[Any] | None = None, binary: bool = False) -> list[tuple[Any, ...]]:
        """Rows of one statement: on this thread's transaction if one is open, else on a pooled connection."""
        conn = getattr(self._local, "conn", None)
        with self.errors():
            if conn is not None:
                return conn.execute(sql, params, binary=binary).fetchall()
            with self.pool.connection() as pooled:
                return pooled.execute(sql, params, binary=binary).fetchall()

    def value(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """psycopg errors become StorageErrors that name the server and say what was kept."""
        try:
            yield
        except PoolTimeout:
            raise StorageWriteError(
                f"No connection to the PostgreSQL server at {self.display} came free within {POOL_TIMEOUT:.0f} s "
                "(is it down, or at max_connections?). Nothing was lost: the last change was not saved."
            ) from None
        except psycopg.Error as exc:
            raise describe_error(self.display, exc) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pool.close()


def _use_schema(conn: psycopg.Connection) -> None:
    """memgpt's tables live in their own schema (no clash with a database's own `agents` table); the
    user's search_path follows, so pgvector's types resolve wherever the extension was installed."""
    conn.execute(f"SELECT set_config('search_path', '{SCHEMA},' || current_setting('search_path'), false)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else exc.__class__.__name__


def describe_error(display: str, exc: psycopg.Error) -> StorageError:
    """Each failure with its cause and way out (as describe_sqlite_error does for the file)."""
    errors = psycopg.errors
    kept = "Nothing was lost: the last change was not saved, and memgpt goes on."
    where = f"the PostgreSQL server at {display}"
    if isinstance(exc, errors.DiskFull | errors.OutOfMemory | errors.InsufficientResources):
        return StorageWriteError(f"{where[0].upper()}{where[1:]} is out of space ({_first_line(exc)}). {kept}")
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return StorageWriteError(f"{where[0].upper()}{where[1:]} accepts no writes (a read-only standby?). {kept}")
    if isinstance(exc, errors.InsufficientPrivilege):
        return StorageError(f"The database user may not do this on {where} ({_first_line(exc)}).")
    if isinstance(exc, errors.SerializationFailure | errors.DeadlockDetected | errors.LockNotAvailable):
        return StorageWriteError(f"{where[0].upper()}{where[1:]} was busy ({_first_line(exc)}). {kept} Try again.")
    if isinstance(exc, psycopg.OperationalError):
        return StorageWriteError(
            f"Lost the connection to {where} ({_first_line(exc)}). {kept} Check that the server is running; "
            "memgpt reconnects on the next request."
        )
    return StorageError(f"A database operation on {where} failed ({_first_line(exc)}). Your data is intact.")
