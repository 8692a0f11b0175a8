"""Embeddings from the OpenAI API or any OpenAI-compatible endpoint (vLLM, Ollama, TEI, LocalAI...)."""

from __future__ import annotations

from typing import Any

from memgpt.errors import LLMError

BATCH_SIZE = 256


class OpenAIEmbedder:
    def __init__(self, embedding: Any, credentials: Any = None) -> None:
        self.model_id = embedding.embedding_model
        self.dim = embedding.embedding_dim
        self._config = embedding
        self._credentials = credentials
        self._client: Any = None

    def _client_(self) -> Any:
        if self._client is None:
            import openai

            endpoint = self._config.embedding_endpoint or "https://api.openai.com/v1"
            creds = self._credentials
            key = (creds.key_for(self._config.embedding_endpoint_type, endpoint) if creds else None) or "not-needed"
            if self._config.embedding_endpoint_type == "azure":
                creds = self._credentials
                self._client = openai.AzureOpenAI(
                    api_key=getattr(creds, "azure_key", None),
                    azure_endpoint=self._config.embedding_endpoint or getattr(creds, "azure_endpoint", None),
                    api_version=getattr(creds, "azure_version", None) or "2024-02-01",
                    max_retries=3,
                    timeout=60,
                )
            else:
                self._client = openai.OpenAI(
                    base_url=self._config.embedding_endpoint or "https://api.openai.com/v1",
                    api_key=key,
                    max_retries=3,
                    timeout=60,
                )
        return self._client

    def embed(self, texts: list[str]) -> Any:
        import numpy as np
        import openai

        out = []
        model = self.model_id
        if self._config.embedding_endpoint_type == "azure":
            model = getattr(self._credentials, "azure_embedding_deployment", None) or model
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [t.replace("\x00", " ") or " " for t in texts[start : start + BATCH_SIZE]]
            try:
                response = self._client_().embeddings.create(model=model, input=batch)
            except openai.APIError as exc:
                raise LLMError(f"Embedding request to {self._config.embedding_endpoint} failed: {exc}") from None
            out.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(out, dtype="float32").reshape(len(texts), -1)
        if vectors.shape[1] != self.dim:
            raise LLMError(
                f"The embedding endpoint returned vectors of dimension {vectors.shape[1]}, but the configured "
                f"dimension is {self.dim}. Fix embedding_dim with `memgpt configure --embedding-dim "
                f"{vectors.shape[1]}`."
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(vectors / norms, dtype="float32")
