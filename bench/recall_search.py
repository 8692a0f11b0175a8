"""conversation_search as history grows: the cost should follow the matches, not the history.

Fills one agent's recall storage with 1k / 10k / 100k messages of varied chatter (a second agent
holds as many again, so the search must filter by agent) and times `recall.search_text` for a rare
word (a handful of matches), a common word (every tenth message), a word that is nowhere, and a
date range, next to the query plan memgpt used before (the FTS table joined from the messages
side, which ran one FTS lookup per message of the agent) as the in-run baseline.

Usage: python -m bench.recall_search [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from datetime import date, timedelta
from typing import Any

from bench.common import REPO_ROOT, ms, print_table, time_call

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TOPICS = [
    "the garden",
    "my sister's wedding",
    "a new recipe",
    "the bus being late",
    "football last night",
    "the weather",
    "a film we watched",
    "work deadlines",
    "the neighbour's cat",
    "a trip to the coast",
]
VERBS = ["talked about", "complained about", "laughed about", "asked about", "remembered", "planned"]


def _old_plan(storage: Any, agent: str) -> None:
    """The query memgpt 0.3 ran: FTS joined from the messages side (same index, agent filter via the join)."""
    storage.db.query(
        "SELECT COUNT(*) FROM messages_fts f JOIN messages m ON m.id = f.rowid "
        "WHERE messages_fts MATCH ? AND m.agent=?",
        ('search_text : "nephew"', agent),
    )


def _messages(n: int, seed: int) -> list[Any]:
    from memgpt.schemas import Message

    rng = random.Random(seed)
    out = []
    start = date(2024, 1, 1)
    for i in range(n):
        words = f"We {rng.choice(VERBS)} {rng.choice(TOPICS)} and {rng.choice(TOPICS)}."
        if i % 10 == 0:
            words += " Coffee again, of course."
        if i % 2500 == 7:
            words += " My nephew Otto visited."
        day = start + timedelta(days=i // 50)
        content = json.dumps({"type": "user_message", "message": words, "time": day.isoformat()})
        msg = Message(role="user", content=content)
        msg.created_at = msg.created_at.replace(year=day.year, month=day.month, day=day.day)
        out.append(msg)
    return out


def _fill(storage: Any, agent: str, n: int, seed: int) -> None:
    msgs = _messages(n, seed)
    for i in range(0, n, 5000):
        with storage.transaction():
            storage.recall.append(agent, msgs[i : i + 5000])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    repeat = 5 if args.quick else 20
    results: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        from memgpt.agent import Agent
        from memgpt.config import LLMConfig, MemGPTConfig
        from memgpt.interface import NullInterface
        from memgpt.storage import open_storage

        config = MemGPTConfig(
            llm=LLMConfig(model_endpoint_type="openai-compatible", model_endpoint="http://127.0.0.1:9/v1")
        )
        storage = open_storage(config)
        recall = storage.recall
        for size in sizes:
            agent, other = f"a{size}", f"b{size}"
            for name in (agent, other):
                Agent.create(name=name, config=config, storage=storage, interface=NullInterface()).close()
            _fill(storage, agent, size, seed=size)
            _fill(storage, other, size, seed=size + 1)
            a = agent
            cases = {
                "rare word (nephew)": lambda a=a: recall.search_text(a, "nephew", 5, 0),
                "common word (coffee)": lambda a=a: recall.search_text(a, "coffee", 5, 0),
                "two words (garden wedding)": lambda a=a: recall.search_text(a, "garden wedding", 5, 0),
                "no match (zeppelin)": lambda a=a: recall.search_text(a, "zeppelin", 5, 0),
                "date range (a week)": lambda a=a: recall.search_date(a, date(2024, 1, 3), date(2024, 1, 10), 5, 0),
            }
            baseline = time_call(lambda a=a: _old_plan(storage, a), repeat)
            results[str(size)] = {"old plan (rare word)": baseline.as_dict()}
            rows.append([f"{size:,}", "old plan, rare word (baseline)", ms(baseline.median), "1.0x"])
            for label, fn in cases.items():
                timing = time_call(fn, repeat)
                results[str(size)][label] = timing.as_dict()
                rows.append([f"{size:,}", label, ms(timing.median), f"{timing.median / baseline.median:.3f}x"])
        storage.close()
    print_table(
        "conversation_search (recall.search_text / search_date), one agent among two of equal size",
        ["messages", "query", "median", "vs old plan"],
        rows,
    )
    return results


if __name__ == "__main__":
    main()
