"""Numbered schema migrations for the Postgres backend, as storage/migrations.py is for SQLite.

Append new migrations; never edit a released one. `memgpt.schema_version` records how many have
run. Processes that start together (several servers behind a load balancer) take a transaction
advisory lock first, so exactly one migrates and the others then find the schema current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg

from memgpt.errors import StorageError

if TYPE_CHECKING:
    from memgpt.storage.postgres.db import PgDatabase

MIGRATION_LOCK = 0x6D656D677074  # "memgpt": one migrator at a time per database

MIGRATIONS: list[str] = [
    # 1: agents, recall messages with full-text search, passages with their vectors, data sources.
    # Times are timestamptz plus the writer's UTC offset, so a message reads back in the local time
    # the model was told. search_vector holds the words of storage/searchable.py (tokenised in
    # Python, see recall.py) and an owner lexeme per agent, so the GIN index alone answers a search.
    """
    CREATE TABLE agents (
        name text PRIMARY KEY,
        state jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE TABLE messages (
        id bigserial PRIMARY KEY,
        agent text NOT NULL,
        role text NOT NULL,
        content text,
        name text,
        tool_calls jsonb,
        tool_call_id text,
        created_at timestamptz NOT NULL,
        utc_offset integer NOT NULL,
        local_date date NOT NULL,
        tokens integer,
        search_text text,
        search_vector tsvector
    );
    CREATE INDEX messages_by_agent ON messages (agent, id);
    CREATE INDEX messages_by_date ON messages (agent, local_date, id) WHERE search_text IS NOT NULL;
    CREATE INDEX messages_search ON messages USING gin (search_vector);
    CREATE TABLE vector_spaces (
        id serial PRIMARY KEY,
        owner text NOT NULL UNIQUE,
        model_id text NOT NULL,
        dim integer NOT NULL,
        hnsw boolean NOT NULL DEFAULT false
    );
    CREATE TABLE passages (
        id bigserial PRIMARY KEY,
        owner text NOT NULL,
        text text NOT NULL,
        source text,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        utc_offset integer NOT NULL,
        content_hash text NOT NULL,
        embedding vector NOT NULL,
        UNIQUE (owner, content_hash)
    );
    CREATE INDEX passages_by_owner ON passages (owner, id);
    CREATE TABLE sources (
        name text PRIMARY KEY,
        created_at timestamptz NOT NULL,
        embedding_model text NOT NULL,
        embedding_dim integer NOT NULL
    );
    CREATE TABLE source_documents (
        source text NOT NULL,
        document text NOT NULL,
        content_hash text NOT NULL,
        size_bytes bigint NOT NULL,
        passages integer NOT NULL,
        loaded_at timestamptz NOT NULL,
        PRIMARY KEY (source, content_hash)
    );
    CREATE TABLE attachments (
        source text NOT NULL,
        agent text NOT NULL,
        attached_at timestamptz NOT NULL,
        PRIMARY KEY (source, agent)
    );
    """,
    # 2: core memory blocks shared between agents (SQLite's migration 3)
    """
    CREATE TABLE shared_blocks (
        name text PRIMARY KEY,
        label text NOT NULL,
        value text NOT NULL,
        char_limit integer NOT NULL,
        read_only boolean NOT NULL DEFAULT false,
        description text,
        updated_at timestamptz NOT NULL
    );
    """,
]


def migrate(conn: psycopg.Connection, db: PgDatabase) -> int:
    """Create the extension and schema if needed and run the migrations not yet run; returns the version."""
    from memgpt.storage.postgres.db import EXTENSION, SCHEMA, describe_error

    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            _ensure_extension(conn, db, EXTENSION)
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if current > len(MIGRATIONS):
                raise StorageError(
                    f"The memgpt schema in the PostgreSQL database at {db.display} was written by a newer memgpt "
                    f"(schema {current}, this release knows {len(MIGRATIONS)}). Upgrade memgpt to use it."
                )
            for script in MIGRATIONS[current:]:
                conn.execute(script)
            if current != len(MIGRATIONS):
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (len(MIGRATIONS),))
    except psycopg.Error as exc:
        raise describe_error(db.display, exc) from None
    return len(MIGRATIONS)


def _ensure_extension(conn: psycopg.Connection, db: PgDatabase, name: str) -> None:
    """pgvector must be there; creating it needs a privileged user, so say who has to do what."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,)).fetchone():
        return
    available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", (name,)).fetchone()
    if not available:
        raise StorageError(
            f"The PostgreSQL server at {db.display} does not have the {name!r} extension (pgvector), which memgpt "
            "needs for archival memory. Install pgvector on the server (https://github.com/pgvector/pgvector), "
            "then run memgpt again."
        )
    try:
        with conn.transaction():
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
    except psycopg.errors.InsufficientPrivilege:
        raise StorageError(
            f"The {name!r} extension (pgvector) is installed on the PostgreSQL server at {db.display} but not "
            f"enabled in this database, and this user may not enable it. Ask an administrator to run "
            f'`CREATE EXTENSION "{name}";` in that database.'
        ) from None
