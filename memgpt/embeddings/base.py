"""The interface archival storage embeds text through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np


class Embedder(Protocol):
    # Identifies the vector space: stored vectors made by another model_id/dim are never mixed in.
    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Passages: float32 array of shape (len(texts), dim), each row L2-normalised (cosine = dot)."""
        ...

    # Optional: `embed_query(text) -> np.ndarray` of shape (dim,), for models that embed a search query
    # differently from a passage (E5's "query: " / "passage: "), and `embed_queries(texts)` for texts
    # compared with queries symmetrically (conversation turns). Call them through the helpers below.


def embed_query(embedder: Any, text: str) -> np.ndarray:
    """The vector of a search query: the embedder's own `embed_query` if it has one, else `embed`, so
    embedders written before the distinction (remote endpoints, users' own) keep working."""
    own = getattr(embedder, "embed_query", None)
    if callable(own):
        return own(text)
    return embedder.embed([text])[0]


def embed_queries(embedder: Any, texts: list[str]) -> np.ndarray:
    """Texts in the query form, for symmetric matching (a question against earlier chat turns, which are
    short statements like queries: E5's authors advise "query: " on both sides for such tasks)."""
    own = getattr(embedder, "embed_queries", None)
    if callable(own):
        return own(texts)
    return embedder.embed(texts)
