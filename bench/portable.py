"""Export and import of a big agent: time and file size for 100k messages and 10k archival passages
(2k and 200 with --quick), with vectors of the default local embedder's size.

Both directions stream (one record and one batch in memory), so time should grow linearly with
the history and memory not at all; the import includes its checksum verification.

Usage: python -m bench.portable [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


class _StubEmbedder:
    """Model id and size of the default embedder; vectors are supplied, so nothing is embedded."""

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id, self.dim = model_id, dim


def _fill_archival(storage: Any, agent: str, n: int, model_id: str, dim: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    store = storage.archival(agent, _StubEmbedder(model_id, dim))
    for start in range(0, n, 1000):
        count = min(1000, n - start)
        vectors = rng.standard_normal((count, dim)).astype("float32")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        texts = [f"Archived fact {start + i}: the user mentioned topic {(start + i) % 97}." for i in range(count)]
        store.insert(texts, {"origin": "bench"}, vectors=vectors)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    messages = 2_000 if args.quick else 100_000
    passages = 200 if args.quick else 10_000
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEMGPT_HOME"] = home
        from bench.step_overhead import _fill_recall
        from memgpt.agent import Agent
        from memgpt.config import EmbeddingConfig, LLMConfig, MemGPTConfig
        from memgpt.interface import NullInterface
        from memgpt.portable import export_agent, import_file
        from memgpt.storage import open_storage

        config = MemGPTConfig(
            llm=LLMConfig(model_endpoint_type="openai-compatible", model_endpoint="http://127.0.0.1:9/v1")
        )
        embedding = EmbeddingConfig()
        storage = open_storage(config)
        Agent.create(name="big", config=config, storage=storage, interface=NullInterface()).close()
        _fill_recall(storage, "big", messages)
        _fill_archival(storage, "big", passages, embedding.embedding_model, embedding.embedding_dim)
        path = Path(home) / "big.memgpt.jsonl"

        started = time.perf_counter()
        summary = export_agent(storage, "big", path)
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        result = import_file(storage, path, name="big_copy", config=config)
        import_s = time.perf_counter() - started
        assert storage.recall.count("big_copy") == storage.recall.count("big")
        storage.close()
    size = summary.bytes
    counts = summary.counts
    results = {
        "messages": counts["message"],
        "passages": counts["passage"],
        "vector_dim": embedding.embedding_dim,
        "file_bytes": size,
        "export_seconds": round(export_s, 3),
        "import_seconds": round(import_s, 3),
        "export_records_per_s": round((counts["message"] + counts["passage"]) / export_s),
        "import_records_per_s": round((counts["message"] + counts["passage"]) / import_s),
        "imported_as": result.agent,
    }
    print_table(
        "Export / import (one run each)",
        ["messages", "passages", "file size", "export", "import"],
        [
            [
                f"{counts['message']:,}",
                f"{counts['passage']:,} x {embedding.embedding_dim}-d",
                f"{size / 1e6:.1f} MB",
                f"{export_s:.2f} s",
                f"{import_s:.2f} s",
            ]
        ],
    )
    return results


if __name__ == "__main__":
    main()
