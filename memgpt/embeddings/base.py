"""The interface archival storage embeds text through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class Embedder(Protocol):
    # Identifies the vector space: stored vectors made by another model_id/dim are never mixed in.
    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row L2-normalised (cosine = dot)."""
        ...
