"""Letta agent files (`.af`) as memgpt import records: what maps is imported, the rest is listed.

Two shapes are read: the current one (`{"agents": [...], "blocks": [...], "tools": [...], ...}`,
Letta's AgentFileSchema, blocks and tools referenced by id) and the earlier single-agent one
(`{"core_memory": [...], "messages": [...], "in_context_message_indices": [...], "tools": [...]}`).
An `.af` file is one JSON document, so it is read whole (they hold a page of messages, not a
history). Mapping, and what is left out, is documented in docs/portable.md.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import IO, Any

from memgpt.agent import events
from memgpt.portable.format import PortableFormatError
from memgpt.schemas import now

# Letta tool names -> ours. Letta's newer memory tools take other arguments, but do the same job.
TOOL_NAMES = {
    "send_message": "send_message",
    "pause_heartbeats": "pause_heartbeats",
    "core_memory_append": "core_memory_append",
    "core_memory_replace": "core_memory_replace",
    "memory_insert": "core_memory_append",
    "memory_replace": "core_memory_replace",
    "conversation_search": "conversation_search",
    "conversation_search_date": "conversation_search_date",
    "archival_memory_insert": "archival_memory_insert",
    "archival_memory_search": "archival_memory_search",
}
CORE_FUNCTIONS = ["send_message", "core_memory_append", "core_memory_replace"]
IGNORED_KEYS = (
    "tool_rules",
    "tags",
    "tool_exec_environment_variables",
    "secrets",
    "identity_ids",
    "files_agents",
    "source_ids",
    "group_ids",
    "enable_sleeptime",
    "response_format",
)


def letta_records(handle: IO[bytes], source: str, config: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """(records for the importer, notes on what did not map)."""
    try:
        data = json.load(handle)
    except (ValueError, UnicodeDecodeError):
        raise PortableFormatError(
            f"{source} is neither a memgpt export (its first line is not the header) nor a Letta agent file (it is "
            "not a JSON document). If it is a memgpt export, it is damaged; nothing was imported."
        ) from None
    if not isinstance(data, dict):
        raise PortableFormatError(f"{source} is not a Letta agent file (expected a JSON object).")
    notes: list[str] = []
    if isinstance(data.get("agents"), list):
        agent, blocks, tools = _current_shape(data, source, notes)
    elif "core_memory" in data or "messages" in data:
        agent, blocks, tools = data, list(data.get("core_memory") or []), list(data.get("tools") or [])
    else:
        raise PortableFormatError(f"{source} is not a Letta agent file (no agents, core_memory or messages).")
    return _records(agent, blocks, tools, config, notes), notes


def _current_shape(data: dict[str, Any], source: str, notes: list[str]) -> tuple[dict, list, list]:
    agents = [a for a in data["agents"] if isinstance(a, dict)]
    if not agents:
        raise PortableFormatError(f"{source} holds no agents.")
    if len(agents) > 1:
        notes.append(f"The file holds {len(agents)} agents; the first, {agents[0].get('name')!r}, was imported.")
    agent = agents[0]
    by_id = {b.get("id"): b for b in data.get("blocks") or [] if isinstance(b, dict)}
    blocks = [by_id[i] for i in agent.get("block_ids") or [] if i in by_id] + list(agent.get("memory_blocks") or [])
    tools_by_id = {t.get("id"): t for t in data.get("tools") or [] if isinstance(t, dict)}
    tools = [tools_by_id[i] for i in agent.get("tool_ids") or [] if i in tools_by_id] + list(agent.get("tools") or [])
    for key in ("groups", "files", "sources", "mcp_servers"):
        if data.get(key):
            notes.append(f"Not imported: {len(data[key])} {key.replace('_', ' ')} (memgpt has no equivalent).")
    return agent, blocks, tools


def _records(agent: dict, blocks: list, tools: list, config: Any, notes: list[str]) -> list[dict[str, Any]]:
    from memgpt.config import EmbeddingConfig, LLMConfig

    name = _clean_name(str(agent.get("name") or "letta_agent"))
    functions, dropped = _functions(tools)
    if dropped:
        notes.append(
            "Tools without a memgpt equivalent were left out (their code is never run here): "
            + ", ".join(dropped)
            + "."
        )
    llm = config.llm if config is not None else LLMConfig()
    theirs = agent.get("llm_config") or {}
    if theirs.get("model_endpoint_type") == "openai" and llm.model_endpoint_type == "openai" and theirs.get("model"):
        llm = llm.model_copy(update={"model": theirs["model"], "context_window": theirs.get("context_window") or 8192})
    else:
        notes.append(
            f"LLM: the agent uses this machine's configured model ({llm.model}); Letta's was "
            f"{theirs.get('handle') or theirs.get('model') or 'not given'}."
        )
    embedding = config.embedding if config is not None else EmbeddingConfig()
    ignored = [k for k in IGNORED_KEYS if agent.get(k)]
    if ignored:
        notes.append("Not imported (no memgpt equivalent): " + ", ".join(ignored) + ".")
    messages, in_context = _messages(agent, notes)
    state = {
        "name": name,
        "preset": "letta",
        "persona_name": "letta",
        "human_name": "letta",
        "system_prompt": str(agent.get("system") or ""),
        "functions": functions,
        "in_context_ids": in_context,
        "first_reply_done": True,
        "llm": llm.model_dump(),
        "embedding": embedding.model_dump(),
    }
    records: list[dict[str, Any]] = [{"kind": "agent", "state": state}]
    records += [_block(b) for b in blocks if isinstance(b, dict) and b.get("label")]
    records += messages
    return records


def _clean_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-") or "letta_agent"
    return cleaned[:64]


def _functions(tools: list) -> tuple[list[str], list[str]]:
    functions = list(CORE_FUNCTIONS)
    dropped = []
    for tool in tools:
        name = tool.get("name") if isinstance(tool, dict) else tool
        if not isinstance(name, str):
            continue
        mapped = TOOL_NAMES.get(name)
        if mapped is None:
            dropped.append(name)
        elif mapped not in functions:
            functions.append(mapped)
    return functions, dropped


def _block(block: dict[str, Any]) -> dict[str, Any]:
    label = _clean_name(str(block["label"]))
    value = str(block.get("value") or "")
    limit = block.get("limit") if isinstance(block.get("limit"), int) else 2000
    return {
        "kind": "block",
        "label": label,
        "value": value,
        "limit": max(limit, len(value)),
        "read_only": bool(block.get("read_only")),
        "description": block.get("description") or None,
    }


def _text(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "\n".join(parts) if parts else None
    text = message.get("text")
    return text if isinstance(text, str) else None


def _when(message: dict[str, Any]) -> datetime:
    raw = message.get("created_at")
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return now()
    return when if when.tzinfo else when.astimezone()


def _messages(agent: dict[str, Any], notes: list[str]) -> tuple[list[dict[str, Any]], list[int]]:
    """Messages as memgpt keeps them, numbered in file order; the in-context ones by that number."""
    raw = [m for m in agent.get("messages") or [] if isinstance(m, dict)]
    wanted_ids = set(agent.get("in_context_message_ids") or [])
    wanted_indices = set(agent.get("in_context_message_indices") or [])
    records, in_context = [], []
    skipped_system = 0
    for index, message in enumerate(raw):
        role = message.get("role")
        if role == "system":
            skipped_system += 1  # memgpt rebuilds the system message for every call
            continue
        record = _message(message, role)
        if record is None:
            continue
        number = len(records) + 1
        record["id"] = number
        records.append(record)
        if message.get("id") in wanted_ids or index in wanted_indices:
            in_context.append(number)
    if not wanted_ids and not wanted_indices:
        in_context = [r["id"] for r in records]
    by_id = {r["id"]: r for r in records}
    while in_context and by_id[in_context[0]]["role"] == "tool":
        in_context.pop(0)  # a result whose call was evicted would be sent without it
    if skipped_system:
        notes.append("Letta's stored system message was not imported: memgpt builds it from the prompt and memory.")
    return records, in_context


def _message(message: dict[str, Any], role: Any) -> dict[str, Any] | None:
    when = _when(message)
    text = _text(message)
    base = {"kind": "message", "created_at": when.isoformat(), "name": message.get("name"), "tokens": None}
    if role == "user":
        if text is None:
            return None
        if not _is_envelope(text):
            text = json.dumps(
                {"type": "user_message", "message": text, "time": events.local_time(when)}, ensure_ascii=False
            )
        return {**base, "role": "user", "content": text, "tool_calls": None, "tool_call_id": None}
    if role == "assistant":
        calls = []
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                arguments = function.get("arguments")
                if not isinstance(arguments, str):
                    arguments = json.dumps(arguments or {})
                calls.append(
                    {"id": str(call.get("id") or "")[:64] or None, "name": function["name"], "arguments": arguments}
                )
        calls = [{k: v for k, v in c.items() if v is not None} for c in calls]
        if text is None and not calls:
            return None
        return {**base, "role": "assistant", "content": text, "tool_calls": calls or None, "tool_call_id": None}
    if role == "tool":
        returns = message.get("tool_returns") or []
        if text is None and returns and isinstance(returns[0], dict):
            text = str(returns[0].get("func_response") or returns[0].get("tool_return") or "")
        return {
            **base,
            "role": "tool",
            "content": text,
            "tool_calls": None,
            "tool_call_id": message.get("tool_call_id"),
        }
    return None


def _is_envelope(text: str) -> bool:
    if not text.startswith("{"):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and isinstance(value.get("type"), str)
