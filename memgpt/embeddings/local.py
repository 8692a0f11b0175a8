"""The offline default embedder: WordLlama, whose 256-d weights and tokenizer ship in its wheel.

`WordLlama.load()` looks for the tokenizer under `<cache_dir>/tokenizers` and otherwise tries
to download it; we point it at a folder whose entries lead to the package's own files and forbid
downloads, so it works on machines with no internet.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from memgpt import paths
from memgpt.errors import MemGPTError


class LocalEmbedder:
    _instances: ClassVar[dict[tuple[str, int], LocalEmbedder]] = {}
    _lock = threading.Lock()

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim
        self._model: Any = None

    @classmethod
    def shared(cls, model_id: str, dim: int) -> LocalEmbedder:
        with cls._lock:
            key = (model_id, dim)
            if key not in cls._instances:
                cls._instances[key] = cls(model_id, dim)
            return cls._instances[key]

    def _load(self) -> Any:
        if self._model is None:
            try:
                import wordllama
                from wordllama import WordLlama
            except ImportError as exc:
                raise MemGPTError(f"The local embedding model needs the `wordllama` package ({exc}).") from None
            package = Path(wordllama.__file__).resolve().parent
            cache = paths.data_dir() / "wordllama_cache"
            cache.mkdir(parents=True, exist_ok=True)
            for name in ("tokenizers", "weights"):
                link = cache / name
                if not link.exists():
                    if link.is_symlink():
                        link.unlink()
                    link.symlink_to(package / name, target_is_directory=True)
            self._model = WordLlama.load(cache_dir=cache, disable_download=True, dim=self.dim)
        return self._model

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vectors = np.asarray(self._load().embed(texts), dtype="float32").reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(vectors / norms, dtype="float32")
