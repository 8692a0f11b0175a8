"""`get_persona_text(name)` as 0.1-era scripts called it; delegates to `memgpt.texts`.

Names resolve like everywhere else in memgpt: your own personas first, then the shipped ones;
a `.txt` suffix is accepted. `dir` reads from another folder, as the original allowed.
"""

from __future__ import annotations

from pathlib import Path

from memgpt import constants

DEFAULT = constants.DEFAULT_PERSONA


def get_persona_text(key: str = DEFAULT, dir: str | None = None) -> str:
    from memgpt.texts import load_text

    name = key[:-4] if key.endswith(".txt") else key
    if dir is not None:
        return _read_from(Path(dir), name, "persona")
    return load_text("personas", name)


def _read_from(folder: Path, name: str, what: str) -> str:
    from memgpt.errors import NotFoundError
    from memgpt.texts import validate_name

    validate_name(name, what)
    for path in (folder / f"{name}.txt", folder / name):
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    raise NotFoundError(f"No {what} named {name!r} in {folder}.")
