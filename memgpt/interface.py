"""Events the agent emits while it works, and the one interface that receives them.

The REPL renders them with rich, the AutoGen adapter turns them into a reply, tests record them:
all three consume the same stream, so what a test checks is what a user sees.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

EventKind = Literal[
    "user_message",  # what the user (or an AutoGen peer) said, echoed
    "inner_thought",  # assistant content: private monologue
    "assistant_message",  # send_message text: the only thing addressed to the user
    "function_call",  # data: {"name", "arguments"}
    "function_result",  # data: {"name", "status": "OK"|"Failed"}; text = the result message
    "heartbeat",  # text = reason
    "system",  # a note from memgpt itself (heartbeat cap reached, model switched, ...)
    "memory_warning",  # the memory-pressure alert was sent to the model
    "summary",  # the queue was summarised; data: {"evicted": n}
    "stream_thought",  # partial inner thought while streaming (text = delta)
    "stream_message",  # partial send_message text while streaming (text = delta)
    "error",  # a recoverable error the user should see
]


class AgentEvent(BaseModel):
    kind: EventKind
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class AgentInterface(Protocol):
    def emit(self, event: AgentEvent) -> None: ...


class NullInterface:
    """Drops every event: for background work where no one watches."""

    def emit(self, event: AgentEvent) -> None:
        return None


class RecordingInterface:
    """Keeps every event in order: for tests and for adapters that build a reply afterwards."""

    def __init__(self) -> None:
        self.events: list[AgentEvent] = []

    def emit(self, event: AgentEvent) -> None:
        self.events.append(event)

    def of_kind(self, kind: EventKind) -> list[AgentEvent]:
        return [e for e in self.events if e.kind == kind]

    def texts(self, kind: EventKind) -> list[str]:
        return [e.text for e in self.events if e.kind == kind]

    def clear(self) -> None:
        self.events.clear()
