"""Cold start of the CLI: what a user waits for before anything happens.

Compares `memgpt --help` and `memgpt version` with a bare `python -c pass` measured in the same
run, and times `memgpt run` from launch to its first prompt (piped, with an agent that exists,
`--first` so no LLM call is made). Heavy modules (openai, faiss, numpy) must stay off these paths.

Usage: python -m bench.startup [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from typing import Any

from bench.common import REPO_ROOT, ms, print_table, python_cmd, time_command


def _env(home: str) -> dict[str, str]:
    return {"MEMGPT_HOME": home, "PYTHONPATH": str(REPO_ROOT), "NO_COLOR": "1"}


def _prepare_agent(home: str) -> None:
    """A configured home with one agent, created without any LLM call."""
    code = (
        "from memgpt.config import MemGPTConfig, LLMConfig\n"
        "from memgpt.storage import open_storage\n"
        "from memgpt.agent import Agent\n"
        "from memgpt.interface import NullInterface\n"
        "c = MemGPTConfig(llm=LLMConfig(model_endpoint_type='openai-compatible', model_endpoint='http://127.0.0.1:9/v1'))\n"
        "c.save()\n"
        "s = open_storage(c)\n"
        "Agent.create(name='bench', config=c, storage=s, interface=NullInterface()).close()\n"
        "s.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **_env(home)), check=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 15
    with tempfile.TemporaryDirectory() as home:
        env = _env(home)
        _prepare_agent(home)
        baseline = time_command(python_cmd("-c", "pass"), repeat, env)
        cases = {
            "memgpt --help": python_cmd("-m", "memgpt", "--help"),
            "memgpt version": python_cmd("-m", "memgpt", "version"),
            "memgpt run to first prompt": python_cmd("-m", "memgpt", "run", "--agent", "bench", "--first"),
        }
        results: dict[str, Any] = {"python -c pass": baseline.as_dict()}
        rows = [["python -c pass", ms(baseline.median), ms(baseline.min), ms(baseline.max), "1.0x"]]
        for name, cmd in cases.items():
            timing = time_command(cmd, repeat, env)
            results[name] = timing.as_dict() | {"ratio_to_python": timing.median / baseline.median}
            rows.append(
                [name, ms(timing.median), ms(timing.min), ms(timing.max), f"{timing.median / baseline.median:.1f}x"]
            )
    print_table(f"Cold start ({repeat} runs each)", ["command", "median", "min", "max", "vs python"], rows)
    return results


if __name__ == "__main__":
    main()
