"""The benchmarks run (on their --quick sizes); their numbers are never asserted (machines are noisy).

They run as two processes at once, one per core (~30 s instead of ~55 s of the suite's 5 minutes): each
benchmark keeps its own temporary MEMGPT_HOME and ports, and the quick numbers are only smoke.
"""

import json
import subprocess
import sys

from bench.run import BENCHMARKS
from tests.conftest import REPO_ROOT, cli_env

# The heavier half by their quick durations (retrieval ~12 s, load ~6 s, ...); the rest, and any new
# benchmark, goes in the other process.
FIRST = ["retrieval", "load", "startup", "memory", "long_session", "portable"]


def test_benchmarks_run_quick(tmp_path) -> None:
    groups = [FIRST, [name for name in BENCHMARKS if name not in FIRST]]
    runs = []
    for index, group in enumerate(groups):
        out = tmp_path / f"bench-{index}.json"
        only = [arg for name in group for arg in ("--only", name)]
        command = [sys.executable, "-m", "bench", "--quick", *only, "--json", str(out)]
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        runs.append((process, out))
    seen = set()
    try:
        for process, out in runs:
            output, _ = process.communicate(timeout=240)
            assert process.returncode == 0, output[-6000:]
            data = json.loads(out.read_text())
            assert data["machine"]["cpus"]
            for name, entry in data["benchmarks"].items():
                assert isinstance(entry["results"], dict), name
                seen.add(name)
    finally:
        for process, _ in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert seen == set(BENCHMARKS)
