"""`memgpt agent show|set NAME`: an existing agent's own LLM settings, seen and changed for good.

An agent keeps the settings it was created with; changing the config does not move it (its
conversation was shaped by that model and window). This is the one place to move it, and every
change is printed.
"""

from __future__ import annotations

from typing import Any

import typer

from memgpt.cli import settings
from memgpt.cli.app import app

agent_app = typer.Typer(help="Show or change an existing agent's LLM settings.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")


@agent_app.command("show")
def show(name: str = typer.Argument(..., help="The agent.")) -> None:
    """Print the agent's LLM settings."""
    from memgpt.cli.output import console
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(name, "agent name")
    with open_storage(MemGPTConfig.load()) as storage:
        state = storage.agents.load(name)
    llm = LLMConfig.model_validate(state.llm)
    console().print(f"{name}: {settings.agent_settings_line(llm)}", markup=False)


@agent_app.command("set")
def set_(
    name: str = typer.Argument(..., help="The agent to change."),
    model: str = settings.option_model("Model name."),
    model_endpoint_type: str = settings.option_endpoint_type(),
    model_endpoint: str = settings.option_endpoint(),
    model_wrapper: str = settings.option_wrapper(),
    context_window: int = settings.option_window(),
    allow_dir: list[str] = typer.Option(
        None, "--allow-dir", help="A folder this agent's file tools may use (repeatable; 'none' clears)."
    ),
) -> None:
    """Change an agent's model, endpoint, wrapper, context window or tool folders (kept for later runs)."""
    from memgpt.cli.output import console
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(name, "agent name")
    config = MemGPTConfig.load()
    if allow_dir:
        _allow_dirs(config, name, allow_dir)
    with open_storage(config) as storage, storage.lock_agent(name):
        state = storage.agents.load(name)
        before = LLMConfig.model_validate(state.llm)
        updates = settings.llm_updates(
            before,
            model=model,
            endpoint_type=model_endpoint_type,
            endpoint=model_endpoint,
            wrapper=model_wrapper,
            window=context_window,
            config=config,
        )
        if not updates:
            if not allow_dir:
                console().print(f"Nothing to change: {name} uses {settings.agent_settings_line(before)}.", markup=False)
            return
        state.llm = settings.with_updates(before, updates).model_dump()
        storage.agents.save(state)
    for line in settings.describe_changes(before, updates):
        console().print(f"Changed {name}'s {line} (saved).", markup=False)


def _allow_dirs(config: Any, name: str, dirs: list[str]) -> None:
    """Per-agent folders live in the config (`tools.agent_dirs`), next to the folders all agents may use."""
    from memgpt.cli.configure import tools_update
    from memgpt.cli.output import console

    tools = config.tools
    mine = tools_update(tools.model_copy(update={"allowed_dirs": tools.agent_dirs.get(name, [])}), dirs, None)
    agent_dirs = {**tools.agent_dirs, name: mine.allowed_dirs}
    config.tools = tools.model_copy(update={"agent_dirs": {k: v for k, v in agent_dirs.items() if v}})
    config.save()
    shown = ", ".join(mine.allowed_dirs) or "none (the folders all agents may use)"
    console().print(f"Changed {name}'s tool folders: {shown} (saved).", markup=False)
