"""Chunk, embed and store documents into a data source, one transaction per document.

A document whose content hash the source already has is skipped, so loading the same files again
adds nothing and a load that was interrupted continues where it stopped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from memgpt.loaders.readers import UnreadableError, read_document


@dataclass
class Document:
    name: str  # file path, URL or "query row N": shown to the user and kept in metadata
    read: Callable[[], bytes]  # deferred, so skipped and failing documents cost nothing
    content_type: str | None = None


@dataclass
class LoadStats:
    documents: int = 0
    skipped_known: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    tokens: int = 0
    bytes: int = 0
    seconds: float = 0.0


Progress = Callable[[str, str], None]  # (event, document name): "start", "done", "skip", "fail"


def load_documents(
    storage: Any,
    embedder: Any,
    source: str,
    documents: Iterable[Document],
    chunk_size: int = 300,
    progress: Progress | None = None,
) -> LoadStats:
    from memgpt.embeddings import chunk_text
    from memgpt.tokens import count_tokens

    started = time.perf_counter()
    stats = LoadStats()
    storage.sources.create(source, embedder)
    notify = progress or (lambda event, name: None)
    for doc in documents:
        notify("start", doc.name)
        try:
            data = doc.read()
        except OSError as exc:
            stats.unreadable.append((doc.name, str(exc)))
            notify("fail", doc.name)
            continue
        digest = hashlib.sha256(data).hexdigest()
        if storage.sources.has_document(source, digest):
            stats.skipped_known += 1
            notify("skip", doc.name)
            continue
        try:
            segments = read_document(doc.name, data, doc.content_type)
        except UnreadableError as exc:
            stats.unreadable.append((doc.name, str(exc)))
            notify("fail", doc.name)
            continue
        texts, metadata = [], []
        for text, meta in segments:
            for index, chunk in enumerate(chunk_text(text, max_tokens=chunk_size, overlap=max(10, chunk_size // 10))):
                texts.append(chunk.replace("\x00", " "))
                metadata.append({"source": source, "document": doc.name, "chunk": index, **meta})
        stats.passages += storage.sources.add_document(source, doc.name, digest, len(data), texts, metadata, embedder)
        stats.tokens += sum(count_tokens(t) for t in texts)
        stats.bytes += len(data)
        stats.documents += 1
        notify("done", doc.name)
    storage.sources.flush(source, embedder)
    stats.seconds = time.perf_counter() - started
    return stats
