"""`get_human_text(name)` as 0.1-era scripts called it; delegates to `memgpt.texts`.

`DEFAULT` is `cs_phd`, the 0.1 default these scripts expect (memgpt's own default human, used when
no text is given, is `basic`, as in 0.2).
"""

from __future__ import annotations

from pathlib import Path

from memgpt.personas.personas import _read_from

DEFAULT = "cs_phd"


def get_human_text(key: str = DEFAULT, dir: str | None = None) -> str:
    from memgpt.texts import load_text

    name = key[:-4] if key.endswith(".txt") else key
    if dir is not None:
        return _read_from(Path(dir), name, "human")
    return load_text("humans", name)
