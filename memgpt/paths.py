"""Where memgpt keeps things on disk.

`MEMGPT_HOME` puts everything (config, credentials, user texts, database, indexes) under one
folder; every test sets it so no test touches a real user's files. Without it we follow the
platform's conventions through platformdirs. Functions, not module constants, so a changed
environment variable is seen at once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

APP_NAME = "memgpt"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_POSIX = os.name == "posix"


def _home() -> Path | None:
    value = os.environ.get("MEMGPT_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.json"


def credentials_file() -> Path:
    return config_dir() / "credentials.json"


def user_texts_dir(kind: str) -> Path:
    """User-supplied `personas`, `humans`, `presets`, `system_prompts` or `functions`."""
    return config_dir() / kind


def database_file() -> Path:
    return data_dir() / "memgpt.db"


def index_dir() -> Path:
    return data_dir() / "indexes"


def locks_dir() -> Path:
    return data_dir() / "locks"


def logs_dir() -> Path:
    return data_dir() / "logs"


def history_file() -> Path:
    """Prompt history of the REPL, shared by all agents."""
    return data_dir() / "prompt_history"


def shipped_dir(kind: str) -> Path:
    """Texts shipped with the package (`presets`, `personas`, `humans`).

    In a wheel they are packaged under `memgpt/_shipped/`; in a source checkout (editable install,
    tests) they sit at the repository root.
    """
    package = Path(__file__).resolve().parent
    packaged = package / "_shipped" / kind
    if packaged.is_dir():
        return packaged
    return package.parent / kind


def workspace_dir() -> Path:
    """The folder file tools may use when the user has allowed no other (created on first use)."""
    return data_dir() / "workspace"


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) readable only by the owner, whatever the umask.

    Only folders created here are narrowed: an existing folder that is not ours (a MEMGPT_HOME the user
    pointed at their home, say) is left alone except by `repair_permissions`.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if _POSIX:
        for created in missing:
            os.chmod(created, PRIVATE_DIR)
    return path


def ensure_dirs() -> None:
    for d in (config_dir(), data_dir(), index_dir(), locks_dir()):
        make_private_dir(d)
    for kind in ("personas", "humans", "presets", "functions"):
        make_private_dir(user_texts_dir(kind))


# What memgpt creates under its folders; only these are repaired, so a MEMGPT_HOME pointed at a
# folder that also holds other things (the user's home, say) never has those changed.
OWN_FILES = ("config.json", "credentials.json", "memgpt.db", "memgpt.db-wal", "memgpt.db-shm", "prompt_history")
OWN_DIRS = (
    "locks",
    "logs",
    "indexes",
    "personas",
    "humans",
    "presets",
    "functions",
    "system_prompts",
    "workspace",
    "wordllama_cache",
)


def _too_open(path: Path) -> int | None:
    """The mode `path` should have, if it now gives group/other access (None: fine, a symlink, not ours)."""
    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077 or st.st_uid != os.getuid():
        return None
    return PRIVATE_DIR if stat.S_ISDIR(st.st_mode) else stat.S_IMODE(st.st_mode) & PRIVATE_DIR


def repair_permissions() -> list[Path]:
    """Take group/other access off memgpt's folders and files; returns what was changed.

    Runs at every CLI start (a few stat calls): files made by an older release, or by a process with
    a loose umask, become 0600 and folders 0700. Symlinks are not followed (their targets are not ours).
    """
    if not _POSIX:
        return []
    candidates: list[Path] = []
    for root in {config_dir(), data_dir()}:
        if not root.is_dir():
            continue
        own = [root / name for name in (*OWN_FILES, *OWN_DIRS) if (root / name).exists()]
        if own:
            candidates.append(root)
        for path in own:
            candidates.append(path)
            if path.is_dir() and not path.is_symlink():
                for folder, dirs, files in os.walk(path):
                    here = Path(folder)
                    candidates.extend(here / name for name in (*dirs, *files))
    fixed: list[Path] = []
    for path in dict.fromkeys(candidates):
        wanted = _too_open(path)
        if wanted is not None:
            os.chmod(path, wanted)
            fixed.append(path)
    return fixed
