"""The real-model tier: a small GGUF model on llama-cpp-python's server manages its memory.

Skipped unless MEMGPT_REAL_MODEL names a GGUF file (and MEMGPT_LLAMA_PYTHON a python that has
`llama-cpp-python[server]`; default: this one). One command (docs/local_llm.md):

    MEMGPT_REAL_MODEL=/models/qwen2.5-coder-1.5b-q4_k_m.gguf MEMGPT_LLAMA_PYTHON=/venvs/llama/bin/python \\
        python -m pytest -m real_llm tests/test_real_llm.py

Minutes per test on 2 CPU threads. `python -m bench.real_llm` runs the longer, measured sessions.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

MODEL = os.environ.get("MEMGPT_REAL_MODEL")
pytestmark = [
    pytest.mark.real_llm,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not MODEL, reason="set MEMGPT_REAL_MODEL=/path/to/model.gguf to run the real-model tier"),
]


@pytest.fixture(scope="module")
def llama_server():
    from bench.real_llm import start_server

    # Not under pytest's basetemp: another pytest run started meanwhile prunes old basetemps, and this
    # tier reads the server's log (its evaluated-token lines) for its whole half hour.
    folder = Path(tempfile.mkdtemp(prefix="memgpt-real-tier-"))
    log = folder / "server.log"
    proc, url = start_server(os.environ.get("MEMGPT_LLAMA_PYTHON", sys.executable), MODEL, 8192, log)
    yield url, log
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("mode", ["chatml", "native"])
def test_a_short_session_is_all_function_calls_and_reuses_the_prompt_cache(llama_server, mode, monkeypatch) -> None:
    from bench.real_llm import run_mode

    url, log = llama_server
    monkeypatch.setenv("MEMGPT_HOME", str(log.parent / f"home-{mode}"))  # outside basetemp too (see above)
    result = run_mode(mode, url, Path(MODEL).name, 8192, log, turns=4)
    assert not result.errors, result.errors
    assert result.valid_calls >= 0.8 * result.steps, (result.valid_calls, result.steps)
    later = sorted(result.evaluated[1:])
    assert later and later[len(later) // 2] < 1000  # the server evaluates the new messages, not the prompt
