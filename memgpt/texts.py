"""Personas, humans, presets and system prompts: shipped ones plus the user's own.

A user's file wins over a shipped one of the same name. Names are validated before they touch
the file system, so `../x` can never escape the texts folders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError, field_validator

from memgpt import paths
from memgpt.errors import ConfigError, InvalidNameError, NotFoundError

TextKind = Literal["personas", "humans"]
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_name(name: str, what: str = "name") -> str:
    """Letters, digits, `-` and `_`; 1 to 64 characters; must start with a letter or digit."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        shown = name if isinstance(name, str) and len(name) <= 80 else f"{str(name)[:80]}..."
        raise InvalidNameError(
            f"Invalid {what} {shown!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit."
        )
    return name


def _candidates(directory: Path, name: str, suffixes: tuple[str, ...]) -> list[Path]:
    return [directory / f"{name}{suffix}" for suffix in suffixes]


def _find(kind: str, name: str, suffixes: tuple[str, ...]) -> Path | None:
    validate_name(name, kind.rstrip("s"))
    for directory in (paths.user_texts_dir(kind), paths.shipped_dir(kind)):
        for candidate in _candidates(directory, name, suffixes):
            if candidate.is_file():
                return candidate
    return None


def _list(kind: str, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """name -> path; user files override shipped ones."""
    found: dict[str, Path] = {}
    for directory in (paths.shipped_dir(kind), paths.user_texts_dir(kind)):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            stem = path.name
            for suffix in suffixes:
                if suffix and stem.endswith(suffix):
                    stem = stem[: -len(suffix)]
                    break
            if NAME_RE.match(stem):
                found[stem] = path
    return dict(sorted(found.items()))


TEXT_SUFFIXES = (".txt", "")


def list_texts(kind: TextKind) -> dict[str, Path]:
    return _list(kind, TEXT_SUFFIXES)


def load_text(kind: TextKind, name: str) -> str:
    path = _find(kind, name, TEXT_SUFFIXES)
    if path is None:
        available = ", ".join(list_texts(kind)) or "none"
        raise NotFoundError(f"No {kind.rstrip('s')} named {name!r}. Available: {available}.")
    return path.read_text(encoding="utf-8").strip()


def is_user_text(kind: str, name: str) -> bool:
    return any(p.is_file() for p in _candidates(paths.user_texts_dir(kind), name, TEXT_SUFFIXES))


def save_user_text(kind: TextKind, name: str, text: str) -> Path:
    from memgpt.fileio import atomic_write_text

    validate_name(name, kind.rstrip("s"))
    path = paths.user_texts_dir(kind) / f"{name}.txt"
    atomic_write_text(path, text.strip() + "\n")
    return path


def delete_user_text(kind: TextKind, name: str) -> Path:
    validate_name(name, kind.rstrip("s"))
    for path in _candidates(paths.user_texts_dir(kind), name, TEXT_SUFFIXES):
        if path.is_file():
            path.unlink()
            return path
    if _find(kind, name, TEXT_SUFFIXES) is not None:
        raise NotFoundError(f"The {kind.rstrip('s')} {name!r} ships with memgpt and cannot be deleted.")
    raise NotFoundError(f"No {kind.rstrip('s')} named {name!r}.")


BUILTIN_BLOCKS = ("persona", "human")  # every agent has these; their texts come from --persona / --human


class PresetBlock(BaseModel):
    """An extra core memory block a preset gives its agents (YAML `blocks:` entries).

    `shared: NAME` makes it one stored block for every agent created with that name: the first
    agent creates it from `value`, later ones link to it as it is by then.
    """

    label: str
    value: str = ""
    limit: int | None = None  # characters; None: the default block limit for the model's window
    read_only: bool = False
    shared: str | None = None
    description: str | None = None

    @field_validator("label", "shared")
    @classmethod
    def _valid_label(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_name(value, "memory block label")
            except InvalidNameError as exc:
                raise ValueError(str(exc)) from None
        return value


class Preset(BaseModel):
    """A preset names a system prompt, the functions the agent may call, and any extra memory blocks."""

    name: str
    system_prompt: str  # the name of a prompt file under presets/system_prompts/
    functions: list[str]
    description: str = ""
    blocks: list[PresetBlock] = []

    @field_validator("blocks")
    @classmethod
    def _distinct_blocks(cls, blocks: list[PresetBlock]) -> list[PresetBlock]:
        labels = [b.label for b in blocks]
        for label in labels:
            if label in BUILTIN_BLOCKS:
                raise ValueError(f"block {label!r}: persona and human come from --persona / --human, not blocks:")
            if labels.count(label) > 1:
                raise ValueError(f"block {label!r} is listed twice")
        return blocks


PRESET_SUFFIXES = (".yaml", ".yml")


def list_presets() -> dict[str, Path]:
    return _list("presets", PRESET_SUFFIXES)


def load_preset(name: str) -> Preset:
    import yaml

    path = _find("presets", name, PRESET_SUFFIXES)
    if path is None:
        available = ", ".join(list_presets()) or "none"
        raise NotFoundError(f"No preset named {name!r}. Available: {available}.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Preset.model_validate({"name": name, **(data or {})})
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigError(f"The preset file {path} is not valid ({exc}).") from None


def load_system_prompt(name: str) -> str:
    """System prompts live in `presets/system_prompts/NAME.txt` (user dir: `system_prompts/`)."""
    validate_name(name, "system prompt")
    for path in (
        paths.user_texts_dir("system_prompts") / f"{name}.txt",
        paths.shipped_dir("presets") / "system_prompts" / f"{name}.txt",
    ):
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    raise NotFoundError(f"No system prompt named {name!r}.")
