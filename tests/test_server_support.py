"""Starting `memgpt server` as a real subprocess for the server tests (no tests of its own here).

The server binds port 0 on 127.0.0.1 and prints the address it got, so tests never race for a
port. Its output is read on a thread so a test can wait for a line without blocking forever.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, cli_env, memgpt_cmd

TOKEN = "test-token-123"
START_TIMEOUT = 30.0


class ServedMemGPT:
    """A running `memgpt server`; `url` is its base address, `lines` everything it printed."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        extra = {"MEMGPT_RETRY_BASE_DELAY": "0.001", **(env or {})}
        self.proc = subprocess.Popen(
            [*memgpt_cmd(), "server", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=cli_env(extra),
            cwd=REPO_ROOT,
        )
        self.lines: list[str] = []
        self._inbox: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self.wait_for("listening on").split("listening on ", 1)[1].strip()
        self.wait_for("Chat page:")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._inbox.put(line.rstrip("\n"))
        self._inbox.put(None)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> str:
        """The first line (from now on) containing `text`; fails with the output so far if none comes."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._inbox.get(timeout=max(0.01, remaining))
            except queue.Empty:
                line = None
                remaining = 0
            if line is not None:
                self.lines.append(line)
                if text in line:
                    return line
                continue
            if remaining <= 0 or self.proc.poll() is not None:
                pytest.fail(f"memgpt server never printed {text!r}; output:\n" + "\n".join(self.lines))

    def output(self) -> str:
        while True:
            try:
                line = self._inbox.get_nowait()
            except queue.Empty:
                return "\n".join(self.lines)
            if line is not None:
                self.lines.append(line)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            time.sleep(0.05)  # let the pump thread drain the pipe
            self.output()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    # -- clients ---------------------------------------------------------------------------
    def http(self, token: str | None = TOKEN) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def openai(self, token: str = TOKEN) -> Any:
        import openai

        return openai.OpenAI(base_url=self.url + "/v1", api_key=token, max_retries=0, timeout=30)


@pytest.fixture(name="serve")
def serve_fixture(configured) -> Iterator[Any]:
    """Start servers against the fake LLM (`configured`); all are stopped after the test."""
    started: list[ServedMemGPT] = []

    def start(*args: str, token: str | None = TOKEN, env: dict[str, str] | None = None) -> ServedMemGPT:
        flags = ["--token", token] if token else []
        server = ServedMemGPT(*flags, "--grace", "1", *args, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.stop(timeout=15)
        server.kill()
