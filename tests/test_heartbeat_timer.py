"""Timed heartbeats: the idle-timer decision (fake clock) and the REPL in a pty (`--heartbeat-every`)."""

from __future__ import annotations

from datetime import timedelta

import pexpect

from memgpt.agent.heartbeats import HeartbeatTimer
from memgpt.schemas import now
from tests.fake_llm import send_message, tool_call


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_timer_fires_once_per_idle_interval() -> None:
    clock = Clock()
    timer = HeartbeatTimer(2, clock=clock)
    assert timer.check(None, typing=False) == "wait"
    clock.t += 119
    assert timer.check(None, typing=False) == "wait"
    clock.t += 1
    assert timer.check(None, typing=False) == "fire"
    assert timer.check(None, typing=False) == "wait"  # the next one is a whole interval away
    clock.t += 120
    assert timer.check(None, typing=False) == "fire"


def test_typing_and_turns_restart_the_wait() -> None:
    clock = Clock()
    timer = HeartbeatTimer(1, clock=clock)
    clock.t += 59
    assert timer.check(None, typing=True) == "wait"  # someone is writing: never now
    clock.t += 59
    assert timer.check(None, typing=False) == "wait"  # 59 s since the last keystroke
    timer.touch()  # a turn ended
    clock.t += 59
    assert timer.check(None, typing=False) == "wait"
    clock.t += 1
    assert timer.check(None, typing=False) == "fire"


def test_pause_is_reported_once_then_heartbeats_resume_after_it() -> None:
    clock = Clock()
    timer = HeartbeatTimer(1, clock=clock)
    until = now() + timedelta(minutes=30)
    clock.t += 60
    assert timer.check(until, typing=False) == "paused"
    clock.t += 60
    assert timer.check(until, typing=False) == "wait"  # said once per pause
    clock.t += 60
    assert timer.check(now() - timedelta(seconds=1), typing=False) == "fire"  # the pause is over


def _expect_prompt_after(child: pexpect.spawn, text: str) -> None:
    child.expect(text)
    child.expect(">")


def test_timed_heartbeat_reaches_an_idle_agent(spawn_memgpt, configured, fake_llm) -> None:
    fake_llm.script(send_message("Hello there"), send_message("I was thinking about tea.", thought="Idle again."))
    fake_llm.default = send_message("Still here.")  # later heartbeats, if the test is slow to leave
    child = spawn_memgpt("run", "--agent", "hb_agent", "--first", "--heartbeat-every", "0.02", timeout=60)
    child.expect("Created new agent 'hb_agent'")
    child.expect(">")
    child.sendline("hi")
    _expect_prompt_after(child, "Hello there")
    child.expect("Timed heartbeat \\(idle for 1 s\\)")
    child.expect("I was thinking about tea.")
    heartbeats = [r for r in fake_llm.chat_requests() if "Automated timer" in (r["messages"][-1]["content"] or "")]
    assert heartbeats  # the newest event the model saw
    child.sendline("/exit")
    child.expect(pexpect.EOF)


def test_pause_heartbeats_suppresses_timed_heartbeats(spawn_memgpt, configured, fake_llm) -> None:
    fake_llm.script(tool_call("pause_heartbeats", {"minutes": 30}, content="Let me rest."))
    child = spawn_memgpt(
        "run", "--agent", "hb_quiet", "--first", "--no-verify", "--heartbeat-every", "0.02", timeout=60
    )
    child.expect(">")
    child.sendline("take a break")
    child.expect("pause_heartbeats")
    calls = len(fake_llm.chat_requests())
    child.expect("Timed heartbeat skipped: the agent paused heartbeats until")
    child.expect(">")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    assert len(fake_llm.chat_requests()) == calls  # no heartbeat was sent during the pause
