"""Typed errors. Every error a user can meet carries a message written for a person."""

from __future__ import annotations


class MemGPTError(Exception):
    """Base for errors we expect and explain; the CLI prints these without a traceback."""


class ConfigError(MemGPTError):
    pass


class InvalidNameError(MemGPTError):
    """A bad agent/persona/human/source name."""


class NotFoundError(MemGPTError):
    pass


class StorageError(MemGPTError):
    """A corrupt, truncated or unreadable file; the message names the file."""


class StorageWriteError(StorageError):
    """A write did not happen (disk full, read-only, locked): the data is intact, the step was not saved."""


class NewerDataError(StorageError):
    """Data written by a newer memgpt: refused rather than silently downgraded on the next save."""


class AgentLockedError(MemGPTError):
    """Another process is running this agent."""


class EmbeddingMismatchError(MemGPTError):
    """Stored vectors were made by another embedding model or dimension."""


class LLMError(MemGPTError):
    """The LLM backend failed after retries (network, server, bad response)."""

    def __init__(self, *args: object) -> None:
        # the message often quotes the server, whose text may carry lone surrogates
        super().__init__(*(_safe_text(a) if isinstance(a, str) else a for a in args))


class LLMAuthError(LLMError):
    pass


class LLMModelNotFoundError(LLMError):
    pass


class LLMConnectionError(LLMError):
    pass


class ContextWindowExceededError(LLMError):
    """The request did not fit the model's context window; the agent summarises and retries."""


class LLMOutputParseError(LLMError):
    """The model's text could not be read as a function call (JSON-in-text wrappers).

    The agent turns this into a Failed function result plus a heartbeat, so the model can retry.
    """

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = _safe_text(raw if isinstance(raw, str) else repr(raw))


def _safe_text(text: str) -> str:
    """Lone surrogates replaced by U+FFFD: the agent stores `raw` and shows the message."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
