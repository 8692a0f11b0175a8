"""Resuming an agent with a long history: only the main context should be read.

Times `Agent.load` (plus assembling the context, `token_budget()`) for agents with an empty
recall and with 100k messages (10k with --quick), against a baseline of just opening the
database. If resuming read the whole history, the 100k case would be far slower than the empty one.

Usage: python -m bench.resume [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

from bench.common import REPO_ROOT, ms, print_table, time_call

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    big = 10_000 if args.quick else 100_000
    repeat = 3 if args.quick else 10
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        from bench.step_overhead import _fill_recall
        from memgpt.agent import Agent
        from memgpt.config import LLMConfig, MemGPTConfig
        from memgpt.interface import NullInterface
        from memgpt.storage import open_storage

        config = MemGPTConfig(
            llm=LLMConfig(model_endpoint_type="openai-compatible", model_endpoint="http://127.0.0.1:9/v1")
        )
        storage = open_storage(config)
        for name, size in (("empty", 0), ("long", big)):
            Agent.create(name=name, config=config, storage=storage, interface=NullInterface()).close()
            if size:
                _fill_recall(storage, name, size)
        storage.close()

        def open_db() -> None:
            open_storage(config).close()

        def resume(name: str) -> None:
            s = open_storage(config)
            agent = Agent.load(name, config=config, storage=s, interface=NullInterface())
            agent.token_budget()
            agent.close()
            s.close()

        baseline = time_call(open_db, repeat)
        results: dict[str, Any] = {"open database": baseline.as_dict()}
        rows = [["open database (baseline)", "-", ms(baseline.median), ms(baseline.min), ms(baseline.max), "1.0x"]]
        for name, size in (("empty", 0), ("long", big)):
            timing = time_call(lambda n=name: resume(n), repeat)
            results[f"resume {size} messages"] = timing.as_dict() | {"ratio_to_open": timing.median / baseline.median}
            rows.append(
                [
                    "resume agent",
                    f"{size:,}",
                    ms(timing.median),
                    ms(timing.min),
                    ms(timing.max),
                    f"{timing.median / baseline.median:.1f}x",
                ]
            )
    print_table(f"Resume ({repeat} runs each)", ["case", "recall messages", "median", "min", "max", "vs open"], rows)
    return results


if __name__ == "__main__":
    main()
