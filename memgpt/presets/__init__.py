"""The 0.1/0.2-era preset API: `import memgpt.presets as presets; presets.use_preset(presets.DEFAULT_PRESET, ...)`.

Also importable as `memgpt.presets.presets` (the 0.2 module path). The presets themselves are
YAML files (see `memgpt.texts.load_preset`); this package only builds agents from them.
"""

from memgpt.presets.presets import (
    DEFAULT_PRESET,
    SYNC_CHAT,
    PresetAgent,
    open_or_create,
    storage_name,
    use_preset,
)


def preset_options() -> list[str]:
    """Names of the presets you can use (shipped ones and your own)."""
    from memgpt.texts import list_presets

    return list(list_presets())


__all__ = [
    "DEFAULT_PRESET",
    "SYNC_CHAT",
    "PresetAgent",
    "open_or_create",
    "preset_options",
    "storage_name",
    "use_preset",
]
