"""Request and response bodies of the server, as pydantic models (they are the OpenAPI schema).

Where the core already has a model (AgentSummary, SourceSummary, Message, Passage,
CoreMemoryBlock, AgentEvent) the API returns it as is, so the HTTP schema cannot drift from what
the agent stores.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memgpt.interface import AgentEvent
from memgpt.schemas import CoreMemoryBlock, Message, Passage
from memgpt.storage.base import AgentSummary, SourceSummary

__all__ = [
    "AgentEvent",
    "AgentSummary",
    "SourceSummary",
    "Message",
    "Passage",
    "CoreMemoryBlock",
]


# -- REST -----------------------------------------------------------------------------------
class CreateAgentRequest(BaseModel):
    name: str = Field(description="Letters, digits, '_', '-' and '.'; it is also the `model` name on /v1.")
    preset: str | None = Field(None, description="Preset name (config default if omitted).")
    persona: str | None = Field(None, description="Persona name (config default if omitted).")
    human: str | None = Field(None, description="Human profile name (config default if omitted).")
    model: str | None = Field(None, description="LLM model (config default if omitted).")
    persona_text: str | None = Field(None, description="Literal persona text; wins over `persona`.")
    human_text: str | None = Field(None, description="Literal human text; wins over `human`.")


class AgentDetail(AgentSummary):
    loaded: bool = Field(description="Open in this server (which then holds its lock).")


class SendMessageRequest(BaseModel):
    message: str
    name: str | None = Field(None, description="Sender's name (several people or agents in one chat).")
    stream: bool = Field(False, description="Answer with server-sent events, one per AgentEvent.")
    verify: bool = Field(True, description="Check the agent's very first reply (as `memgpt run` does).")


class TurnResponse(BaseModel):
    messages: list[str] = Field(description="What the agent sent to the user (send_message), in order.")
    steps: int
    capped: bool = Field(description="The chained-step cap stopped the agent.")
    events: list[AgentEvent] = Field(description="Everything that happened, as the CLI would show it.")


class MemoryView(BaseModel):
    blocks: dict[str, CoreMemoryBlock]
    recall_total: int
    recall_by_role: dict[str, int]
    archival_total: int
    in_context: int


class BlockUpdate(BaseModel):
    value: str = Field(description="The block's new text (must fit its character limit).")


class ArchivalInsert(BaseModel):
    text: str = Field(description="Chunked like archival_memory_insert does; identical chunks are stored once.")
    metadata: dict[str, Any] | None = None


class ArchivalInserted(BaseModel):
    ids: list[int]
    archival_total: int


class RecallPage(BaseModel):
    messages: list[Message]
    total: int


class TokenBudget(BaseModel):
    window: int
    system: int
    core_memory: int
    summary: int
    messages: int
    functions: int
    reserved: int
    used: int
    free: int


class AttachRequest(BaseModel):
    source: str


class AttachResult(BaseModel):
    source: str
    passages_added: int
    archival_total: int


class Deleted(BaseModel):
    deleted: str


# -- OpenAI-compatible ------------------------------------------------------------------------
class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None

    def text(self) -> str:
        """Plain text of the message; content parts other than text (images) are skipped."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body. Sampling settings (temperature, max_tokens, tools...) are accepted and
    ignored: the agent's own model settings and functions apply."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="An agent name, or memgpt/<agent>.")
    messages: list[ChatMessageIn]
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    memgpt_events: bool = Field(
        False, description="Streamed: also send inner thoughts and function calls as `memgpt_event` chunks."
    )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "memgpt"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
