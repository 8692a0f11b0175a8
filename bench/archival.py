"""Archival memory at scale: insert throughput, search latency, and recall of the approximate index.

Vectors are random unit vectors (embedding time excluded, it depends on the provider). Exact
search (IndexFlatIP) is the baseline; past `APPROX_MIN_VECTORS` the store switches to IVF, whose
recall@10 against exact search is reported. Insert goes through the real PassageStore (SQLite rows
with their vectors + the FAISS index) at 10k; the larger sizes time the index alone.

Usage: python -m bench.archival [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

from bench.common import REPO_ROOT, ms, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DIM = 256  # the local WordLlama embedder's dimension
QUERIES = 200


class _RandomEmbedder:
    model_id, dim = "bench-random", DIM

    def __init__(self) -> None:
        import numpy as np

        self.rng = np.random.default_rng(1)

    def embed(self, texts: list[str]) -> Any:
        return _unit(self.rng.standard_normal((len(texts), DIM)))


def _unit(x: Any) -> Any:
    import numpy as np

    x = np.asarray(x, dtype="float32")
    return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True))


def _store_insert(n: int) -> dict[str, float]:
    """Insert n passages through PassageStore in batches of 1000 (what `memgpt load` does)."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        from memgpt.storage import open_storage

        embedder = _RandomEmbedder()
        storage = open_storage()
        store = storage.archival("bench", embedder)
        started = time.perf_counter()
        for start in range(0, n, 1000):
            texts = [f"passage {i} about something" for i in range(start, min(n, start + 1000))]
            store.insert(texts, vectors=embedder.embed(texts))
        store.flush()
        seconds = time.perf_counter() - started
        query = embedder.embed(["q"])[0]
        t0 = time.perf_counter()
        for _ in range(50):
            store.index().search(query, 10)
        search = (time.perf_counter() - t0) / 50
        storage.close()
    return {"passages_per_second": n / seconds, "search_seconds": search}


def _index_case(n: int) -> dict[str, float]:
    import faiss
    import numpy as np

    from memgpt.storage.vector_index import APPROX_MIN_VECTORS, build_index

    rng = np.random.default_rng(7)
    # clustered data (like real embeddings) rather than uniform noise, where no index can do well
    centers = _unit(rng.standard_normal((max(16, n // 500), DIM)))
    vectors = _unit(centers[rng.integers(0, len(centers), n)] + 0.35 * rng.standard_normal((n, DIM)) / DIM**0.5)
    queries = _unit(
        centers[rng.integers(0, len(centers), QUERIES)] + 0.35 * rng.standard_normal((QUERIES, DIM)) / DIM**0.5
    )
    ids = np.arange(1, n + 1, dtype="int64")
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    t0 = time.perf_counter()
    exact.add_with_ids(vectors, ids)
    exact_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, truth = exact.search(queries, 10)
    exact_search = (time.perf_counter() - t0) / QUERIES
    result = {"vectors": n, "exact_build_s": exact_build, "exact_search_s": exact_search}
    if n >= APPROX_MIN_VECTORS:
        t0 = time.perf_counter()
        approx = build_index(vectors, ids, DIM)
        approx_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, found = approx.search(queries, 10)
        approx_search = (time.perf_counter() - t0) / QUERIES
        recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
        result |= {"approx_build_s": approx_build, "approx_search_s": approx_search, "recall_at_10": recall}
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    insert_n = 2_000 if args.quick else 10_000
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    results: dict[str, Any] = {"store_insert": _store_insert(insert_n) | {"passages": insert_n}}
    ins = results["store_insert"]
    print_table(
        "Archival insert through the store (SQLite + FAISS, random vectors)",
        ["passages", "passages/s", "search (top 10)"],
        [[f"{insert_n:,}", f"{ins['passages_per_second']:,.0f}", ms(ins["search_seconds"])]],
    )
    rows = []
    for n in sizes:
        case = _index_case(n)
        results[f"index_{n}"] = case
        rows.append(
            [
                f"{n:,}",
                ms(case["exact_search_s"]),
                ms(case["approx_search_s"]) if "approx_search_s" in case else "-",
                f"{case['exact_search_s'] / case['approx_search_s']:.1f}x" if "approx_search_s" in case else "-",
                f"{case['recall_at_10']:.3f}" if "recall_at_10" in case else "(exact)",
                f"{case.get('approx_build_s', case['exact_build_s']):.1f} s",
            ]
        )
    print_table(
        "Search latency per query, exact vs the index memgpt uses at that size",
        ["vectors", "exact", "IVF", "speed-up", "recall@10", "build"],
        rows,
    )
    return results


if __name__ == "__main__":
    main()
