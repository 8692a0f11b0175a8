"""Run every benchmark in `bench/` and print one summary; `--quick` for a fast pass, `--json` to save.

Each benchmark module exposes `main(argv) -> dict` and accepts `--quick`. The summary collects
their results; `--json PATH` writes them all for comparing runs across machines or commits.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

BENCHMARKS = [
    "startup",
    "step_overhead",
    "resume",
    "archival",
    "load",
    "memory",
    "recall_search",
    "retrieval",
    "long_session",
    "server",
    "portable",
    "postgres",
]


def machine() -> dict[str, object]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run just these (repeatable)")
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    args = parser.parse_args(argv)

    results: dict[str, object] = {"machine": machine(), "quick": args.quick, "benchmarks": {}}
    failed = []
    for name in args.only or BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"\n[{name}] not available in this checkout", file=sys.stderr)
            continue
        started = time.perf_counter()
        try:
            outcome = module.main(["--quick"] if args.quick else [])
        except Exception as exc:  # one broken benchmark must not hide the others
            failed.append(name)
            print(f"\n[{name}] FAILED: {exc!r}", file=sys.stderr)
            continue
        results["benchmarks"][name] = {"results": outcome, "seconds": round(time.perf_counter() - started, 2)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
