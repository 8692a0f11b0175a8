"""Fixtures every test shares: an isolated MEMGPT_HOME, the scripted LLM server, a CLI in a pty."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_llm import FakeLLMServer

REPO_ROOT = Path(__file__).resolve().parent.parent

_SCRUBBED_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_KEY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_VERSION",
    "AZURE_OPENAI_DEPLOYMENT",
    "AZURE_OPENAI_EMBEDDING_DEPLOYMENT",
    "MEMGPT_CONFIG_PATH",
)
# Removed at the start of every test (a developer's shell must not send the SQLite tests to their
# Postgres), but passed on to subprocesses when a test sets it itself (the Postgres kill -9 test).
_SCRUBBED_AT_START = (*_SCRUBBED_ENV, "MEMGPT_PG_URI")


@pytest.fixture(autouse=True)
def memgpt_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own MEMGPT_HOME and an empty tiktoken cache (offline tokenizer only)."""
    home = tmp_path_factory.mktemp("memgpt_home")
    monkeypatch.setenv("MEMGPT_HOME", str(home))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path_factory.mktemp("tiktoken_cache")))
    monkeypatch.setenv("NO_COLOR", "1")
    for name in _SCRUBBED_AT_START:
        monkeypatch.delenv(name, raising=False)
    from memgpt.llm.policy import forget_quirks

    forget_quirks()  # what one test's fake server refused must not follow the next test on a reused port
    return home


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def configured(fake_llm: FakeLLMServer):
    """A saved config pointing at the fake server, with the offline local embedder."""
    from memgpt.config import Credentials, LLMConfig, MemGPTConfig

    config = MemGPTConfig(
        llm=LLMConfig(
            model="gpt-4",
            model_endpoint_type="openai-compatible",
            model_endpoint=fake_llm.url,
            context_window=8192,
            max_retries=1,
            request_timeout=10,
        )
    )
    config.save()
    Credentials(openai_key="sk-test").save()
    return config


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a memgpt subprocess: this test's MEMGPT_HOME, the checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TERM", "xterm-256color")
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # a pty that never answers cursor-position queries
    env.update(extra or {})
    return env


def memgpt_cmd() -> list[str]:
    return [sys.executable, "-m", "memgpt"]


@pytest.fixture
def spawn_memgpt():
    """Start `memgpt ARGS` in a pseudo-terminal (pexpect), as a person would run it."""
    import pexpect

    children: list[pexpect.spawn] = []

    def spawn(
        *args: str, env: dict[str, str] | None = None, timeout: float = 30, dimensions: tuple[int, int] = (40, 160)
    ) -> pexpect.spawn:
        cmd = memgpt_cmd()
        child = pexpect.spawn(
            cmd[0], [*cmd[1:], *args], env=cli_env(env), encoding="utf-8", timeout=timeout, dimensions=dimensions
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def run_memgpt(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`memgpt ARGS` as a separate process with this test's MEMGPT_HOME (stdin piped, not a terminal)."""
    return subprocess.run(
        [*memgpt_cmd(), *args],
        input=input,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=timeout,
        cwd=REPO_ROOT,
    )


@pytest.fixture
def make_agent(fake_llm, monkeypatch):
    """Create agents wired to the fake server (closed, releasing their locks, after the test)."""
    from memgpt.agent import Agent
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.interface import RecordingInterface
    from memgpt.storage import open_storage

    monkeypatch.setenv("MEMGPT_RETRY_BASE_DELAY", "0.001")
    opened = []

    def make(window: int = 8192, name: str = "tester", preset: str | None = None, **limits) -> Agent:
        config = MemGPTConfig(
            llm=LLMConfig(
                model="gpt-4",
                model_endpoint_type="openai-compatible",
                model_endpoint=fake_llm.url,
                context_window=window,
                max_retries=0,
            )
        )
        for key, value in limits.items():
            setattr(config.limits, key, value)
        agent = Agent.create(
            name=name, config=config, storage=open_storage(config), interface=RecordingInterface(), preset=preset
        )
        opened.append(agent)
        return agent

    yield make
    for agent in opened:
        agent.close()


@pytest.fixture(scope="session")
def postgres_server():
    """One local PostgreSQL + pgvector for the whole session (memgpt/storage/postgres/testing.py);
    `postgres_server.database()` gives each test a database of its own. Skips when the extra is missing."""
    from memgpt.storage.postgres.testing import LocalServer, available

    reason = available()
    if reason:
        pytest.skip(reason)
    server = LocalServer()
    yield server
    server.stop()
