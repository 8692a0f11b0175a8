"""The command line as a user meets it: configure, list/add/delete, and the installed wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from memgpt import paths
from tests.conftest import REPO_ROOT, cli_env, run_memgpt

DOWN = "\x1b[B"


def test_configure_from_flags_and_missing_flags(memgpt_home) -> None:
    result = run_memgpt("configure")
    assert result.returncode == 2
    assert "--model-endpoint-type and --model" in result.stderr
    assert not paths.config_file().exists()
    result = run_memgpt("configure", "--model-endpoint-type", "ollama", "--model", "llama3.1", "--openai-key", "sk-x")
    assert result.returncode == 0, result.stderr
    assert "Saved config to" in result.stdout
    config = json.loads(paths.config_file().read_text())
    assert config["llm"]["model_endpoint"] == "http://localhost:11434/v1"
    assert config["llm"]["context_window"] == 131072
    assert config["embedding"]["embedding_endpoint_type"] == "local"
    assert oct(paths.credentials_file().stat().st_mode & 0o777) == "0o600"
    assert "sk-x" not in paths.config_file().read_text()
    result = run_memgpt("configure", "--context-window", "4096")  # later runs change one thing at a time
    assert json.loads(paths.config_file().read_text())["llm"]["context_window"] == 4096
    result = run_memgpt("configure", "--model-endpoint-type", "nonsense", "-y")
    assert result.returncode == 2 and "--model-endpoint-type must be one of: openai, azure" in result.stderr


def test_corrupt_or_future_config_is_explained(memgpt_home) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("{not json")
    result = run_memgpt("list", "agents")
    assert result.returncode == 1
    assert "could not be read" in result.stderr and "memgpt configure" in result.stderr
    assert "Traceback" not in result.stderr
    paths.config_file().write_text(json.dumps({"config_version": 99}))
    result = run_memgpt("run", "-y")
    assert result.returncode == 1 and "newer release" in result.stderr and "Traceback" not in result.stderr


def test_list_add_delete(memgpt_home) -> None:
    assert "sam_pov" in run_memgpt("list", "personas").stdout
    assert "memgpt_docs" in run_memgpt("list", "presets").stdout
    for bad in ("../x", "", "x" * 200, "a b"):
        result = run_memgpt("add", "persona", "--name", bad, "--text", "hello")
        assert result.returncode != 0 and "Invalid persona" in result.stderr, bad
    assert run_memgpt("add", "human", "--name", "ana", "--text", "Name: Ana").returncode == 0
    assert "Name: Ana" in run_memgpt("list", "humans").stdout
    result = run_memgpt("delete", "human", "--name", "ana", input="n\n")
    assert result.returncode == 1 and "Nothing deleted" in result.stdout
    assert run_memgpt("delete", "human", "--name", "ana", "-y").returncode == 0
    assert "ana" not in run_memgpt("list", "humans").stdout
    result = run_memgpt("delete", "persona", "--name", "sam_pov", "-y")
    assert result.returncode == 1 and "ships with memgpt" in result.stderr
    result = run_memgpt("add", "persona", "--name", "huge", "--text", "x" * 2500)
    assert result.returncode == 1 and "at most 2000" in result.stderr


def test_agents_are_listed_and_deleted(configured, fake_llm) -> None:
    from tests.fake_llm import send_message

    fake_llm.default = send_message("hi")
    result = run_memgpt("run", "--agent", "keeper", "--first", input="hello\n")
    assert result.returncode == 0, result.stderr
    assert "keeper" in run_memgpt("list", "agents").stdout
    assert run_memgpt("delete", "agent", "--name", "keeper", "-y").returncode == 0
    assert "keeper" not in run_memgpt("list", "agents").stdout
    result = run_memgpt("delete", "agent", "--name", "keeper", "-y")
    assert result.returncode == 1 and "No agent named" in result.stderr


def test_configure_wizard_in_a_terminal(spawn_memgpt, fake_llm, memgpt_home) -> None:
    child = spawn_memgpt("configure")
    child.expect("Select LLM inference provider")
    child.send(DOWN * 4 + "\r")  # vllm
    child.expect("LLM endpoint")
    child.send("\x7f" * 40 + fake_llm.url + "\r")
    child.expect("Select default model")  # offered from the server's /models
    child.send(DOWN + "\r")  # the current model (gpt-4) is preselected; one down is gpt-4o-mini
    child.expect("Context window")
    child.send("\r")
    child.expect("function calling")
    child.send("\r")
    for prompt in ("embedding provider", "default preset", "default persona", "default human", "storage backend"):
        child.expect(prompt)
        child.send("\r")
    child.expect("Saved config to")
    child.expect(pytest.importorskip("pexpect").EOF)
    config = json.loads(paths.config_file().read_text())
    assert config["llm"]["model_endpoint_type"] == "vllm"
    assert config["llm"]["model_endpoint"] == fake_llm.url
    assert config["llm"]["model"] == "gpt-4o-mini"
    assert config["llm"]["context_window"] == 128000  # known for gpt-4o-mini, offered as the default


def test_installed_wheel_carries_the_texts(tmp_path) -> None:
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheel_dir),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheel_dir.glob("pymemgpt-*.whl")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = dict(os.environ, PYTHONPATH=str(target))
    code = "import memgpt, sys; print(memgpt.__file__)"
    where = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(target))
    listed = subprocess.run(
        [sys.executable, "-m", "memgpt", "list", "personas"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert listed.returncode == 0, listed.stderr
    assert "sam_pov" in listed.stdout and "memgpt_doc" in listed.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; import memgpt.cli.app; "
        "print(sorted(m for m in ('openai', 'faiss', 'numpy', 'questionary', 'tiktoken', 'wordllama', 'yaml') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env())
    assert result.stdout.strip() == "[]", result.stdout


def test_run_without_config_and_without_a_terminal_says_what_to_do(memgpt_home) -> None:
    result = run_memgpt("run", "-y", input="hello\n")
    assert result.returncode == 1
    assert "memgpt configure" in result.stderr and "Traceback" not in result.stderr
    assert not paths.database_file().exists()  # nothing half-made


def test_folder_shows_where_things_live(memgpt_home) -> None:
    result = run_memgpt("folder")
    assert result.returncode == 0 and str(memgpt_home) in result.stdout


def test_bad_agent_names_and_a_corrupt_database_are_explained(configured) -> None:
    for bad in ("../x", "a b", "x" * 100):
        result = run_memgpt("run", "--agent", bad, "--first", input="")
        assert result.returncode == 1 and "Invalid agent name" in result.stderr, bad
    paths.database_file().write_bytes(b"definitely not sqlite" * 64)
    result = run_memgpt("list", "agents")
    assert result.returncode == 1
    assert "memgpt.db" in result.stderr and "corrupt" in result.stderr and "Traceback" not in result.stderr
    assert paths.database_file().read_bytes().startswith(b"definitely not sqlite")  # nothing was overwritten
