"""Embedding providers: the offline local default (WordLlama) and any OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memgpt.embeddings.chunking import chunk_text

if TYPE_CHECKING:
    from memgpt.config import Credentials, EmbeddingConfig
    from memgpt.embeddings.base import Embedder


def create_embedder(embedding: EmbeddingConfig, credentials: Credentials | None = None) -> Embedder:
    if embedding.embedding_endpoint_type == "local":
        from memgpt.embeddings.local import LocalEmbedder

        return LocalEmbedder.shared(embedding.embedding_model, embedding.embedding_dim)
    from memgpt.embeddings.remote import OpenAIEmbedder

    return OpenAIEmbedder(embedding, credentials)


__all__ = ["chunk_text", "create_embedder"]
