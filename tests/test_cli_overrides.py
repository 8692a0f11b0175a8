"""Per-run flags are per run, every settings change is printed, bad values name their choices."""

from __future__ import annotations

import json
import socket

from memgpt.config import LLMConfig, MemGPTConfig
from memgpt.storage import open_storage
from tests.conftest import run_memgpt
from tests.fake_llm import FakeLLMServer, echo_user

FAST = {"MEMGPT_RETRY_BASE_DELAY": "0.001"}


def _saved_llm(name: str) -> LLMConfig:
    with open_storage(MemGPTConfig.load()) as storage:
        return LLMConfig.model_validate(storage.agents.load(name).llm)


def _make_agent(fake_llm: FakeLLMServer, name: str = "ov") -> None:
    fake_llm.default = echo_user()
    result = run_memgpt("run", "--agent", name, "-m", "hello", env=FAST)
    assert result.returncode == 0, result.stderr


def _dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there now: connection refused


def test_run_flags_apply_to_one_run_unless_saved(configured, fake_llm) -> None:
    _make_agent(fake_llm)
    with FakeLLMServer() as other:
        other.default = echo_user("Other: ")
        result = run_memgpt(
            "run", "--agent", "ov", "--model-endpoint", other.url, "--context-window", "4096", "-m", "hi", env=FAST
        )
        assert result.returncode == 0, result.stderr
        assert "Other: hi" in result.stdout and other.chat_requests()  # this run used the other server
        assert f"model_endpoint: {fake_llm.url} -> {other.url} (this run only" in result.stderr
        assert "context_window: 8192 -> 4096 (this run only" in result.stderr
        assert _saved_llm("ov").model_endpoint == fake_llm.url and _saved_llm("ov").context_window == 8192

        result = run_memgpt("run", "--agent", "ov", "--model-endpoint", other.url, "--save", "-m", "hi", env=FAST)
        assert result.returncode == 0, result.stderr
        assert f"model_endpoint: {fake_llm.url} -> {other.url} (saved)" in result.stderr
        assert _saved_llm("ov").model_endpoint == other.url


def test_model_flag_and_slash_model_keep_run_only_settings_out(configured, fake_llm) -> None:
    _make_agent(fake_llm)
    with FakeLLMServer() as other:
        other.default = echo_user()
        script = "/model gpt-4o-mini\nhello\n"
        result = run_memgpt("run", "--agent", "ov", "--first", "--model-endpoint", other.url, input=script, env=FAST)
        assert result.returncode == 0, result.stderr
        assert "Switched ov from model gpt-4 to gpt-4o-mini" in result.stdout
    saved = _saved_llm("ov")
    assert saved.model == "gpt-4o-mini"  # /model is a deliberate change: kept
    assert saved.model_endpoint == fake_llm.url  # the per-run endpoint is not


def test_wrapper_none_clears_for_the_run_and_bad_values_list_choices(configured, fake_llm) -> None:
    fake_llm.default = echo_user()
    created = run_memgpt("run", "--agent", "wr", "--model-wrapper", "chatml", "-m", "/model", env=FAST)
    assert created.returncode == 0, created.stderr
    assert _saved_llm("wr").model_wrapper == "chatml"  # a new agent takes the flags as its settings
    cleared = run_memgpt("run", "--agent", "wr", "--model-wrapper", "none", "-m", "hello", env=FAST)
    assert cleared.returncode == 0, cleared.stderr
    assert "model_wrapper: chatml -> None (this run only" in cleared.stderr
    assert "You said: hello" in cleared.stdout  # native tools this run
    assert _saved_llm("wr").model_wrapper == "chatml"

    for flag, value, choice in (
        ("--model-endpoint-type", "bogus", "openai-compatible"),
        ("--model-wrapper", "chatlm", "chatml"),
        ("--model-endpoint", "localhost:8000", "http://"),
    ):
        bad = run_memgpt("run", "--agent", "wr", flag, value, "-m", "hi")
        assert bad.returncode == 2, (flag, bad.stderr)
        assert choice in bad.stderr and "Traceback" not in bad.stderr + bad.stdout
    assert _saved_llm("wr").model_wrapper == "chatml"


def test_agent_set_and_show(configured, fake_llm) -> None:
    _make_agent(fake_llm, "setme")
    result = run_memgpt("agent", "set", "setme", "--model-endpoint-type", "ollama", "--model", "llama3.1")
    assert result.returncode == 0, result.stderr
    assert "Changed setme's model_endpoint_type: openai-compatible -> ollama (saved)" in result.stdout
    assert "model_endpoint:" in result.stdout and "http://localhost:11434/v1" in result.stdout
    saved = _saved_llm("setme")
    assert (saved.model_endpoint_type, saved.model, saved.context_window) == ("ollama", "llama3.1", 131072)
    shown = run_memgpt("agent", "show", "setme")
    assert "model llama3.1 at http://localhost:11434/v1" in shown.stdout
    assert "Nothing to change" in run_memgpt("agent", "set", "setme", "--model", "llama3.1").stdout
    assert run_memgpt("agent", "set", "nobody", "--model", "x").returncode == 1


def test_configure_offers_to_move_existing_agents(configured, fake_llm) -> None:
    _make_agent(fake_llm, "old")
    with FakeLLMServer() as other:
        kept = run_memgpt("configure", "--model-endpoint", other.url)
        assert kept.returncode == 0, kept.stderr
        assert "Existing agents keep their own LLM settings (old)" in kept.stdout
        assert "memgpt agent set NAME" in kept.stdout
        assert _saved_llm("old").model_endpoint == fake_llm.url
        moved = run_memgpt("configure", "--apply-to-agents")
        assert f"Changed old's model_endpoint: {fake_llm.url} -> {other.url} (saved)" in moved.stdout
        assert _saved_llm("old").model_endpoint == other.url


def test_configure_sets_timeout_and_retries(configured) -> None:
    result = run_memgpt("configure", "--request-timeout", "42", "--max-retries", "3")
    assert result.returncode == 0, result.stderr
    llm = MemGPTConfig.load().llm
    assert (llm.request_timeout, llm.max_retries) == (42.0, 3)
    assert run_memgpt("configure", "--max-retries", "-1").returncode == 2


def test_unreachable_endpoint_fails_the_piped_run_and_names_the_setting(configured, fake_llm) -> None:
    _make_agent(fake_llm, "gone")
    dead = _dead_endpoint()
    assert run_memgpt("agent", "set", "gone", "--model-endpoint", dead).returncode == 0
    result = run_memgpt("run", "--agent", "gone", "--first", input="hello\n", env=FAST)
    assert result.returncode == 1
    assert "could not be reached" in result.stderr
    assert f"Agent 'gone' uses model_endpoint {dead}" in result.stderr
    assert "memgpt agent set gone --model-endpoint URL" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_json_lines_and_one_shot(configured, fake_llm) -> None:
    from tests.fake_llm import tool_call

    fake_llm.script(
        tool_call("core_memory_append", {"name": "human", "content": "Says hello.", "request_heartbeat": True})
    )
    fake_llm.default = echo_user()
    result = run_memgpt("run", "--agent", "js", "--json", "--no-verify", "-m", "hello there", env=FAST)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]  # every line parses
    kinds = [e["kind"] for e in events]
    for kind in ("user_message", "inner_thought", "function_call", "function_result", "assistant_message"):
        assert kind in kinds, kinds
    assert [e["text"] for e in events if e["kind"] == "assistant_message"] == ["Event: heartbeat"]
    assert "Created new agent" in result.stderr  # status lines stay out of the JSON

    piped = run_memgpt("run", "--agent", "js", "--json", input="one\n/nonsense\n", env=FAST)
    assert piped.returncode == 1  # the unknown command counts as a failure
    assert all(json.loads(line) for line in piped.stdout.splitlines())

    fake_llm.script(*[fake_llm_error() for _ in range(3)])
    failed = run_memgpt("run", "--agent", "js", "--json", "-m", "fail please", env=FAST)
    assert failed.returncode == 1
    last = json.loads(failed.stdout.splitlines()[-1])
    assert last["kind"] == "error" and last["data"]["turn_failed"] is True


def fake_llm_error():
    from tests.fake_llm import error

    return error(400, "the model is unwell")


def test_version_help_and_machine_readable_lists(configured, fake_llm) -> None:
    from memgpt import __version__

    assert run_memgpt("--version").stdout.strip() == __version__
    assert "Usage" in run_memgpt("-h").stdout and "--install-completion" in run_memgpt("-h").stdout
    assert "--message" in run_memgpt("run", "-h").stdout
    _make_agent(fake_llm, "listed")
    plain = run_memgpt("list", "agents").stdout.splitlines()
    assert plain[0].split("\t")[:2] == ["Name", "Model"] and plain[1].startswith("listed\tgpt-4\t")
    assert not any(ch in "".join(plain) for ch in "┏━│└")  # no box drawing when piped
    agents = json.loads(run_memgpt("list", "agents", "--json").stdout)
    assert agents[0]["name"] == "listed" and isinstance(agents[0]["messages"], int)
    presets = json.loads(run_memgpt("list", "presets", "--json").stdout)
    assert "send_message" in next(p for p in presets if p["name"] == "memgpt_chat")["functions"]
