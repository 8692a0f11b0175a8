"""LLM backends behind one interface (`llm/base.py`): `create_llm_client(llm_config, credentials)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memgpt.llm.context_windows import context_window_for
from memgpt.llm.probe import probe_context_window

if TYPE_CHECKING:
    from memgpt.config import Credentials, LLMConfig
    from memgpt.llm.base import LLMClient


def create_llm_client(llm: LLMConfig, credentials: Credentials | None = None) -> LLMClient:
    from memgpt.config import Credentials, env_endpoint_override
    from memgpt.errors import ConfigError

    credentials = credentials or Credentials()
    if llm.model_endpoint_type == "azure":
        from memgpt.llm.openai_client import OpenAIChatClient

        endpoint = credentials.azure_endpoint or llm.model_endpoint
        version = llm.azure_api_version or credentials.azure_version
        azure_key = credentials.key_for("azure", endpoint)
        if not (azure_key and endpoint and version):
            raise ConfigError(
                "Azure OpenAI needs a key, an endpoint and an API version: set AZURE_OPENAI_KEY, "
                "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_VERSION, or run `memgpt configure`."
            )
        deployment = llm.azure_deployment or credentials.azure_deployment or llm.model
        return OpenAIChatClient(
            llm,
            azure_key,
            azure={"endpoint": endpoint, "api_version": version, "deployment": deployment},
        )
    endpoint = env_endpoint_override() if llm.model_endpoint_type == "openai" else None
    if endpoint:
        llm = llm.model_copy(update={"model_endpoint": endpoint})
    key = credentials.key_for(llm.model_endpoint_type, llm.model_endpoint)  # never another host's key
    if llm.model_endpoint_type == "openai" and not key and "api.openai.com" in llm.model_endpoint:
        raise ConfigError("No OpenAI API key: set OPENAI_API_KEY or run `memgpt configure`.")
    if llm.model_wrapper:
        from memgpt.llm.wrappers import WrappedCompletionClient

        return WrappedCompletionClient(llm, key)
    from memgpt.llm.openai_client import OpenAIChatClient

    return OpenAIChatClient(llm, key)


__all__ = ["context_window_for", "create_llm_client", "probe_context_window"]
