"""From the event loop to an agent's thread and back: await a job, or iterate its events live.

Handlers never block the loop: they put a job on the agent's queue and await its Future. For
streamed replies the job's AgentEvents are handed to the loop with `call_soon_threadsafe`, in
order, followed by the job's end, so a stream sees exactly what the CLI would have rendered.
If the awaiting request goes away before its job started, the job is dropped (nothing was
committed, no one is waiting); once started it runs to the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from memgpt.interface import AgentEvent
from memgpt.server.workers import AgentWorker


@dataclass
class JobDone:
    result: Any


async def ready(worker: AgentWorker) -> Any:
    """Wait until the worker has opened its agent; raises what opening raised (locked, missing...)."""
    return await asyncio.wrap_future(worker.opened)


async def call(worker: AgentWorker, fn: Callable[[Any], Any]) -> Any:
    await ready(worker)
    return await asyncio.wrap_future(worker.submit(fn))


async def events(worker: AgentWorker, fn: Callable[[Any], Any]) -> AsyncIterator[AgentEvent | JobDone]:
    """Yield the job's events as they happen, then `JobDone(result)`; the job's error is raised."""
    await ready(worker)
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    end = object()

    def post(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (shutdown): nobody listens any more
            loop.call_soon_threadsafe(inbox.put_nowait, item)

    future = worker.submit(fn, post)
    future.add_done_callback(lambda _f: post(end))
    try:
        while True:
            item = await inbox.get()
            if item is end:
                break
            yield item
    finally:
        future.cancel()  # only takes effect if the job has not started
    yield JobDone(future.result())
