"""The one interface the agent calls an LLM through.

Every backend (OpenAI tools, legacy functions, Azure, OpenAI-compatible local servers, JSON-in-text
wrappers for models without native function calling) returns the same `ChatResult`: an assistant
`Message` whose `content` is inner monologue and whose `tool_calls` are the function calls.
Backends raise the typed errors of `memgpt.errors`: `ContextWindowExceededError` (the agent
summarises and retries), `LLMOutputParseError` (a Failed function result and a heartbeat),
`LLMAuthError`, `LLMModelNotFoundError`, `LLMConnectionError`, `LLMError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from memgpt.schemas import ChatResult, Message

# Called with ("thought" | "message", text_delta) while a streamed reply arrives.
DeltaCallback = Callable[[Literal["thought", "message"], str], None]

# A function schema as OpenAI describes it: {"name", "description", "parameters": JSON schema}.
FunctionSchema = dict[str, Any]


class LLMClient(Protocol):
    model: str
    context_window: int

    def chat(
        self,
        messages: list[Message],
        functions: list[FunctionSchema] | None = None,
        *,
        force_function: str | None = None,
        on_delta: DeltaCallback | None = None,
    ) -> ChatResult:
        """One chat call. `functions=None` asks for plain text (the summariser uses that).

        `force_function` asks the model to call that function (where the backend can force it).
        """
        ...
