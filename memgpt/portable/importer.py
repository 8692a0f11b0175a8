"""`memgpt import`: an export (or a Letta `.af` file) becomes a new agent, completely or not at all.

Records are applied inside one storage transaction as they are read; the footer's counts and
checksum are checked before the commit, so a truncated or damaged file raises and rolls back:
nothing of it is left in the database. The agent gets new message and passage ids (the queue and
the summary are mapped to them); FAISS index files are caches and are built at the first search.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from memgpt.errors import NewerDataError
from memgpt.portable.format import PortableFormatError, decode_vector, read_records
from memgpt.schemas import STATE_VERSION, AgentState, CoreMemoryBlock, Message, clean_text, now
from memgpt.texts import NAME_RE, validate_name

BATCH = 1000


@dataclass
class ImportSummary:
    agent: str
    original_name: str
    source_format: str  # "memgpt" or "letta"
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what did not map, what was linked, what to do next


def import_file(storage: Any, path: Path, name: str | None = None, config: Any = None) -> ImportSummary:
    """Import the agent in `path` under `name` (or its own name, or a free variant of it)."""
    path = Path(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, after the records are consumed)
    except OSError as exc:
        raise PortableFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    with handle:
        start = handle.read(64)
        handle.seek(0)
        if start.lstrip().startswith(b'{"kind":"header"') or start.startswith(b'{"kind": "header"'):
            importer = Importer(storage, name, "memgpt")
            return importer.apply(read_records(handle, str(path)), config)
        from memgpt.portable.letta import letta_records

        records, notes = letta_records(handle, str(path), config)
        importer = Importer(storage, name, "letta")
        importer.summary_notes.extend(notes)
        return importer.apply(records, config)


def free_name(storage: Any, wanted: str) -> str:
    """`wanted` if no agent has it, else `wanted-2`, `wanted-3`... (kept within the 64-character limit)."""
    if not storage.agents.exists(wanted):
        return wanted
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = wanted[: 64 - len(suffix)] + suffix
        if not storage.agents.exists(candidate):
            return candidate
        n += 1


class Importer:
    """Applies records in file order: agent, blocks, messages, vector space, passages, sources."""

    def __init__(self, storage: Any, name: str | None, source_format: str) -> None:
        self.storage = storage
        self.wanted = name
        self.source_format = source_format
        self.summary_notes: list[str] = []
        self.name: str | None = None
        self.original: str = ""
        self.state: dict[str, Any] | None = None
        self.blocks: dict[str, CoreMemoryBlock] = {}
        self.ids: dict[int, int] = {}
        self.pending: list[tuple[int, Message]] = []
        self.space: tuple[str, int] | None = None
        self.passages: list[tuple[Any, ...]] = []
        self.counts: dict[str, int] = {}

    # -- driving -----------------------------------------------------------------------------
    def apply(self, records: Iterable[dict[str, Any]], config: Any = None) -> ImportSummary:
        with self.storage.transaction():
            for record in records:
                kind = record["kind"]
                if kind == "header":
                    continue
                if kind != "agent" and self.state is None:
                    raise PortableFormatError(f"A {kind} record comes before the agent record; the file is damaged.")
                self.counts[kind] = self.counts.get(kind, 0) + 1
                getattr(self, f"_on_{kind}")(record)
            if self.state is None:
                raise PortableFormatError("The file holds no agent.")
            self._flush_messages()
            self._flush_passages()
            final = self._finish()
        summary = ImportSummary(
            agent=final.name, original_name=self.original, source_format=self.source_format, counts=self.counts
        )
        summary.notes = [*self.summary_notes, *self._after_notes(final, config)]
        return summary

    # -- records -----------------------------------------------------------------------------
    def _on_agent(self, record: dict[str, Any]) -> None:
        if self.state is not None:
            raise PortableFormatError("The file holds two agent records; import one agent per file.")
        state = record.get("state")
        if not isinstance(state, dict) or not isinstance(state.get("name"), str):
            raise PortableFormatError("The agent record has no state.")
        version = state.get("state_version", 1)
        if isinstance(version, int) and version > STATE_VERSION:
            raise NewerDataError(
                f"The agent was saved by a newer memgpt (state version {version}; this release knows "
                f"{STATE_VERSION}). Upgrade memgpt to import it."
            )
        self.original = state["name"]
        if self.wanted is not None:
            validate_name(self.wanted, "agent name")
            if self.storage.agents.exists(self.wanted):
                raise PortableFormatError(f"An agent named {self.wanted!r} already exists; choose another --name.")
            self.name = self.wanted
        else:
            base = self.original if NAME_RE.match(self.original) else "imported"
            self.name = free_name(self.storage, base)
        self.state = state

    def _on_block(self, record: dict[str, Any]) -> None:
        fields = {k: v for k, v in record.items() if k != "kind"}
        try:
            block = CoreMemoryBlock.model_validate(fields)
        except ValidationError as exc:
            raise PortableFormatError(f"A memory block record is not valid ({_first_error(exc)}).") from None
        if block.shared:
            from memgpt.storage.sqlite import block_store

            existing = block_store(self.storage).get(block.shared)
            if existing is not None:
                self.summary_notes.append(
                    f"Memory block {block.label!r} links to the shared block {block.shared!r} already here; it keeps "
                    "the text it has on this machine."
                )
            block = block_store(self.storage).create(block.shared, block)
        self.blocks[block.label] = block

    def _on_message(self, record: dict[str, Any]) -> None:
        old = record.get("id")
        if not isinstance(old, int):
            raise PortableFormatError("A message record has no id.")
        fields = {k: v for k, v in record.items() if k not in ("kind", "id")}
        try:
            message = Message.model_validate(fields)
        except ValidationError as exc:
            raise PortableFormatError(f"Message {old} is not valid ({_first_error(exc)}).") from None
        self.pending.append((old, message))
        if len(self.pending) >= BATCH:
            self._flush_messages()

    def _flush_messages(self) -> None:
        if not self.pending:
            return
        stored = self.storage.recall.append(self.name, [m for _, m in self.pending])
        for (old, _), new in zip(self.pending, stored, strict=True):
            if old in self.ids:
                raise PortableFormatError(f"Message id {old} appears twice; the file is damaged.")
            self.ids[old] = new.id
        self.pending = []

    def _on_vector_space(self, record: dict[str, Any]) -> None:
        model, dim = record.get("model_id"), record.get("dim")
        if not isinstance(model, str) or not isinstance(dim, int) or dim <= 0:
            raise PortableFormatError("The vector space record needs a model_id and a positive dim.")
        if record.get("dtype", "float32-le") != "float32-le":
            raise PortableFormatError(f"Vectors of type {record.get('dtype')!r} cannot be imported (float32-le only).")
        self.space = (model, dim)
        with self.storage.db.transaction() as conn:
            conn.execute("INSERT INTO vector_spaces (owner, model_id, dim) VALUES (?,?,?)", (self._owner(), model, dim))

    def _on_passage(self, record: dict[str, Any]) -> None:
        if self.space is None:
            raise PortableFormatError("A passage comes before the vector space record; the file is damaged.")
        text = clean_text(record.get("text"))
        if not isinstance(text, str) or not text.strip():
            raise PortableFormatError("A passage record has no text.")
        where = f"passage {self.counts.get('passage', 0)}"
        blob = decode_vector(record.get("vector") or "", self.space[1], where)
        metadata = record.get("metadata") or {}
        created = record.get("created_at") or now().isoformat()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.passages.append((self._owner(), text, record.get("source"), json.dumps(metadata), created, digest, blob))
        if len(self.passages) >= BATCH:
            self._flush_passages()

    def _flush_passages(self) -> None:
        if not self.passages:
            return
        with self.storage.db.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO passages (owner, text, source, metadata, created_at, content_hash, embedding)"
                " VALUES (?,?,?,?,?,?,?)",
                self.passages,
            )
        self.passages = []

    def _on_source(self, record: dict[str, Any]) -> None:
        source = record.get("name")
        if not isinstance(source, str):
            raise PortableFormatError("A source record has no name.")
        documents = len(record.get("documents") or [])
        if self.storage.sources.exists(source):
            with self.storage.db.transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO attachments (source, agent, attached_at) VALUES (?,?,?)",
                    (source, self.name, record.get("attached_at") or now().isoformat()),
                )
            self.summary_notes.append(f"Data source {source!r} is here too: recorded as attached.")
        else:
            self.summary_notes.append(
                f"Data source {source!r} ({documents} documents) is not on this machine: its passages came along in "
                "archival memory; `memgpt load` it here to attach later additions."
            )

    # -- the end -----------------------------------------------------------------------------
    def _finish(self) -> AgentState:
        assert self.state is not None and self.name is not None
        raw = dict(self.state)
        queue = [self._mapped(i, "in the context queue") for i in raw.get("in_context_ids") or []]
        summary = raw.get("summary_id")
        for label in ("persona", "human"):
            self.blocks.setdefault(label, CoreMemoryBlock(label=label, value=""))
        raw.update(
            name=self.name,
            core_memory=self.blocks,
            in_context_ids=queue,
            summary_id=self._mapped(summary, "as the summary") if summary is not None else None,
        )
        try:
            state = AgentState.model_validate(raw)
        except ValidationError as exc:
            raise PortableFormatError(f"The agent record is not valid ({_first_error(exc)}).") from None
        self.storage.agents.create(state, [])
        self.storage.agents.save(state)
        return state

    def _mapped(self, old: Any, where: str) -> int:
        if not isinstance(old, int) or old not in self.ids:
            raise PortableFormatError(f"Message {old!r} is listed {where} but is not in the file; the file is damaged.")
        return self.ids[old]

    def _owner(self) -> str:
        return f"agent:{self.name}"

    def _after_notes(self, state: AgentState, config: Any) -> list[str]:
        from memgpt.functions.registry import builtin_functions, scan_user_files

        notes = []
        if state.name != self.original:
            notes.append(f"An agent named {self.original!r} exists here, so this one was imported as {state.name!r}.")
        known = set(builtin_functions()) | set(scan_user_files(report=False))
        missing = [f for f in state.functions if f.removeprefix("user:") not in known]
        if missing:
            notes.append(
                f"Functions not defined on this machine (the agent runs without them until you add them to the "
                f"functions folder): {', '.join(missing)}."
            )
        embedding = getattr(config, "embedding", None)
        if self.space is not None and embedding is not None and self.space[0] != embedding.embedding_model:
            notes.append(
                f"Archival memory was embedded with {self.space[0]}; this machine is configured for "
                f"{embedding.embedding_model}. The agent keeps its own model; `memgpt reembed` switches it."
            )
        return notes


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}"
