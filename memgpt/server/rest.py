"""REST for agents and their memory, under /api.

Anything that reads or changes an agent runs as a job on that agent's thread (see workers.py), so
REST edits, chat turns and archival inserts to one agent can never interleave. Listing agents and
data sources only reads the database and does not open (or lock) any agent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from memgpt.errors import MemGPTError, NotFoundError
from memgpt.server import bridge, models, ops

router = APIRouter(prefix="/api", tags=["agents"])


def _state(request: Request) -> Any:
    return request.app.state.memgpt


async def _on_agent(request: Request, name: str, fn: Any) -> Any:
    return await bridge.call(_state(request).pool.worker(name), fn)


@router.get("/agents", response_model=list[models.AgentDetail])
async def list_agents(request: Request) -> list[models.AgentDetail]:
    state = _state(request)
    loaded = set(state.pool.loaded())
    summaries = await asyncio.to_thread(state.storage.agents.list)
    return [models.AgentDetail(**s.model_dump(), loaded=s.name in loaded) for s in summaries]


@router.post("/agents", response_model=models.AgentDetail, status_code=201)
async def create_agent(request: Request, body: models.CreateAgentRequest) -> models.AgentDetail:
    """Create an agent and keep it open in the server (so the server holds its lock)."""
    state = _state(request)
    options = body.model_dump(exclude={"name"}, exclude_none=True)
    await bridge.ready(state.pool.create(body.name, **options))
    return await get_agent(request, body.name)


@router.get("/agents/{name}", response_model=models.AgentDetail)
async def get_agent(request: Request, name: str) -> models.AgentDetail:
    state = _state(request)
    summaries = await asyncio.to_thread(state.storage.agents.list)
    for summary in summaries:
        if summary.name == name:
            return models.AgentDetail(**summary.model_dump(), loaded=state.pool.is_loaded(name))
    raise NotFoundError(f"No agent named {name!r}.")


@router.delete("/agents/{name}", response_model=models.Deleted)
async def delete_agent(request: Request, name: str) -> models.Deleted:
    """Close the agent here (after its queued requests), then delete it and all its memories."""
    state = _state(request)
    from memgpt.texts import validate_name

    validate_name(name, "agent name")
    await asyncio.to_thread(state.pool.release, name)

    def delete() -> None:
        with state.storage.lock_agent(name):
            state.storage.agents.delete(name)

    await asyncio.to_thread(delete)
    return models.Deleted(deleted=name)


@router.post(
    "/agents/{name}/messages",
    response_model=models.TurnResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when `stream` is true"}},
)
async def send_message(request: Request, name: str, body: models.SendMessageRequest) -> Any:
    """One user message; the agent steps until it has nothing more to do.

    With `stream: true` the answer is server-sent events: `event: <AgentEvent kind>` with the event
    as JSON (including `stream_message` / `stream_thought` deltas when the agent's model streams),
    then `event: done` with the TurnResponse fields, or `event: error`.
    """
    worker = _state(request).pool.worker(name)
    job = partial(ops.turn, text=body.message, name=body.name, verify=body.verify)
    if body.stream:
        await bridge.ready(worker)  # a missing or locked agent is an HTTP error, not a stream
        return StreamingResponse(_sse_turn(worker, job), media_type="text/event-stream")
    seen: list[models.AgentEvent] = []
    async for item in bridge.events(worker, job):
        if isinstance(item, bridge.JobDone):
            result = item.result
        elif not item.kind.startswith("stream_"):
            seen.append(item)
    return models.TurnResponse(messages=result.messages, steps=result.steps, capped=result.capped, events=seen)


async def _sse_turn(worker: Any, job: Any) -> AsyncIterator[str]:
    from memgpt.server.app import error_body

    events: list[models.AgentEvent] = []
    try:
        async for item in bridge.events(worker, job):
            if isinstance(item, bridge.JobDone):
                r = item.result
                done = models.TurnResponse(messages=r.messages, steps=r.steps, capped=r.capped, events=events)
                yield f"event: done\ndata: {done.model_dump_json()}\n\n"
            else:
                if not item.kind.startswith("stream_"):
                    events.append(item)
                yield f"event: {item.kind}\ndata: {item.model_dump_json()}\n\n"
    except (MemGPTError, ValueError) as exc:
        yield f"event: error\ndata: {json.dumps(error_body(exc))}\n\n"


@router.get("/agents/{name}/history", response_model=list[models.Message])
async def history(request: Request, name: str, limit: int = Query(50, ge=1, le=1000)) -> Any:
    """The newest messages in the agent's context (recall has all of them)."""
    return await _on_agent(request, name, partial(ops.history, limit=limit))


@router.get("/agents/{name}/memory", response_model=models.MemoryView)
async def get_memory(request: Request, name: str) -> Any:
    return await _on_agent(request, name, ops.memory)


@router.put("/agents/{name}/memory/{label}", response_model=models.CoreMemoryBlock)
async def set_memory_block(request: Request, name: str, label: str, body: models.BlockUpdate) -> Any:
    """Replace a core memory block (persona, human); the agent sees it at its next step."""
    return await _on_agent(request, name, partial(ops.set_block, label=label, value=body.value))


@router.get("/agents/{name}/tokens", response_model=models.TokenBudget)
async def token_budget(request: Request, name: str) -> Any:
    return await _on_agent(request, name, ops.tokens)


@router.post("/agents/{name}/archival", response_model=models.ArchivalInserted, status_code=201)
async def archival_insert(request: Request, name: str, body: models.ArchivalInsert) -> Any:
    return await _on_agent(request, name, partial(ops.archival_insert, text=body.text, metadata=body.metadata))


@router.get("/agents/{name}/archival", response_model=list[models.Passage])
async def archival_list(
    request: Request, name: str, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)
) -> Any:
    return await _on_agent(request, name, partial(ops.archival_list, limit=limit, offset=offset))


@router.get("/agents/{name}/archival/search", response_model=list[models.Passage])
async def archival_search(request: Request, name: str, query: str, top_k: int = Query(5, ge=1, le=100)) -> Any:
    """Most similar passages first (the same search the agent's archival_memory_search uses)."""
    return await _on_agent(request, name, partial(ops.archival_search, query=query, top_k=top_k))


@router.get("/agents/{name}/recall/search", response_model=models.RecallPage)
async def recall_search(
    request: Request,
    name: str,
    query: str,
    limit: int = Query(20, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Any:
    """Full-text search of everything said (user texts, inner thoughts, messages sent), best first."""
    return await _on_agent(request, name, partial(ops.recall_search, query=query, limit=limit, offset=offset))


@router.post("/agents/{name}/sources", response_model=models.AttachResult, tags=["sources"])
async def attach_source(request: Request, name: str, body: models.AttachRequest) -> Any:
    """Copy a loaded data source (`memgpt load`) into the agent's archival memory."""
    return await _on_agent(request, name, partial(ops.attach, source=body.source))


@router.get("/sources", response_model=list[models.SourceSummary], tags=["sources"])
async def list_sources(request: Request) -> Any:
    return await asyncio.to_thread(_state(request).storage.sources.list)
