"""`memgpt server`: serve every agent over HTTP (OpenAI-compatible chat, REST, a chat page).

Binds loopback by default. A bearer token guards every request: generated on first start, kept
0600 in the config dir and printed only then; `--no-auth` is refused on any address other
machines could reach. SIGTERM (or Ctrl-C) stops accepting requests, lets running turns finish
for `--grace` seconds, saves every agent and releases its lock; a turn still waiting on the LLM
after that is abandoned like a killed CLI session: its user message is already saved, the
unfinished step is not.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import typer

from memgpt.cli.app import app


@app.command()
def server(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8283, "--port", help="Port to bind (0: any free port, printed at start)."),
    token: str = typer.Option(None, "--token", envvar="MEMGPT_SERVER_TOKEN", help="API token to require."),
    no_auth: bool = typer.Option(False, "--no-auth", help="No token (only allowed on a loopback address)."),
    grace: float = typer.Option(10.0, "--grace", help="Seconds running turns get to finish at shutdown."),
    debug: bool = typer.Option(False, "--debug", help="Log requests and agent steps."),
) -> None:
    """Serve your agents over HTTP: OpenAI-compatible /v1, REST /api, a chat page at /."""
    from memgpt.cli.output import print_error, setup_logging
    from memgpt.config import MemGPTConfig

    setup_logging(debug)
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        print_error("`memgpt server` needs the server extra: pip install 'pymemgpt[server]'")
        raise typer.Exit(1) from None
    from memgpt.server.app import create_app
    from memgpt.server.auth import is_loopback, load_or_create_token, token_file

    if not MemGPTConfig.exists():
        print_error("memgpt is not configured yet. Run `memgpt configure` first.")
        raise typer.Exit(1)
    if no_auth and token:
        print_error("--no-auth and --token contradict each other; pick one.")
        raise typer.Exit(2)
    if no_auth and not is_loopback(host):
        print_error(
            f"Refusing to serve {host} without a token: anyone who can reach it could read and rewrite your "
            "agents' memories. Drop --no-auth (a token is generated), or bind 127.0.0.1."
        )
        raise typer.Exit(2)
    notes: list[str] = []
    if not no_auth and not token:
        token, created = load_or_create_token()
        if created:
            notes.append(f"API token (shown only now; kept in {token_file()}): {token}")
        else:
            notes.append(f"API token: the one in {token_file()}")
    config = MemGPTConfig.load()
    asgi = create_app(config, token=None if no_auth else token, grace=grace)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            state = getattr(getattr(asgi, "app", None), "state", None)
            served = getattr(state, "memgpt", None)
            if served is not None and served.stop_requested_at is None:
                served.stop_requested_at = time.monotonic()  # --grace counts from here
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list | None = None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
            shown = f"[{host}]" if ":" in host else host
            base = f"http://{shown}:{bound}"
            print(f"memgpt server listening on {base}", flush=True)
            for note in notes:
                print(note, flush=True)
            print(f"OpenAI-compatible API: {base}/v1 (model = agent name); API docs: {base}/docs", flush=True)
            page = f"{base}/?token={token}" if token and any("shown only now" in n for n in notes) else f"{base}/"
            print(f"Chat page: {page}", flush=True)

    uv = Server(
        uvicorn.Config(
            asgi,
            host=host,
            port=port,
            log_level="info" if debug else "warning",
            timeout_graceful_shutdown=max(0.1, grace),
            lifespan="on",
        )
    )
    # uvicorn restores the handlers it found and re-raises the signal after its graceful shutdown;
    # handlers that only note it let us finish ours (report, then exit 0) instead of dying mid-way.
    stopped_by: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopped_by.append(signum))
    uv.run()
    state = getattr(getattr(asgi, "app", None), "state", None)
    stuck = getattr(getattr(state, "memgpt", None), "stuck", [])
    print("memgpt server stopped.", flush=True)
    if stuck:
        # Their threads wait on the LLM; nothing they hold is unsaved, so leave without them.
        sys.stderr.write(f"Abandoned unfinished steps of: {', '.join(stuck)} (their user messages are saved).\n")
        sys.stderr.flush()
        os._exit(0)
    if uv.started is False:
        raise typer.Exit(1)
