"""memgpt as a library prints nothing of its own; small honest messages in the CLI; the warm-up."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import cli_env, run_memgpt
from tests.fake_llm import echo_user, send_message, text

LIBRARY_USE = textwrap.dedent("""
    import logging, sys
    from memgpt.agent import Agent
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.interface import RecordingInterface
    from memgpt.storage import open_storage

    config = MemGPTConfig(llm=LLMConfig(model="gpt-4", model_endpoint_type="openai-compatible",
                                        model_endpoint=sys.argv[1], max_retries=0))
    storage = open_storage(config)
    agent = Agent.create(name="lib", config=config, storage=storage, interface=RecordingInterface())
    agent.user_message("remember parrots", verify=False)
    from memgpt.embeddings import create_embedder

    embedder = create_embedder(config.embedding)  # wordllama: it calls logging.basicConfig on import
    storage.archival("lib", embedder).insert(["Parrots can live for decades."], [{}])
    print(len(storage.archival("lib", embedder).search("parrots", 1)))  # faiss: its loader logs at INFO
    agent.close()
    storage.close()
    assert not logging.getLogger().handlers, logging.getLogger().handlers
""")


def test_library_use_prints_no_log_lines(configured, fake_llm) -> None:
    fake_llm.default = echo_user()
    result = subprocess.run(
        [sys.executable, "-c", LIBRARY_USE, fake_llm.url], capture_output=True, text=True, env=cli_env(), timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert result.stderr == ""  # no INFO:faiss.loader / INFO:httpx lines, no last-resort warnings


def test_help_hints_summarize_once_and_memorywarning_on_request(configured, fake_llm) -> None:
    fake_llm.default = echo_user()
    script = "".join(f"message {i}\n" for i in range(6)) + "/summarize\n/memorywarning\n/help\n/help dump\n"
    fake_llm.default = lambda req: (
        text("We talked about numbers.") if req["body"].get("tools") is None else (send_message("ok"))
    )
    result = run_memgpt("run", "--agent", "h", "--first", "--no-verify", input=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("We talked about numbers.") == 1  # the summary, shown once
    assert "Sent the memory-pressure alert on request" in result.stdout
    assert "Memory is nearly full" not in result.stdout
    assert "/dump [n]" in result.stdout and "/rethink <text>" in result.stdout  # argument hints survive markup
    assert "/dump [n]: show the last n messages" in result.stdout


def test_delete_prompt_wording(memgpt_home) -> None:
    run_memgpt("add", "human", "--name", "ana", "--text", "Name: Ana")
    result = run_memgpt("delete", "human", "--name", "ana", input="n\n")
    assert "Delete human 'ana'? This cannot be undone." in result.stdout


def test_warmup_loads_the_embedder_in_the_background(configured, fake_llm) -> None:
    """The warm-up runs in a daemon thread and leaves the shared embedder loaded for the first turn."""
    code = textwrap.dedent("""
        import sys
        from types import SimpleNamespace
        from memgpt.cli.background import start_warmup
        from memgpt.config import EmbeddingConfig
        from memgpt.embeddings.local import LocalEmbedder

        cfg = EmbeddingConfig()
        thread = start_warmup(SimpleNamespace(embedding_config=cfg))
        assert thread.daemon
        thread.join(60)
        assert "openai" in sys.modules and "faiss" in sys.modules
        assert LocalEmbedder.shared(cfg.embedding_model, cfg.embedding_dim)._model is not None
        print("warm")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=120)
    assert result.stdout.strip() == "warm", result.stderr
    assert "openai" not in run_memgpt("run", "-h").stderr  # and --help does none of it (see test_cli)
