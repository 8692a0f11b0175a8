"""An agent's LLM settings as flags: validated with their choices, changed visibly, kept only when asked.

Each agent carries its own copy of the LLM settings (model, endpoint, wrapper, window), taken from
the config when it was created. `memgpt run` flags change them for one run; `--save`,
`memgpt agent set` and `memgpt configure --apply-to-agents` change them for good. Every change is
printed, so a setting never sticks (or fails to stick) without a word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from memgpt.llm.formats import FORMATS

PROVIDERS = ["openai", "azure", "ollama", "lmstudio", "vllm", "llamacpp", "localai", "koboldcpp", "openai-compatible"]
WRAPPER_CHOICES = [*FORMATS, "none"]
# The fields a user changes per agent, in the order they are shown.
AGENT_LLM_FIELDS = ("model_endpoint_type", "model_endpoint", "model", "model_wrapper", "context_window")


def _endpoint(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{value!r} is not a URL: it must start with http:// or https://.")
    return value


def choice(choices: list[str]) -> dict[str, Any]:
    """Option arguments that accept only `choices`, list them in the error, and complete them in the shell."""

    def check(param: typer.CallbackParam, value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{param.opts[0]} must be one of: {', '.join(choices)} (not {value!r}).")
        return value

    def complete(incomplete: str) -> list[str]:
        return [c for c in choices if c.startswith(incomplete)]

    callback: Callable[..., str | None] = check
    return {"callback": callback, "autocompletion": complete}


def option_model(help_text: str) -> Any:
    return typer.Option(None, "--model", help=help_text)


def option_endpoint_type() -> Any:
    return typer.Option(
        None,
        "--model-endpoint-type",
        **choice(PROVIDERS),
        help=f"LLM provider: {', '.join(PROVIDERS)}.",
    )


def option_endpoint() -> Any:
    return typer.Option(
        None, "--model-endpoint", callback=_endpoint, help="LLM endpoint URL (OpenAI-style, usually ending in /v1)."
    )


def option_wrapper() -> Any:
    return typer.Option(
        None,
        "--model-wrapper",
        **choice(WRAPPER_CHOICES),
        help=f"Prompt format for models without function calling: {', '.join(FORMATS)}; none clears it.",
    )


def option_window() -> Any:
    return typer.Option(None, "--context-window", min=1024, help="Context window in tokens (at least 1024).")


def llm_updates(
    current: Any,
    *,
    model: str | None = None,
    endpoint_type: str | None = None,
    endpoint: str | None = None,
    wrapper: str | None = None,
    window: int | None = None,
    config: Any = None,
) -> dict[str, Any]:
    """The setting changes the flags ask for, completed the way a person means them: a new provider
    without an endpoint gets the configured (or default) endpoint of that provider; a new model
    without a window gets the model's known window; `none` clears the wrapper."""
    from memgpt.config import DEFAULT_ENDPOINTS
    from memgpt.llm import context_window_for

    updates: dict[str, Any] = {}
    if endpoint_type is not None and endpoint_type != current.model_endpoint_type:
        updates["model_endpoint_type"] = endpoint_type
        if endpoint is None:
            same = config is not None and config.llm.model_endpoint_type == endpoint_type
            updates["model_endpoint"] = config.llm.model_endpoint if same else DEFAULT_ENDPOINTS[endpoint_type]
    if endpoint is not None:
        updates["model_endpoint"] = endpoint
    if model is not None:
        updates["model"] = model
        known = context_window_for(model)
        if window is None and known:
            updates["context_window"] = known
    if wrapper is not None:
        updates["model_wrapper"] = None if wrapper == "none" else wrapper
    if window is not None:
        updates["context_window"] = window
    return {k: v for k, v in updates.items() if getattr(current, k) != v}


def with_updates(llm: Any, updates: dict[str, Any]) -> Any:
    """A copy of an LLMConfig with `updates` applied and validated (model_copy would skip validation)."""
    return llm.model_validate({**llm.model_dump(), **updates})


def describe_changes(before: Any, updates: dict[str, Any]) -> list[str]:
    return [f"{key}: {getattr(before, key)!s} -> {updates[key]!s}" for key in AGENT_LLM_FIELDS if key in updates]


def agent_settings_line(llm: Any) -> str:
    wrapper = f", wrapper {llm.model_wrapper}" if llm.model_wrapper else ""
    return (
        f"model {llm.model} at {llm.model_endpoint} ({llm.model_endpoint_type}{wrapper}, "
        f"context window {llm.context_window})"
    )
