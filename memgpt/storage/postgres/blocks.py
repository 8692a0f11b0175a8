"""Core memory blocks shared between agents, on Postgres: the same contract as SQLiteBlockStore."""

from __future__ import annotations

from memgpt.errors import NotFoundError
from memgpt.schemas import CoreMemoryBlock, now
from memgpt.storage.postgres.db import PgDatabase
from memgpt.storage.postgres.recall import no_nul


class PgBlockStore:
    """One row per shared block; writes join the open transaction, so an edit commits with its step."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def get(self, name: str) -> CoreMemoryBlock | None:
        rows = self.db.query(
            "SELECT label, value, char_limit, read_only, description FROM shared_blocks WHERE name=%s", (name,)
        )
        if not rows:
            return None
        label, value, limit, read_only, description = rows[0]
        return CoreMemoryBlock(
            label=label, value=value, limit=limit, read_only=read_only, shared=name, description=description
        )

    def create(self, name: str, block: CoreMemoryBlock) -> CoreMemoryBlock:
        """The shared block `name`: created from `block` if new; an existing one is kept as it is."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO shared_blocks (name, label, value, char_limit, read_only, description, updated_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (name) DO NOTHING",
                (name, block.label, no_nul(block.value), block.limit, block.read_only, block.description, now()),
            )
        stored = self.get(name)
        assert stored is not None
        return stored.model_copy(update={"label": block.label})

    def set_value(self, name: str, value: str) -> None:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE shared_blocks SET value=%s, updated_at=%s WHERE name=%s", (no_nul(value), now(), name)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"No shared memory block named {name!r}.")

    def names(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT name FROM shared_blocks ORDER BY name")]
