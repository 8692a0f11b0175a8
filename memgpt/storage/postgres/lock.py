"""One writer per agent across processes and hosts: a session-level advisory lock.

Postgres holds the lock for as long as the session that took it lives, and drops it when that
connection ends for any reason: a clean exit, `kill -9` (the socket closes at once), or a host
that vanished (noticed by TCP keepalives within about a minute). So each held agent lock is one
connection of its own, outside the pool, kept open until the agent is closed.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from memgpt.errors import AgentLockedError
from memgpt.storage.postgres.db import PgDatabase


def lock_key(name: str) -> int:
    """A signed 64-bit key for the agent (advisory locks are per database, so the name suffices)."""
    digest = hashlib.blake2b(b"memgpt-agent\x00" + name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def advisory_agent_lock(db: PgDatabase, name: str) -> Iterator[None]:
    key = lock_key(name)
    conn = db.connect()
    try:
        with db.errors():
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]  # type: ignore[index]
            holder = None if got else _holder(conn, key)
        if not got:
            raise AgentLockedError(
                f"Agent {name!r} is already running in another memgpt process ({holder or 'holder unknown'}), "
                f"connected to the PostgreSQL server at {db.display}. Close that session first; two writers "
                "would corrupt its memory."
            )
        yield
    finally:
        conn.close()  # ending the session releases the lock


def _holder(conn: object, key: int) -> str | None:
    """The application_name of the session holding the lock: 'memgpt pid N on HOST'."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    row = conn.execute(  # type: ignore[attr-defined]
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid::bigint = %s AND l.objid::bigint = %s"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (unsigned >> 32, unsigned & 0xFFFF_FFFF),
    ).fetchone()
    return row[0] if row and row[0] else None
