"""The user's own sampler settings, sent with every LLM request.

Local models often need their own temperature, top_p, min_p, repetition penalty or stop strings to
produce usable JSON. The original read them from `settings/completions_api_settings.json` in its
config folder; we read the same file name in ours (`memgpt folder` shows where), so a user of the
original can copy theirs over. The user's values win over ours, except the keys that carry the
request itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from memgpt import paths
from memgpt.errors import ConfigError

SETTINGS_FILE = "completions_api_settings.json"

# Keys that make up the request itself: a settings file cannot replace them.
PROTECTED_KEYS = frozenset(
    {"model", "messages", "prompt", "tools", "tool_choice", "functions", "function_call", "stream", "n"}
)


def settings_file() -> Path:
    return paths.config_dir() / "settings" / SETTINGS_FILE


def load_completion_settings(path: Path | None = None) -> dict[str, Any]:
    """The settings object, {} when there is no file; a ConfigError naming the file when it is bad."""
    path = path or settings_file()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the completion settings file {path}: {exc.strerror}.") from None
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The completion settings file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
            f"{exc.msg}. Fix it or delete it."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f'The completion settings file {path} must hold a JSON object such as {{"temperature": 0.6, "top_p": 0.9}}.'
        )
    ignored = sorted(PROTECTED_KEYS & data.keys())
    if ignored:
        raise ConfigError(
            f"The completion settings file {path} sets {', '.join(ignored)}, which memgpt sends itself; "
            "remove them (use `memgpt configure` for the model)."
        )
    return data
