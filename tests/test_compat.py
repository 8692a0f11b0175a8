"""Code written for the original MemGPT runs here: the 0.1-era tutorial through a real AutoGen
GroupChat, pyautogen-era llm_configs, the old module names, and a version no upstream release has."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from memgpt.config import MemGPTConfig
from memgpt.storage import open_storage
from tests.conftest import REPO_ROOT, cli_env, run_memgpt
from tests.fake_llm import Reply, send_message, text

TUTORIAL = REPO_ROOT / "docs" / "examples" / "autogen_tutorial_0_1.py"
TUTORIAL_API_BASE = "http://localhost:5001/v1"


def _all_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


def group_chat_llm(memgpt_name: str, other_name: str):
    """One fake LLM for everyone in the tutorial's group chat, told apart by the request.

    - tools present: the MemGPT agent; it answers the latest chat message with send_message;
    - AutoGen's speaker-selection prompt ("select the next role"): alternately the MemGPT agent and
      the other member, starting with the MemGPT agent, so both take turns;
    - anything else (the summariser, if the window fills): plain text.
    """
    lock = threading.Lock()
    selections = {"n": 0}

    def reply(request: dict[str, Any]) -> Reply:
        body = request["body"]
        if body.get("tools"):
            for message in reversed(body["messages"]):
                if message["role"] == "user":
                    data = json.loads(message["content"])
                    if data.get("type") == "user_message":
                        return send_message(f"{memgpt_name} on it: {data['message'][:60]}", thought="Planning a loop.")
                    return send_message("Still here.", thought="Checking in.")
            return send_message("Hello.")
        if "select the next role" in _all_text(body).lower():
            with lock:
                selections["n"] += 1
                chosen = memgpt_name if selections["n"] % 2 else other_name
            return text(chosen)
        return text("We discussed printing numbers.")

    return reply


def test_tutorial_runs_unchanged_in_a_group_chat_and_the_agent_resumes(fake_llm, memgpt_home, tmp_path) -> None:
    source = TUTORIAL.read_text(encoding="utf-8")
    assert source.count(TUTORIAL_API_BASE) == 1
    script = tmp_path / "tutorial.py"
    script.write_text(source.replace(TUTORIAL_API_BASE, fake_llm.url), encoding="utf-8")
    fake_llm.default = group_chat_llm("MemGPT_coder", "User_proxy")

    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "updated it in place for today's autogen" in result.stderr  # says what it changed

    chat = [r["body"] for r in fake_llm.requests if r["path"].endswith("/chat/completions")]
    memgpt_calls = [b for b in chat if b.get("tools")]
    selections = [b for b in chat if not b.get("tools") and "select the next role" in _all_text(b).lower()]
    assert len(memgpt_calls) >= 3 and len(selections) >= 6  # the manager chose, the MemGPT agent spoke repeatedly
    # the manager's speaker-selection prompt describes the MemGPT agent by its persona
    assert any("10x engineer" in _all_text(b) for b in selections)
    assert all(b["model"] == "gpt-4" for b in chat)
    # the MemGPT agent heard the user proxy by name, persona and human as the tutorial set them
    first = memgpt_calls[0]["messages"]
    assert "I am a 10x engineer, trained in Python." in first[0]["content"]
    assert "Im a team manager at this company" in first[0]["content"]
    heard = [json.loads(m["content"]) for m in memgpt_calls[-1]["messages"] if m["role"] == "user"]
    said = [h["message"] for h in heard if h.get("type") == "user_message"]
    assert said[0] == "Write a Function to print Numbers 1 to 10"
    assert any("figure all out by your own" in s for s in said)  # the user proxy's turns reached it
    assert "MemGPT_coder on it: Write a Function to print Numbers 1 to 10" in result.stdout

    with open_storage(MemGPTConfig()) as storage:  # everything is in storage, not in a pickle
        assert storage.agents.exists("MemGPT_coder")
        assert storage.recall.search_text("MemGPT_coder", "print Numbers", 5, 0)[1] >= 1

    # a person then opens the same agent in the terminal (a config makes the CLI usable)
    configure = run_memgpt(
        "configure", "--model-endpoint-type", "openai-compatible", "--model-endpoint", fake_llm.url,
        "--model", "gpt-4", "-y",
    )  # fmt: skip
    assert configure.returncode == 0, configure.stderr
    before = len(fake_llm.requests)
    resumed = run_memgpt("run", "--agent", "MemGPT_coder", "--first", input="What did we work on?\n")
    assert resumed.returncode == 0, resumed.stderr
    assert "Using existing agent MemGPT_coder" in resumed.stdout
    assert "MemGPT_coder on it: What did we work on?" in resumed.stdout
    history = [m for m in fake_llm.requests[before]["body"]["messages"] if m["role"] == "user"]
    assert any("Write a Function to print Numbers 1 to 10" in m["content"] for m in history)  # remembered


def test_pyautogen_llm_config_is_upgraded_in_place_for_group_chat_manager() -> None:
    autogen = pytest.importorskip("autogen")
    from memgpt.autogen.llm_config import LegacyLLMConfigWarning, adopt_legacy_llm_config, autogen_refusal

    entry = {"api_type": "open_ai", "api_base": "http://127.0.0.1:9/v1", "api_key": "NULL"}
    llm_config = {"config_list": [entry], "seed": 42}
    assert "open_ai" in (autogen_refusal(llm_config) or "")  # today's autogen refuses the tutorial's dict
    with pytest.warns(LegacyLLMConfigWarning, match="api_base -> base_url"):
        adopt_legacy_llm_config(llm_config, model="gpt-4")
    assert llm_config["config_list"][0] is entry  # the same dict the script holds
    assert entry == {"api_type": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "NULL", "model": "gpt-4"}
    assert llm_config["seed"] == 42
    member = autogen.ConversableAgent("a", llm_config=False)
    group = autogen.GroupChat(agents=[member, autogen.ConversableAgent("b", llm_config=False)], messages=[])
    autogen.GroupChatManager(groupchat=group, llm_config=llm_config)  # accepted now
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adopt_legacy_llm_config(llm_config)  # already today's shape: nothing to say


def test_unfixable_config_names_the_fix_and_memgpt_style_configs_are_left_alone() -> None:
    pytest.importorskip("autogen")
    from memgpt.autogen.llm_config import LegacyLLMConfigWarning, adopt_legacy_llm_config, translate_llm_config

    broken = {"config_list": [{"api_type": "no_such_provider", "api_base": "http://127.0.0.1:9/v1"}]}
    with pytest.warns(LegacyLLMConfigWarning, match="Fix: give each config_list entry"):
        adopt_legacy_llm_config(broken)

    memgpt_style = {
        "config_list": [
            {
                "model": "gpt-4",
                "preset": "memgpt_chat",
                "model_endpoint_type": "openai",
                "model_endpoint": "https://api.openai.com/v1",
                "context_window": 8192,
                "openai_key": "sk-test",
            }
        ]
    }
    original = json.loads(json.dumps(memgpt_style))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adopt_legacy_llm_config(memgpt_style)  # a MemGPT 0.2 dict keeps its MemGPT-only keys
    assert memgpt_style == original
    assert translate_llm_config(memgpt_style)["config_list"] == [
        {"model": "gpt-4", "api_type": "openai", "base_url": "https://api.openai.com/v1", "api_key": "sk-test"}
    ]


def test_description_from_persona_or_given(fake_llm, memgpt_home) -> None:
    pytest.importorskip("autogen")
    from memgpt.autogen.memgpt_agent import MemGPTAgent, create_memgpt_autogen_agent_from_config
    from memgpt.presets import use_preset

    llm_config = {"config_list": [{"model": "gpt-4", "base_url": fake_llm.url, "api_key": "sk-test"}]}
    given = create_memgpt_autogen_agent_from_config(
        "reviewer", llm_config=llm_config, system_message="I review pull requests.", description="Reviews code."
    )
    derived = MemGPTAgent(
        name="planner", agent=use_preset(persona="I plan sprints for the team.", agent_config=llm_config)
    )
    try:
        assert given.description == "Reviews code."
        assert "I plan sprints for the team." in derived.description
        assert derived.agent.name == "planner"  # named by the wrapper, as the tutorial does it
    finally:
        given.close()
        derived.close()


def test_state_managers_preload_archival_memory_once(fake_llm, memgpt_home, tmp_path) -> None:
    import faiss
    import numpy as np

    from memgpt import utils
    from memgpt.persistence_manager import (
        InMemoryStateManagerWithFaiss,
        InMemoryStateManagerWithPreloadedArchivalMemory,
    )
    from memgpt.presets import use_preset

    llm_config = {"config_list": [{"model": "gpt-4", "base_url": fake_llm.url, "api_key": "sk-test"}]}
    (tmp_path / "notes.txt").write_text("The deploy key rotates every ninety days.\n")
    db = utils.prepare_archival_index_from_files(str(tmp_path / "*.txt"))
    assert db[0]["content"].startswith("[File: notes.txt Part 1/1] The deploy key")

    folder = tmp_path / "faiss"
    folder.mkdir()
    index = faiss.IndexFlatL2(4)
    index.add(np.eye(4, dtype="float32")[:2])
    faiss.write_index(index, str(folder / "all_docs.index"))
    docs = [[{"title": "Runbook", "text": "Restart the queue worker first."}], {"text": "Backups run at 2am."}]
    (folder / "all_docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    faiss_index, faiss_db = utils.prepare_archival_index(str(folder))

    for _run in range(2):  # a script run twice archives its documents once
        files_agent = use_preset(agent_config=llm_config, name="files_agent",
                                 persistence_manager=InMemoryStateManagerWithPreloadedArchivalMemory(db))  # fmt: skip
        faiss_agent = use_preset(agent_config=llm_config, name="faiss_agent",
                                 persistence_manager=InMemoryStateManagerWithFaiss(faiss_index, faiss_db))  # fmt: skip
        try:
            assert files_agent.archival_count == 1
            assert faiss_agent.archival_count == 2
            found = faiss_agent.persistence_manager.archival_memory.search("queue worker restart", 1)
            assert found[0].text == "[Title: Runbook, 1/1] Restart the queue worker first."
        finally:
            files_agent.close()
            faiss_agent.close()
            files_agent.storage.close()
            faiss_agent.storage.close()
    with pytest.raises(ValueError, match="same folder"):
        InMemoryStateManagerWithFaiss(faiss_index, faiss_db[:1])


def test_old_module_names(memgpt_home) -> None:
    import memgpt.constants as constants
    import memgpt.humans.humans as humans
    import memgpt.personas.personas as personas
    import memgpt.presets.presets as presets_02
    import memgpt.system as system
    import memgpt.utils as utils
    from memgpt import paths, presets

    assert presets.DEFAULT_PRESET == presets_02.DEFAULT_PRESET == "memgpt_chat"
    assert "memgpt_docs" in presets.preset_options()
    assert personas.get_persona_text(personas.DEFAULT).startswith(personas.get_persona_text("sam_pov.txt")[:20])
    assert "PhD student" in humans.get_human_text(humans.DEFAULT)  # 0.1's default human, cs_phd
    assert constants.MEMGPT_DIR == str(paths.config_dir()) == str(memgpt_home)
    assert constants.LLM_MAX_TOKENS["gpt-4"] == 8192 and constants.DEFAULT_MEMGPT_MODEL == "gpt-4"

    user = json.loads(system.package_user_message("hi", name="User_proxy"))
    assert (user["type"], user["message"], user["name"]) == ("user_message", "hi", "User_proxy")
    result = json.loads(system.package_function_response(False, "boom", timestamp="then"))
    assert result == {"status": "Failed", "message": "boom", "time": "then"}
    assert json.loads(system.get_heartbeat())["reason"] == "Automated timer"
    assert json.loads(system.get_login_event())["last_login"] == "Never (first login)"
    assert json.loads(system.get_token_limit_warning())["type"] == "system_alert"
    boot = system.get_initial_boot_messages()
    assert boot[0]["tool_calls"][0]["function"]["name"] == "send_message" and boot[1]["role"] == "tool"
    assert utils.count_tokens("hello world") == 2
    assert utils.parse_json('{"a": 1,}') == {"a": 1}
    assert "+b" in utils.united_diff("a\n", "b\n")


def test_version_is_ours_and_a_clone_installs_this_project(tmp_path) -> None:
    import memgpt

    assert memgpt.__version__ == "0.4.0"  # above upstream pymemgpt's last release, 0.3.25
    shown = run_memgpt("version")
    assert shown.returncode == 0 and shown.stdout.strip() == memgpt.__version__

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
    assert wheel.name.startswith(f"pymemgpt-{memgpt.__version__}-")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    (meta,) = target.glob("pymemgpt-*.dist-info")
    metadata = (meta / "METADATA").read_text()
    assert "Provides-Extra: autogen" in metadata and "extra == 'autogen'" in metadata
    env = dict(cli_env(), PYTHONPATH=str(target))
    code = (
        "import memgpt, memgpt.presets, memgpt.personas.personas as p, memgpt.persistence_manager;"
        "print(memgpt.__file__); print(p.get_persona_text('sam_pov')[:10])"
    )
    where = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.splitlines()[0]).is_relative_to(target)  # the compat modules ship, texts still found
    version = subprocess.run(
        [sys.executable, "-m", "memgpt", "version"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert version.stdout.strip() == memgpt.__version__


def test_docs_map_the_old_names() -> None:
    doc = (REPO_ROOT / "docs" / "autogen.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Coming from MemGPT 0.1/0.2") :]
    for name in (
        "use_preset",
        "DEFAULT_PRESET",
        "InMemoryStateManager()",
        "InMemoryStateManagerWithPreloadedArchivalMemory",
        "InMemoryStateManagerWithEmbeddings",
        "InMemoryStateManagerWithFaiss",
        "get_persona_text",
        "get_human_text",
        "memgpt.system",
        "memgpt.utils",
        "memgpt.constants",
        "MemGPTAgent",
        "create_memgpt_autogen_agent_from_config",
        "create_autogen_memgpt_agent",
        "AutoGenInterface",
        "api_base",
        "open_ai",
        "translate_llm_config",
        "examples/autogen_tutorial_0_1.py",
    ):
        assert name in section, name
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && . .venv/bin/activate" in readme
    assert "pip install . && memgpt run" in readme and "pip install -e '.[dev]'" in readme  # the two commands
    assert "pip install 'pymemgpt" not in readme + doc  # that would fetch upstream from the index
