"""Core memory: the small, always-visible labelled blocks (persona, human, and any a preset or
`memgpt run --block` adds) that the agent edits itself.

Limits are in characters, as in the original. An edit that would overflow fails with a message
that tells the model how much room is left, so it can condense or move text to archival memory.
A read-only block is shown but refuses edits. A shared block lives in one storage row that
several agents link to: it is read again before every call and before every edit (inside the
step's transaction, so two agents editing it one after the other never lose each other's text).
"""

from __future__ import annotations

from typing import Protocol

from memgpt.schemas import CoreMemoryBlock, clean_text


class CoreMemoryError(ValueError):
    """An edit the model asked for cannot be done; the text is shown to the model."""


class SharedBlocks(Protocol):
    """The storage side of shared blocks (memgpt.storage.sqlite.SQLiteBlockStore)."""

    def get(self, name: str) -> CoreMemoryBlock | None: ...

    def set_value(self, name: str, value: str) -> None: ...


class CoreMemory:
    def __init__(
        self,
        blocks: dict[str, CoreMemoryBlock],
        total_limit: int | None = None,
        shared: SharedBlocks | None = None,
    ) -> None:
        self.blocks = blocks
        # Characters all blocks may hold together (the agent sets it from the context window), so
        # the model's own edits cannot leave the conversation without room.
        self.total_limit = total_limit
        self.shared = shared

    def refresh(self) -> bool:
        """Read shared blocks again (another agent may have edited them); returns whether any changed."""
        changed = False
        if self.shared is None:
            return changed
        for block in self.blocks.values():
            if block.shared is None:
                continue
            row = self.shared.get(block.shared)
            if row is not None and (row.value, row.limit, row.read_only) != (block.value, block.limit, block.read_only):
                block.value, block.limit, block.read_only = row.value, row.limit, row.read_only
                changed = True
        return changed

    def _block(self, name: str) -> CoreMemoryBlock:
        if name not in self.blocks:
            names = " or ".join(f'"{n}"' for n in self.writable_labels()) or "none: every block is read-only"
            raise CoreMemoryError(f"No memory block named {name!r} (must be {names}).")
        return self.blocks[name]

    def _writable(self, name: str) -> CoreMemoryBlock:
        block = self._block(name)
        if self.shared is not None and block.shared is not None:
            self.refresh()  # edit the latest text, not the copy read before the LLM call
        if block.read_only:
            raise CoreMemoryError(
                f"The {name} block is read-only: you can read it but not change it. Keep notes in a writable "
                f"block ({', '.join(self.writable_labels()) or 'none'}) or in archival memory."
            )
        return block

    def writable_labels(self) -> list[str]:
        return [label for label, block in self.blocks.items() if not block.read_only]

    def _check_limit(self, block: CoreMemoryBlock, new_value: str) -> None:
        if len(new_value) > block.limit:
            room = block.limit - len(block.value)
            raise CoreMemoryError(
                f"Edit failed: the {block.label} block would exceed its {block.limit} character limit "
                f"(requested {len(new_value)}; {max(room, 0)} characters are left). Condense the block with "
                "core_memory_replace, or move less important details to archival memory with archival_memory_insert."
            )
        if self.total_limit is not None:
            others = sum(len(b.value) for b in self.blocks.values() if b is not block)
            if others + len(new_value) > self.total_limit and len(new_value) > len(block.value):
                room = self.total_limit - others - len(block.value)
                raise CoreMemoryError(
                    f"Edit failed: core memory as a whole may hold {self.total_limit} characters in this model's "
                    f"context window ({max(room, 0)} are left). Condense a block with core_memory_replace, or move "
                    "details to archival memory with archival_memory_insert."
                )

    def _set(self, block: CoreMemoryBlock, new_value: str) -> str:
        block.value = new_value
        if self.shared is not None and block.shared is not None:
            self.shared.set_value(block.shared, new_value)
        return new_value

    def append(self, name: str, content: str) -> str:
        block = self._writable(name)
        content = clean_text(content)
        if not content.strip():
            raise CoreMemoryError("content cannot be empty.")
        new_value = f"{block.value}\n{content}" if block.value else content
        self._check_limit(block, new_value)
        return self._set(block, new_value)

    def replace(self, name: str, old_content: str, new_content: str) -> str:
        block = self._writable(name)
        old_content, new_content = clean_text(old_content), clean_text(new_content)
        if not old_content:
            raise CoreMemoryError("old_content cannot be empty: to add text use core_memory_append.")
        if old_content not in block.value:
            raise CoreMemoryError(
                f"Content not found in the {name} block (old_content must match the existing text exactly)."
            )
        new_value = block.value.replace(old_content, new_content)
        self._check_limit(block, new_value)
        return self._set(block, new_value)

    def render(self) -> str:
        parts = []
        for label, block in self.blocks.items():
            flags = ' read_only="true"' if block.read_only else ""
            parts.append(f'<{label} characters="{len(block.value)}/{block.limit}"{flags}>\n{block.value}\n</{label}>')
        return "\n".join(parts)
