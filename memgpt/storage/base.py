"""What the agent needs from storage. The embedded default (SQLite + FAISS) implements it.

The agent layer depends on these protocols only, so a server backend (Postgres/pgvector) can
come later without touching the agent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel

from memgpt.schemas import AgentState, Message, Passage


class AgentSummary(BaseModel):
    name: str
    preset: str
    persona_name: str
    human_name: str
    model: str
    data_sources: list[str]
    created_at: Any
    last_login: Any = None
    messages: int = 0
    passages: int = 0

    @classmethod
    def of(cls, state: Any, messages: dict[str, int], passages: dict[str, int]) -> AgentSummary:
        """A listing row from an agent's state and the per-agent counts (every backend lists alike)."""
        return cls(
            name=state.name,
            preset=state.preset,
            persona_name=state.persona_name,
            human_name=state.human_name,
            model=str(state.llm.get("model", "?")),
            data_sources=state.data_sources,
            created_at=state.created_at,
            last_login=state.last_login,
            messages=messages.get(state.name, 0),
            passages=passages.get(f"agent:{state.name}", 0),
        )


def require_embedder(owner: str, space: tuple[str, int] | None, embedder: Any) -> Any:
    """The store's embedder, if it matches the vector space the owner's passages were stored in: vectors
    of two models cannot be mixed (every backend refuses alike)."""
    from memgpt.errors import EmbeddingMismatchError

    if embedder is None:
        raise ValueError("this passage store was opened without an embedder")
    if space is not None and space != (embedder.model_id, embedder.dim):
        what = owner.replace("agent:", "agent ").replace("source:", "data source ")
        raise EmbeddingMismatchError(
            f"The archival memory of {what} was embedded with {space[0]} (dim {space[1]}), but the "
            f"embedder in use is {embedder.model_id} (dim {embedder.dim}). Vectors of two models "
            "cannot be mixed. Switch back to that embedding model (`memgpt configure`), or re-embed with "
            "`memgpt reembed`."
        )
    return embedder


class SourceSummary(BaseModel):
    name: str
    passages: int
    documents: int
    size_bytes: int
    embedding_model: str
    embedding_dim: int
    created_at: Any
    agents: list[str]


class RecallStore(Protocol):
    """Every message an agent ever exchanged, append-only (edits only via /rethink, /rewrite, /pop)."""

    def append(self, agent: str, messages: Sequence[Message]) -> list[Message]:
        """Store messages; returns them with `id` set. Joins the open transaction if any."""
        ...

    def get(self, agent: str, ids: Sequence[int]) -> list[Message]:
        """Messages by id, in the order of `ids`; unknown ids raise StorageError."""
        ...

    def update(self, agent: str, message: Message) -> None: ...

    def delete(self, agent: str, ids: Sequence[int]) -> None: ...

    def count(self, agent: str) -> int: ...

    def count_by_role(self, agent: str) -> dict[str, int]: ...

    def search_text(self, agent: str, query: str, limit: int, offset: int) -> tuple[list[Message], int]:
        """Ranked full-text search (FTS5, case-insensitive; substring fallback). Returns (page, total).

        Searches what a person would call the conversation: user texts, inner thoughts and
        send_message texts, not raw JSON envelopes or function plumbing.
        """
        ...

    def search_date(self, agent: str, start: date, end: date, limit: int, offset: int) -> tuple[list[Message], int]:
        """Messages whose local date is within [start, end], oldest first. Returns (page, total)."""
        ...


class ArchivalStore(Protocol):
    """One agent's archival memory: passages in SQLite, vectors in a FAISS index file."""

    def insert(self, texts: Sequence[str], metadata: dict[str, Any] | None = None) -> list[int]:
        """Chunk-free insert: callers chunk first. Embeds, stores, updates the index."""
        ...

    def search(self, query: str, top_k: int) -> list[Passage]:
        """Most similar passages first."""
        ...

    def count(self) -> int: ...

    def list(self, limit: int, offset: int = 0) -> list[Passage]: ...


class AgentStore(Protocol):
    def create(self, state: AgentState, initial_messages: Sequence[Message]) -> AgentState:
        """All or nothing: stores the initial messages, sets in_context_ids, saves the state."""
        ...

    def load(self, name: str) -> AgentState: ...

    def save(self, state: AgentState) -> None: ...

    def exists(self, name: str) -> bool: ...

    def list(self) -> list[AgentSummary]: ...

    def delete(self, name: str) -> None: ...


class Storage(Protocol):
    agents: AgentStore
    recall: RecallStore

    def archival(self, agent: str, embedder: Any) -> ArchivalStore: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Writes inside commit together or not at all (one step = one transaction)."""
        ...

    def lock_agent(self, name: str) -> AbstractContextManager[None]:
        """Exclusive, process-wide; raises AgentLockedError when another process holds it."""
        ...

    def close(self) -> None: ...


def iter_batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
