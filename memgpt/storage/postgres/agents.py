"""Agents on Postgres: the state as JSONB, created together with its first messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from memgpt.errors import NewerDataError, NotFoundError, StorageError
from memgpt.schemas import STATE_VERSION, AgentState, Message, now
from memgpt.storage.base import AgentSummary
from memgpt.storage.postgres.db import PgDatabase
from memgpt.storage.postgres.recall import PgRecallStore, no_nul


def state_json(state: AgentState) -> str:
    """The state as JSON Postgres accepts: JSONB refuses the \\u0000 escape SQLite stored happily."""
    return json.dumps(no_nul(state.model_dump(mode="json")))


def check_state(name: str, raw: Any, where: str) -> AgentState:
    """A stored state, refusing one written by a newer memgpt (never silently downgraded)."""
    version = raw.get("state_version", 1) if isinstance(raw, dict) else None
    if isinstance(version, int) and version > STATE_VERSION:
        raise NewerDataError(
            f"Agent {name!r} was saved by a newer memgpt (state version {version}; this release knows "
            f"{STATE_VERSION}). It is left untouched: upgrade memgpt to run it."
        )
    try:
        return AgentState.model_validate(raw)
    except ValueError as exc:
        raise StorageError(f"The saved state of agent {name!r} in {where} is damaged ({exc}).") from None


class PgAgentStore:
    def __init__(self, db: PgDatabase, recall: PgRecallStore) -> None:
        self.db = db
        self.recall = recall

    def create(self, state: AgentState, initial_messages: Sequence[Message]) -> AgentState:
        with self.db.transaction() as conn:
            if self.exists(state.name):
                raise StorageError(f"An agent named {state.name!r} already exists.")
            stored = self.recall.append(state.name, initial_messages)
            state = state.model_copy(update={"in_context_ids": [m.id for m in stored]})
            conn.execute(
                "INSERT INTO agents (name, state, created_at, updated_at) VALUES (%s, %s::jsonb, %s, %s)",
                (state.name, state_json(state), state.created_at, state.created_at),
            )
        return state

    def load(self, name: str) -> AgentState:
        rows = self.db.query("SELECT state FROM agents WHERE name=%s", (name,))
        if not rows:
            raise NotFoundError(f"No agent named {name!r}.")
        return check_state(name, rows[0][0], f"the PostgreSQL database at {self.db.display}")

    def save(self, state: AgentState) -> None:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE agents SET state=%s::jsonb, updated_at=%s WHERE name=%s",
                (state_json(state), now(), state.name),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"No agent named {state.name!r} (was it deleted?).")

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM agents WHERE name=%s", (name,)))

    def names(self) -> list[str]:
        """Most recently used first."""
        return [r[0] for r in self.db.query("SELECT name FROM agents ORDER BY updated_at DESC")]

    def list(self) -> list[AgentSummary]:
        counts = dict(self.db.query("SELECT agent, count(*) FROM messages GROUP BY agent"))
        passages = dict(
            self.db.query("SELECT owner, count(*) FROM passages WHERE owner LIKE 'agent:%%' GROUP BY owner")
        )
        out = []
        for (raw,) in self.db.query("SELECT state FROM agents ORDER BY updated_at DESC"):
            try:
                st = AgentState.model_validate(raw)
            except ValueError:
                continue
            out.append(AgentSummary.of(st, counts, passages))
        return out

    def delete(self, name: str) -> None:
        if not self.exists(name):
            raise NotFoundError(f"No agent named {name!r}.")
        from memgpt.storage.postgres.archival import drop_hnsw

        owner = f"agent:{name}"
        with self.db.transaction() as conn:
            drop_hnsw(conn, owner)
            conn.execute("DELETE FROM messages WHERE agent=%s", (name,))
            conn.execute("DELETE FROM passages WHERE owner=%s", (owner,))
            conn.execute("DELETE FROM vector_spaces WHERE owner=%s", (owner,))
            conn.execute("DELETE FROM attachments WHERE agent=%s", (name,))
            conn.execute("DELETE FROM agents WHERE name=%s", (name,))
