"""One agent, one writer: an OS file lock that is released when the holding process dies.

`filelock` gives the same guarantee on every platform (flock on POSIX, msvcrt on Windows), where
the previous `fcntl` lock only worked on POSIX. The holder's pid is kept in a small file next to
the lock (filelock truncates the lock file itself when it opens it), so the error can name it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from memgpt import paths
from memgpt.errors import AgentLockedError
from memgpt.fileio import private_file


@contextlib.contextmanager
def agent_lock(name: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    paths.make_private_dir(paths.locks_dir())
    path: Path = paths.locks_dir() / f"{name}.lock"
    pid_file = path.with_name(f"{name}.pid")
    # thread_local=False: an agent may be closed (and its lock released) by another thread than opened it
    lock = FileLock(str(path), timeout=0, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = pid_file.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            holder = "unknown"
        raise AgentLockedError(
            f"Agent {name!r} is already running in another memgpt process (pid {holder}). "
            "Close that session first; two writers would corrupt its memory."
        ) from None
    try:
        with private_file(pid_file, "w") as handle:
            handle.write(str(os.getpid()))
        yield
    finally:
        lock.release()
