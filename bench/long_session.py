"""LLM calls per user turn over a long session: chat steps, memory alerts and summaries.

A scripted companion model (an instant fake server on 127.0.0.1) answers ≥1,000 user turns of
varied length at an 8k window. Every call is classified by what it answers: a user message, a
heartbeat, the memory-pressure alert, or a summary (no functions). Each extra kind of call is seconds
and money with a real model; the original MemGPT needed 1.15 calls per user turn on this kind of
session. Also checked: no alert is ever sent while a heartbeat the model asked for is pending.
The alert rides along with the next message or heartbeat; the companion saves either in the same reply
(`parallel`) or with a call of its own (`chained`); both are measured unless --alert-reply says which.

Usage: python -m bench.long_session [--quick] [--turns N] [--window N] [--search-rate R] [--alert-reply S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

ORIGINAL_CALLS_PER_TURN = 1.15  # pymemgpt 0.2.11 on the same kind of session (measured, see docs)
SENTENCES = [
    "I went for a run along the river this morning.",
    "Work was hectic, three meetings back to back.",
    "My sister called about the holiday plans.",
    "I tried a new pasta recipe with lemon and basil.",
    "The cat knocked a plant off the windowsill again.",
    "I'm reading a novel about a lighthouse keeper.",
    "We might adopt a second dog next spring.",
    "My knee hurts a little after the hike.",
]


def _new_events(body: dict[str, Any]) -> list[str]:
    """The envelope types of the user-role messages since the model last spoke ([] for a summary)."""
    if not body.get("tools"):
        return []
    types: list[str] = []
    for message in reversed(body["messages"]):
        if message["role"] == "assistant":
            break
        if message["role"] == "user":
            try:
                types.insert(0, json.loads(message["content"]).get("type", "user_message"))
            except (TypeError, ValueError, AttributeError):
                types.insert(0, "user_message")
    return types


def _event_type(body: dict[str, Any]) -> str:
    """What a call answers: a summary (no functions), or the newest event the model was given."""
    if not body.get("tools"):
        return "summary"
    new = _new_events(body)
    return new[-1] if new else "other"


def _companion(rng: random.Random, search_rate: float, alert_reply: str):
    """Answers like a chatty companion: replies to the user, sometimes searches archival memory first
    (asking for a heartbeat to report what it found), and saves a note when it sees the memory alert —
    in the same reply as its answer (`parallel`, as models with parallel tool calls do) or as a call
    of its own that asks for a heartbeat before answering (`chained`, one extra call per alert)."""
    from tests.fake_llm import send_message, text, tool_call, tool_calls

    note = {"content": "They run, cook and read; a second dog next spring."}

    def answer() -> str:
        words = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 3)))
        return f"That sounds like a full day. {words}"

    def reply(request: dict[str, Any]) -> Any:
        body = request["body"]
        kind = _event_type(body)
        if kind == "summary":
            return text("I learned about their runs, work, family, cooking, pets and books.")
        if "system_alert" in _new_events(body):
            if alert_reply == "chained" or kind == "system_alert":
                return tool_call("archival_memory_insert", {**note, "request_heartbeat": kind != "system_alert"})
            return tool_calls(
                [("archival_memory_insert", note), ("send_message", {"message": answer()})],
                content="Memory is filling up: save the gist, then answer.",
            )
        if kind == "user_message" and rng.random() < search_rate:
            return tool_call("archival_memory_search", {"query": "dog", "request_heartbeat": True})
        return send_message(answer(), thought="Keep it warm and short.")

    return reply


def run(
    turns: int, window: int, seed: int = 7, search_rate: float = 0.1, alert_reply: str = "parallel"
) -> dict[str, Any]:
    from memgpt.agent import Agent
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.interface import RecordingInterface
    from memgpt.storage import open_storage
    from tests.fake_llm import FakeLLMServer

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as home, FakeLLMServer() as fake:
        os.environ["MEMGPT_HOME"] = home
        fake.default = _companion(rng, search_rate, alert_reply)
        config = MemGPTConfig(
            llm=LLMConfig(
                model="gpt-4",
                model_endpoint_type="openai-compatible",
                model_endpoint=fake.url,
                context_window=window,
                max_retries=0,
            )
        )
        interface = RecordingInterface()
        storage = open_storage(config)
        agent = Agent.create(name="long", config=config, storage=storage, interface=interface)
        calls: Counter[str] = Counter()
        alerts_delivered = 0
        started = time.perf_counter()
        for turn in range(turns):
            said = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 4)))
            agent.user_message(f"(turn {turn}) {said}", verify=False)
            bodies = fake.chat_requests()
            calls.update(_event_type(body) for body in bodies)
            alerts_delivered += sum("system_alert" in _new_events(body) for body in bodies)
            fake.requests.clear()  # memory stays flat over thousands of turns
        elapsed = time.perf_counter() - started
        agent.close()
        storage.close()
    replaced = 0
    pending_heartbeat = False
    for event in interface.events:  # an alert while a requested heartbeat is owed would be "instead of"
        if event.kind == "heartbeat":
            pending_heartbeat = True
        elif event.kind == "memory_warning" and pending_heartbeat:
            replaced += 1
        elif event.kind in ("inner_thought", "assistant_message", "function_call"):
            pending_heartbeat = False
    total_calls = sum(calls.values())
    return {
        "turns": turns,
        "window": window,
        "llm_calls": total_calls,
        "calls_per_turn": total_calls / turns,
        "user_message_calls": calls["user_message"],
        "heartbeat_calls": calls["heartbeat"],
        "alert_rounds": calls["system_alert"],
        "alerts_delivered": alerts_delivered,
        "alert_reply": alert_reply,
        "summaries": calls["summary"],
        "alerts_replacing_a_heartbeat": replaced,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--turns", type=int)
    parser.add_argument("--window", type=int, default=8192)
    parser.add_argument("--search-rate", type=float, default=0.1, help="share of turns that search first")
    parser.add_argument(
        "--alert-reply", choices=["parallel", "chained", "both"], default="both", help="how the model saves on an alert"
    )
    args = parser.parse_args(argv)
    turns = args.turns or (150 if args.quick else 1200)
    styles = ["parallel", "chained"] if args.alert_reply == "both" else [args.alert_reply]
    results = {style: run(turns, args.window, search_rate=args.search_rate, alert_reply=style) for style in styles}
    rows = [
        ("LLM calls per user turn", "calls_per_turn", f"{ORIGINAL_CALLS_PER_TURN:.2f}"),
        ("calls answering a user message", "user_message_calls", "-"),
        ("calls after a heartbeat (searches, chained saves)", "heartbeat_calls", "-"),
        ("calls answering only the alert", "alert_rounds", "one per alert"),
        ("alerts delivered (with a message or heartbeat)", "alerts_delivered", "-"),
        ("summariser calls", "summaries", "-"),
        ("alerts sent instead of a requested heartbeat", "alerts_replacing_a_heartbeat", "(bug 13)"),
        ("wall time", "seconds", "-"),
    ]

    def shown(key: str, value: Any) -> str:
        if key == "calls_per_turn":
            return f"{value:.3f}"
        return f"{value:.1f} s" if key == "seconds" else str(value)

    first = next(iter(results.values()))
    print_table(
        f"Long session: {first['turns']} user turns at a {first['window']}-token window, "
        f"{args.search_rate:.0%} of turns searching first (instant fake LLM)",
        ["measure", *(f"memgpt, saves {style}" for style in styles), "original"],
        [[label, *(shown(key, r[key]) for r in results.values()), original] for label, key, original in rows],
    )
    return results if len(results) > 1 else first


if __name__ == "__main__":
    main()
