"""Core memory: the small, always-visible blocks (persona, human) the agent edits itself.

Limits are in characters, as in the original. An edit that would overflow fails with a message
that tells the model how much room is left, so it can condense or move text to archival memory.
"""

from __future__ import annotations

from memgpt.schemas import CoreMemoryBlock, clean_text


class CoreMemoryError(ValueError):
    """An edit the model asked for cannot be done; the text is shown to the model."""


class CoreMemory:
    def __init__(self, blocks: dict[str, CoreMemoryBlock], total_limit: int | None = None) -> None:
        self.blocks = blocks
        # Characters all blocks may hold together (the agent sets it from the context window), so
        # the model's own edits cannot leave the conversation without room.
        self.total_limit = total_limit

    def _block(self, name: str) -> CoreMemoryBlock:
        if name not in self.blocks:
            names = " or ".join(f'"{n}"' for n in self.blocks)
            raise CoreMemoryError(f"No memory block named {name!r} (must be {names}).")
        return self.blocks[name]

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

    def append(self, name: str, content: str) -> str:
        block = self._block(name)
        content = clean_text(content)
        if not content.strip():
            raise CoreMemoryError("content cannot be empty.")
        new_value = f"{block.value}\n{content}" if block.value else content
        self._check_limit(block, new_value)
        block.value = new_value
        return new_value

    def replace(self, name: str, old_content: str, new_content: str) -> str:
        block = self._block(name)
        old_content, new_content = clean_text(old_content), clean_text(new_content)
        if not old_content:
            raise CoreMemoryError("old_content cannot be empty: to add text use core_memory_append.")
        if old_content not in block.value:
            raise CoreMemoryError(
                f"Content not found in the {name} block (old_content must match the existing text exactly)."
            )
        new_value = block.value.replace(old_content, new_content)
        self._check_limit(block, new_value)
        block.value = new_value
        return new_value

    def render(self) -> str:
        parts = []
        for label, block in self.blocks.items():
            parts.append(f'<{label} characters="{len(block.value)}/{block.limit}">\n{block.value}\n</{label}>')
        return "\n".join(parts)
