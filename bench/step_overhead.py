"""Client-side overhead of one agent step: wall time minus the time the (fake) LLM server spent.

Each case resumes an agent whose main context is pre-filled to about 60% of the window (so the
token accounting works on a realistic context) and whose recall storage holds 0, 10k or 100k
older messages, then times `user_message()` steps that each make one LLM call (a send_message
reply, no heartbeat); each step is undone afterwards (untimed `pop`) so every step sees the same
context size and no eviction happens. Reported per step, as medians:

- overhead: wall time minus the fake server's own handler time (tests.fake_llm.server_seconds):
  our agent code plus the openai SDK, HTTP on 127.0.0.1 and JSON (what the user waits for beyond
  the model itself);
- agent: wall time minus the whole time spent inside `LLMClient.chat` (context assembly, token
  accounting, dispatch, the SQLite commit): the part this project's agent code owns;
- sdk_roundtrip: a bare `client.chat` of a one-message prompt, for scale.

Usage: python -m bench.step_overhead [--quick] [--steps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from bench.common import REPO_ROOT, ms, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

FILL_FRACTION = 0.6  # of the window, before timing starts
RECALL_BATCH = 5000


def _envelope_pair(i: int) -> list[Any]:
    """A user message and the agent's send_message reply, as a conversation would store them."""
    import json

    from memgpt.schemas import Message, ToolCall

    user = Message(
        role="user",
        content=json.dumps(
            {"type": "user_message", "message": f"Old message {i} about hiking, books and tea.", "time": "t"}
        ),
    )
    call = ToolCall(name="send_message", arguments=json.dumps({"message": f"Noted, old reply {i}."}))
    reply = Message(role="assistant", content=f"Thinking about message {i}.", tool_calls=[call])
    result = Message(role="tool", name="send_message", tool_call_id=call.id, content='{"status": "OK"}')
    return [user, reply, result]


def _fill_recall(storage: Any, agent: str, n: int) -> None:
    batch: list[Any] = []
    i = 0
    while i * 3 < n:
        batch.extend(_envelope_pair(i))
        i += 1
        if len(batch) >= RECALL_BATCH:
            with storage.transaction():
                storage.recall.append(agent, batch)
            batch = []
    if batch:
        with storage.transaction():
            storage.recall.append(agent, batch)


def _fill_context(storage: Any, agent: str, tokens_wanted: int) -> None:
    """Put messages into the agent's context until its queue holds about `tokens_wanted` tokens."""
    from memgpt.agent.context import message_tokens as _message_tokens
    from memgpt.tokens import encoder_for

    enc = encoder_for("gpt-4")
    state = storage.agents.load(agent)
    added: list[Any] = []
    total = 0
    i = 0
    while total < tokens_wanted:
        for m in _envelope_pair(10_000_000 + i):
            m.tokens = _message_tokens(enc, m)
            total += m.tokens
            added.append(m)
        i += 1
    with storage.transaction():
        stored = storage.recall.append(agent, added)
        state.in_context_ids = [*state.in_context_ids, *(m.id for m in stored)]
        state.memory_pressure_alerted = True  # no alert step in the middle of the measurement
        state.first_reply_done = True
        storage.agents.save(state)


def _case(window: int, recall_messages: int, steps: int) -> dict[str, float]:
    from memgpt.agent import Agent
    from memgpt.config import Credentials, LLMConfig, MemGPTConfig
    from memgpt.interface import NullInterface
    from memgpt.storage import open_storage
    from tests.fake_llm import FakeLLMServer, send_message

    with tempfile.TemporaryDirectory(prefix="memgpt-bench-") as home, FakeLLMServer() as server:
        os.environ["MEMGPT_HOME"] = home
        config = MemGPTConfig(
            llm=LLMConfig(
                model="gpt-4",
                model_endpoint_type="openai-compatible",
                model_endpoint=server.url,
                context_window=window,
                max_retries=0,
            )
        )
        Credentials(openai_key="sk-bench").save()
        storage = open_storage(config)
        agent = Agent.create(name="bench", config=config, storage=storage, interface=NullInterface())
        budget = agent.token_budget()
        agent.close()
        _fill_recall(storage, "bench", recall_messages)
        fixed = budget["system"] + budget["core_memory"] + budget["functions"]
        _fill_context(storage, "bench", max(int(window * FILL_FRACTION) - fixed, 0))
        agent = Agent.load("bench", config=config, storage=storage, interface=NullInterface())
        try:
            client = agent.client
            inner = client.chat
            in_chat = [0.0]

            def timed_chat(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return inner(*args, **kwargs)
                finally:
                    in_chat[0] += time.perf_counter() - started

            client.chat = timed_chat  # type: ignore[method-assign]
            server.default = send_message("Sure.", thought="Short answer.")
            overhead, agent_only, walls = [], [], []
            for step in range(steps + 2):  # two warm-up steps (imports, first connection)
                server_before, chat_before = server.server_seconds, in_chat[0]
                started = time.perf_counter()
                result = agent.user_message(f"Quick question number {step}?", verify=False)
                wall = time.perf_counter() - started
                if result.steps != 1:
                    raise RuntimeError(f"expected one LLM call per step, got {result.steps}")
                agent.pop(1)  # keep the context at the same size for every step (untimed)
                if step < 2:
                    continue
                walls.append(wall)
                overhead.append(wall - (server.server_seconds - server_before))
                agent_only.append(wall - (in_chat[0] - chat_before))
            from memgpt.schemas import Message

            probe = [Message(role="user", content="hi")]
            sdk = []
            for _ in range(steps):
                server_before = server.server_seconds
                started = time.perf_counter()
                inner(probe, None)
                sdk.append(time.perf_counter() - started - (server.server_seconds - server_before))
            used = agent.token_budget()["used"]
            if server.remaining or any(b.get("tools") is None for b in server.chat_requests()[:-steps]):
                raise RuntimeError("a summariser call happened during the measurement")
        finally:
            agent.close()
            storage.close()
    return {
        "window": window,
        "recall_messages": recall_messages,
        "context_tokens": used,
        "wall_ms": statistics.median(walls) * 1000,
        "overhead_ms": statistics.median(overhead) * 1000,
        "agent_ms": statistics.median(agent_only) * 1000,
        "sdk_roundtrip_ms": statistics.median(sdk) * 1000,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.step_overhead", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps, no 100k-message case")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per case")
    args = parser.parse_args(argv)
    steps = args.steps or (5 if args.quick else 40)
    sizes = [0, 10_000] if args.quick else [0, 10_000, 100_000]
    old_home = os.environ.get("MEMGPT_HOME")
    results = []
    try:
        for window in (8192, 32768):
            for n in sizes:
                results.append(_case(window, n, steps))
    finally:
        if old_home is None:
            os.environ.pop("MEMGPT_HOME", None)
        else:
            os.environ["MEMGPT_HOME"] = old_home
    rows = [
        (
            r["window"],
            f"{r['recall_messages']:,}",
            r["context_tokens"],
            ms(r["wall_ms"] / 1000),
            ms(r["overhead_ms"] / 1000),
            ms(r["agent_ms"] / 1000),
            ms(r["sdk_roundtrip_ms"] / 1000),
            f"{r['agent_ms'] / max(r['overhead_ms'], 1e-9):.0%}",
        )
        for r in results
    ]
    print_table(
        f"Step overhead, median of {steps} steps (one LLM call each; fake server time subtracted)",
        ["window", "recall", "ctx tokens", "wall", "overhead", "agent code", "bare SDK call", "agent share"],
        rows,
    )
    return {"steps": steps, "cases": results}


if __name__ == "__main__":
    main()
    sys.exit(0)
