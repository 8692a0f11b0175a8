"""What the REPL's slash commands do to an agent: undo, rewrite, wipe, switch model, inspect.

Every command keeps the in-context queue and recall storage in step (a message removed from the
queue by /pop is removed from recall too; one evicted by a summary stays in recall).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from memgpt.agent import events
from memgpt.errors import MemGPTError
from memgpt.schemas import Message


def last_index(messages: list[Message], pred: Callable[[Message], bool]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if pred(messages[i]):
            return i
    return None


class CommandsMixin:
    """Slash-command operations for `Agent` (which provides state, storage, the queue and helpers)."""

    state: Any
    storage: Any
    name: str
    core: Any
    llm_config: Any
    _context: list[Message]
    _recall_count: int

    def in_context_messages(self) -> list[Message]:
        """The system message and the queue (what /dump shows); the memory status follows them in a call."""
        return [self._system_message(), *self._context]  # type: ignore[attr-defined]

    def summarize(self) -> int:
        self._summary_calls = 0
        return self._evict()  # type: ignore[attr-defined]

    def pop(self, n: int = 1) -> int:
        """Undo the last `n` user turns and everything they caused, in context and recall."""
        starts = [i for i, m in enumerate(self._context) if events.envelope_type(m) == "user_message"]
        if not starts:
            raise MemGPTError("There are no user messages in context to undo.")
        return self._drop_from(starts[-min(n, len(starts))])

    def rethink(self, text: str) -> None:
        index = last_index(self._context, lambda m: m.role == "assistant")
        if index is None:
            raise MemGPTError("There is no inner thought to replace yet.")
        self._update(index, self._context[index].model_copy(update={"content": text, "tokens": None}))

    def rewrite(self, text: str) -> None:
        index = last_index(
            self._context, lambda m: m.role == "assistant" and any(c.name == "send_message" for c in m.tool_calls or [])
        )
        if index is None:
            raise MemGPTError("The agent has not sent a message to rewrite yet.")
        old = self._context[index]
        calls = [
            c.model_copy(update={"arguments": json.dumps({"message": text})}) if c.name == "send_message" else c
            for c in old.tool_calls or []
        ]
        self._update(index, old.model_copy(update={"tool_calls": calls, "tokens": None}))

    def _update(self, index: int, message: Message) -> None:
        self._tokens(message)  # type: ignore[attr-defined]
        self.storage.recall.update(self.name, message)
        self._context[index] = message

    def _drop_from(self, index: int) -> int:
        removed = self._context[index:]
        if not removed:
            return 0
        with self.storage.transaction():
            self.storage.recall.delete(self.name, [m.id for m in removed if m.id is not None])
            self.state.in_context_ids = [m.id for m in self._context[:index] if m.id is not None]
            self.storage.agents.save(self.state)
        self._context = self._context[:index]
        self._recall_count -= len(removed)
        return len(removed)

    def wipe(self) -> int:
        """Start the in-context history afresh; memory and recall storage are kept."""
        removed = len(self._context)
        with self.storage.transaction():
            self._context = []
            self.state.in_context_ids = []
            self.state.summary_id = None
            self.state.memory_pressure_alerted = False
            self.state.memory_pressure_owed = False
            self._commit([events.login(self.state.last_login)])  # type: ignore[attr-defined]
        return removed

    def set_model(self, model: str) -> None:
        from memgpt.llm import context_window_for

        update: dict[str, Any] = {"model": model}
        if context_window_for(model):
            update["context_window"] = context_window_for(model)
        self.llm_config = self.llm_config.model_copy(update=update)
        self.state.llm = self.llm_config.model_dump()
        self.storage.agents.save(self.state)
        self._client = None
        self._encoder_cached = None
        self._function_tokens_cached = None
        for message in self._context:
            message.tokens = None

    def memory_view(self) -> dict[str, Any]:
        self.core.refresh()  # a shared block shows what the other agents made of it
        return {
            "blocks": {
                label: {"value": b.value, "limit": b.limit, "read_only": b.read_only, "shared": b.shared}
                for label, b in self.core.blocks.items()
            },
            "recall_total": self._recall_count,
            "recall_by_role": self.storage.recall.count_by_role(self.name),
            "archival_total": self.archival_count,  # type: ignore[attr-defined]
            "archival_sample": [p.text for p in self.storage.archival(self.name, None).list(10)],
            "in_context": len(self._context),
        }

    def refresh_counts(self) -> None:
        """Forget cached counts and search pages after storage was written from outside the step loop
        (the server's REST inserts, a 0.1-era preloaded archive), so the model sees true numbers."""
        self._archival_count = None
        self._recall_count = self.storage.recall.count(self.name)
        self._search_cache.clear()  # type: ignore[attr-defined]
        self.refresh_status()  # type: ignore[attr-defined]

    def attach_source(self, source: str) -> int:
        added = self.storage.sources.attach(source, self._archival(), self.name)  # type: ignore[attr-defined]
        if source not in self.state.data_sources:
            self.state.data_sources.append(source)
        self.storage.agents.save(self.state)
        self._archival_count = None
        self._search_cache.clear()  # type: ignore[attr-defined]
        self.refresh_status()  # type: ignore[attr-defined]
        return added
