"""The ASGI app: REST under /api, OpenAI-compatible under /v1, the chat page at /, docs at /docs.

`create_app` opens one Storage (thread-safe: one SQLite connection behind a lock, so the
agents' writes serialise while their LLM calls overlap) and an AgentPool; both are closed in the
lifespan's shutdown, after uvicorn has let in-flight requests finish (SIGTERM).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from memgpt import __version__
from memgpt.errors import (
    AgentLockedError,
    InvalidNameError,
    LLMError,
    MemGPTError,
    NotFoundError,
)
from memgpt.server.auth import AuthMiddleware
from memgpt.server.workers import AgentPool, WorkerClosedError

log = logging.getLogger(__name__)

STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


class ServerState:
    """What every handler needs; kept on `app.state.memgpt`."""

    def __init__(self, config: Any, storage: Any, grace: float) -> None:
        self.config = config
        self.storage = storage
        self.pool = AgentPool(config, storage)
        self.grace = grace
        self.stop_requested_at: float | None = None  # set by the CLI when SIGTERM arrives
        self.stuck: list[str] = []

    def remaining_grace(self) -> float:
        """What is left of the grace period: it counts from the signal, not from the lifespan's end."""
        import time

        if self.stop_requested_at is None:
            return self.grace
        return max(0.2, self.grace - (time.monotonic() - self.stop_requested_at))


def status_for(exc: BaseException) -> tuple[int, str]:
    """HTTP status and OpenAI error type for our typed errors."""
    from memgpt.memory.core import CoreMemoryError

    if isinstance(exc, NotFoundError):
        return 404, "not_found_error"
    if isinstance(exc, AgentLockedError):
        return 409, "conflict_error"
    if isinstance(exc, WorkerClosedError):
        return 503, "server_error"
    if isinstance(exc, (InvalidNameError, CoreMemoryError)):
        return 400, "invalid_request_error"
    if isinstance(exc, LLMError):
        return 502, "api_error"
    return 400, "invalid_request_error"


def error_body(exc: BaseException) -> dict[str, Any]:
    status, kind = status_for(exc)
    code = "model_not_found" if status == 404 else None
    return {"error": {"message": str(exc), "type": kind, "param": None, "code": code}, "detail": str(exc)}


def create_app(config: Any, *, token: str | None, grace: float = 10.0, storage: Any = None) -> Any:
    """The app; `token=None` means no auth (the CLI allows that on loopback only)."""
    from memgpt.server import openai_api, rest

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from memgpt.storage import open_storage

        opened = storage if storage is not None else open_storage(config)
        app.state.memgpt = ServerState(config, opened, grace)
        try:
            yield
        finally:
            state: ServerState = app.state.memgpt
            state.stuck = state.pool.shutdown(state.remaining_grace())
            if state.stuck:
                log.warning("agents still in a step at shutdown (their user messages are saved): %s", state.stuck)
            elif storage is None:
                opened.close()

    app = FastAPI(
        title="memgpt server",
        version=__version__,
        description="MemGPT agents over HTTP: an OpenAI-compatible chat API (`model` = agent name) and a "
        "REST API for agents and their memory. Every request needs `Authorization: Bearer <token>`.",
        lifespan=lifespan,
    )

    @app.exception_handler(MemGPTError)
    async def _memgpt_error(request: Request, exc: MemGPTError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_for(exc)[0])

    @app.exception_handler(ValueError)
    async def _value_error(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=400)

    app.include_router(rest.router)
    app.include_router(openai_api.router)

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(_static("index.html"))

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or suffix not in STATIC_TYPES:
            return JSONResponse({"detail": "Not found"}, status_code=404)
        try:
            body = _static(name)
        except FileNotFoundError:
            return JSONResponse({"detail": "Not found"}, status_code=404)
        return Response(body, media_type=STATIC_TYPES[suffix], headers={"cache-control": "no-cache"})

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"ok": True, "loaded": app.state.memgpt.pool.loaded()}

    return AuthMiddleware(app, token)


def _static(name: str) -> str:
    """Files shipped inside the package (memgpt/server/static), so a wheel install serves them too."""
    return resources.files("memgpt.server").joinpath("static", name).read_text(encoding="utf-8")
