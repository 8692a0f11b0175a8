"""The reply boundary under fuzzing: no reply a server sends crashes a client or the agent loop.

A seeded fuzzing server (tests/fuzz_server.py) answers the real OpenAIChatClient (plain and
streamed), the WrappedCompletionClient and real Agents with malformed, hostile or stalled replies.
Invariants (issue 13): only memgpt.errors types come out, no call outlives its bound, every string
that comes back encodes as UTF-8, agents reload, no request exceeds the window. The default run is
a few hundred replies; MEMGPT_FUZZ_REPLIES=10000 (or `python -m bench.fuzz`) runs a long one.
"""

from __future__ import annotations

import os

import pytest

from bench.fuzz import run_fuzz


@pytest.mark.timeout(600)
def test_fuzzed_replies_never_escape_the_boundary() -> None:
    replies = int(os.environ.get("MEMGPT_FUZZ_REPLIES", "0") or 0)
    seed = int(os.environ.get("MEMGPT_FUZZ_SEED", "1"))
    if replies:
        report = run_fuzz(seed, client_calls=replies // 2, agent_turns=max(1, replies // 4))
    else:
        report = run_fuzz(seed, client_calls=180, agent_turns=50)
    assert report.uncaught == []
    assert report.guard_hits == []  # unexpected errors the last-resort guard had to catch: bugs
    assert report.hangs == []
    assert report.bad_text == []
    assert report.reload_failures == [] and report.reloads >= 2
    assert report.over_window == 0
    assert report.outcomes["ok"] > 0 and len(report.outcomes) > 3  # it did get through, and did fail
    assert report.replies >= 250 and len(report.kinds) > 30
