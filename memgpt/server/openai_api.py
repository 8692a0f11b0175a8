"""OpenAI-compatible chat: any OpenAI client can talk to a MemGPT agent by naming it as the model.

The agent keeps its own history (that is its point), so only the newest `user` message of a
request is the turn; earlier messages, system messages and assistant messages the client resends
are ignored (the agent has them already, or they were never said to it). The reply's content is
what the agent sent with send_message (several messages joined by a blank line); inner thoughts
and function calls never appear in content: they are in `memgpt_events` of a plain response, and
in `memgpt_event` chunks of a streamed one when the request sets `memgpt_events: true`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from memgpt.errors import MemGPTError, NotFoundError
from memgpt.server import bridge, models, ops

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

PREFIX = "memgpt/"


def agent_name(model: str) -> str:
    return model[len(PREFIX) :] if model.startswith(PREFIX) else model


def _turn_text(body: models.ChatCompletionRequest) -> tuple[str, str | None]:
    """The newest user message. An empty one is an error, not a reason to resend an older one
    (that would give the agent the same turn twice)."""
    for message in reversed(body.messages):
        if message.role == "user":
            text = message.text().strip()
            if not text:
                raise MemGPTError("The newest user message is empty; it would be the agent's turn.")
            return text, message.name or body.user
    raise MemGPTError("The request has no user message: the newest user message is the agent's turn.")


@router.get("/models", response_model=models.ModelList)
async def list_models(request: Request) -> models.ModelList:
    import asyncio

    summaries = await asyncio.to_thread(request.app.state.memgpt.storage.agents.list)
    return models.ModelList(
        data=[models.ModelCard(id=s.name, created=int(_timestamp(s.created_at))) for s in summaries]
    )


def _timestamp(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else 0.0


@router.post("/chat/completions", response_model=None)
async def chat_completions(request: Request, body: models.ChatCompletionRequest) -> Any:
    """A chat completion from the agent named by `model`; `stream: true` answers with SSE chunks."""
    state = request.app.state.memgpt
    name = agent_name(body.model)
    if not await _exists(state, name):
        raise NotFoundError(f"No agent named {name!r} (the model name picks the agent; GET /v1/models lists them).")
    text, sender = _turn_text(body)
    worker = state.pool.worker(name)
    await bridge.ready(worker)
    job = partial(ops.turn_with_budget, text=text, name=sender)
    completion_id = "chatcmpl-memgpt-" + uuid.uuid4().hex[:16]
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _stream(worker, job, completion_id, body.model, body.memgpt_events, include_usage),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )
    seen: list[models.AgentEvent] = []
    async for item in bridge.events(worker, job):
        if isinstance(item, bridge.JobDone):
            result, budget = item.result
        elif not item.kind.startswith("stream_"):
            seen.append(item)
    content = "\n\n".join(result.messages)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(budget, content, worker.agent.llm_config.model),
            "memgpt_events": [e.model_dump() for e in seen],
            "memgpt_steps": result.steps,
        }
    )


async def _exists(state: Any, name: str) -> bool:
    import asyncio

    from memgpt.texts import validate_name

    if state.pool.is_loaded(name):
        return True
    validate_name(name, "agent name")
    return await asyncio.to_thread(state.storage.agents.exists, name)


def _usage(budget: dict[str, int], content: str, llm_model: str) -> dict[str, int]:
    """prompt_tokens: the agent's context after the turn; completion_tokens: the reply's text."""
    from memgpt.tokens import count_tokens

    completion = count_tokens(content, llm_model) if content else 0
    return {
        "prompt_tokens": budget["used"],
        "completion_tokens": completion,
        "total_tokens": budget["used"] + completion,
    }


async def _stream(
    worker: Any, job: Any, completion_id: str, model: str, with_events: bool, include_usage: bool
) -> AsyncIterator[str]:
    from memgpt.server.app import error_body

    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(payload)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    content = ContentTracker()
    try:
        async for item in bridge.events(worker, job):
            if isinstance(item, bridge.JobDone):
                result, budget = item.result
                yield chunk({}, "stop")
                if include_usage:
                    usage = _usage(budget, "\n\n".join(result.messages), worker.agent.llm_config.model)
                    payload = {
                        "id": completion_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": usage,
                    }
                    yield f"data: {json.dumps(payload)}\n\n"
                break
            piece = content.feed(item)
            if piece:
                yield chunk({"content": piece})
            elif with_events and not item.kind.startswith("stream_") and item.kind != "assistant_message":
                yield chunk({}, memgpt_event=item.model_dump())
    except (MemGPTError, ValueError) as exc:
        yield f"data: {json.dumps(error_body(exc))}\n\n"
    yield "data: [DONE]\n\n"


class ContentTracker:
    """Turns AgentEvents into the text of the reply, so streamed and plain content are the same.

    When the agent's model streams, send_message text arrives as `stream_message` deltas and then
    once more, whole, as `assistant_message`; otherwise only the whole message comes. Messages
    are separated by a blank line.
    """

    def __init__(self) -> None:
        self.sent_any = False
        self.streaming = False

    def feed(self, event: models.AgentEvent) -> str:
        if event.kind == "stream_message" and event.text:
            prefix = "\n\n" if self.sent_any and not self.streaming else ""
            self.streaming = True
            return prefix + event.text
        if event.kind == "assistant_message":
            if self.streaming:  # already sent piece by piece
                self.streaming = False
                self.sent_any = True
                return ""
            prefix = "\n\n" if self.sent_any else ""
            self.sent_any = True
            return prefix + event.text
        return ""
