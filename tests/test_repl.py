"""`memgpt run` typed into a pseudo-terminal as a person would, and driven through a pipe."""

from __future__ import annotations

import time

import pexpect

from memgpt.config import MemGPTConfig
from memgpt.storage import open_storage
from tests.conftest import run_memgpt
from tests.fake_llm import Reply, echo_user, send_message, tool_call


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


reply_to_user = echo_user()


def test_chat_in_a_terminal_with_slash_commands(spawn_memgpt, configured, fake_llm) -> None:
    fake_llm.script(send_message("Hi, I'm Sam!", thought="Someone logged in."))
    fake_llm.default = reply_to_user
    child = spawn_memgpt("run", "--agent", "pty_agent")
    child.expect("Created new agent 'pty_agent'")
    child.expect("Someone logged in")
    child.expect("Hi, I'm Sam!")
    child.sendline("I like green tea")
    child.expect("You said: I like green tea")
    child.sendline("/memory")
    child.expect("=== human")
    child.expect("recall memory: \\d+ messages")
    child.sendline("/tokens")
    child.expect("free")
    child.sendline("/dump 3")
    child.expect("user: I like green tea")
    child.sendline("/dumpraw 1")
    child.expect('"role": "tool"')
    child.sendline("/rethink I should be warmer")
    child.expect("Replaced the last inner thought")
    child.sendline("/rewrite Green tea is lovely!")
    child.expect("Replaced the last message")
    child.sendline("/model")
    child.expect("Model gpt-4 at")
    child.sendline("/heartbeat")
    child.expect("Event: heartbeat")
    child.sendline("/memorywarning")
    child.expect("Sent the memory-pressure alert on request")
    child.expect("Event: system_alert")
    child.sendline("/retry")
    child.expect("Retrying")
    child.expect("Event: system_alert")
    child.sendline("/pop 1")
    child.expect("Removed \\d+ messages")
    child.sendline("/summarize")
    child.expect("Summarised|Nothing to summarise")
    child.sendline("/attach")
    child.expect("No data sources yet")
    child.sendline("/nonsense")
    child.expect("Unknown command /nonsense")
    child.sendline("!help")
    child.expect("Commands start with '/'")
    child.sendline("/help")
    child.expect("/memorywarning")
    # Ctrl-C while the model works cancels the step and keeps the session
    fake_llm.script(Reply("chat", delay=3, tool_calls=[{"name": "send_message", "arguments": '{"message": "late"}'}]))
    before = len(fake_llm.chat_requests())
    child.sendline("a slow question")
    wait_until(lambda: len(fake_llm.chat_requests()) > before)  # the request is in flight
    child.sendintr()
    child.expect("Interrupted")
    child.sendline("/retry")
    child.expect("You said: a slow question")
    child.sendline("/exit")
    child.expect("Saved agent 'pty_agent'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    resumed = spawn_memgpt("run", "--agent", "pty_agent", "--first")
    resumed.expect("Using existing agent pty_agent")
    resumed.sendline("/dump")
    resumed.expect("user: a slow question")
    resumed.sendline("/memory")
    resumed.expect("archival memory: 0 passages")
    resumed.expect(">")  # the prompt is up (a Ctrl-D typed earlier would go to the tty driver, not to us)
    resumed.sendcontrol("d")  # Ctrl-D at the prompt leaves, saving
    resumed.expect("Saved agent 'pty_agent'")
    resumed.expect(pexpect.EOF)

    with open_storage(MemGPTConfig.load()) as storage:
        assert storage.recall.search_text("pty_agent", "slow question", 10, 0)[1] == 2  # user's words + the reply
        assert storage.recall.search_text("pty_agent", "green tea", 10, 0)[1] == 0  # undone by /pop


def test_piped_session_runs_without_a_terminal(configured, fake_llm, memgpt_home) -> None:
    fake_llm.default = reply_to_user
    chat_file = memgpt_home / "chat.txt"
    script = f"first line\n/memory\n\nsecond line\n/tokens\n/savechat {chat_file}\n/wipe\n/dump\n"
    result = run_memgpt("run", "--agent", "piped", "--first", "--no-verify", input=script)
    assert result.returncode == 0, result.stderr
    assert "You said: first line" in result.stdout and "You said: second line" in result.stdout
    assert "\x1b[" not in result.stdout  # plain text when not a terminal
    assert "Saved agent 'piped'" in result.stdout
    transcript = chat_file.read_text()
    assert "user: first line" in transcript and "assistant to user: You said: second line" in transcript
    assert "Cleared" in result.stdout and "remain in recall memory" in result.stdout
    again = run_memgpt("run", "--agent", "piped", input="")
    assert "Using existing agent piped" in again.stdout
    assert "Event: login" in again.stdout  # a resumed agent is told it was away


def test_llm_errors_keep_the_session_alive(configured, fake_llm) -> None:
    from tests.fake_llm import error

    fake_llm.script(error(401, "bad key"), tool_call("send_message", {"message": "back again"}))
    result = run_memgpt("run", "--agent", "err", "--first", input="hello\n/retry\n")
    assert result.returncode == 1  # piped: a failed turn is a failed run, though the session went on
    assert "API key was rejected" in result.stderr and "memgpt keys set http://127.0.0.1" in result.stderr
    assert "1 turn(s) failed" in result.stderr
    assert "back again" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_second_session_of_the_same_agent_is_refused(configured, fake_llm, spawn_memgpt) -> None:
    fake_llm.default = reply_to_user
    first = spawn_memgpt("run", "--agent", "solo", "--first")
    first.expect("Created new agent 'solo'")
    first.expect("Type a message")
    first.expect(">")
    result = run_memgpt("run", "--agent", "solo", "--first", input="")
    assert result.returncode == 1
    assert "already running in another memgpt process" in result.stderr
    first.sendcontrol("d")
    first.expect(pexpect.EOF)


def test_debug_shows_raw_traffic_and_logs_to_a_file(configured, fake_llm, memgpt_home) -> None:
    fake_llm.default = reply_to_user
    result = run_memgpt("run", "--agent", "dbg", "--first", "--debug", input="hello\n")
    assert result.returncode == 0, result.stderr
    assert "[memgpt.llm] request to" in result.stderr and "You said: hello" in result.stdout
    assert "context" in result.stdout and "tokens]" in result.stdout  # timing and token count per turn
    log = (memgpt_home / "logs" / "memgpt.log").read_text()
    assert '"type": "user_message"' in log or "user_message" in log


def test_first_run_configures_then_chats_and_ctrl_c_asks_to_leave(spawn_memgpt, fake_llm, memgpt_home) -> None:
    fake_llm.script(send_message("Nice to meet you!"))
    child = spawn_memgpt("run")
    child.expect("let's set memgpt up first")
    child.expect("Select LLM inference provider")
    child.send("\x1b[B" * 8 + "\r")  # openai-compatible
    child.expect("LLM endpoint")
    child.send("\x7f" * 40 + fake_llm.url + "\r")
    child.expect("Select default model")
    child.send("\r")
    for prompt in (
        "Context window",
        "function calling",
        "embedding provider",
        "default preset",
        "default persona",
        "default human",
        "storage backend",
    ):
        child.expect(prompt)
        child.send("\r")
    child.expect("Saved config to")
    child.expect("Created new agent 'agent_1'")
    child.expect("Nice to meet you!")
    child.expect("Type a message")
    child.expect(">")
    child.sendintr()  # Ctrl-C at the prompt asks before leaving
    child.expect("Leave memgpt")
    child.send("y")
    child.expect("Saved agent 'agent_1'")
    child.expect(pexpect.EOF)


def test_streaming_shows_the_reply_once(configured, fake_llm) -> None:
    fake_llm.script(tool_call("send_message", {"message": "streamed hello there"}, content="thinking it over"))
    result = run_memgpt("run", "--agent", "streamer", "--first", "--stream", input="hi\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("streamed hello there") == 1
    assert result.stdout.count("thinking it over") == 1
    assert fake_llm.chat_requests()[0]["stream"] is True
