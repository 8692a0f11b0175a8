"""How long to wait, how often to retry, how much to let the model write: per endpoint.

A hosted API answers in seconds or is having trouble, so timeouts are short and retries back off.
A local server on a CPU may need minutes before its first byte (a fresh 2.5k-token prompt took
131 s on one thread) and does not cancel an abandoned request: re-sending queues the copy behind
the original, so local endpoints wait longer and re-send at most once. A refused connection is
neither: nothing is listening, and waiting a minute of backoff for it only hides the problem.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from memgpt import constants

LOCAL_ENDPOINT_TYPES = frozenset({"llamacpp", "ollama", "lmstudio", "vllm", "localai", "koboldcpp"})

# Local servers get this many times the configured request timeout before their first byte
# (120 s configured: 10 minutes).
LOCAL_FIRST_BYTE_FACTOR = 5.0
# A whole attempt (first byte and the streamed rest) may take this many first-byte timeouts.
DEADLINE_FACTOR = 2.0
# A whole chat() call, retries and fallbacks included, may take this many attempt deadlines.
TOTAL_FACTOR = 2.0
CONNECT_TIMEOUT = 5.0
CONNECT_RETRY_DELAY = 0.25
# No reply we ask for is near this big; a server sending more is broken.
MAX_REPLY_BYTES = 8 * 1024 * 1024
MAX_EVENT_BYTES = 1024 * 1024

# Called before each retry: (attempt about to be made, attempts at most, seconds to wait, why).
RetryCallback = Callable[[int, int, float, str], None]


def completion_reserve(context_window: int) -> int:
    """The tokens the agent keeps free for the reply (agent.reserve); also the most we let it write.

    One formula for both, or a request could ask for more than the window leaves. An eighth of a small
    window fits a function call with a message; 1024 at 8k and above."""
    return min(constants.RESERVED_COMPLETION_TOKENS, max(256, context_window // 8), max(16, context_window // 2))


def is_loopback(endpoint: str) -> bool:
    host = (urlparse(endpoint).hostname or "").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_endpoint(endpoint_type: str, endpoint: str) -> bool:
    if endpoint_type in LOCAL_ENDPOINT_TYPES:
        return True
    return endpoint_type == "openai-compatible" and is_loopback(endpoint)


@dataclass(frozen=True)
class CallPolicy:
    local: bool
    first_byte_timeout: float  # seconds without a byte before we give up on an attempt
    deadline: float  # seconds one attempt may take in all, streaming included
    max_retries: int  # re-sends after 429/5xx (backoff)
    timeout_retries: int  # re-sends after a timeout or a dropped connection
    connect_retries: int = 1  # re-sends after a refused connection or unknown host (quick)
    connect_timeout: float = CONNECT_TIMEOUT
    total: float = 0.0  # seconds one chat() may take with all its retries and fallbacks (0: 2 deadlines)

    @property
    def budget(self) -> float:
        return self.total or self.deadline * TOTAL_FACTOR

    @classmethod
    def for_config(cls, llm: Any) -> CallPolicy:
        local = is_local_endpoint(str(llm.model_endpoint_type), str(llm.model_endpoint or ""))
        timeout = float(llm.request_timeout)
        first_byte = getattr(llm, "first_byte_timeout", None) or (
            timeout * LOCAL_FIRST_BYTE_FACTOR if local else timeout
        )
        retries = max(0, int(llm.max_retries))
        return cls(
            local=local,
            first_byte_timeout=float(first_byte),
            deadline=float(getattr(llm, "call_deadline", None) or first_byte * DEADLINE_FACTOR),
            max_retries=retries,
            timeout_retries=min(1, retries) if local else retries,
            connect_timeout=min(CONNECT_TIMEOUT, float(first_byte)),
        )


@dataclass
class EndpointQuirks:
    """What one server (endpoint + model) turned out to refuse, learnt from its 400s.

    Kept in memory for the life of the process, not in a file: each lesson costs one immediate 400
    (no generation), and a file would go stale when the user upgrades the server or restarts it
    with other flags (`llama-server --jinja`, vLLM `--enable-auto-tool-choice`).
    """

    tool_choice_required: bool = True  # False: "required" was refused, send "auto"
    limit_param: str | None = None  # "max_tokens" | "max_completion_tokens" | "" (refused both)
    constraint_step: int = 0  # index into the server's list of constraint forms (llm/constraints.py)
    chat_grammar: bool = True  # False: a grammar beside tools on /chat/completions was refused


_QUIRKS: dict[tuple[str, str], EndpointQuirks] = {}
_QUIRKS_LOCK = threading.Lock()


def quirks_for(endpoint: str, model: str) -> EndpointQuirks:
    with _QUIRKS_LOCK:
        return _QUIRKS.setdefault((endpoint.rstrip("/"), model), EndpointQuirks())


def forget_quirks() -> None:
    """Tests start from a clean slate."""
    with _QUIRKS_LOCK:
        _QUIRKS.clear()


# OpenAI's reasoning models refuse `max_tokens` and want `max_completion_tokens`.
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def default_limit_param(endpoint_type: str, model: str) -> str:
    name = model.lower().rsplit("/", 1)[-1]
    if endpoint_type in ("openai", "azure") and name.startswith(_REASONING_PREFIXES):
        return "max_completion_tokens"
    return "max_tokens"
