"""The FAISS index of one owner: a cache of the vectors stored in SQLite.

Exact inner-product search while small, IVF past APPROX_MIN_VECTORS; written atomically; caught up
from SQLite when it is behind (a crash between the commit and the index write) and rebuilt when it
is missing or does not match.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memgpt import paths
from memgpt.fileio import atomic_write_bytes

if TYPE_CHECKING:
    import numpy as np

    from memgpt.storage.sqlite import Database

log = logging.getLogger(__name__)

# Below this many vectors exact search is fast enough (a few ms); above it an IVF index pays.
APPROX_MIN_VECTORS = 100_000


def index_path(owner: str, directory: Path | None = None) -> Path:
    """Where an owner's index file lives: `archival_storage_path` from the config, else the data dir."""
    kind, _, name = owner.partition(":")
    return (directory or paths.index_dir()) / f"{kind}-{name}.faiss"


def nprobe_for(nlist: int) -> int:
    return max(8, nlist // 8)


def build_index(vectors: np.ndarray, ids: np.ndarray, dim: int) -> Any:
    """Exact inner-product search while small, IVF (inverted lists) past APPROX_MIN_VECTORS."""
    import faiss
    import numpy as np

    if len(ids) < APPROX_MIN_VECTORS:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = int(4 * math.sqrt(len(ids)))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(vectors), size=min(len(vectors), nlist * 40), replace=False)]
        index.train(sample)
        index.nprobe = nprobe_for(nlist)
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index


def _max_id(index: Any) -> int:
    import faiss

    if index.ntotal == 0:
        return 0
    if isinstance(index, faiss.IndexIDMap2) or hasattr(index, "id_map"):
        return int(faiss.vector_to_array(index.id_map).max())
    invlists = index.invlists
    best = 0
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size:
            ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size)
            best = max(best, int(ids.max()))
    return best


class VectorIndex:
    """The FAISS index of one owner, kept in step with the passages table."""

    def __init__(self, db: Database, owner: str, dim: int) -> None:
        self.db = db
        self.owner = owner
        self.dim = dim
        self.path = index_path(owner, db.index_dir)
        self.dirty = False
        self.index = self._open()

    def _vectors_after(self, after_id: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        rows = self.db.query(
            "SELECT id, embedding FROM passages WHERE owner=? AND id>? ORDER BY id", (self.owner, after_id)
        )
        if not rows:
            return np.zeros((0, self.dim), dtype="float32"), np.zeros(0, dtype="int64")
        ids = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype="float32").reshape(len(rows), self.dim)
        return vecs, ids

    def _open(self) -> Any:
        import faiss

        count = self.db.query("SELECT COUNT(*) FROM passages WHERE owner=?", (self.owner,))[0][0]
        index = None
        if self.path.exists():
            try:
                index = faiss.deserialize_index(_read_bytes(self.path))
                if index.d != self.dim or index.ntotal > count:
                    log.warning("Index %s does not match the stored passages; rebuilding it.", self.path)
                    index = None
            except Exception as exc:  # a truncated or foreign file: the passages table has the truth
                log.warning("Index %s could not be read (%s); rebuilding it from stored vectors.", self.path, exc)
                index = None
        elif count:
            log.warning("Index %s is missing; rebuilding it from stored vectors.", self.path)
        if index is None:
            vecs, ids = self._vectors_after(0)
            index = build_index(vecs, ids, self.dim)
            self.dirty = True
        elif index.ntotal < count:
            vecs, ids = self._vectors_after(_max_id(index))
            index.add_with_ids(vecs, ids)
            self.dirty = True
        return index

    def add(self, vectors: np.ndarray, ids: Sequence[int]) -> None:
        import numpy as np

        if not len(ids):
            return
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype="float32"), np.asarray(ids, dtype="int64"))
        self.dirty = True
        if self.index.ntotal >= APPROX_MIN_VECTORS and not hasattr(self.index, "nprobe"):
            vecs, all_ids = self._vectors_after(0)
            self.index = build_index(vecs, all_ids, self.dim)

    def search(self, vector: np.ndarray, k: int) -> list[int]:
        import faiss

        if self.index.ntotal == 0:
            return []
        # One query: thread start-up costs more than it saves below ~100k vectors (0.6 -> 0.2 ms at 10k).
        faiss.omp_set_num_threads(1 if self.index.ntotal < APPROX_MIN_VECTORS else (os.cpu_count() or 1))
        _, ids = self.index.search(vector.reshape(1, -1).astype("float32"), min(k, self.index.ntotal))
        return [int(i) for i in ids[0] if i >= 0]

    def flush(self) -> None:
        import faiss

        if self.dirty:
            atomic_write_bytes(self.path, faiss.serialize_index(self.index).tobytes())
            self.dirty = False


def _read_bytes(path: Path) -> Any:
    import numpy as np

    return np.frombuffer(path.read_bytes(), dtype="uint8")
