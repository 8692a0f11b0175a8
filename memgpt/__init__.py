"""memgpt: an LLM agent that manages its own memory like an operating system manages RAM and disk."""

__version__ = "0.4.0"
