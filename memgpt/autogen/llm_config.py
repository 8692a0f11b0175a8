"""AutoGen `llm_config` dicts of every era, read as memgpt settings and upgraded for today's autogen.

Three shapes reach us:

- today's autogen: `{"config_list": [{"model", "base_url", "api_key", "api_type"?, "api_version"?}]}`;
- pyautogen 0.1/0.2 (the MemGPT tutorials): `api_type: "open_ai"`, `api_base`, often no `model`;
- MemGPT 0.2 style: `model_endpoint`, `model_endpoint_type`, `context_window`, `preset`,
  `model_wrapper`, `openai_key` / `azure_key`, `azure_endpoint`, `azure_version`.

The MemGPT agent reads all three (`llm_from_autogen`). Today's autogen refuses the pyautogen-era
shape (`open_ai` is no api_type, `model` is required), and tutorials hand the *same* dict to
`GroupChatManager`; so `adopt_legacy_llm_config` rewrites such a dict in place (renames only,
nothing lost) and warns saying what it changed. `translate_llm_config` returns an upgraded copy
for anyone who prefers to pass it explicitly. Nothing here imports autogen at module level:
`memgpt.presets.use_preset` uses it without AutoGen installed.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from memgpt import constants
from memgpt.config import Credentials, LLMConfig

# Keys only MemGPT 0.2 understood: such a dict was never meant for autogen's own agents.
MEMGPT_ONLY_KEYS = (
    "model_endpoint",
    "model_endpoint_type",
    "context_window",
    "preset",
    "model_wrapper",
    "openai_key",
    "azure_key",
    "azure_endpoint",
    "azure_version",
    "azure_deployment",
)
LEGACY_API_TYPES = {"open_ai": "openai"}  # pyautogen 0.1 (openai<1) spelling -> today's


class LegacyLLMConfigWarning(UserWarning):
    """An llm_config written for pyautogen 0.1/0.2 was upgraded, or today's autogen would refuse it."""


def _entries(llm_config: Any) -> list[dict[str, Any]]:
    if not isinstance(llm_config, dict):
        return []
    entries = llm_config.get("config_list")
    if entries is None:
        return [llm_config]  # a bare entry, as some 0.1 scripts passed it
    return [e for e in entries if isinstance(e, dict)]


def _is_memgpt_style(entry: dict[str, Any]) -> bool:
    return any(key in entry for key in MEMGPT_ONLY_KEYS)


def translate_entry(entry: dict[str, Any], model: str | None = None) -> dict[str, Any]:
    """One config_list entry in today's autogen shape (a new dict; MemGPT-only keys mapped or dropped)."""
    out = {k: v for k, v in entry.items() if k not in MEMGPT_ONLY_KEYS and k != "api_base"}
    api_type = entry.get("api_type")
    azure = api_type == "azure" or entry.get("model_endpoint_type") == "azure"
    base_url = entry.get("base_url") or entry.get("api_base") or entry.get("model_endpoint")
    if azure:
        out["api_type"] = "azure"
        base_url = base_url or entry.get("azure_endpoint")
        out.setdefault("api_version", entry.get("azure_version"))
        if not out.get("api_key") and entry.get("azure_key"):
            out["api_key"] = entry["azure_key"]
    else:
        out["api_type"] = LEGACY_API_TYPES.get(api_type, api_type) if api_type else "openai"
        out.pop("api_version", None)  # only Azure takes one; today's OpenAI client refuses it
        if not out.get("api_key") and entry.get("openai_key"):
            out["api_key"] = entry["openai_key"]
    if base_url:
        out["base_url"] = base_url
    if not out.get("model"):
        out["model"] = model or constants.DEFAULT_MODEL
    return {k: v for k, v in out.items() if v is not None}


def translate_llm_config(llm_config: dict[str, Any], model: str | None = None) -> dict[str, Any]:
    """A copy of `llm_config` that today's autogen accepts (for `GroupChatManager`, `AssistantAgent`...).

    `model` fills entries that name none (pyautogen-era local-server configs often did not).
    """
    out = copy.deepcopy(llm_config)
    if "config_list" not in out:
        return {"config_list": [translate_entry(out, model)]}
    out["config_list"] = [translate_entry(e, model) if isinstance(e, dict) else e for e in out["config_list"]]
    return out


def _changes(entry: dict[str, Any], model: str | None) -> list[str]:
    changes = []
    if entry.get("api_type") in LEGACY_API_TYPES:
        changes.append(f"api_type {entry['api_type']!r} -> {LEGACY_API_TYPES[entry['api_type']]!r}")
    if "api_base" in entry:
        changes.append("api_base -> base_url")
    if not entry.get("model"):
        changes.append(f"model {model or constants.DEFAULT_MODEL!r} added")
    if entry.get("api_version") and entry.get("api_type") != "azure":
        changes.append("api_version dropped (only Azure uses it)")
    return changes


def autogen_refusal(llm_config: dict[str, Any]) -> str | None:
    """Why today's autogen would refuse this llm_config (None: it accepts it, or autogen is absent).

    Builds a throwaway ConversableAgent, exactly what GroupChatManager does with it (no network).
    """
    try:
        from autogen import ConversableAgent
    except ImportError:
        return None
    try:
        ConversableAgent("llm_config_check", llm_config=copy.deepcopy(llm_config), human_input_mode="NEVER")
    except Exception as exc:  # pydantic ValidationError, ValueError, the OpenAI client's errors
        return " ".join(str(exc).split())[:400]
    return None


def adopt_legacy_llm_config(llm_config: Any, model: str | None = None, stacklevel: int = 3) -> None:
    """Upgrade a pyautogen-era llm_config in place, so the same dict also works for GroupChatManager.

    Only renames (api_type "open_ai", api_base, a missing model): nothing the user wrote is lost.
    MemGPT 0.2-style dicts are left alone (they were never valid for autogen's agents; pass
    `translate_llm_config(...)` to those). Warns with what changed, or with autogen's refusal and the fix
    (`stacklevel` makes the warning point at the user's line).
    """
    entries = _entries(llm_config)
    if not entries or any(_is_memgpt_style(e) for e in entries):
        return
    changes = sorted({c for e in entries for c in _changes(e, model)})
    if not changes:
        return
    for entry in entries:
        upgraded = translate_entry(entry, model)
        entry.clear()
        entry.update(upgraded)
    refusal = autogen_refusal(llm_config)
    if refusal is None:
        warnings.warn(
            "This llm_config was written for pyautogen 0.1/0.2; memgpt updated it in place for today's autogen ("
            + ", ".join(changes)
            + "), so the same dict now also works for GroupChatManager and other agents. Write it that way to "
            'silence this warning: {"config_list": [{"model": ..., "base_url": ..., "api_key": ...}]}.',
            LegacyLLMConfigWarning,
            stacklevel=stacklevel,
        )
    else:
        warnings.warn(
            f"Today's autogen refuses this llm_config even after memgpt's upgrade ({', '.join(changes)}): {refusal}. "
            'Fix: give each config_list entry "model", "base_url" and "api_key" (api_type "openai" or "azure" '
            'with "api_version"), or pass memgpt.autogen.llm_config.translate_llm_config(llm_config) to autogen.',
            LegacyLLMConfigWarning,
            stacklevel=stacklevel,
        )


def llm_from_autogen(
    llm_config: Any, base: LLMConfig, credentials: Credentials | None = None
) -> tuple[LLMConfig, Credentials, dict[str, Any]]:
    """An AutoGen llm_config (its config_list[0]) or a MemGPT-style dict, as memgpt settings.

    Returns (llm settings, credentials to use for this agent only, extras such as `preset`).
    """
    from memgpt.llm import context_window_for

    creds = credentials if credentials is not None else Credentials.load()
    entries = _entries(llm_config)
    if not entries:
        return base, creds, {}
    entry = dict(entries[0])
    update: dict[str, Any] = {}
    model = entry.get("model")
    if model:
        update["model"] = model
        update["context_window"] = context_window_for(model) or base.context_window
    endpoint = entry.get("model_endpoint") or entry.get("base_url") or entry.get("api_base")
    if endpoint:
        update["model_endpoint"] = endpoint
        update["model_endpoint_type"] = entry.get("model_endpoint_type") or (
            "openai" if "api.openai.com" in endpoint else "openai-compatible"
        )
    if entry.get("api_type") == "azure":
        update["model_endpoint_type"] = "azure"
        creds = creds.model_copy(
            update={
                "azure_key": entry.get("api_key"),
                "azure_endpoint": endpoint,
                "azure_version": entry.get("api_version"),
            }
        )
    elif entry.get("api_key") or entry.get("openai_key"):
        creds = creds.model_copy(update={"openai_key": entry.get("api_key") or entry.get("openai_key")})
    for key in ("context_window", "model_wrapper", "model_endpoint_type"):
        if entry.get(key):
            update[key] = entry[key]
    extras = {k: entry[k] for k in ("preset",) if entry.get(k)}
    return base.model_copy(update=update), creds, extras
