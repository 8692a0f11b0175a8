"""The benchmarks run (on their --quick sizes); their numbers are never asserted (machines are noisy)."""

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT, cli_env


def test_benchmarks_run_quick(tmp_path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["machine"]["cpus"]
    for name, entry in data["benchmarks"].items():
        assert isinstance(entry["results"], dict), name
