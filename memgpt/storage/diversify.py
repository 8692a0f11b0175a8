"""Maximal marginal relevance: the first page of an archival search should not be five copies of one note.

A person's archive holds many notes of one kind (fifty "The password for X is ..." lines, a meeting a
week); a question about the cabin's wifi then ranks all of them above the one it meant, because they
share its topic. MMR (Carbonell & Goldstein, 1998) orders the dense candidates by
`lambda * relevance - (1 - lambda) * similarity to what is already chosen`, so each kind of note
takes one place near the top and the others move down a page rather than out of sight. On the
retrieval benchmark's 10,000 notes (docs/retrieval.md) it lifted recall@5 from 0.79 to 0.90 with e5
and from 0.44 to 0.58 with WordLlama, and on facts written after it was chosen from 0.81 to 0.88
(e5) and 0.38 to 0.56 (WordLlama); with 1,000 notes it gained less, with 60 it was even (one fact at
rank 5 moved to 6). Lambda 0.8 was best or even at every size; 0.7 lost a little on small archives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MMR_LAMBDA = 0.8
MMR_POOL = 100  # dense candidates reordered; ranks past it keep their dense order


def diversify(ids: Sequence[int], vectors: np.ndarray, query: np.ndarray, lam: float = MMR_LAMBDA) -> list[int]:
    """`ids` (best first) reordered by MMR; `vectors` are their unit rows, `query` the unit query."""
    import numpy as np

    count = len(ids)
    if count <= 2:
        return list(ids)
    vectors = np.asarray(vectors, dtype="float32").reshape(count, -1)
    relevance = vectors @ np.asarray(query, dtype="float32").reshape(-1)
    closest = np.full(count, -np.inf, dtype="float32")  # each candidate's similarity to the chosen ones
    taken = np.zeros(count, dtype=bool)
    order: list[int] = []
    for _ in range(count):
        score = relevance if not order else lam * relevance - (1 - lam) * closest
        pick = int(np.argmax(np.where(taken, -np.inf, score)))
        taken[pick] = True
        order.append(pick)
        closest = np.maximum(closest, vectors @ vectors[pick])
    return [ids[i] for i in order]
