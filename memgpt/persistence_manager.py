"""The 0.1-era persistence managers, as names for today's storage.

In the original a persistence manager *was* the agent's recall and archival memory: Python lists
(or a FAISS index) in RAM, lost when the script ended unless the whole object was pickled. Here
every agent already lives in SQLite under the memgpt data dir (MEMGPT_HOME), saved after every
step, so these classes only say which storage to open and what to preload into archival memory:

- `InMemoryStateManager()`: the agent's storage, nothing preloaded;
- `InMemoryStateManagerWithPreloadedArchivalMemory(archival_memory_db)`: plus those passages;
- `InMemoryStateManagerWithEmbeddings()`: same as the first (archival search is always by
  embeddings here, recall search by full text);
- `InMemoryStateManagerWithFaiss(archival_index, archival_memory_db, a_k=100)`: the passages of a
  0.1-era FAISS folder (see `memgpt.utils.prepare_archival_index`), re-embedded with the agent's
  embedding model so they share one vector space with everything it archives later.

Preloading is idempotent (passages are deduplicated by content), so a script run twice does not
archive its documents twice. `use_preset(..., persistence_manager=...)` calls `init(agent)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memgpt.agent import Agent
    from memgpt.config import MemGPTConfig
    from memgpt.storage import SQLiteStorage


def _passage(item: Any) -> tuple[str, dict[str, Any]]:
    """0.1 archival entries were dicts {"content", "timestamp"}; plain strings are accepted too."""
    if isinstance(item, dict):
        text = str(item.get("content") or item.get("text") or "")
        meta = {k: v for k, v in item.items() if k not in ("content", "text") and isinstance(v, str | int | float)}
        return text, meta
    return str(item), {}


class InMemoryStateManager:
    """The agent's own storage (the original held it in RAM; ours is SQLite, saved every step)."""

    def __init__(self) -> None:
        self.agent: Agent | None = None
        self._storage: SQLiteStorage | None = None

    # -- what use_preset / MemGPTAgent need ------------------------------------------------
    def open_storage(self, config: MemGPTConfig) -> SQLiteStorage:
        """The storage this agent lives in (opened once; closed with the AutoGen agent)."""
        if self._storage is None:
            from memgpt.storage import open_storage

            self._storage = open_storage(config)
        return self._storage

    def preloaded_passages(self) -> Iterable[Any]:
        return ()

    def init(self, agent: Agent) -> int:
        """Bind to the agent and archive the preloaded passages it lacks; returns how many were new."""
        self.agent = agent
        items = [_passage(item) for item in self.preloaded_passages()]
        items = [(text, meta) for text, meta in items if text.strip()]
        if not items:
            return 0
        added = self.archival_memory.insert([t for t, _ in items], [m for _, m in items])
        agent._archival_count = None  # the agent caches its archival count for the memory section
        agent.save()
        return len(added)

    # -- the attributes 0.1 scripts read ---------------------------------------------------
    def _bound(self) -> Agent:
        if self.agent is None:
            raise RuntimeError("This persistence manager is not bound to an agent yet (use_preset binds it).")
        return self.agent

    @property
    def archival_memory(self) -> Any:
        """The agent's archival store (`insert`, `search`, `count`, `list`)."""
        return self._bound()._archival()

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The in-context messages, in the OpenAI chat shape the original kept them in."""
        return [m.to_openai() for m in self._bound().in_context_messages()]

    @property
    def memory(self) -> Any:
        """Core memory (persona and human blocks)."""
        return self._bound().core


class InMemoryStateManagerWithPreloadedArchivalMemory(InMemoryStateManager):
    """Storage plus passages to archive: `archival_memory_db` is a list of {"content", "timestamp"} or strings."""

    def __init__(self, archival_memory_db: Iterable[Any]) -> None:
        super().__init__()
        self.archival_memory_db = list(archival_memory_db)

    def preloaded_passages(self) -> Iterable[Any]:
        return self.archival_memory_db


class InMemoryStateManagerWithEmbeddings(InMemoryStateManager):
    """The original's embedding-search variant; ours always searches archival memory by embeddings."""


class InMemoryStateManagerWithFaiss(InMemoryStateManagerWithPreloadedArchivalMemory):
    """A 0.1-era FAISS folder's passages (index + one entry per row), archived and re-embedded.

    The old vectors came from whatever model built the folder (ada-002 then); re-embedding keeps
    the agent's archival memory in one vector space. `a_k` (results retrieved per search) was 100,
    which is what archival search retrieves here too.
    """

    def __init__(self, archival_index: Any, archival_memory_db: Iterable[Any], a_k: int = 100) -> None:
        super().__init__(archival_memory_db)
        total = getattr(archival_index, "ntotal", None)
        if total is not None and total != len(self.archival_memory_db):
            raise ValueError(
                f"The FAISS index has {total} vectors but archival_memory_db has {len(self.archival_memory_db)} "
                "entries; they must come from the same folder (all_docs.index + all_docs.jsonl)."
            )
        self.archival_index = archival_index
        self.a_k = a_k


__all__ = [
    "InMemoryStateManager",
    "InMemoryStateManagerWithEmbeddings",
    "InMemoryStateManagerWithFaiss",
    "InMemoryStateManagerWithPreloadedArchivalMemory",
]
