"""`use_preset`, the 0.1/0.2-era way to build an agent, over today's `Agent.create` / `Agent.load`.

Scripts of that era built the agent first and named it only when they wrapped it
(`MemGPTAgent(name="MemGPT_coder", agent=presets.use_preset(...))`). Our agents are stored under
their name, so `use_preset` returns a `PresetAgent`: the settings, turned into a stored agent as
soon as a name is known (the AutoGen wrapper gives it), or at first use otherwise. An agent of
that name that already exists is resumed with its memories, so running the script again continues
the same agent instead of starting over (the original never saved AutoGen agents).

The preset YAML files are data (`presets/*.yaml` in a checkout, `memgpt/_shipped/presets` in a
wheel, plus the user's own); this package is only the Python API of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from memgpt import constants

if TYPE_CHECKING:
    from memgpt.agent import Agent
    from memgpt.config import Credentials, MemGPTConfig
    from memgpt.persistence_manager import InMemoryStateManager
    from memgpt.storage import SQLiteStorage

DEFAULT_PRESET = constants.DEFAULT_PRESET
# 0.1.x named the synchronous variant of the default preset; memory and functions were the same.
SYNC_CHAT = "memgpt_chat_sync"
PRESET_ALIASES = {SYNC_CHAT: DEFAULT_PRESET}


def storage_name(name: str) -> str:
    """AutoGen names may hold spaces; memgpt agent names are letters, digits, '-' and '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "autogen_agent"
    return cleaned[:64]


def open_or_create(
    name: str,
    *,
    config: MemGPTConfig,
    storage: SQLiteStorage,
    interface: Any,
    llm_client: Any = None,
    preset: str | None = None,
    persona_text: str | None = None,
    human_text: str | None = None,
) -> Agent:
    """Resume the stored agent `name`, or create it from these settings: one rule for every compat entry."""
    from memgpt.agent import Agent

    if storage.agents.exists(name):
        return Agent.load(name, config=config, storage=storage, interface=interface, llm_client=llm_client)
    return Agent.create(
        name=name,
        config=config,
        storage=storage,
        interface=interface,
        llm_client=llm_client,
        preset=PRESET_ALIASES.get(preset or "", preset),
        persona_text=persona_text,
        human_text=human_text,
    )


@dataclass
class PresetAgent:
    """An agent waiting for its name (see the module docstring). `bind(name)` stores it."""

    preset: str
    config: MemGPTConfig
    credentials: Credentials
    persona_text: str | None
    human_text: str | None
    interface: Any
    persistence_manager: InMemoryStateManager
    name: str | None = None
    agent: Agent | None = field(default=None, repr=False)

    @property
    def storage(self) -> SQLiteStorage:
        return self.persistence_manager.open_storage(self.config)

    def bind(self, name: str | None = None) -> Agent:
        """The stored agent: created (or resumed) under `name` the first time, the same one after."""
        if self.agent is not None:
            return self.agent
        from memgpt.llm import create_llm_client

        chosen = storage_name(name or self.name or f"agent_{datetime.now():%Y%m%d_%H%M%S}")
        self.agent = open_or_create(
            chosen,
            config=self.config,
            storage=self.storage,
            interface=self.interface,
            llm_client=create_llm_client(self.config.llm, self.credentials),
            preset=self.preset,
            persona_text=self.persona_text,
            human_text=self.human_text,
        )
        self.persistence_manager.init(self.agent)
        return self.agent

    def __getattr__(self, attr: str) -> Any:
        # Anything but the fields above is the agent's: a script that uses the agent directly gets it.
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.bind(), attr)


def _config_from(agent_config: Any, model: str | None) -> tuple[MemGPTConfig, Credentials]:
    """agent_config as scripts passed it: None, an AutoGen/MemGPT-style llm_config dict, or our configs."""
    from memgpt.config import Credentials, LLMConfig, MemGPTConfig

    config = MemGPTConfig.load()
    if agent_config is None:
        return config, Credentials.load()
    if isinstance(agent_config, MemGPTConfig):
        return agent_config, Credentials.load()
    if isinstance(agent_config, LLMConfig):
        return config.model_copy(update={"llm": agent_config}), Credentials.load()
    if isinstance(agent_config, dict):
        from memgpt.autogen.llm_config import adopt_legacy_llm_config, llm_from_autogen

        llm, creds, _extras = llm_from_autogen(agent_config, config.llm)
        # after reading it: the script may hand the same dict to GroupChatManager
        adopt_legacy_llm_config(agent_config, model, stacklevel=4)
        return config.model_copy(update={"llm": llm}), creds
    raise TypeError(
        "agent_config must be None, an llm_config dict, a MemGPTConfig or an LLMConfig, "
        f"not {type(agent_config).__name__}."
    )


def use_preset(
    preset_name: str | None = DEFAULT_PRESET,
    agent_config: Any = None,
    model: str | None = None,
    persona: str | None = None,
    human: str | None = None,
    interface: Any = None,
    persistence_manager: InMemoryStateManager | None = None,
    *,
    name: str | None = None,
    persona_text: str | None = None,
    human_text: str | None = None,
) -> PresetAgent:
    """An agent from a preset, as MemGPT 0.1/0.2 built it.

    `persona` / `human` are the texts (0.2 called them `persona_text` / `human_text`; both spellings
    work); None uses your default persona / human. `agent_config` is None (your memgpt config), an
    AutoGen `llm_config` (any era: see memgpt.autogen.llm_config) or a MemGPTConfig. `interface`
    None gives the AutoGen one. The agent is stored when it gets a name: `MemGPTAgent(name=...,
    agent=...)` names it, `name=` here does too.
    """
    from memgpt.persistence_manager import InMemoryStateManager

    config, creds = _config_from(agent_config, model)
    if model and model != config.llm.model:  # the model argument wins over the config's
        from memgpt.llm import context_window_for

        window = context_window_for(model) or config.llm.context_window
        config = config.model_copy(
            update={"llm": config.llm.model_copy(update={"model": model, "context_window": window})}
        )
    if interface is None:
        from memgpt.autogen.interface import AutoGenInterface

        interface = AutoGenInterface()
    return PresetAgent(
        preset=preset_name or DEFAULT_PRESET,
        config=config,
        credentials=creds,
        persona_text=persona_text if persona_text is not None else persona,
        human_text=human_text if human_text is not None else human,
        interface=interface,
        persistence_manager=persistence_manager or InMemoryStateManager(),
        name=name,
    )
