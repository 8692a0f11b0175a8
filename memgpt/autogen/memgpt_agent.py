"""A MemGPT agent as an AutoGen participant: `MemGPTAgent` is a `ConversableAgent` whose replies
come from a memgpt Agent with long-term memory.

Every incoming chat message goes through the agent as a user event (so it lands in recall, unlike
the original, which pushed some messages into the context directly), the agent steps until it stops,
and what it sent with `send_message` is the reply. The agent is stored like any other memgpt agent
and saved after every step, so its memory carries over from one chat (or one script run) to the next.
"""

from __future__ import annotations

from typing import Any

from autogen import Agent as AutoGenAgent
from autogen import ConversableAgent

from memgpt.agent import Agent
from memgpt.autogen.interface import AutoGenInterface
from memgpt.autogen.llm_config import adopt_legacy_llm_config, llm_from_autogen, translate_llm_config
from memgpt.config import Credentials, MemGPTConfig
from memgpt.errors import MemGPTError
from memgpt.presets.presets import PresetAgent, open_or_create, storage_name

__all__ = [
    "AutoGenInterface",
    "MemGPTAgent",
    "create_autogen_memgpt_agent",
    "create_memgpt_autogen_agent_from_config",
    "describe",
    "translate_llm_config",
]

HUMAN_TEXT_BY_MODE = {
    "TERMINATE": "Work by yourself, the user won't reply until you output `TERMINATE` to end the conversation.",
    "NEVER": "Work by yourself, the user won't reply. Elaborate as much as possible.",
}


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # multimodal parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def describe(agent: Agent, limit: int = 300) -> str:
    """What a GroupChatManager reads to decide who speaks: the persona's opening, as the agent sees itself.

    AutoGen lists every member as "name: description" in its speaker-selection prompt; an empty
    description (AutoGen's default when there is no system message) means the MemGPT agent is
    rarely, if ever, picked.
    """
    persona = " ".join(agent.core.blocks["persona"].value.split())
    if len(persona) > limit:
        cut = persona[:limit]
        persona = (cut[: cut.rfind(" ")] if " " in cut else cut) + " ..."
    return f"A MemGPT agent with long-term memory. Its persona: {persona}" if persona else "A MemGPT agent."


class MemGPTAgent(ConversableAgent):
    """`agent` is a memgpt Agent, or what `memgpt.presets.use_preset` returned (stored now, under `name`).

    `description` is what group chats use to pick speakers; by default it comes from the persona.
    """

    def __init__(
        self,
        name: str,
        agent: Agent | PresetAgent,
        skip_verify: bool = False,
        concat_other_agent_messages: bool = False,
        is_termination_msg: Any = None,
        default_auto_reply: str = "",
        storage: Any = None,
        max_consecutive_auto_reply: int | None = None,
        description: str | None = None,
    ) -> None:
        if isinstance(agent, PresetAgent):  # 0.1-era: use_preset(...) then MemGPTAgent(name=, agent=)
            storage = storage or agent.storage
            agent = agent.bind(name)
        if not hasattr(agent.interface, "reply"):  # any other interface: collect the reply, still tell it
            agent.interface = AutoGenInterface(forward_to=agent.interface)
        super().__init__(
            name,
            system_message="",
            description=description or describe(agent),
            is_termination_msg=is_termination_msg,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            human_input_mode="NEVER",
            llm_config=False,
            code_execution_config=False,
            default_auto_reply=default_auto_reply,
        )
        self.agent = agent
        self.skip_verify = skip_verify
        self.concat_other_agent_messages = concat_other_agent_messages
        self._storage = storage
        self._seen: dict[str, int] = {}
        self.register_reply([AutoGenAgent, None], MemGPTAgent._reply_with_memgpt, position=0)

    @property
    def interface(self) -> AutoGenInterface:
        return self.agent.interface

    def _reply_with_memgpt(
        self, messages: list[dict[str, Any]] | None = None, sender: AutoGenAgent | None = None, config: Any = None
    ) -> tuple[bool, str | None]:
        if messages is None:
            messages = self._oai_messages[sender] if sender is not None else []
        key = sender.name if sender is not None else ""
        new = [
            m for m in messages[self._seen.get(key, 0) :] if m.get("role") != "assistant" and m.get("name") != self.name
        ]
        self._seen[key] = len(messages)
        if not new:
            return True, self._default_auto_reply or "..."
        incoming = [(m.get("name") or key or "user", _content(m)) for m in new]
        self.interface.reset_message_list()
        verify = not self.skip_verify
        if self.concat_other_agent_messages and len(incoming) > 1:
            text = "\n".join(f"{who}: {text}" for who, text in incoming)
            self.agent.user_message(text, name=incoming[-1][0], verify=verify)
        else:
            for who, text in incoming:
                self.agent.user_message(text, name=who, verify=verify)
        return True, self.interface.reply() or "..."

    # -- documents --------------------------------------------------------------------------
    def load(self, name: str, type: str, **kwargs: Any) -> int:
        """Load documents into data source `name` (type: directory, file, webpage, database)."""
        from memgpt.embeddings import create_embedder
        from memgpt.loaders import load_documents
        from memgpt.loaders import sources as s

        builders = {
            "directory": lambda: (
                s.directory_documents(kwargs.get("input_dir"), kwargs.get("recursive", False), kwargs.get("extensions"))
                if kwargs.get("input_dir")
                else s.file_documents(kwargs.get("input_files", []))
            ),
            "file": lambda: s.file_documents(kwargs.get("input_files") or kwargs.get("paths", [])),
            "webpage": lambda: s.webpage_documents(kwargs.get("urls", [])),
            "database": lambda: s.database_documents(kwargs["db"], kwargs["query"]),
        }
        if type not in builders:
            raise MemGPTError(f"Unknown data source type {type!r}; use one of {', '.join(builders)}.")
        embedder = create_embedder(self.agent.embedding_config, Credentials.load())
        stats = load_documents(
            self.agent.storage, embedder, name, builders[type](), self.agent.embedding_config.embedding_chunk_size
        )
        return stats.passages

    def attach(self, data_source: str) -> int:
        return self.agent.attach_source(data_source)

    def load_and_attach(self, name: str, type: str, force: bool = False, **kwargs: Any) -> int:
        """Load (unless the source exists and not `force`) and attach: a document agent in one call."""
        if force or not self.agent.storage.sources.exists(name):
            self.load(name, type, **kwargs)
        return self.attach(name)

    def close(self) -> None:
        """Release the agent (its lock) and the storage; everything was already saved step by step."""
        self.agent.close()
        if self._storage is not None:
            self._storage.close()
            self._storage = None


def create_memgpt_autogen_agent_from_config(
    name: str,
    system_message: str | None = "",
    is_termination_msg: Any = None,
    max_consecutive_auto_reply: int | None = None,
    human_input_mode: str = "ALWAYS",
    function_map: dict[str, Any] | None = None,
    code_execution_config: Any = None,
    llm_config: dict[str, Any] | None = None,
    nonmemgpt_llm_config: dict[str, Any] | None = None,
    default_auto_reply: str = "",
    interface_kwargs: dict[str, Any] | None = None,
    skip_verify: bool = False,
    agent_name: str | None = None,
    preset: str | None = None,
    description: str | None = None,
) -> MemGPTAgent:
    """A MemGPTAgent configured like any AutoGen agent.

    `system_message` becomes the persona (empty: the default persona); the human block follows
    `human_input_mode` as in the original. An agent of the same name that already exists is resumed
    with all its memories, so running a script twice continues the same agent. `description` is
    what group chats read to pick speakers (default: from the persona). A pyautogen-era
    `llm_config` is upgraded in place for today's autogen (see memgpt.autogen.llm_config).
    """
    from memgpt.llm import create_llm_client
    from memgpt.storage import open_storage
    from memgpt.texts import load_text

    if function_map or code_execution_config:
        raise MemGPTError(
            "MemGPT agents call their own memory functions; function_map and code execution "
            "belong on another agent of the chat (e.g. a UserProxyAgent)."
        )
    config = MemGPTConfig.load() if MemGPTConfig.exists() else MemGPTConfig()
    llm, creds, extras = llm_from_autogen(llm_config, config.llm)
    adopt_legacy_llm_config(llm_config)  # after reading it: GroupChatManager may get the same dict
    config.llm = llm
    interface = AutoGenInterface(**(interface_kwargs or {}))
    storage = open_storage(config)
    stored_name = storage_name(agent_name or name)
    client = create_llm_client(llm, creds)
    try:
        human = HUMAN_TEXT_BY_MODE.get(human_input_mode) or load_text("humans", config.defaults.human)
        agent = open_or_create(
            stored_name,
            config=config,
            storage=storage,
            interface=interface,
            llm_client=client,
            preset=preset or extras.get("preset"),
            persona_text=system_message or None,
            human_text=human,
        )
    except BaseException:
        storage.close()
        raise
    return MemGPTAgent(
        name,
        agent,
        skip_verify=skip_verify,
        is_termination_msg=is_termination_msg,
        default_auto_reply=default_auto_reply,
        storage=storage,
        max_consecutive_auto_reply=max_consecutive_auto_reply,
        description=description,
    )


def create_autogen_memgpt_agent(
    agent_name: str,
    skip_verify: bool = False,
    interface_kwargs: dict[str, Any] | None = None,
    default_auto_reply: str = "",
    is_termination_msg: Any = None,
    autogen_name: str | None = None,
    description: str | None = None,
) -> MemGPTAgent:
    """Bring an existing memgpt agent (made with `memgpt run` or earlier scripts) into AutoGen."""
    from memgpt.storage import open_storage

    config = MemGPTConfig.load()
    storage = open_storage(config)
    try:
        agent = Agent.load(
            agent_name, config=config, storage=storage, interface=AutoGenInterface(**(interface_kwargs or {}))
        )
    except BaseException:
        storage.close()
        raise
    return MemGPTAgent(
        autogen_name or agent_name,
        agent,
        skip_verify=skip_verify,
        is_termination_msg=is_termination_msg,
        default_auto_reply=default_auto_reply,
        storage=storage,
        description=description,
    )
