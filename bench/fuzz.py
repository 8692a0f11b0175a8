"""Fuzz the LLM reply boundary: real clients and a real Agent against tests/fuzz_server.py.

    python -m bench.fuzz --replies 10000 --seed 1 [--json out.json]

Counts what every call ended in (a result, or which memgpt error), and checks the invariants of
issue 13: no exception other than memgpt.errors types leaves a client or the agent, no call runs
past its time bound (a hang), the agent reloads after every session, every string that comes back
encodes as UTF-8 (no lone surrogates reach storage), and no request is larger than the window.
The default test suite runs a few hundred replies (tests/test_fuzz_llm.py); this runs thousands.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Tight bounds so hangs cost little: a local-style policy (one re-send after a timeout).
FIRST_BYTE = 0.25
DEADLINE = 0.5
HANG = 0.5  # the fuzz server's stalls, longer than FIRST_BYTE
TOTAL = 1.5  # the budget of one chat() call, retries and fallbacks included
# A call past its budget (plus slack for a loaded machine) counts as a hang.
HANG_BOUND = TOTAL + 2.0
WINDOW = 8192


@dataclass
class FuzzReport:
    seed: int
    replies: int = 0  # replies the server sent
    calls: int = 0
    turns: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    uncaught: list[str] = field(default_factory=list)  # exceptions that are not memgpt errors
    guard_hits: list[str] = field(default_factory=list)  # unexpected errors caught only by the last guard
    hangs: list[str] = field(default_factory=list)
    bad_text: list[str] = field(default_factory=list)  # strings that do not encode as UTF-8
    over_window: int = 0
    reloads: int = 0
    reload_failures: list[str] = field(default_factory=list)
    slowest_call: float = 0.0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "replies": self.replies,
            "calls": self.calls,
            "agent_turns": self.turns,
            "outcomes": dict(self.outcomes),
            "uncaught": self.uncaught[:20],
            "guard_hits": self.guard_hits[:20],
            "hangs": self.hangs[:20],
            "bad_text": self.bad_text[:20],
            "requests_over_window": self.over_window,
            "reloads": self.reloads,
            "reload_failures": self.reload_failures[:20],
            "slowest_call_s": round(self.slowest_call, 3),
            "seconds": round(self.seconds, 1),
            "reply_kinds": len(self.kinds),
        }


def _encodable(text: Any) -> bool:
    if text is None:
        return True
    try:
        str(text).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _policy() -> Any:
    from memgpt.llm.policy import CallPolicy

    return CallPolicy(
        local=True, first_byte_timeout=FIRST_BYTE, deadline=DEADLINE, max_retries=1, timeout_retries=1, total=TOTAL
    )


def _llm(url: str, stream: bool, wrapper: str | None = None) -> Any:
    from memgpt.config import LLMConfig

    return LLMConfig(
        model="fuzz-model",
        model_endpoint_type="openai-compatible",
        model_endpoint=url,
        context_window=WINDOW,
        max_retries=1,
        request_timeout=FIRST_BYTE,
        stream=stream,
        model_wrapper=wrapper,
    )


def _client(url: str, stream: bool, wrapper: str | None = None) -> Any:
    from memgpt.llm.openai_client import OpenAIChatClient
    from memgpt.llm.wrappers import WrappedCompletionClient

    cls = WrappedCompletionClient if wrapper else OpenAIChatClient
    return cls(_llm(url, stream, wrapper), "sk-fuzz", policy=_policy(), sleep=lambda s: None, base_delay=0.0)


class _TimedClient:
    """An LLM client that records how long each call took (a hang is one call past HANG_BOUND)."""

    def __init__(self, inner: Any, report: FuzzReport) -> None:
        self._inner = inner
        self._report = report
        self.model = inner.model
        self.context_window = inner.context_window

    def chat(self, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return self._inner.chat(*args, **kwargs)
        finally:
            elapsed = time.monotonic() - started
            self._report.slowest_call = max(self._report.slowest_call, elapsed)
            if elapsed > HANG_BOUND:
                self._report.hangs.append(f"agent call: {elapsed:.1f}s")


def _timed(report: FuzzReport, label: str, fn: Any, bounded: bool = True) -> Any:
    """Run one call; record its outcome, its time, and anything that escaped it."""
    from memgpt.errors import MemGPTError

    started = time.monotonic()
    result = None
    try:
        result = fn()
        report.outcomes["ok"] += 1
    except MemGPTError as exc:
        report.outcomes[type(exc).__name__] += 1
        if str(exc).startswith("Unexpected error"):
            report.guard_hits.append(f"{label}: {exc}"[:300])
        if not _encodable(str(exc)) or not _encodable(getattr(exc, "raw", "")):
            report.bad_text.append(f"{label}: error text")
    except Exception as exc:  # the failure this fuzzer looks for
        report.uncaught.append(f"{label}: {type(exc).__name__}: {exc}"[:300])
    elapsed = time.monotonic() - started
    if bounded:
        report.slowest_call = max(report.slowest_call, elapsed)
        if elapsed > HANG_BOUND:
            report.hangs.append(f"{label}: {elapsed:.1f}s")
    return result


def _check_result(report: FuzzReport, label: str, result: Any) -> None:
    if result is None:
        return
    message = result.message
    texts = [message.content] + [x for c in message.tool_calls or [] for x in (c.name, c.arguments, c.id)]
    if not all(_encodable(t) for t in texts):
        report.bad_text.append(label)


def fuzz_clients(report: FuzzReport, url: str, n: int) -> None:
    """n calls spread over the native client (plain and streamed) and a wrapped one."""
    from memgpt.schemas import Message

    send = {
        "name": "send_message",
        "description": "Send a message.",
        "parameters": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
    }
    history = [Message(role="system", content="You are a test."), Message(role="user", content="hi \U0001f600")]
    clients = [
        (_client(url, False), "native"),
        (_client(url, True), "stream"),
        (_client(url, False, "chatml"), "wrapped"),
    ]
    deltas: list[tuple[str, str]] = []

    def on_delta(kind: str, text: str) -> None:
        deltas.append((kind, text))

    for i in range(n):
        client, label = clients[i % len(clients)]
        deltas.clear()
        result = _timed(report, label, lambda c=client: c.chat(history, [send], on_delta=on_delta))
        _check_result(report, label, result)
        if not all(_encodable(t) for _, t in deltas):
            report.bad_text.append(f"{label}: streamed delta")
        report.calls += 1


def fuzz_agents(report: FuzzReport, url: str, turns: int, session: int = 25) -> None:
    """Agents (streamed and not) over sessions of `session` turns, each closed and reloaded."""
    from memgpt.agent import Agent
    from memgpt.config import MemGPTConfig
    from memgpt.interface import RecordingInterface
    from memgpt.storage import open_storage

    done = 0
    index = 0
    while done < turns:
        stream = index % 2 == 1
        name = f"fuzz{report.seed}x{index}"
        config = MemGPTConfig(llm=_llm(url, stream))
        config.limits.max_chained_steps = 3
        storage = open_storage(config)
        agent = Agent.create(
            name=name,
            config=config,
            storage=storage,
            interface=RecordingInterface(),
            llm_client=_TimedClient(_client(url, stream), report),
        )
        try:
            for i in range(min(session, turns - done)):
                text = ["hello", "my name is \U0001f600 Zoë", "remember tea"][i % 3]
                _timed(report, "agent", lambda a=agent, t=text: a.user_message(t, verify=False), bounded=False)
                done += 1
                report.turns += 1
        finally:
            agent.close()
        try:
            again = Agent.load(
                name, config=config, storage=storage, interface=RecordingInterface(), llm_client=_client(url, stream)
            )
            if not all(_encodable(m.content) for m in again.in_context_messages()):
                report.bad_text.append("reloaded agent")
            again.close()
            report.reloads += 1
        except Exception as exc:
            report.reload_failures.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
        index += 1


def count_over_window(requests: list[dict[str, Any]]) -> int:
    """Chat requests whose messages and tools, counted as the agent counts them, exceed the window."""
    from memgpt.tokens import count_tokens

    over = 0
    for request in requests:
        body = request["body"]
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("tools"):
            continue
        tokens = count_tokens(json.dumps([t["function"] for t in body["tools"]]), "gpt-4") + 4
        tokens += sum(count_tokens(json.dumps(m, ensure_ascii=False), "gpt-4") + 3 for m in body["messages"])
        over += tokens > WINDOW
    return over


def run_fuzz(seed: int, client_calls: int, agent_turns: int) -> FuzzReport:
    import logging

    from tests.fuzz_server import FuzzServer

    for name in ("memgpt", "httpx2", "httpx"):  # thousands of retry warnings and request lines otherwise
        logging.getLogger(name).setLevel(logging.CRITICAL)
    report = FuzzReport(seed=seed)
    started = time.monotonic()
    with FuzzServer(seed=seed, hang_seconds=HANG) as server:
        fuzz_clients(report, server.url, client_calls)
        fuzz_agents(report, server.url, agent_turns)
        report.replies = len(server.requests)
        report.kinds = server.kinds
        report.over_window = count_over_window(server.requests)
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=10000, help="replies to send, at least")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if "MEMGPT_HOME" not in os.environ:
        os.environ["MEMGPT_HOME"] = tempfile.mkdtemp(prefix="memgpt-fuzz-")
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", tempfile.mkdtemp(prefix="memgpt-fuzz-tiktoken-"))
    # roughly half the replies go to clients directly, half to agents (a turn takes ~2 replies)
    report = run_fuzz(args.seed, client_calls=args.replies // 2, agent_turns=max(1, args.replies // 4))
    data = report.as_dict()
    print(json.dumps(data, indent=2))
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    failed = report.uncaught or report.guard_hits or report.hangs or report.bad_text or report.reload_failures
    return 1 if failed or report.over_window else 0


if __name__ == "__main__":
    raise SystemExit(main())
