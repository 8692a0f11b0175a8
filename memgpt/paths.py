"""Where memgpt keeps things on disk.

`MEMGPT_HOME` puts everything (config, credentials, user texts, database, indexes) under one
folder; every test sets it so no test touches a real user's files. Without it we follow the
platform's conventions through platformdirs. Functions, not module constants, so a changed
environment variable is seen at once.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "memgpt"


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


def ensure_dirs() -> None:
    for d in (config_dir(), data_dir(), index_dir(), locks_dir()):
        d.mkdir(parents=True, exist_ok=True)
    for kind in ("personas", "humans", "presets", "functions"):
        user_texts_dir(kind).mkdir(parents=True, exist_ok=True)
