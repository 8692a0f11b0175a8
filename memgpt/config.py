"""The user's configuration: a pydantic model stored as JSON, plus a separate credentials file.

Keys never live in `config.json`: they go to `credentials.json`, created with mode 0600.
Environment variables (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `AZURE_OPENAI_*`) win over files, so
a user can keep secrets out of files altogether.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from memgpt import constants, paths
from memgpt.errors import ConfigError
from memgpt.fileio import atomic_write_text

CONFIG_VERSION = 1

LLMEndpointType = Literal[
    "openai", "azure", "openai-compatible", "ollama", "lmstudio", "vllm", "llamacpp", "localai", "koboldcpp"
]
EmbeddingEndpointType = Literal["openai", "azure", "openai-compatible", "local"]

# Where each provider listens by default (all speak the OpenAI API under /v1).
DEFAULT_ENDPOINTS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "azure": "",
    "openai-compatible": "http://localhost:8000/v1",
    "ollama": "http://localhost:11434/v1",
    "lmstudio": "http://localhost:1234/v1",
    "vllm": "http://localhost:8000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "localai": "http://localhost:8080/v1",
    "koboldcpp": "http://localhost:5001/v1",
}

LOCAL_EMBEDDING_MODEL = "wordllama-l2-supercat"
LOCAL_EMBEDDING_DIM = 256


class LLMConfig(BaseModel):
    model: str = constants.DEFAULT_MODEL
    model_endpoint_type: LLMEndpointType = "openai"
    model_endpoint: str = DEFAULT_ENDPOINTS["openai"]
    # JSON-in-text prompt format for models without native function calling (None: native tools)
    model_wrapper: str | None = None
    context_window: int = constants.DEFAULT_CONTEXT_WINDOW
    # "tools" (current OpenAI API), "functions" (legacy), or "auto" (tools, falling back)
    function_call_style: Literal["auto", "tools", "functions"] = "auto"
    azure_api_version: str | None = None
    azure_deployment: str | None = None
    request_timeout: float = 120.0
    max_retries: int = 5
    stream: bool = False
    # Where the model writes its inner thoughts: "argument" (an inner_thoughts parameter first in every
    # function, for models that answer with a bare tool call), "content" (text beside the call, as
    # gpt-4 did in 2023), or "auto" (argument for native function calling; wrappers have their own).
    inner_thoughts: Literal["auto", "argument", "content"] = "auto"


class EmbeddingConfig(BaseModel):
    embedding_endpoint_type: EmbeddingEndpointType = "local"
    embedding_endpoint: str | None = None
    embedding_model: str = LOCAL_EMBEDDING_MODEL
    embedding_dim: int = LOCAL_EMBEDDING_DIM
    embedding_chunk_size: int = constants.EMBEDDING_CHUNK_SIZE


class DefaultsConfig(BaseModel):
    preset: str = constants.DEFAULT_PRESET
    persona: str = constants.DEFAULT_PERSONA
    human: str = constants.DEFAULT_HUMAN


class StorageConfig(BaseModel):
    archival_storage_type: Literal["local"] = "local"  # SQLite passages + FAISS index files
    archival_storage_path: str | None = None  # None: the data dir
    recall_storage_type: Literal["sqlite"] = "sqlite"
    recall_storage_path: str | None = None  # None: the data dir


class AgentLimits(BaseModel):
    core_memory_persona_limit: int = constants.CORE_MEMORY_PERSONA_CHAR_LIMIT
    core_memory_human_limit: int = constants.CORE_MEMORY_HUMAN_CHAR_LIMIT
    max_chained_steps: int = constants.MAX_CHAINED_STEPS


class MemGPTConfig(BaseModel):
    config_version: int = CONFIG_VERSION
    llm: LLMConfig = Field(default_factory=LLMConfig)
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    limits: AgentLimits = Field(default_factory=AgentLimits)

    @staticmethod
    def exists() -> bool:
        return paths.config_file().is_file()

    @classmethod
    def load(cls) -> MemGPTConfig:
        """Read the config file; a missing file gives the defaults, a bad one a clear ConfigError."""
        path = paths.config_file()
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"The config file {path} could not be read ({exc}). "
                "Run `memgpt configure` to write a new one, or fix the file by hand."
            ) from None
        if not isinstance(raw, dict):
            raise ConfigError(f"The config file {path} is not a JSON object. Run `memgpt configure` to rewrite it.")
        version = raw.get("config_version")
        if not isinstance(version, int) or version > CONFIG_VERSION:
            raise ConfigError(
                f"The config file {path} has config_version {version!r}, which this memgpt "
                f"(config version {CONFIG_VERSION}) does not know. It may come from a newer release: "
                "upgrade memgpt, or run `memgpt configure` to write a config this release understands."
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
            raise ConfigError(
                f"The config file {path} has invalid values ({problems}). Run `memgpt configure` to fix them."
            ) from None

    def save(self) -> Path:
        path = paths.config_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        return path


class Credentials(BaseModel):
    openai_key: str | None = None
    azure_key: str | None = None
    azure_endpoint: str | None = None
    azure_version: str | None = None
    azure_deployment: str | None = None
    azure_embedding_deployment: str | None = None

    @classmethod
    def load(cls) -> Credentials:
        """Credentials from the file, overridden by environment variables."""
        path = paths.credentials_file()
        creds = cls()
        if path.exists():
            try:
                creds = cls.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"The credentials file {path} could not be read ({exc.__class__.__name__}). "
                    "Run `memgpt configure` to write it again."
                ) from None
        env = os.environ
        overrides = {
            "openai_key": env.get("OPENAI_API_KEY"),
            "azure_key": env.get("AZURE_OPENAI_KEY") or env.get("AZURE_OPENAI_API_KEY"),
            "azure_endpoint": env.get("AZURE_OPENAI_ENDPOINT"),
            "azure_version": env.get("AZURE_OPENAI_VERSION") or env.get("OPENAI_API_VERSION"),
            "azure_deployment": env.get("AZURE_OPENAI_DEPLOYMENT"),
            "azure_embedding_deployment": env.get("AZURE_OPENAI_EMBEDDING_DEPLOYMENT"),
        }
        return creds.model_copy(update={k: v for k, v in overrides.items() if v})

    def save(self) -> Path:
        path = paths.credentials_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, self.model_dump_json(indent=2, exclude_none=True) + "\n", mode=0o600)
        return path


def env_endpoint_override() -> str | None:
    """`OPENAI_BASE_URL` (or the older `OPENAI_API_BASE`) overrides the configured LLM endpoint."""
    return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
