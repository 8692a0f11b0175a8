"""The export format: JSON Lines, one record per line, readable and verifiable as a stream.

    {"kind": "header", "format": "memgpt-agent", "version": 1, ...}
    {"kind": "agent", "state": {...}}            AgentState without core memory; ids as exported
    {"kind": "block", "label": ..., ...}          one per core memory block
    {"kind": "message", "id": 17, ...}            the whole recall history, oldest first
    {"kind": "vector_space", "model_id": ..., "dim": ..., "dtype": "float32-le"}
    {"kind": "passage", "text": ..., "vector": "<base64>", ...}
    {"kind": "source", "name": ..., "documents": [...]}   provenance of attached data sources
    {"kind": "footer", "counts": {...}, "sha256": "..."}

The footer's sha256 covers the exact bytes of every line before it (header included), so a
truncated file (no footer), an edited line or a lost one is found before anything is committed.
A line per record keeps memory flat: neither side ever holds more than one record (and a batch).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from memgpt.errors import MemGPTError

FORMAT = "memgpt-agent"
VERSION = 1
KINDS = ("agent", "block", "message", "vector_space", "passage", "source")
VECTOR_DTYPE = "float32-le"


class PortableFormatError(MemGPTError):
    """The file is not an export this release can import (or it was damaged); nothing was imported."""


def encode_vector(blob: bytes) -> str:
    return base64.b64encode(blob).decode("ascii")


def decode_vector(text: str, dim: int, where: str) -> bytes:
    try:
        blob = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise PortableFormatError(f"{where}: the vector is not valid base64.") from None
    if len(blob) != dim * 4:
        raise PortableFormatError(f"{where}: the vector has {len(blob) // 4} values; the vector space has {dim}.")
    return blob


class RecordWriter:
    """Writes records as lines and keeps the running hash and counts the footer reports."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.counts: Counter[str] = Counter()
        self.bytes = 0

    def write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.out.write(line)
        self.hash.update(line)
        self.bytes += len(line)
        if record["kind"] != "header":
            self.counts[record["kind"]] += 1

    def finish(self) -> dict[str, int]:
        counts = {kind: self.counts.get(kind, 0) for kind in KINDS}
        footer = {"kind": "footer", "counts": counts, "sha256": self.hash.hexdigest()}
        line = (json.dumps(footer, separators=(",", ":")) + "\n").encode("utf-8")
        self.out.write(line)
        self.bytes += len(line)
        return counts


def read_records(stream: IO[bytes], source: str) -> Iterator[dict[str, Any]]:
    """Every record of an export, checked as it goes; the footer is checked last and not yielded.

    Raises PortableFormatError for anything wrong: the caller imports inside one transaction, so
    an error at any point (a bad line, a missing footer, a wrong hash) leaves nothing behind.
    """
    digest = hashlib.sha256()
    counts: Counter[str] = Counter()
    footer: dict[str, Any] | None = None
    number = 0
    for number, line in enumerate(stream, start=1):  # noqa: B007 (the last number is reported)
        if footer is not None:
            raise PortableFormatError(f"{source}: line {number} follows the footer; the file was altered.")
        if not line.endswith(b"\n"):
            raise PortableFormatError(
                f"{source} ends in the middle of line {number}: the file is truncated (an interrupted copy or "
                "download?). Nothing was imported; export the agent again."
            )
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise PortableFormatError(f"{source}: line {number} is not valid JSON; the file is damaged.") from None
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
            raise PortableFormatError(f"{source}: line {number} is not a record of a memgpt export.")
        kind = record["kind"]
        if number == 1:
            check_header(record, source)
        elif kind == "footer":
            footer = record
            continue
        elif kind == "header":
            raise PortableFormatError(f"{source}: a second header at line {number}; files were concatenated?")
        elif kind not in KINDS:
            raise PortableFormatError(f"{source}: line {number} has an unknown record kind {kind!r}.")
        else:
            counts[kind] += 1
        digest.update(line)
        yield record
    if number == 0:
        raise PortableFormatError(f"{source} is empty.")
    if footer is None:
        raise PortableFormatError(
            f"{source} has no footer after {number} lines: the file is truncated (an interrupted export or copy). "
            "Nothing was imported; export the agent again."
        )
    expected = footer.get("counts") or {}
    for kind in KINDS:
        if int(expected.get(kind, 0)) != counts.get(kind, 0):
            raise PortableFormatError(
                f"{source}: the footer lists {expected.get(kind, 0)} {kind} records but the file holds "
                f"{counts.get(kind, 0)}; records were lost or added. Nothing was imported."
            )
    if footer.get("sha256") != digest.hexdigest():
        raise PortableFormatError(
            f"{source}: the checksum does not match (the file was changed or damaged after export). "
            "Nothing was imported."
        )


def check_header(record: dict[str, Any], source: str) -> None:
    if record.get("kind") != "header" or record.get("format") != FORMAT:
        raise PortableFormatError(f"{source} is not a memgpt agent export (its first line is not the header).")
    version = record.get("version")
    if not isinstance(version, int):
        raise PortableFormatError(f"{source}: the header has no format version.")
    if version > VERSION:
        raise PortableFormatError(
            f"{source} was written by a newer memgpt (export format {version}; this release reads up to {VERSION}). "
            "Upgrade memgpt to import it."
        )
