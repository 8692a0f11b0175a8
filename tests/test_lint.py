"""ruff is part of the test command: style problems fail CI like any other test."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(REPO_ROOT)], capture_output=True, text=True, cwd=REPO_ROOT
    )
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
