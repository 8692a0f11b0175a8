"""Timing helpers shared by the benchmark scripts: repeat, take the median, compare to a baseline.

Numbers are only meaningful next to a baseline measured in the same run on the same machine, so
every benchmark reports ratios as well as absolute times.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    """Seconds over `runs` repetitions."""

    median: float
    min: float
    max: float
    runs: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize(samples: Sequence[float]) -> Timing:
    return Timing(statistics.median(samples), min(samples), max(samples), len(samples))


def time_call(fn: Callable[[], object], repeat: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return summarize(samples)


def time_command(cmd: Sequence[str], repeat: int, env: dict[str, str] | None = None, warmup: int = 1) -> Timing:
    """Wall time of a whole process, start to exit (cold start of a command)."""
    full_env = dict(os.environ, **(env or {}))

    def run() -> None:
        subprocess.run(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    return time_call(run, repeat=repeat, warmup=warmup)


def python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table (rich would be nicer, but benchmarks must not pay for imports they time)."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))
