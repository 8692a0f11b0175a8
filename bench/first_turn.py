"""The first turn after resuming costs what later turns cost: imports are warmed up while you type.

Resumes an agent with `memgpt run` in a pseudo-terminal (as a person would) against the instant fake
LLM, waits 2 s at the prompt (someone typing), then types each message and times the turn from Enter
to the reply on screen.
The baseline is the median of the later turns of the same session; the ratio for the first turn is
what a user feels. `--no-warmup` sets MEMGPT_NO_WARMUP=1 so the difference the warm-up makes shows.

Usage: python -m bench.first_turn [--quick] [--no-warmup]
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


def _session(home: str, url: str, turns: int, warmup: bool) -> list[float]:
    import pexpect

    env = dict(os.environ, MEMGPT_HOME=home, NO_COLOR="1", PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm-256color")
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if not warmup:
        env["MEMGPT_NO_WARMUP"] = "1"
    child = pexpect.spawn(
        sys.executable, ["-m", "memgpt", "run", "--agent", "bench", "--first"], env=env, encoding="utf-8", timeout=60
    )
    child.expect(">")
    time.sleep(2.0)  # the user types
    seconds = []
    for turn in range(turns):
        text = f"message number {turn}"
        child.send(text)  # typed: the prompt echoes it as the keys arrive
        child.expect_exact(text)
        started = time.perf_counter()  # from Enter, as a person feels it
        child.send("\r")
        child.expect(f"You said: {text}")
        seconds.append(time.perf_counter() - started)
        child.expect(">")
        time.sleep(0.3)
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    return seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-warmup", action="store_true")
    args = parser.parse_args(argv)
    turns = 4 if args.quick else 8
    runs = 1 if args.quick else 3
    from memgpt.agent import Agent
    from memgpt.config import Credentials, LLMConfig, MemGPTConfig
    from memgpt.interface import NullInterface
    from memgpt.storage import open_storage
    from tests.fake_llm import FakeLLMServer, echo_user

    results: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as home, FakeLLMServer() as fake:
        os.environ["MEMGPT_HOME"] = home
        fake.default = echo_user()
        config = MemGPTConfig(
            llm=LLMConfig(model="gpt-4", model_endpoint_type="openai-compatible", model_endpoint=fake.url)
        )
        config.save()
        Credentials().save()
        storage = open_storage(config)
        Agent.create(name="bench", config=config, storage=storage, interface=NullInterface()).close()
        storage.close()
        for warmup in ([False] if args.no_warmup else [True, False]):
            firsts, laters = [], []
            for _ in range(runs):
                seconds = _session(home, fake.url, turns, warmup)
                firsts.append(seconds[0])
                laters.extend(seconds[1:])
            first, later = statistics.median(firsts), statistics.median(laters)
            label = "with warm-up" if warmup else "without warm-up (MEMGPT_NO_WARMUP=1)"
            results[label] = {"first_turn": first, "later_turns": later, "ratio": first / later}
            rows.append([label, ms(later), ms(first), f"{first / later:.2f}x"])
    print_table(
        "First turn after resuming vs later turns (memgpt run in a pty, instant fake LLM, 2 s at the prompt first)",
        ["session", "later turns (baseline, median)", "first turn (median)", "first / later"],
        rows,
    )
    return results


if __name__ == "__main__":
    main()
