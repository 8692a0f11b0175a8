"""The offline default embedder: WordLlama, whose 256-d weights and tokenizer ship in its wheel.

`WordLlama.load()` looks for the tokenizer under `<cache_dir>/tokenizers` and otherwise tries
to download it; we point it at a folder whose entries lead to the package's own files and forbid
downloads, so it works on machines with no internet.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from memgpt import paths
from memgpt.errors import MemGPTError


@contextlib.contextmanager
def _root_logger_untouched() -> Iterator[None]:
    """wordllama calls `logging.basicConfig(level=INFO)` when imported, which would make every INFO line of
    every library (faiss, httpx) appear in a program that merely uses memgpt. Undo it: memgpt configures
    no logging on import, and wordllama's own logger stays at WARNING."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("wordllama").setLevel(logging.WARNING)


def _link_or_copy(link: Path, target: Path) -> None:
    """A symlink to the package's files; a copy where symlinks are not allowed (Windows without
    developer mode)."""
    if link.is_symlink():
        link.unlink()
    try:
        link.symlink_to(target, target_is_directory=True)
    except (OSError, NotImplementedError):
        shutil.copytree(target, link, dirs_exist_ok=True)


class LocalEmbedder:
    _instances: ClassVar[dict[tuple[str, int], LocalEmbedder]] = {}
    _lock = threading.Lock()

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim
        self._model: Any = None
        self._load_lock = threading.Lock()  # the REPL warms the model up in a background thread

    @classmethod
    def shared(cls, model_id: str, dim: int) -> LocalEmbedder:
        with cls._lock:
            key = (model_id, dim)
            if key not in cls._instances:
                cls._instances[key] = cls(model_id, dim)
            return cls._instances[key]

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                self._model = self._read_model()
        return self._model

    def _read_model(self) -> Any:
        try:
            with _root_logger_untouched():
                import wordllama
                from wordllama import WordLlama
        except ImportError as exc:
            raise MemGPTError(f"The local embedding model needs the `wordllama` package ({exc}).") from None
        package = Path(wordllama.__file__).resolve().parent
        cache = paths.make_private_dir(paths.data_dir() / "wordllama_cache")
        for name in ("tokenizers", "weights"):
            if not (cache / name).exists():
                _link_or_copy(cache / name, package / name)
        with _root_logger_untouched():
            return WordLlama.load(cache_dir=cache, disable_download=True, dim=self.dim)

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vectors = np.asarray(self._load().embed(texts), dtype="float32").reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(vectors / norms, dtype="float32")
