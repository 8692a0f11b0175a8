"""Peak memory of resuming an agent with a long history: only the main context should be loaded.

A fresh process resumes an agent whose recall storage holds 100k messages (10k with --quick)
and assembles its context (`token_budget()`); its peak RSS (VmHWM, or getrusage) is compared with
a process that only imports memgpt, and with one that resumes an agent with an empty history.
If resuming read the whole history into memory, the difference would grow with recall size.

Usage: python -m bench.memory [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

PEAK = """
import resource
def peak_kb():
    # VmHWM belongs to this process image; ru_maxrss survives execve and would report the parent's peak.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

BASELINE = (
    PEAK
    + """
import json
import memgpt
print(json.dumps({"rss_kb": peak_kb(), "seconds": 0.0}))
"""
)

RESUME = (
    PEAK
    + """
import json, time, sys
from memgpt.agent import Agent
from memgpt.config import MemGPTConfig
from memgpt.interface import NullInterface
from memgpt.storage import open_storage
config = MemGPTConfig.load()
storage = open_storage(config)
started = time.perf_counter()
agent = Agent.load(sys.argv[1], config=config, storage=storage, interface=NullInterface())
agent.token_budget()
seconds = time.perf_counter() - started
agent.close()
print(json.dumps({"rss_kb": peak_kb(), "seconds": seconds}))
"""
)


def _prepare(home: str, sizes: list[int]) -> None:
    """One agent per size, each with that many older messages in recall."""
    os.environ["MEMGPT_HOME"] = home
    from bench.step_overhead import _fill_recall
    from memgpt.agent import Agent
    from memgpt.config import MemGPTConfig
    from memgpt.interface import NullInterface
    from memgpt.storage import open_storage

    config = MemGPTConfig()
    config.save()
    storage = open_storage(config)
    try:
        for n in sizes:
            agent = Agent.create(name=f"history-{n}", config=config, storage=storage, interface=NullInterface())
            agent.close()
            _fill_recall(storage, f"history-{n}", n)
    finally:
        storage.close()


def _measure(code: str, home: str, *args: str) -> dict[str, float]:
    env = dict(os.environ, MEMGPT_HOME=home, PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k messages instead of 100k")
    args = parser.parse_args(argv)
    big = 10_000 if args.quick else 100_000
    old_home = os.environ.get("MEMGPT_HOME")
    try:
        with tempfile.TemporaryDirectory(prefix="memgpt-bench-mem-") as home:
            _prepare(home, [0, big])
            baseline = _measure(BASELINE, home)
            empty = _measure(RESUME, home, "history-0")
            full = _measure(RESUME, home, f"history-{big}")
    finally:
        if old_home is None:
            os.environ.pop("MEMGPT_HOME", None)
        else:
            os.environ["MEMGPT_HOME"] = old_home
    mb = 1024.0  # KiB
    rows = [
        ("import memgpt", "-", f"{baseline['rss_kb'] / mb:.1f} MB", "-"),
        ("resume, empty recall", "0", f"{empty['rss_kb'] / mb:.1f} MB", f"{empty['seconds'] * 1000:.0f} ms"),
        (
            f"resume, {big:,} in recall",
            f"{big:,}",
            f"{full['rss_kb'] / mb:.1f} MB",
            f"{full['seconds'] * 1000:.0f} ms",
        ),
    ]
    print_table("Peak RSS of a fresh process", ["process", "recall messages", "peak RSS", "resume time"], rows)
    return {
        "recall_messages": big,
        "baseline_rss_mb": baseline["rss_kb"] / mb,
        "resume_empty_rss_mb": empty["rss_kb"] / mb,
        "resume_full_rss_mb": full["rss_kb"] / mb,
        "resume_empty_seconds": empty["seconds"],
        "resume_full_seconds": full["seconds"],
        "growth_mb": (full["rss_kb"] - empty["rss_kb"]) / mb,
    }


if __name__ == "__main__":
    main()
