"""The LLM the examples use, from the environment (defaults: gpt-4o-mini on OpenAI)."""

import os


def llm_config() -> dict:
    entry = {"model": os.environ.get("MEMGPT_MODEL", "gpt-4o-mini")}
    if os.environ.get("MEMGPT_BASE_URL"):
        entry["base_url"] = os.environ["MEMGPT_BASE_URL"]
    if os.environ.get("OPENAI_API_KEY"):
        entry["api_key"] = os.environ["OPENAI_API_KEY"]
    return {"config_list": [entry]}
