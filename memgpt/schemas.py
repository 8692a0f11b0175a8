"""The data that crosses layers: messages, tool calls, passages, agent state.

Messages are stored and handled in the OpenAI *tools* shape (assistant `tool_calls`, `tool`
role results); backends that speak the legacy `functions` API or JSON-in-text translate at the
edge. Everything here is plain pydantic and serialises to JSON: no pickle anywhere.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Role = Literal["system", "user", "assistant", "tool"]
STATE_VERSION = 1  # AgentState layout; a newer one is refused, never silently downgraded


def now() -> datetime:
    """Local, timezone-aware time: the model is told local times, storage keeps the offset."""
    return datetime.now(timezone.utc).astimezone()


def clean_text(value: Any) -> Any:
    """Lone surrogates (from a model's "\\ud83d" escape, or undecodable input) replaced by U+FFFD: SQLite
    and JSON cannot encode them, and one in core memory made every save fail."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def new_tool_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


class ToolCall(BaseModel):
    id: str = Field(default_factory=new_tool_call_id)
    name: str
    arguments: str  # raw JSON text as the model produced it (may be malformed)

    _clean = field_validator("name", "arguments", mode="before")(clean_text)


class Message(BaseModel):
    """One entry of the conversation, in context and in recall storage.

    `id` is assigned by recall storage when the message is committed; in-context lists refer to
    messages by id, so context and recall cannot drift apart.
    """

    id: int | None = None
    role: Role
    content: str | None = None
    name: str | None = None  # tool name for role=tool; sender name for user (AutoGen)
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    created_at: datetime = Field(default_factory=now)
    tokens: int | None = None  # cached token count of this message as sent to the LLM

    _clean = field_validator("content", "name", mode="before")(clean_text)

    def to_openai(self) -> dict[str, Any]:
        """The message as the OpenAI chat API (tools form) expects it."""
        out: dict[str, Any] = {"role": self.role, "content": self.content if self.content is not None else ""}
        if self.role == "assistant" and self.tool_calls:
            out["tool_calls"] = [
                {"id": tc.id, "type": "function", "function": {"name": tc.name, "arguments": tc.arguments}}
                for tc in self.tool_calls
            ]
        if self.role == "tool":
            out["tool_call_id"] = self.tool_call_id or ""
            if self.name:
                out["name"] = self.name
        elif self.role == "user" and self.name:
            out["name"] = self.name
        return out


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatResult(BaseModel):
    """What an LLM backend returns for one chat call."""

    message: Message  # role=assistant; content = inner monologue; tool_calls = function calls
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    raw: dict[str, Any] | None = None  # the backend's response, for --debug


class Passage(BaseModel):
    """A unit of archival memory or of a loaded data source."""

    id: int | None = None
    text: str
    source: str | None = None  # data source name, or None for the agent's own inserts
    metadata: dict[str, Any] = Field(default_factory=dict)  # file, page, offset...
    created_at: datetime = Field(default_factory=now)
    content_hash: str | None = None


class CoreMemoryBlock(BaseModel):
    """One labelled block of core memory. Every agent has "persona" and "human"; presets and
    `memgpt run --block` add more. The fields after `limit` default to what blocks were before
    they existed, so states saved by older releases load unchanged."""

    label: str  # "persona", "human", or a preset's / --block's own label
    value: str
    limit: int = 2000
    read_only: bool = False  # the model reads it but its edits are refused (with a message)
    shared: str | None = None  # name of the shared row (storage block store) several agents see; None: own
    description: str | None = None  # what the block is for, shown to the model beside the edit functions

    _clean = field_validator("value", mode="before")(clean_text)


class AgentState(BaseModel):
    """Everything needed to resume an agent, saved atomically after every step.

    Messages themselves live in recall storage; the state only lists which of them are in
    context. The LLM and embedding settings are copied from the global config at creation so a
    later `memgpt configure` does not silently change an existing agent.
    """

    name: str
    preset: str
    persona_name: str
    human_name: str
    system_prompt: str  # the preset's prompt text at creation (editable presets do not drift)
    functions: list[str]  # function names enabled for this agent
    core_memory: dict[str, CoreMemoryBlock]
    in_context_ids: list[int] = Field(default_factory=list)  # the queue: [(summary), messages...]
    summary_id: int | None = None  # the recursive summary at the head of the queue, if any
    first_reply_done: bool = False  # the first reply is verified (unless --no-verify)
    llm: dict[str, Any] = Field(default_factory=dict)  # LLMConfig as dict
    embedding: dict[str, Any] = Field(default_factory=dict)  # EmbeddingConfig as dict
    data_sources: list[str] = Field(default_factory=list)
    memory_pressure_alerted: bool = False  # the alert was raised for this approach to the limit
    memory_pressure_owed: bool = False  # raised but not yet delivered: it goes in with the next event
    memory_edited_at: datetime = Field(default_factory=now)
    created_at: datetime = Field(default_factory=now)
    last_login: datetime | None = None
    heartbeats_paused_until: datetime | None = None
    state_version: int = STATE_VERSION


def user_text(content: str | None) -> str | None:
    """The user's words from a user-role message's envelope; None for heartbeats, alerts and logins
    (text that is not JSON was sent unpacked, and is the user's words as it stands)."""
    if not content:
        return None
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        return content
    if isinstance(data, dict):
        if data.get("type") == "user_message":
            return str(data.get("message", ""))
        return None
    return content
