"""Timed heartbeats: when an idle agent is owed an "Automated timer" event, so it can think unprompted.

The original REPL sent one every few minutes; `pause_heartbeats(minutes)` lets the model ask for
quiet. This is only the decision (pure, with an injectable clock, so it is tested without waiting);
the REPL asks it from its prompt's event loop (memgpt/cli/run.py) and runs `Agent.heartbeat()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from memgpt.schemas import now

Decision = Literal["wait", "fire", "paused"]


class HeartbeatTimer:
    """Fires once per `minutes` of idleness. Idle means: no turn running and nothing typed at the
    prompt. Typing restarts the wait (a heartbeat never lands while someone is writing), as does
    every turn (`touch`). While `pause_heartbeats` is in force the timer says "paused" once per pause
    — the REPL shows that — then waits until the pause is over."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        if minutes <= 0:
            raise ValueError("the heartbeat interval must be more than 0 minutes")
        self.interval = minutes * 60
        self._clock = clock
        self._last = clock()
        self._told_pause: datetime | None = None

    @property
    def poll_seconds(self) -> float:
        """How often the prompt should ask: often enough to be on time, rarely enough to cost nothing."""
        return max(0.05, min(1.0, self.interval / 4))

    def touch(self) -> None:
        """Something happened (a turn ended, a key was typed): the idle time starts again."""
        self._last = self._clock()

    def check(self, paused_until: datetime | None, typing: bool) -> Decision:
        if typing:
            self.touch()
            return "wait"
        if self._clock() - self._last < self.interval:
            return "wait"
        if paused_until is not None and paused_until > now():
            self.touch()
            if self._told_pause == paused_until:
                return "wait"
            self._told_pause = paused_until
            return "paused"
        self.touch()
        return "fire"
