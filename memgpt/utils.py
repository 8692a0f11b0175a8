"""The 0.1/0.2-era `memgpt.utils` helpers scripts called, delegating to today's modules.

Token counting, local time, lenient JSON, a diff, the texts you have, and the 0.1.6 archival
preparation (`prepare_archival_index` for a FAISS folder, `prepare_archival_index_from_files`
for a glob of documents) whose results go to `memgpt.persistence_manager`.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
from pathlib import Path
from typing import Any

DEBUG = False  # printd prints only when this (or MEMGPT_DEBUG in the environment) is set


def printd(*args: Any, **kwargs: Any) -> None:
    """print() for debugging output: silent unless DEBUG is on."""
    if DEBUG or os.environ.get("MEMGPT_DEBUG"):
        print(*args, **kwargs)


def count_tokens(s: str, model: str = "gpt-4") -> int:
    """Tokens in `s` for `model` (offline tokenizer; see memgpt.tokens)."""
    from memgpt.tokens import count_tokens as _count

    return _count(s, model)


def get_local_time(timezone: str | None = None) -> str:
    """Now, as the agent's envelopes show it ("2024-01-03 03:06:47 PM ..."); `timezone` is an IANA name."""
    from memgpt.agent.events import local_time

    if timezone is None:
        return local_time()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return local_time(datetime.now(ZoneInfo(timezone)))


def parse_json(string: str) -> dict[str, Any]:
    """A JSON object as language models write it (fences, trailing commas, missing braces...)."""
    from memgpt.llm.json_repair import parse_json_object

    return parse_json_object(string)


def united_diff(str1: str, str2: str) -> str:
    """A unified diff of two texts (the original used it to show core-memory edits)."""
    return "".join(difflib.unified_diff(str1.splitlines(True), str2.splitlines(True)))


def list_persona_files() -> list[str]:
    from memgpt.texts import list_texts

    return [str(p) for p in list_texts("personas").values()]


def list_human_files() -> list[str]:
    from memgpt.texts import list_texts

    return [str(p) for p in list_texts("humans").values()]


def _passage(item: Any, i: int, n: int) -> str:
    if isinstance(item, dict):
        text = str(item.get("text") or item.get("content") or "")
        return f"[Title: {item['title']}, {i}/{n}] {text}" if item.get("title") else text
    return str(item)


def prepare_archival_index(folder: str) -> tuple[Any, list[dict[str, str]]]:
    """A 0.1.6 FAISS folder (`all_docs.index` + `all_docs.jsonl`) as (index, archival_memory_db).

    Each jsonl line is a passage, or a list of the passages of one document; give both to
    `InMemoryStateManagerWithFaiss`.
    """
    import faiss

    base = Path(folder)
    index = faiss.read_index(str(base / "all_docs.index"))
    now = get_local_time()
    database: list[dict[str, str]] = []
    with open(base / "all_docs.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            doc = json.loads(line)
            parts = doc if isinstance(doc, list) else [doc]
            database.extend(
                {"content": _passage(p, i, len(parts)), "timestamp": now} for i, p in enumerate(parts, start=1)
            )
    return index, database


def prepare_archival_index_from_files(
    glob_pattern: str, tkns_per_chunk: int = 300, model: str = "gpt-4"
) -> list[dict[str, str]]:
    """Files matching the glob, read and cut into ~tkns_per_chunk-token passages, each prefixed
    "[File: NAME Part i/n]" as in 0.1.6: the archival_memory_db of
    `InMemoryStateManagerWithPreloadedArchivalMemory`."""
    from memgpt.embeddings import chunk_text
    from memgpt.loaders.readers import read_document

    now = get_local_time()
    database: list[dict[str, str]] = []
    for name in sorted(glob.glob(os.path.expanduser(glob_pattern), recursive=True)):
        path = Path(name)
        if not path.is_file():
            continue
        chunks = [
            c
            for text, _meta in read_document(path.name, path.read_bytes())
            for c in chunk_text(text, tkns_per_chunk, model=model)
        ]
        database.extend(
            {"content": f"[File: {path.name} Part {i}/{len(chunks)}] {c}", "timestamp": now}
            for i, c in enumerate(chunks, start=1)
        )
    return database
