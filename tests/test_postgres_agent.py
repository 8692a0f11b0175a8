"""The agent core on Postgres: integration tests of tests/test_agent.py and the kill -9 test of
tests/test_crash_safety.py, run unchanged with MEMGPT_PG_URI pointing at a fresh database (every
`open_storage()` of the test and of the `memgpt run` processes it starts then uses Postgres)."""

from __future__ import annotations

import pytest

from tests import test_crash_safety
from tests.test_agent import (  # noqa: F401
    test_full_conversation_uses_every_function,
    test_interrupt_during_llm_call_leaves_consistent_agent,
    test_memory_pressure_alert_then_eviction_with_recursive_summary,
    test_resume_login_pop_rethink_rewrite_wipe,
)
from tests.test_blocks import test_shared_block_edited_by_one_agent_is_seen_by_another  # noqa: F401
from tests.test_crash_safety import test_sigkill_at_random_points_loses_nothing_seen  # noqa: F401


@pytest.fixture(autouse=True)
def on_postgres(postgres_server, monkeypatch):
    monkeypatch.setattr(test_crash_safety, "ROUNDS", 6)  # half the SQLite rounds: the suite stays lean
    with postgres_server.database() as uri:
        monkeypatch.setenv("MEMGPT_PG_URI", uri)
        yield


def test_the_agents_above_ran_on_postgres(make_agent) -> None:
    assert type(make_agent().storage).__name__ == "PostgresStorage"
