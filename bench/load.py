"""`memgpt load` throughput with the offline local embedder, and with a slow remote one.

Generated prose files are loaded into a fresh data source. The baseline, measured in the same
run, is reading and chunking alone (no embedding, no storage), so the ratio shows what embedding
and the SQLite/FAISS writes add.

Second part: 1,000 one-passage files (100 with --quick) through an embedder that costs 50 ms per
request (a remote API's round trip, injected), once with one request per document (what memgpt did
before; the baseline) and once batched across documents as `memgpt load` does now.

Usage: python -m bench.load [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

WORDS = [
    "memory",
    "archive",
    "heron",
    "river",
    "signal",
    "garden",
    "lantern",
    "orbit",
    "harbor",
    "meadow",
    "quartz",
    "ember",
    "violet",
    "thunder",
    "compass",
    "mosaic",
    "saddle",
    "glacier",
    "canyon",
    "ripple",
]


def _write_corpus(folder: Path, files: int, kb: int) -> int:
    rng = random.Random(3)
    total = 0
    for i in range(files):
        sentences = []
        while sum(len(s) for s in sentences) < kb * 1024:
            sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + ".")
        data = " ".join(sentences)
        (folder / f"doc{i:04}.txt").write_text(data)
        total += len(data)
    return total


class SlowRequests:
    """An embedder whose every request costs `latency` seconds, `batch_size` texts at most per request."""

    def __init__(self, inner: Any, latency: float, batch_size: int) -> None:
        self.inner, self.latency, self.batch_size = inner, latency, batch_size
        self.model_id, self.dim = inner.model_id, inner.dim
        self.requests = 0

    def embed(self, texts: list[str]) -> Any:
        requests = -(-len(texts) // self.batch_size)
        self.requests += requests
        time.sleep(self.latency * requests)
        return self.inner.embed(texts)


def _latency_case(home: str, files: int, embedder: Any) -> dict[str, Any]:
    from memgpt.config import MemGPTConfig
    from memgpt.loaders import Document, load_documents
    from memgpt.storage import open_storage

    folder = Path(home) / "small"
    folder.mkdir()
    for i in range(files):
        (folder / f"note{i:04}.txt").write_text(f"Note {i}: the {WORDS[i % len(WORDS)]} by the {WORDS[i % 7]}.")
    docs = [Document(name=str(p), read=p.read_bytes) for p in sorted(folder.iterdir())]
    out = {}
    config = MemGPTConfig()
    with open_storage(config) as storage:
        for label, batch in (("one request per document (before)", 1), ("batched across documents", 256)):
            # batch_size 1: the loader embeds each document on its own, as it did before (one request each)
            slow = SlowRequests(embedder, 0.05, batch)
            stats = load_documents(storage, slow, f"slow{batch}", docs, config.embedding.embedding_chunk_size)
            out[label] = {"seconds": stats.seconds, "requests": slow.requests, "passages": stats.passages}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    files, kb = (4, 2) if args.quick else (200, 20)
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        from memgpt.config import Credentials, MemGPTConfig
        from memgpt.embeddings import chunk_text, create_embedder
        from memgpt.loaders import Document, load_documents
        from memgpt.storage import open_storage

        corpus = Path(home) / "corpus"
        corpus.mkdir()
        size = _write_corpus(corpus, files, kb)
        paths = sorted(corpus.iterdir())
        config = MemGPTConfig()
        embedder = create_embedder(config.embedding, Credentials())
        embedder.embed(["warm up"])  # model load is a one-time cost, not throughput

        started = time.perf_counter()
        chunks = sum(len(chunk_text(p.read_text(), config.embedding.embedding_chunk_size, 30)) for p in paths)
        baseline = time.perf_counter() - started

        with open_storage(config) as storage:
            docs = [Document(name=str(p), read=p.read_bytes) for p in paths]
            stats = load_documents(storage, embedder, "bench", docs, config.embedding.embedding_chunk_size)
        # The latency case measures request batching, not model speed: the fast offline model inside.
        from memgpt.config import LOCAL_EMBEDDING_DIM, LOCAL_EMBEDDING_MODEL, EmbeddingConfig

        fast = create_embedder(
            EmbeddingConfig(embedding_model=LOCAL_EMBEDDING_MODEL, embedding_dim=LOCAL_EMBEDDING_DIM), Credentials()
        )
        latency = _latency_case(home, 20 if args.quick else 1000, fast)
    mb = size / 1e6
    results = {
        "files": files,
        "megabytes": mb,
        "passages": stats.passages,
        "seconds": stats.seconds,
        "mb_per_s": mb / stats.seconds,
        "passages_per_s": stats.passages / stats.seconds,
        "read_and_chunk_seconds": baseline,
        "chunks": chunks,
        "ratio_to_chunking": stats.seconds / baseline,
    }
    print_table(
        f"memgpt load: {files} files, {mb:.1f} MB, embedder {embedder.model_id}",
        ["stage", "seconds", "MB/s", "passages/s", "vs chunking"],
        [
            [
                "read + chunk only (baseline)",
                f"{baseline:.2f}",
                f"{mb / baseline:.2f}",
                f"{chunks / baseline:,.0f}",
                "1.0x",
            ],
            [
                "full load (chunk, embed, store)",
                f"{stats.seconds:.2f}",
                f"{results['mb_per_s']:.2f}",
                f"{results['passages_per_s']:,.0f}",
                f"{results['ratio_to_chunking']:.1f}x",
            ],
        ],
    )
    base = latency["one request per document (before)"]["seconds"]
    results["latency_50ms"] = latency
    print_table(
        f"memgpt load: {latency['batched across documents']['passages']} one-passage files, 50 ms per request",
        ["path", "seconds", "requests", "vs before"],
        [[label, f"{r['seconds']:.2f}", r["requests"], f"{r['seconds'] / base:.3f}x"] for label, r in latency.items()],
    )
    return results


if __name__ == "__main__":
    main()
