"""What the server does to an agent, as plain functions run on the agent's own thread.

Each takes the Agent first so it can be queued as a job (`functools.partial`). They use the
Agent's public API; the two places that need more (archival inserts from outside the agent, which
must invalidate the agent's cached archival count and search pages) are marked.
"""

from __future__ import annotations

import threading
from typing import Any

from memgpt.errors import MemGPTError, NotFoundError
from memgpt.server import models

_embedders: dict[str, Any] = {}
_embedders_lock = threading.Lock()


def embedder_for(agent: Any) -> Any:
    """One embedder per embedding config for the whole server (the local model takes a while to load)."""
    from memgpt.config import Credentials
    from memgpt.embeddings import create_embedder

    key = agent.embedding_config.model_dump_json()
    with _embedders_lock:
        if key not in _embedders:
            _embedders[key] = create_embedder(agent.embedding_config, Credentials.load())
        return _embedders[key]


def turn(agent: Any, text: str, name: str | None, verify: bool) -> Any:
    return agent.user_message(text, name=name, verify=verify)


def turn_with_budget(agent: Any, text: str, name: str | None) -> tuple[Any, dict[str, int]]:
    """A turn plus the token budget after it (OpenAI's `usage`), in one job so nothing runs between."""
    result = agent.user_message(text, name=name)
    return result, agent.token_budget()


def memory(agent: Any) -> models.MemoryView:
    view = agent.memory_view()
    return models.MemoryView(
        blocks={label: agent.core.blocks[label] for label in view["blocks"]},
        recall_total=view["recall_total"],
        recall_by_role=view["recall_by_role"],
        archival_total=view["archival_total"],
        in_context=view["in_context"],
    )


def set_block(agent: Any, label: str, value: str) -> models.CoreMemoryBlock:
    """Replace a core memory block's text, as the agent's own core_memory_replace would, and save."""
    from memgpt.schemas import now

    block = agent.core.blocks.get(label)
    if block is None:
        known = ", ".join(agent.core.blocks)
        raise NotFoundError(f"Agent {agent.name!r} has no core memory block {label!r} (it has {known}).")
    if len(value) > block.limit:
        raise MemGPTError(f"The {label} block holds at most {block.limit} characters; the new text has {len(value)}.")
    block.value = value
    agent.state.memory_edited_at = now()
    agent.save()
    return block


def archival_insert(agent: Any, text: str, metadata: dict[str, Any] | None) -> models.ArchivalInserted:
    from memgpt.embeddings import chunk_text

    chunks = chunk_text(text, max_tokens=agent.embedding_config.embedding_chunk_size)
    if not chunks:
        raise MemGPTError("The text is empty.")
    store = agent.storage.archival(agent.name, embedder_for(agent))
    ids = store.insert(chunks, {"origin": "api", **(metadata or {})})
    _archival_changed(agent)
    return models.ArchivalInserted(ids=ids, archival_total=agent.archival_count)


def _archival_changed(agent: Any) -> None:
    """The agent caches its archival count (shown to the model) and its search pages."""
    agent.refresh_counts()


def archival_search(agent: Any, query: str, top_k: int) -> list[models.Passage]:
    return agent.storage.archival(agent.name, embedder_for(agent)).search(query, top_k)


def archival_list(agent: Any, limit: int, offset: int) -> list[models.Passage]:
    return agent.storage.archival(agent.name, None).list(limit, offset)


def recall_search(agent: Any, query: str, limit: int, offset: int) -> models.RecallPage:
    found, total = agent.storage.recall.search_text(agent.name, query, limit, offset)
    return models.RecallPage(messages=found, total=total)


def attach(agent: Any, source: str) -> models.AttachResult:
    added = agent.attach_source(source)
    return models.AttachResult(source=source, passages_added=added, archival_total=agent.archival_count)


def tokens(agent: Any) -> models.TokenBudget:
    return models.TokenBudget(**agent.token_budget())


def history(agent: Any, limit: int) -> list[models.Message]:
    """The newest in-context messages (no system message), for a chat page opening an old chat."""
    return agent.in_context_messages()[1:][-limit:]
