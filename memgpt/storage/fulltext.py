"""Pieces shared by the keyword sides of archival and recall search: FTS5 queries and rank fusion.

Search is hybrid where the retrieval benchmark (bench/retrieval.py, docs/retrieval.md) showed it pays:
dense vectors find paraphrases ("who looks after my teeth" -> "my dentist, Dr. Amsel"), BM25 finds
exact strings (booking codes, IDs, rare names) that embeddings blur. Reciprocal rank fusion combines
ranked lists without comparing their scores, which live on different scales.
"""

from __future__ import annotations

from collections.abc import Sequence

# Words too common to tell passages apart; dropped from keyword queries unless nothing else is left.
_STOPWORDS_TEXT = """a an and are as at be been but by can could did do does for from had has have he her
    hers him his how
    i if in into is it its me my mine of on or our ours she so than that the their them then there these they
    this those to was we were what when where which who whom whose why will with would you your yours about
    tell told say said know remember again ever any some"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
RRF_K = 60  # the constant of Cormack et al. (2009); rankings deeper than ~60 barely matter


def words_of(query: str, limit: int = 32) -> list[str]:
    """The alphanumeric words of a query (FTS5 syntax characters never reach the parser)."""
    return [w for w in "".join(c if c.isalnum() else " " for c in query).split() if w][:limit]


def any_words_match(query: str) -> str | None:
    """An FTS5 expression matching any informative word of the query (BM25 ranks by how many and how
    rare), or None when the query has no words."""
    words = words_of(query)
    informative = [w for w in words if w.lower() not in STOPWORDS] or words
    if not informative:
        return None
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(informative))


def distinctive_words(query: str) -> list[str]:
    """Words that look like exact strings: codes and numbers (any digit: KX7Q2P, 4471, INC-40417), inner
    capitals (iPhone, McAllister) and capitalised words past the first (names: "who is Ingrid Halvorsen").
    Embeddings blur these; BM25 matches them exactly. Ordinary words are left to the vectors: fusing them
    too let keyword noise push paraphrase hits off the first page (the benchmark's ungated `rrf` mode)."""
    out = []
    for index, word in enumerate(words_of(query)):
        if word.lower() in STOPWORDS:
            continue
        if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]) or (index and word[0].isupper()):
            out.append(word)
    return list(dict.fromkeys(out))


def phrase_match(words: list[str]) -> str | None:
    return " OR ".join(f'"{w}"' for w in words) if words else None


def owner_token(owner: str) -> str:
    """One alphanumeric FTS token per owner ('a' + hex of the name), as migration 2 indexes agents."""
    return "a" + owner.encode("utf-8").hex().upper()


def fuse(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion: each id scores sum(weight / (k + rank)); best first, ties by first list."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores, key=lambda item: -scores[item])
