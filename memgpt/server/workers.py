"""One writer per agent: each served agent lives on its own thread and takes jobs in order.

The Agent is synchronous and not thread-safe, and its invariants (a step is one transaction, the
queue in memory matches the ids in the saved state) assume a single caller. So every request
that touches an agent becomes a job on that agent's queue: requests to one agent run strictly in
arrival order, different agents run in parallel (their LLM calls overlap; SQLite writes
serialise inside the shared Storage). A worker loads its agent on first use and holds the
agent's file lock (`storage.lock_agent`, the one `memgpt run` takes) until it is closed, so a
CLI session and the server can never both write one agent.

A job always runs to completion once it has started, whether or not its HTTP client is still
there: a client that disconnects mid-step gets no reply, but the step is either fully committed
or (if the process dies) not at all, exactly as in the CLI.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from memgpt.errors import MemGPTError
from memgpt.interface import AgentEvent

log = logging.getLogger(__name__)

T = TypeVar("T")
Sink = Callable[[AgentEvent], None]


class RelayInterface:
    """The agent's interface: forwards events to whichever job is running (or drops them)."""

    def __init__(self) -> None:
        self.target: Sink | None = None

    def emit(self, event: AgentEvent) -> None:
        target = self.target
        if target is not None:
            target(event)


@dataclass
class _Job:
    fn: Callable[[Any], Any]
    future: Future
    sink: Sink | None


class WorkerClosedError(MemGPTError):
    """The agent's worker is shutting down (server stopping or agent deleted)."""


class AgentWorker:
    """A thread owning one Agent. `opener(interface)` loads or creates it on that thread."""

    def __init__(self, name: str, opener: Callable[[RelayInterface], Any]) -> None:
        self.name = name
        self.relay = RelayInterface()
        self.agent: Any = None
        self.opened: Future = Future()
        self.busy_since: float | None = None  # when the running job started (None: idle)
        self._opener = opener
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"memgpt-agent-{name}", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[Any], T], sink: Sink | None = None) -> Future:
        """Queue `fn(agent)`; its events go to `sink` while it runs. Never blocks."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                future.set_exception(WorkerClosedError(f"Agent {self.name!r} is closing; try again."))
                return future
            self._queue.put(_Job(fn, future, sink))
        return future

    def close(self) -> None:
        """Run what is queued, then save the agent and release its lock (on the worker thread)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; False if it is still inside a job after `timeout`."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        try:
            self.agent = self._opener(self.relay)
        except BaseException as exc:
            self.opened.set_exception(exc)
            self._fail_queued(exc)
            return
        self.opened.set_result(self.agent)
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    break
                self._run(job)
        finally:
            try:
                self.agent.close()
            except Exception:
                log.exception("closing agent %s failed", self.name)

    def _run(self, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        self.relay.target = job.sink
        self.busy_since = time.monotonic()
        try:
            result = job.fn(self.agent)
        except BaseException as exc:  # the caller sees every error; the loop goes on
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)
        finally:
            self.relay.target = None
            self.busy_since = None

    def _fail_queued(self, exc: BaseException) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_exception(exc)


class AgentPool:
    """The served agents by name: loads lazily, one worker each, closes them all at shutdown."""

    def __init__(self, config: Any, storage: Any) -> None:
        self.config = config
        self.storage = storage
        self._workers: dict[str, AgentWorker] = {}
        # Reentrant: a done-callback added to an already-finished future runs at once, under the lock.
        self._lock = threading.RLock()

    def _load(self, name: str) -> Callable[[RelayInterface], Any]:
        def opener(relay: RelayInterface) -> Any:
            from memgpt.agent import Agent

            return Agent.load(name, config=self.config, storage=self.storage, interface=relay)

        return opener

    def worker(self, name: str) -> AgentWorker:
        """The agent's worker, starting one (which loads the agent and takes its lock) if needed."""
        from memgpt.texts import validate_name

        validate_name(name, "agent name")
        with self._lock:
            worker = self._workers.get(name)
            if worker is None or (worker.opened.done() and worker.opened.exception() is not None):
                worker = AgentWorker(name, self._load(name))
                self._workers[name] = worker
                worker.opened.add_done_callback(lambda f, n=name, w=worker: self._forget_failed(n, w, f))
            return worker

    def create(self, name: str, **options: Any) -> AgentWorker:
        """A worker whose opener creates the agent (all or nothing, as Agent.create is)."""
        from memgpt.texts import validate_name

        validate_name(name, "agent name")

        def opener(relay: RelayInterface) -> Any:
            from memgpt.agent import Agent

            return Agent.create(name=name, config=self.config, storage=self.storage, interface=relay, **options)

        with self._lock:
            if name in self._workers and not self._workers[name].opened.done():
                raise MemGPTError(f"An agent named {name!r} is being opened already.")
            if name in self._workers and self._workers[name].opened.exception() is None:
                raise MemGPTError(f"An agent named {name!r} already exists.")
            worker = AgentWorker(name, opener)
            self._workers[name] = worker
            worker.opened.add_done_callback(lambda f, w=worker: self._forget_failed(name, w, f))
            return worker

    def _forget_failed(self, name: str, worker: AgentWorker, opened: Future) -> None:
        """A worker that could not open its agent (locked, missing) is dropped so a later try can succeed."""
        if opened.exception() is None:
            return
        with self._lock:
            if self._workers.get(name) is worker:
                del self._workers[name]

    def loaded(self) -> list[str]:
        with self._lock:
            return [n for n, w in self._workers.items() if w.opened.done() and w.opened.exception() is None]

    def is_loaded(self, name: str) -> bool:
        return name in self.loaded()

    def release(self, name: str, timeout: float | None = None) -> bool:
        """Close one agent's worker (after its queued jobs); True if it had one and it has stopped."""
        with self._lock:
            worker = self._workers.pop(name, None)
        if worker is None:
            return False
        worker.close()
        return worker.join(timeout)

    def shutdown(self, grace: float) -> list[str]:
        """Close every worker, waiting up to `grace` seconds in all; returns agents still mid-job."""
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.close()
        deadline = time.monotonic() + grace
        stuck = []
        for worker in workers:
            if not worker.join(max(0.0, deadline - time.monotonic())):
                stuck.append(worker.name)
        return stuck
