"""The memory functions of the `memgpt_chat` preset.

Names, parameters and behaviour follow the original MemGPT so that prompts and habits carry over;
results are paged with real totals (the original reported the page size as the total).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

from memgpt.constants import ARCHIVAL_SEARCH_TOP_K, MAX_PAUSE_HEARTBEATS, RETRIEVAL_QUERY_DEFAULT_PAGE_SIZE
from memgpt.functions.context import FunctionContext, FunctionError
from memgpt.memory.core import CoreMemoryError
from memgpt.schemas import now

PAGE = RETRIEVAL_QUERY_DEFAULT_PAGE_SIZE


def send_message(self: FunctionContext, message: str) -> None:
    """Send a message to the user. This is the only way the user sees anything you say.

    Args:
        message: The message text. All unicode (including emojis) is supported.
    """
    return None


def pause_heartbeats(self: FunctionContext, minutes: int) -> str:
    """Stop timed heartbeats for a while. Heartbeats from user messages and function calls continue.

    Args:
        minutes: How many minutes to pause for (at most 360, i.e. 6 hours).
    """
    minutes = max(0, min(minutes, MAX_PAUSE_HEARTBEATS))
    self.state.heartbeats_paused_until = now() + timedelta(minutes=minutes)
    return f"Pausing timed heartbeats for {minutes} min"


def core_memory_append(self: FunctionContext, name: str, content: str) -> str | None:
    """Append a line to a block of your core memory (always visible to you). Use it as soon as you learn
    something worth keeping about the user (name, work, family, pets, dates, likes) or about yourself.

    Args:
        name: The block to edit: "persona" (about you) or "human" (about the user).
        content: The text to add. All unicode (including emojis) is supported.
    """
    block = self.core.blocks.get(name)
    if block is not None and content.strip() and _holds_line(block.value, content):
        # small models save the same fact on every turn it stays in view; a copy only eats the limit
        return f"The {name} block already holds this line; nothing was added."
    try:
        self.core.append(name, content)
    except CoreMemoryError as exc:
        raise FunctionError(str(exc)) from None
    self.memory_edited = True
    return None


def _holds_line(value: str, content: str) -> bool:
    wanted = " ".join(content.split()).casefold()
    return any(" ".join(line.split()).casefold() == wanted for line in value.splitlines())


def core_memory_replace(self: FunctionContext, name: str, old_content: str, new_content: str) -> None:
    """Replace text in a block of your core memory. To delete text, pass an empty new_content.

    Args:
        name: The block to edit: "persona" (about you) or "human" (about the user).
        old_content: The exact existing text to replace.
        new_content: The text to put in its place.
    """
    try:
        self.core.replace(name, old_content, new_content)
    except CoreMemoryError as exc:
        raise FunctionError(str(exc)) from None
    self.memory_edited = True


def _page_header(page: int, total: int) -> tuple[int, int, str]:
    pages = max(1, math.ceil(total / PAGE))
    if page < 0 or page >= pages:
        raise FunctionError(
            f"There is no page {page}: {total} results make {pages} page(s), numbered 0 to {pages - 1}."
        )
    start = page * PAGE
    end = min(start + PAGE, total)
    return start, end, f"Showing {start + 1}-{end} of {total} results (page {page} of pages 0-{pages - 1}):"


def _when(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %I:%M:%S %p")


def _describe(message: Any) -> str:
    """One search hit in words: who, when, and what (the agent's thoughts and what it said kept apart)."""
    from memgpt.storage.searchable import searchable_text, sent_messages

    when = _when(message.created_at)
    if message.role != "assistant":
        return f"{when}, user: {searchable_text(message) or ''}"
    parts = [f"thought: {message.content}"] if message.content else []
    parts.extend(f"said to the user: {text}" for text in sent_messages(message))
    return f"{when}, you " + "; ".join(parts)


def _check_page(page: Any) -> int:
    if page is None:
        return 0
    if isinstance(page, bool) or not isinstance(page, int):
        raise FunctionError("'page' must be an integer (0 for the first page).")
    return page


def conversation_search(self: FunctionContext, query: str, page: int | None = 0) -> str:
    """Search your past conversation with the user (recall memory) by words and meaning, most relevant first.

    Args:
        query: What to look for, in words.
        page: Which page of results to show (0 for the first; pages hold 5 results).
    """
    page = _check_page(page)
    hits, total = self.recall.search_text(self.agent_name, query, PAGE, 0)
    if total and _has_all_words(hits[0], query):
        # every word of the query was found: the keyword ranking is precise, with its true total
        if page == 0:
            return _result_page(hits, 0, total)
        start, _, _ = _page_header(page, total)
        return _result_page(self.recall.search_text(self.agent_name, query, PAGE, start)[0], page, total)
    ids = _fused_ids(self, query)
    if ids is None:  # no meaning search here (no embedder, another storage): words alone
        if total == 0:
            return "No results found."
        start, _, _ = _page_header(page, total)
        return _result_page(self.recall.search_text(self.agent_name, query, PAGE, start)[0], page, total)
    if not ids:
        return "No results found."
    start, end, _ = _page_header(page, len(ids))
    return _result_page(self.recall.get(self.agent_name, ids[start:end]), page, len(ids))


# conversation_search by meaning: how many candidates each side contributes to the fused ranking.
MEANING_CANDIDATES = 20
WORD_CANDIDATES = 50


def _result_page(hits: list[Any], page: int, total: int) -> str:
    _, _, header = _page_header(page, total)
    return header + "\n" + json.dumps([_describe(m) for m in hits], ensure_ascii=False, indent=0)


def _has_all_words(message: Any, query: str) -> bool:
    """True when the message holds every word of the query (as a word prefix, as FTS5 matched it)."""
    from memgpt.storage.fulltext import words_of
    from memgpt.storage.searchable import searchable_text

    have = words_of((searchable_text(message) or "").lower(), limit=100_000)
    return all(any(h.startswith(w.lower()) for h in have) for w in words_of(query))


def _fused_ids(self: FunctionContext, query: str) -> list[int] | None:
    """Messages by meaning (vectors, backfilled lazily) fused with messages by any informative word.
    None when meaning search is not available here."""
    from memgpt.storage.fulltext import any_words_match, fuse
    from memgpt.storage.message_vectors import message_vectors_for

    try:
        embedder = getattr(self.archival(), "embedder", None)
    except Exception:  # no archival store (a bare context): words alone
        return None
    vectors = message_vectors_for(self.recall, self.agent_name, embedder)
    if vectors is None:
        return None
    by_meaning = [i for i, _ in vectors.search(query, MEANING_CANDIDATES)]
    words = any_words_match(query)
    by_words = [m.id for m in self.recall.search_text(self.agent_name, words, WORD_CANDIDATES, 0)[0]] if words else []
    # only existing messages (a vector can outlive a message deleted by another process)
    fused = fuse([by_meaning, by_words], weights=[1.0, 0.5])  # words boost meaning; alone they trail it
    alive = {m.id for m in _existing(self, fused)}
    return [i for i in fused if i in alive]


def _existing(self: FunctionContext, ids: list[int]) -> list[Any]:
    from memgpt.errors import StorageError

    try:
        return self.recall.get(self.agent_name, ids)
    except StorageError:
        found = []
        for i in ids:
            try:
                found.extend(self.recall.get(self.agent_name, [i]))
            except StorageError:
                continue
        return found


def _parse_date(value: str, which: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except (ValueError, AttributeError):
        raise FunctionError(f"Invalid {which} {value!r}: expected a date like 2024-01-31 (YYYY-MM-DD).") from None


def conversation_search_date(self: FunctionContext, start_date: str, end_date: str, page: int | None = 0) -> str:
    """Search your past conversation with the user (recall memory) by date, oldest first.

    Args:
        start_date: The first day to include, as YYYY-MM-DD.
        end_date: The last day to include, as YYYY-MM-DD.
        page: Which page of results to show (0 for the first; pages hold 5 results).
    """
    page = _check_page(page)
    start, end = _parse_date(start_date, "start_date"), _parse_date(end_date, "end_date")
    if start > end:
        start, end = end, start
    _, total = self.recall.search_date(self.agent_name, start, end, 1, 0)
    if total == 0:
        return "No results found."
    first, _, header = _page_header(page, total)
    hits, _ = self.recall.search_date(self.agent_name, start, end, PAGE, first)
    return header + "\n" + json.dumps([_describe(m) for m in hits], ensure_ascii=False, indent=0)


def archival_memory_insert(self: FunctionContext, content: str) -> str:
    """Save text to archival memory, your unlimited long-term storage. Phrase it so a later search finds it.

    Args:
        content: The text to save. All unicode (including emojis) is supported.
    """
    from memgpt.embeddings.chunking import chunk_text

    chunks = chunk_text(content, max_tokens=self.chunk_size)
    if not chunks:
        raise FunctionError("content cannot be empty.")
    ids = self.archival().insert(chunks, {"origin": "archival_memory_insert"})
    self.search_cache.clear()  # new passages change every ranking
    self.archival_changed += len(ids)
    if not ids:
        return "That text is already in archival memory."
    return f"Saved to archival memory ({len(ids)} passage{'s' if len(ids) > 1 else ''})."


def archival_memory_search(self: FunctionContext, query: str, page: int | None = 0) -> str:
    """Search archival memory by meaning, most similar first.

    Args:
        query: What to look for, in words.
        page: Which page of results to show (0 for the first; pages hold 5 results).
    """
    page = _check_page(page)
    if query not in self.search_cache:
        self.search_cache[query] = self.archival().search(query, ARCHIVAL_SEARCH_TOP_K)
    results = self.search_cache[query]
    if not results:
        return "No results found."
    start, end, header = _page_header(page, len(results))
    lines = [f"{_when(p.created_at)}, memory: {p.text}" for p in results[start:end]]
    return header + "\n" + json.dumps(lines, ensure_ascii=False, indent=0)


BASE_FUNCTIONS = [
    send_message,
    pause_heartbeats,
    core_memory_append,
    core_memory_replace,
    conversation_search,
    conversation_search_date,
    archival_memory_insert,
    archival_memory_search,
]
