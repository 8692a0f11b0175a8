"""A MemGPT agent as an AutoGen participant: `MemGPTAgent` is a `ConversableAgent` whose replies
come from a memgpt Agent with long-term memory.

Every incoming chat message goes through the agent as a user event (so it lands in recall, unlike
the original, which pushed some messages into the context directly), the agent steps until it stops,
and what it sent with `send_message` is the reply. The agent is stored like any other memgpt agent
and saved after every step, so its memory carries over from one chat (or one script run) to the next.
"""

from __future__ import annotations

import re
from typing import Any

from autogen import Agent as AutoGenAgent
from autogen import ConversableAgent

from memgpt.agent import Agent
from memgpt.autogen.interface import AutoGenInterface
from memgpt.config import Credentials, LLMConfig, MemGPTConfig
from memgpt.errors import MemGPTError

HUMAN_TEXT_BY_MODE = {
    "TERMINATE": "Work by yourself, the user won't reply until you output `TERMINATE` to end the conversation.",
    "NEVER": "Work by yourself, the user won't reply. Elaborate as much as possible.",
}


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # multimodal parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


class MemGPTAgent(ConversableAgent):
    def __init__(
        self,
        name: str,
        agent: Agent,
        skip_verify: bool = False,
        concat_other_agent_messages: bool = False,
        is_termination_msg: Any = None,
        default_auto_reply: str = "",
        storage: Any = None,
        max_consecutive_auto_reply: int | None = None,
    ) -> None:
        super().__init__(
            name,
            system_message="",
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


def _storage_name(name: str) -> str:
    """AutoGen names may hold spaces; memgpt agent names are letters, digits, '-' and '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "autogen_agent"
    return cleaned[:64]


def _llm_from_autogen(llm_config: Any, base: LLMConfig) -> tuple[LLMConfig, Credentials, dict[str, Any]]:
    """An AutoGen llm_config (config_list[0]) or the original's MemGPT-style dict, as our settings."""
    from memgpt.llm import context_window_for

    if not llm_config:
        return base, Credentials.load(), {}
    entry = dict((llm_config.get("config_list") or [llm_config])[0]) if isinstance(llm_config, dict) else {}
    update: dict[str, Any] = {}
    creds = Credentials.load()
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
) -> MemGPTAgent:
    """A MemGPTAgent configured like any AutoGen agent.

    `system_message` becomes the persona (empty: the default persona); the human block follows
    `human_input_mode` as in the original. An agent of the same name that already exists is resumed
    with all its memories, so running a script twice continues the same agent.
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
    llm, creds, extras = _llm_from_autogen(llm_config, config.llm)
    config.llm = llm
    interface = AutoGenInterface(**(interface_kwargs or {}))
    storage = open_storage(config)
    stored_name = _storage_name(agent_name or name)
    client = create_llm_client(llm, creds)
    try:
        if storage.agents.exists(stored_name):
            agent = Agent.load(stored_name, config=config, storage=storage, interface=interface, llm_client=client)
        else:
            human = HUMAN_TEXT_BY_MODE.get(human_input_mode) or load_text("humans", config.defaults.human)
            agent = Agent.create(
                name=stored_name,
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
    )


def create_autogen_memgpt_agent(
    agent_name: str,
    skip_verify: bool = False,
    interface_kwargs: dict[str, Any] | None = None,
    default_auto_reply: str = "",
    is_termination_msg: Any = None,
    autogen_name: str | None = None,
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
    )
