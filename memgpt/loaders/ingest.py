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
    stats: LoadStats | None = None,
) -> LoadStats:
    """Returns the load's stats; pass your own `stats` to watch them fill as documents are stored (the
    CLI's progress bar shows passages per second from it)."""
    from memgpt.embeddings import chunk_text

    started = time.perf_counter()
    stats = stats if stats is not None else LoadStats()
    storage.sources.create(source, embedder)
    notify = progress or (lambda event, name: None)
    batch = _Batch(limit=int(getattr(embedder, "batch_size", EMBED_BATCH)))
    for doc in documents:
        notify("start", doc.name)
        try:
            data = doc.read()
        except OSError as exc:
            stats.unreadable.append((doc.name, str(exc)))
            notify("fail", doc.name)
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in batch.digests or storage.sources.has_document(source, digest):
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
                chunk = chunk.replace("\x00", " ")
                if chunk.strip():
                    texts.append(chunk)
                    metadata.append({"source": source, "document": doc.name, "chunk": index, **meta})
        batch.add(_Pending(doc.name, digest, len(data), texts, metadata))
        if batch.full():
            _store_batch(storage, embedder, source, batch, stats, notify)
    _store_batch(storage, embedder, source, batch, stats, notify)
    storage.sources.flush(source, embedder)
    stats.tokens = sum(batch.tokens_seen)
    stats.seconds = time.perf_counter() - started
    return stats


# Passages embedded per request when the embedder does not say: one request per document cost
# 1,000 round trips for 1,000 small files (the original: 10).
EMBED_BATCH = 256


@dataclass
class _Pending:
    name: str
    digest: str
    size: int
    texts: list[str]
    metadata: list[dict[str, Any]]


@dataclass
class _Batch:
    limit: int
    docs: list[_Pending] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)
    tokens_seen: list[int] = field(default_factory=list)

    def add(self, doc: _Pending) -> None:
        self.docs.append(doc)
        self.digests.add(doc.digest)

    def full(self) -> bool:
        return sum(len(d.texts) for d in self.docs) >= self.limit


def _store_batch(storage: Any, embedder: Any, source: str, batch: _Batch, stats: LoadStats, notify: Progress) -> None:
    """Embed the passages of several documents in one request, then store each document in its own
    transaction: a load killed here resumes with the first document not yet recorded."""
    from memgpt.tokens import count_tokens

    texts = [t for d in batch.docs for t in d.texts]
    vectors = embedder.embed(texts) if texts else None
    offset = 0
    for doc in batch.docs:
        n = len(doc.texts)
        part = vectors[offset : offset + n] if vectors is not None and n else None
        offset += n
        stats.passages += storage.sources.add_document(
            source, doc.name, doc.digest, doc.size, doc.texts, doc.metadata, embedder, vectors=part
        )
        batch.tokens_seen.append(sum(count_tokens(t) for t in doc.texts))
        stats.bytes += doc.size
        stats.documents += 1
        notify("done", doc.name)
    batch.docs.clear()
    batch.digests.clear()
