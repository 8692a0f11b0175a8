"""The main context: what is sent for each call, what it costs in tokens, and eviction.

Layout, chosen so consecutive calls share the longest possible prefix (llama.cpp, vLLM and OpenAI
all reuse the longest unchanged prefix of a prompt and evaluate only the rest):

    system message   preset prompt + core memory + memory status   changes when memory changes
    the FIFO queue   [summary] + messages, oldest first            only appended to; eviction rewrites it

The memory status (recall/archival counts, last edit) is a snapshot taken when memory changes (a
core or archival edit, an eviction, a resume), not on every step: live counts at the top (the
original's layout) made the server evaluate the whole prompt again on every call, and a status
message after the queue, tried first, was parroted back by small models as their reply.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from memgpt import constants
from memgpt.agent import events
from memgpt.agent.summarizer import FALLBACK_SUMMARY, SUMMARIZER_PROMPT, choose_cutoff, summarise
from memgpt.errors import ContextWindowExceededError, LLMError, MemGPTError
from memgpt.schemas import Message
from memgpt.tokens import encoder_for

log = logging.getLogger("memgpt.agent")

SUMMARY_ALLOWANCE = constants.SUMMARY_WORD_LIMIT * 2 + 120  # tokens a summary alert may take
STATUS_ALLOWANCE = 16  # a count growing by a digit changes the system message's size a little


def message_tokens(encoder: Any, message: Message) -> int:
    return encoder.count(json.dumps(message.to_openai(), ensure_ascii=False)) + 3


def conversation_floor(window: int) -> int:
    """The least room the queue must have: a few normal turns, however small the window."""
    return max(constants.MIN_CONVERSATION_TOKENS, window // 8)


class ContextMixin:
    """Token accounting and eviction for `Agent` (which provides state, storage, client, interface)."""

    state: Any
    storage: Any
    core: Any
    llm_config: Any
    interface: Any
    schemas: list[dict[str, Any]]
    _context: list[Message]
    _recall_count: int
    _archival_count: int | None
    _encoder_cached: Any
    _function_tokens_cached: int | None
    _system_cache: tuple[str, int]
    _summary_calls: int
    _status: str | None

    # -- sizes --------------------------------------------------------------------------------
    @property
    def window(self) -> int:
        return self.llm_config.context_window

    @property
    def reserve(self) -> int:
        """Tokens kept free for the reply (and sent as its limit): a function call with a message fits
        easily in an eighth of a small window."""
        from memgpt.llm.policy import completion_reserve

        return completion_reserve(self.window)

    @property
    def _encoder(self) -> Any:
        """The tokenizer takes ~0.25 s to load; resuming with --first shows the prompt before that."""
        if self._encoder_cached is None:
            self._encoder_cached = encoder_for(self.llm_config.model)
        return self._encoder_cached

    @property
    def _function_tokens(self) -> int:
        if self._function_tokens_cached is None:
            self._function_tokens_cached = self._count(json.dumps(self.schemas))
        return self._function_tokens_cached

    def _count(self, text: str) -> int:
        return self._encoder.count(text)

    def _tokens(self, message: Message) -> int:
        if message.tokens is None:
            message.tokens = message_tokens(self._encoder, message)
        return message.tokens

    @property
    def archival_count(self) -> int:
        if self._archival_count is None:
            self._archival_count = self.storage.archival(self.name, None).count()  # type: ignore[attr-defined]
        return self._archival_count

    # -- what is sent -------------------------------------------------------------------------
    def _core_section(self) -> str:
        return (
            "### Core memory\n"
            "Always in view and limited in size (everything else is in recall and archival memory):\n"
            f"{self.core.render()}"
        )

    def _system_message(self) -> Message:
        return Message(
            role="system",
            content=f"{self.state.system_prompt}\n\n{self._core_section()}\n\n{self._memory_status()}",
        )

    def _memory_status(self) -> str:
        if self._status is None:
            self.refresh_status()
        assert self._status is not None
        return self._status

    def refresh_status(self) -> None:
        """Take a new snapshot of the counts the model is told (see the module docstring for when)."""
        self._status = (
            f"### Memory status [core memory last modified: {events.local_time(self.state.memory_edited_at)}]\n"
            f"{self._recall_count} earlier messages between you and the user are kept in recall memory; "
            f"{self.archival_count} passages are kept in archival memory (search both with your functions)."
        )

    def _system_tokens(self) -> int:
        """Tokens of the system message, counted again only when core memory changed."""
        text = self._system_message().content or ""
        if self._system_cache[0] != text:
            self._system_cache = (text, self._count(text))
        return self._system_cache[1] + 4

    def _fixed_tokens(self) -> int:
        """Everything but the queue: the system message (with the status), functions."""
        return self._system_tokens() + self._function_tokens + STATUS_ALLOWANCE

    def _prompt_tokens(self) -> int:
        return self._fixed_tokens() + sum(self._tokens(m) for m in self._context)

    def _queue_room(self) -> int:
        """Tokens the queue may use before the window (less the reply's reserve) is full."""
        return self.window - self.reserve - self._fixed_tokens()

    # -- keeping it within the window ---------------------------------------------------------
    def _fit(self) -> None:
        guard = 0
        while self._prompt_tokens() > self.window - self.reserve and guard < 3:
            guard += 1
            if not self._evict():
                raise ContextWindowExceededError(
                    f"The context ({self._prompt_tokens()} tokens) does not fit the window of {self.window} and "
                    "nothing more can be summarised. Use /wipe, or a model with a larger context window."
                )

    def _check_fits(self, message: Message) -> None:
        room = self._queue_room() - SUMMARY_ALLOWANCE
        if self._tokens(message) > room // 2:
            raise MemGPTError(
                f"That message is {self._tokens(message)} tokens; with {self._fixed_tokens()} tokens of prompt, "
                f"functions and core memory, this model's window of {self.window} leaves room for about "
                f"{max(0, room // 2)}. Send it in parts, or load long texts with `memgpt load` and attach them."
                + (
                    ""
                    if room // 2 >= 64
                    else " Core memory is too large for this window: shorten it with /memory "
                    "edits, or use a model (or --context-window) with a larger window."
                )
            )

    def _evict(self) -> int:
        """Summarise the oldest part of the queue into a note at its head; returns messages evicted.

        The queue is cut to EVICTION_KEEP_FRAC of the room below the warning line, so one summary
        buys many turns before the next alert (each approach to the limit costs an alert round and
        a summary call; keeping 75% as before meant one every few turns).
        """
        tokens = [self._tokens(m) for m in self._context]
        roles = [m.role for m in self._context]
        fixed = self._fixed_tokens()
        warn_room = int(constants.MESSAGE_SUMMARY_WARNING_FRAC * self.window) - fixed - SUMMARY_ALLOWANCE
        keep = max(0, int(constants.EVICTION_KEEP_FRAC * warn_room))
        cutoff = choose_cutoff(tokens, keep, constants.MESSAGE_SUMMARY_TRUNC_KEEP_N_LAST, roles)
        fit_room = self.window - self.reserve - fixed - SUMMARY_ALLOWANCE
        if sum(tokens[cutoff:]) > fit_room:
            # The newest messages alone do not fit (a huge reply, say): keeping the last three would
            # leave the agent stuck on every call, so keep only what fits — but never the results
            # of the last call before the model has read them (they were capped to fit).
            forced = choose_cutoff(tokens, min(keep, max(fit_room, 0)), 1, roles, forward=True)
            last_call = max((i for i, r in enumerate(roles) if r == "assistant"), default=-1)
            if 0 <= last_call < forced and "tool" in roles[last_call + 1 :] and sum(tokens[last_call:]) <= fit_room:
                forced = last_call
            cutoff = max(cutoff, forced)
        if cutoff == 0 or (cutoff == 1 and self._context[0].id == self.state.summary_id):
            return 0
        span = self._context[:cutoff]
        summary = self._summarize_span(span)
        kept = self._context[cutoff:]
        total = self._recall_count + 1
        alert = events.summary_alert(summary, hidden=total - len(kept) - 1, total=total, summarised=len(span))
        with self.storage.transaction():
            self._context = kept
            self.state.in_context_ids = [m.id for m in kept if m.id is not None]
            self.state.memory_pressure_alerted = False
            self.state.memory_pressure_owed = False
            stored = self._store([alert])  # type: ignore[attr-defined]
            self._context = stored + kept
            self.state.in_context_ids = [m.id for m in self._context if m.id is not None]
            self.state.summary_id = stored[0].id
            self.storage.agents.save(self.state)
        self.refresh_status()  # the middle of the prompt changed anyway
        from memgpt.interface import AgentEvent

        self.interface.emit(AgentEvent(kind="summary", text=summary, data={"evicted": len(span)}))
        return len(span)

    def _summarize_span(self, span: list[Message]) -> str:
        """One bounded summary of the span: at most MAX_SUMMARY_CALLS calls, and never a wedge — a part
        the server still refuses is halved once, then replaced by a note."""
        budget = self.window - self._count(SUMMARIZER_PROMPT) - self.reserve - 64

        def ask(text: str) -> str:
            for attempt in range(2):
                if self._summary_calls >= constants.MAX_SUMMARY_CALLS_PER_STEP:
                    return ""
                self._summary_calls += 1
                try:
                    result = self.client.chat(  # type: ignore[attr-defined]
                        [Message(role="system", content=SUMMARIZER_PROMPT), Message(role="user", content=text)], None
                    )
                except ContextWindowExceededError:
                    if attempt:
                        return ""
                    text = text[: len(text) // 2]
                    continue
                return result.message.content or ""
            return ""

        try:
            summary, _ = summarise(span, ask, self._count, budget)
        except LLMError as exc:
            log.warning("summary failed: %s", exc)
            raise
        return summary or FALLBACK_SUMMARY

    def token_budget(self) -> dict[str, int]:
        system = self._count(self.state.system_prompt)
        memory = self._count(self._core_section()) + self._count(self._memory_status())
        summary = sum(self._tokens(m) for m in self._context if m.id is not None and m.id == self.state.summary_id)
        messages = sum(self._tokens(m) for m in self._context) - summary
        used = self._prompt_tokens()
        return {
            "window": self.window,
            "system": system,
            "core_memory": memory,
            "summary": summary,
            "messages": messages,
            "functions": self._function_tokens,
            "reserved": self.reserve,
            "used": used,
            "free": max(0, self.window - self.reserve - used),
        }
