"""One agent, one writer: an advisory file lock that the OS releases when the process dies."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from memgpt import paths
from memgpt.errors import AgentLockedError


@contextlib.contextmanager
def agent_lock(name: str) -> Iterator[None]:
    import fcntl

    paths.locks_dir().mkdir(parents=True, exist_ok=True)
    path: Path = paths.locks_dir() / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AgentLockedError(
                f"Agent {name!r} is already running in another memgpt process (pid {holder}). "
                "Close that session first; two writers would corrupt its memory."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
