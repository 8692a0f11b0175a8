"""`memgpt configure` asks a local server for its real context window before using the name table."""

from __future__ import annotations

import json

from tests.conftest import run_memgpt


def test_configure_reads_the_window_from_a_llamacpp_server(fake_llm, memgpt_home) -> None:
    fake_llm.routes["/props"] = {"default_generation_settings": {"n_ctx": 6144}}
    result = run_memgpt(
        "configure", "--model-endpoint-type", "llamacpp", "--model-endpoint", fake_llm.url, "--model", "qwen", "-y"
    )
    assert result.returncode == 0, result.stderr
    assert "6144 tokens" in result.stdout and "llama.cpp /props" in result.stdout
    config = json.loads((memgpt_home / "config.json").read_text())
    assert config["llm"]["context_window"] == 6144


def test_a_window_given_on_the_command_line_wins(fake_llm, memgpt_home) -> None:
    fake_llm.routes["/props"] = {"n_ctx": 6144}
    result = run_memgpt(
        "configure",
        "--model-endpoint-type",
        "llamacpp",
        "--model-endpoint",
        fake_llm.url,
        "--model",
        "qwen",
        "--context-window",
        "4096",
        "-y",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((memgpt_home / "config.json").read_text())["llm"]["context_window"] == 4096
