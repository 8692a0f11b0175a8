"""File writes that are atomic (a crash leaves the old file or the new one) and private (0600).

Everything memgpt writes holds conversations or keys, so files are created readable only by
their owner whatever the umask. Modes are a POSIX idea: on Windows the chmod calls are skipped
(files there inherit the ACL of the user's profile folder), so nothing here is POSIX-only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE = 0o600
POSIX = os.name == "posix"


def set_mode(path: Path | str, mode: int) -> None:
    """chmod where modes mean something (POSIX); a no-op elsewhere."""
    if POSIX:
        os.chmod(path, mode)


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = PRIVATE_FILE) -> None:
    from memgpt.paths import make_private_dir

    path = Path(path)
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # 0600 already
    try:
        if mode is not None and POSIX:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, mode: int | None = PRIVATE_FILE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def create_private(path: Path | str) -> None:
    """Make sure `path` exists and is 0600 (created so, umask or not), without touching its content."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    os.close(fd)
    set_mode(path, PRIVATE_FILE)


@contextlib.contextmanager
def private_file(path: Path | str, mode: str = "a", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a text file for writing ("w" or "a") that is created 0600 and kept so."""
    create_private(path)
    with open(path, mode, encoding=encoding) as handle:
        yield handle


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
