"""Token-aware splitting of long text into passages that fit the embedding model."""

from __future__ import annotations

import re

from memgpt.tokens import encoder_for

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")


def chunk_text(text: str, max_tokens: int = 300, overlap: int = 30, model: str = "gpt-4") -> list[str]:
    """Split on paragraph and sentence boundaries, packing pieces up to `max_tokens`.

    Consecutive chunks share about `overlap` tokens of trailing sentences, so a fact that straddles
    a boundary is still found whole in one of them. A single sentence longer than a chunk is cut
    by words.
    """
    text = text.strip()
    if not text:
        return []
    enc = encoder_for(model)
    if enc.count(text) <= max_tokens:
        return [text]
    pieces: list[tuple[str, int]] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        n = enc.count(sentence)
        if n <= max_tokens:
            pieces.append((sentence, n))
            continue
        words, buf = sentence.split(), []
        for word in words:
            buf.append(word)
            if enc.count(" ".join(buf)) > max_tokens and len(buf) > 1:
                buf.pop()
                pieces.append((" ".join(buf), enc.count(" ".join(buf))))
                buf = [word]
        if buf:
            pieces.append((" ".join(buf), enc.count(" ".join(buf))))
    chunks: list[str] = []
    current: list[tuple[str, int]] = []
    size = 0
    for piece, n in pieces:
        if current and size + n + 1 > max_tokens:
            chunks.append(" ".join(p for p, _ in current))
            carried: list[tuple[str, int]] = []
            carried_size = 0
            for prev in reversed(current):
                if carried_size + prev[1] > overlap or carried_size + prev[1] + n + 1 > max_tokens:
                    break
                carried.insert(0, prev)
                carried_size += prev[1] + 1
            current, size = carried, carried_size
        current.append((piece, n))
        size += n + 1
    if current:
        chunks.append(" ".join(p for p, _ in current))
    return chunks
