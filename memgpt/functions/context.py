"""What a memory function can reach: the agent's memories, not the CLI or the LLM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memgpt.memory.core import CoreMemory
from memgpt.schemas import AgentState


class FunctionError(Exception):
    """A failure to report to the model as a Failed result (its text is what the model reads)."""


@dataclass
class FunctionContext:
    agent_name: str
    state: AgentState
    core: CoreMemory
    recall: Any  # memgpt.storage.base.RecallStore
    archival: Any  # callable returning the agent's ArchivalStore (embedder loads lazily)
    chunk_size: int = 300
    search_cache: dict[str, list[Any]] = field(default_factory=dict)
    memory_edited: bool = False
    archival_changed: int = 0  # passages inserted during this step
    ask_llm: Callable[[str, str], str] | None = None  # (system, user) -> reply text, for message_chatgpt
