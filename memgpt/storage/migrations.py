"""Numbered schema migrations: a database written by any older release opens in a newer one.

Append new migrations to the list; never edit a released one. `schema_version` records how many
have run, so each runs exactly once, inside the transaction that opens the database.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: agents, recall messages with full-text search, passages with their vectors, data sources
    """
    CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        role TEXT NOT NULL,
        content TEXT,
        name TEXT,
        tool_calls TEXT,
        tool_call_id TEXT,
        created_at TEXT NOT NULL,
        local_date TEXT NOT NULL,
        tokens INTEGER,
        search_text TEXT
    );
    CREATE INDEX messages_by_agent ON messages(agent, id);
    CREATE INDEX messages_by_date ON messages(agent, local_date);
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        search_text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_ai AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
        INSERT INTO messages_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages WHEN old.search_text IS NOT NULL BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, search_text)
            SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
        INSERT INTO messages_fts(rowid, search_text)
            SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
    END;
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        text TEXT NOT NULL,
        source TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        embedding BLOB NOT NULL
    );
    CREATE INDEX passages_by_owner ON passages(owner, id);
    CREATE UNIQUE INDEX passages_unique_text ON passages(owner, content_hash);
    CREATE TABLE vector_spaces (
        owner TEXT PRIMARY KEY,
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL
    );
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        embedding_model TEXT NOT NULL,
        embedding_dim INTEGER NOT NULL
    );
    CREATE TABLE source_documents (
        source TEXT NOT NULL,
        document TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        passages INTEGER NOT NULL,
        loaded_at TEXT NOT NULL,
        PRIMARY KEY (source, content_hash)
    );
    CREATE TABLE attachments (
        source TEXT NOT NULL,
        agent TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (source, agent)
    );
    """,
    # 2: full-text search knows each message's agent. The index holds an `owner` token per agent
    # ('a' + hex of the name: one alphanumeric token, unique per name), so a search is answered by
    # the index alone — its cost follows the matches, not the history (joining to `messages` to filter
    # by agent cost one lookup per match: 86 ms for a common word at 100k messages). Contentless: the
    # text itself stays in `messages` only.
    """
    DROP TRIGGER messages_ai;
    DROP TRIGGER messages_ad;
    DROP TRIGGER messages_au;
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        owner, search_text, content='', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts(rowid, owner, search_text)
        SELECT id, 'a' || hex(agent), search_text FROM messages WHERE search_text IS NOT NULL;
    CREATE TRIGGER messages_ai AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
        INSERT INTO messages_fts(rowid, owner, search_text) VALUES (new.id, 'a' || hex(new.agent), new.search_text);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages WHEN old.search_text IS NOT NULL BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, owner, search_text)
            VALUES ('delete', old.id, 'a' || hex(old.agent), old.search_text);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, owner, search_text)
            SELECT 'delete', old.id, 'a' || hex(old.agent), old.search_text WHERE old.search_text IS NOT NULL;
        INSERT INTO messages_fts(rowid, owner, search_text)
            SELECT new.id, 'a' || hex(new.agent), new.search_text WHERE new.search_text IS NOT NULL;
    END;
    """,
    # 3: core memory blocks shared between agents (a preset's `shared:` block). One row per block;
    # each agent's state names the row, so an edit by one agent is what the others read next.
    """
    CREATE TABLE shared_blocks (
        name TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        value TEXT NOT NULL,
        char_limit INTEGER NOT NULL,
        read_only INTEGER NOT NULL DEFAULT 0,
        description TEXT,
        updated_at TEXT NOT NULL
    );
    """,
    # 4: keyword search over passages (BM25), fused with vector search for exact names, codes and
    # numbers that embeddings blur. Contentless and keyed by an owner token, like messages_fts.
    """
    CREATE VIRTUAL TABLE passages_fts USING fts5(
        owner, text, content='', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO passages_fts(rowid, owner, text) SELECT id, 'a' || hex(owner), text FROM passages;
    CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts(rowid, owner, text) VALUES (new.id, 'a' || hex(new.owner), new.text);
    END;
    CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, owner, text)
            VALUES ('delete', old.id, 'a' || hex(old.owner), old.text);
    END;
    CREATE TRIGGER passages_au AFTER UPDATE OF owner, text ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, owner, text)
            VALUES ('delete', old.id, 'a' || hex(old.owner), old.text);
        INSERT INTO passages_fts(rowid, owner, text) VALUES (new.id, 'a' || hex(new.owner), new.text);
    END;
    """,
    # 5: vectors of recall messages, so conversation_search finds by meaning too. Filled lazily at search
    # time (never during a step); `seq` orders arrivals so a process's in-memory copy catches up cheaply.
    # A deleted or rewritten message loses its vector (a rewritten one is embedded again when searched).
    """
    CREATE TABLE message_vectors (
        seq INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL UNIQUE,
        agent TEXT NOT NULL,
        model_id TEXT NOT NULL,
        embedding BLOB NOT NULL
    );
    CREATE INDEX message_vectors_by_agent ON message_vectors(agent, model_id, seq);
    CREATE TRIGGER message_vectors_ad AFTER DELETE ON messages BEGIN
        DELETE FROM message_vectors WHERE message_id = old.id;
    END;
    CREATE TRIGGER message_vectors_au AFTER UPDATE OF search_text ON messages BEGIN
        DELETE FROM message_vectors WHERE message_id = old.id;
    END;
    """,
]


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Run the migrations this database has not seen yet; returns the new version."""
    current = schema_version(conn)
    if current > len(MIGRATIONS):
        from memgpt.errors import StorageError

        raise StorageError(
            f"The database was written by a newer memgpt (schema {current}, this release knows "
            f"{len(MIGRATIONS)}). Upgrade memgpt to open it."
        )
    for number in range(current, len(MIGRATIONS)):
        for statement in _statements(MIGRATIONS[number]):
            conn.execute(statement)
    if current != len(MIGRATIONS):
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a script on `;` at statement ends, keeping trigger bodies whole."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
