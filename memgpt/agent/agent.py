"""The agent: an LLM that manages its own memory, one event at a time.

For each event (a user message, a heartbeat, an alert) the agent assembles its main context
(system prompt + memory section + the queue), calls the LLM, dispatches the functions it asked
for, commits everything in one storage transaction, and only then tells the interface — so no
message the user saw can be lost. Heartbeats chain further steps up to a cap. The context window
is checked before every call; at the limit the oldest part of the queue is summarised away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memgpt import constants
from memgpt.agent import events
from memgpt.agent.summarizer import SUMMARIZER_PROMPT, choose_cutoff, transcript
from memgpt.config import Credentials, EmbeddingConfig, LLMConfig, MemGPTConfig
from memgpt.errors import ContextWindowExceededError, LLMError, LLMOutputParseError, MemGPTError
from memgpt.functions.context import FunctionContext, FunctionError
from memgpt.functions.registry import LOAD_WARNINGS, load_functions
from memgpt.interface import AgentEvent, AgentInterface
from memgpt.llm.base import LLMClient
from memgpt.llm.json_repair import parse_json_object
from memgpt.memory.core import CoreMemory
from memgpt.schemas import AgentState, ChatResult, CoreMemoryBlock, Message, ToolCall, now
from memgpt.storage.base import Storage
from memgpt.tokens import encoder_for

log = logging.getLogger(__name__)

SEARCH_FUNCTIONS = {"conversation_search", "conversation_search_date", "archival_memory_search"}
FIRST_MESSAGE_FUNCTIONS = {"send_message", "archival_memory_search"}
SUMMARY_ALLOWANCE = constants.SUMMARY_WORD_LIMIT * 2 + 120  # tokens a summary alert may take


@dataclass
class TurnResult:
    messages: list[str] = field(default_factory=list)  # what the agent sent to the user
    steps: int = 0
    capped: bool = False  # the heartbeat cap stopped the chain


@dataclass
class _StepOutcome:
    sent: list[str]
    next_event: Message | None
    stopped: bool = False  # wanted another step, but the chained-step cap said no


class Agent:
    def __init__(
        self,
        state: AgentState,
        *,
        config: MemGPTConfig,
        storage: Storage,
        interface: AgentInterface,
        llm_client: LLMClient | None = None,
        release_lock: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.name = state.name
        self.config = config
        self.storage = storage
        self.interface = interface
        self.core = CoreMemory(state.core_memory)
        self.functions = load_functions(state.functions, strict=False)
        for warning in LOAD_WARNINGS:
            self.interface.emit(AgentEvent(kind="error", text=warning))
        self.schemas = [spec.schema for spec in self.functions.values()]
        self.llm_config = LLMConfig.model_validate(state.llm)
        self.embedding_config = EmbeddingConfig.model_validate(state.embedding)
        self._client = llm_client
        self._embedder: Any = None
        self._release_lock = release_lock
        self._encoder_cached: Any = None  # loaded at the first count: the prompt can show before it
        self._context: list[Message] = storage.recall.get(self.name, state.in_context_ids)
        self._recall_count = storage.recall.count(self.name)
        self._archival_count: int | None = None
        self._search_cache: dict[str, list[Any]] = {}
        self._function_tokens_cached: int | None = None
        self._system_cache: tuple[str, int] = ("", 0)
        self._prompt_cache: tuple[str, int] = ("", 0)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        *,
        name: str,
        config: MemGPTConfig,
        storage: Storage,
        interface: AgentInterface,
        preset: str | None = None,
        persona: str | None = None,
        human: str | None = None,
        model: str | None = None,
        persona_text: str | None = None,
        human_text: str | None = None,
        llm_client: LLMClient | None = None,
    ) -> Agent:
        """A new agent, stored atomically: either it exists completely or not at all."""
        from memgpt.llm import context_window_for
        from memgpt.texts import load_preset, load_system_prompt, load_text, validate_name

        validate_name(name, "agent name")
        if storage.agents.exists(name):
            raise MemGPTError(f"An agent named {name!r} already exists; use `memgpt run --agent {name}` to resume it.")
        preset_obj = load_preset(preset or config.defaults.preset)
        system_prompt = load_system_prompt(preset_obj.system_prompt)
        load_functions(preset_obj.functions)  # fail now, not at the first call
        persona_name = persona or config.defaults.persona
        human_name = human or config.defaults.human
        persona_value = persona_text if persona_text is not None else load_text("personas", persona_name)
        human_value = human_text if human_text is not None else load_text("humans", human_name)
        limits = config.limits
        blocks = {
            "persona": CoreMemoryBlock(label="persona", value=persona_value, limit=limits.core_memory_persona_limit),
            "human": CoreMemoryBlock(label="human", value=human_value, limit=limits.core_memory_human_limit),
        }
        for block in blocks.values():
            if len(block.value) > block.limit:
                raise MemGPTError(
                    f"The {block.label} text is {len(block.value)} characters; core memory blocks hold at most "
                    f"{block.limit}. Shorten it, or raise the limit in the config."
                )
        llm = config.llm
        if model and model != llm.model:
            llm = llm.model_copy(
                update={"model": model, "context_window": context_window_for(model) or llm.context_window}
            )
        state = AgentState(
            name=name,
            preset=preset_obj.name,
            persona_name=persona_name if persona_text is None else "custom",
            human_name=human_name if human_text is None else "custom",
            system_prompt=system_prompt,
            functions=preset_obj.functions,
            core_memory=blocks,
            llm=llm.model_dump(),
            embedding=config.embedding.model_dump(),
        )
        boot_thought, boot_message = events.boot_texts(llm.model)
        boot_call = ToolCall(name="send_message", arguments=json.dumps({"message": boot_message}))
        initial = [
            Message(role="assistant", content=boot_thought, tool_calls=[boot_call]),
            events.function_result(boot_call.id, "send_message", True, None),
            events.login(None),
        ]
        encoder = encoder_for(llm.model)
        for msg in initial:
            msg.tokens = _message_tokens(encoder, msg)

        def build(release: Callable[[], None]) -> Agent:
            stored = storage.agents.create(state.model_copy(update={"last_login": now()}), initial)
            return cls(
                stored, config=config, storage=storage, interface=interface, llm_client=llm_client, release_lock=release
            )

        return _under_lock(storage, name, build)

    @classmethod
    def load(
        cls,
        name: str,
        *,
        config: MemGPTConfig,
        storage: Storage,
        interface: AgentInterface,
        llm_client: LLMClient | None = None,
    ) -> Agent:
        """Resume an agent: only the in-context messages are read; it gets a login event."""

        def build(release: Callable[[], None]) -> Agent:
            state = storage.agents.load(name)
            agent = cls(
                state, config=config, storage=storage, interface=interface, llm_client=llm_client, release_lock=release
            )
            last = state.last_login
            state.last_login = now()
            agent._commit([events.login(last)])
            return agent

        return _under_lock(storage, name, build)

    # -- conversation ----------------------------------------------------------------------
    def greet(self, verify: bool = True) -> TurnResult:
        """The agent speaks first, answering the login event at the end of its queue."""
        return self._run(None, verify)

    def user_message(self, text: str, name: str | None = None, verify: bool = True) -> TurnResult:
        message = events.user_message(text, name=name)
        self._check_fits(message)
        self.interface.emit(AgentEvent(kind="user_message", text=text, data={"name": name} if name else {}))
        return self._run(message, verify)

    def heartbeat(self) -> TurnResult:
        self.interface.emit(AgentEvent(kind="heartbeat", text=events.HEARTBEAT_TIMER))
        return self._run(events.heartbeat(events.HEARTBEAT_TIMER), False)

    def memory_warning(self) -> TurnResult:
        self.interface.emit(AgentEvent(kind="memory_warning", text=events.MEMORY_PRESSURE_ALERT))
        self.state.memory_pressure_alerted = True
        return self._run(events.system_alert(events.MEMORY_PRESSURE_ALERT), False)

    def retry(self) -> TurnResult:
        """Drop everything after the last user-role message and let the model answer it again."""
        index = _last_index(self._context, lambda m: m.role == "user")
        if index is None:
            raise MemGPTError("There is nothing to retry yet.")
        self._drop_from(index + 1)
        return self._run(None, False)

    def _run(self, event: Message | None, verify: bool) -> TurnResult:
        if event is not None:
            self._commit([event])
        result = TurnResult()
        nudged = False
        cap = max(1, self.config.limits.max_chained_steps)
        while True:
            result.steps += 1
            outcome = self._step(
                verify and not self.state.first_reply_done, allow_nudge=not nudged, may_continue=result.steps < cap
            )
            result.messages.extend(outcome.sent)
            if outcome.stopped:
                # The heartbeat is not committed: the context ends with the last result, and the
                # next user message follows it naturally.
                result.capped = True
                self.interface.emit(
                    AgentEvent(
                        kind="system",
                        text=f"Stopped the agent after {result.steps} chained steps without a reply to you "
                        "(heartbeat cap; raise limits.max_chained_steps in the config to allow more).",
                    )
                )
                break
            if outcome.next_event is None:
                break
            nudged = nudged or _heartbeat_reason(outcome.next_event) == events.HEARTBEAT_NO_FUNCTION
        return result

    def _step(self, verify: bool, allow_nudge: bool, may_continue: bool = True) -> _StepOutcome:
        parse_error: LLMOutputParseError | None = None
        try:
            result = self._call_verified() if verify else self._call_llm()
            reply = result.message
        except LLMOutputParseError as exc:
            parse_error = exc
            reply = Message(role="assistant", content=(exc.raw or "")[:1000] or None)
            result = None
        self.state.first_reply_done = True
        reply.id = None
        to_store: list[Message] = [reply]
        shown: list[AgentEvent] = []
        if reply.content:
            shown.append(AgentEvent(kind="inner_thought", text=reply.content, data={"streamed": self._streamed}))
        sent: list[str] = []
        failed = parse_error is not None
        wants_heartbeat = False
        ctx = FunctionContext(
            agent_name=self.name,
            state=self.state,
            core=self.core,
            recall=self.storage.recall,
            archival=self._archival,
            chunk_size=self.embedding_config.embedding_chunk_size,
            search_cache=self._search_cache,
            ask_llm=self._ask_plain,
        )
        try:
            with self.storage.transaction():
                for call in reply.tool_calls or []:
                    ok, text, heartbeat = self._dispatch(call, ctx)
                    failed = failed or not ok
                    wants_heartbeat = wants_heartbeat or heartbeat
                    to_store.append(events.function_result(call.id, call.name, ok, text))
                    if call.name == "send_message" and ok:
                        message = _send_message_text(call)
                        sent.append(message)
                        shown.append(
                            AgentEvent(kind="assistant_message", text=message, data={"streamed": self._streamed})
                        )
                    else:
                        shown.append(
                            AgentEvent(
                                kind="function_call",
                                text=call.name,
                                data={"name": call.name, "arguments": call.arguments},
                            )
                        )
                        shown.append(
                            AgentEvent(
                                kind="function_result",
                                text=text or "",
                                data={"name": call.name, "status": "OK" if ok else "Failed"},
                            )
                        )
                if ctx.memory_edited:
                    self.state.memory_edited_at = now()
                if ctx.archival_changed and self._archival_count is not None:
                    self._archival_count += ctx.archival_changed
                alerted = self.state.memory_pressure_alerted
                next_event = self._next_event(
                    to_store, failed, wants_heartbeat, parse_error, allow_nudge and not reply.tool_calls
                )
                stopped = next_event is not None and not may_continue
                if stopped:
                    next_event = None
                    self.state.memory_pressure_alerted = alerted  # an alert not sent is still owed
                if next_event is not None:
                    to_store.append(next_event)
                self._commit(to_store)
        except BaseException:
            self._reload()  # an interrupted step leaves no half-applied edits behind
            raise
        if next_event is not None:
            kind = "memory_warning" if events.envelope_type(next_event) == "system_alert" else "heartbeat"
            reason = json.loads(next_event.content or "{}")
            shown.append(AgentEvent(kind=kind, text=str(reason.get("reason") or reason.get("message") or "")))
        for event in shown:
            self.interface.emit(event)
        if result is not None:
            log.debug("usage: %s", result.usage)
        return _StepOutcome(sent=sent, next_event=next_event, stopped=stopped)

    def _next_event(
        self,
        new: list[Message],
        failed: bool,
        wants_heartbeat: bool,
        parse_error: LLMOutputParseError | None,
        nudge: bool,
    ) -> Message | None:
        """Warning before failure before requested heartbeat, as in the original."""
        projected = self._prompt_tokens() + sum(self._tokens(m) for m in new)
        if not self.state.memory_pressure_alerted and projected > constants.MESSAGE_SUMMARY_WARNING_FRAC * self.window:
            self.state.memory_pressure_alerted = True
            return events.system_alert(events.MEMORY_PRESSURE_ALERT)
        if parse_error is not None:
            return events.heartbeat(
                f"{constants.NON_USER_MSG_PREFIX}Your last reply could not be read as a function call ({parse_error}). "
                "Reply with one valid function call."
            )
        if failed:
            return events.heartbeat(events.HEARTBEAT_FAILED)
        if wants_heartbeat:
            return events.heartbeat(events.HEARTBEAT_REQUESTED)
        if nudge:
            return events.heartbeat(events.HEARTBEAT_NO_FUNCTION)
        return None

    def _dispatch(self, call: ToolCall, ctx: FunctionContext) -> tuple[bool, str | None, bool]:
        """Run one function call: (ok, result text, heartbeat requested). Never raises for bad input."""
        spec = self.functions.get(call.name)
        if spec is None:
            return False, f"No function named {call.name!r}. Available: {', '.join(self.functions)}.", False
        try:
            args = parse_json_object(call.arguments) if call.arguments and call.arguments.strip() else {}
        except LLMOutputParseError:
            raw = call.arguments if len(call.arguments) < 400 else call.arguments[:400] + "..."
            return False, f"The arguments of {call.name} are not valid JSON: {raw}", False
        heartbeat = _truthy(args.pop("request_heartbeat", None))
        try:
            valid = spec.validate(args)
        except ValueError as exc:
            return False, f"Error calling {call.name}: {exc}.", heartbeat
        try:
            output = spec.call(ctx, valid)
        except FunctionError as exc:
            return False, str(exc), heartbeat
        except MemGPTError as exc:
            return False, f"Error calling {call.name}: {exc}", heartbeat
        except Exception as exc:  # a function bug must not crash the loop
            log.exception("function %s failed", call.name)
            return False, f"Error calling {call.name}: {type(exc).__name__}: {exc}", heartbeat
        return True, _cap(_normalise(output, call.name), self._result_char_cap()), heartbeat

    def _result_char_cap(self) -> int:
        """Characters a function result may take so it still fits next to the rest of the context.

        3000 characters (the original's cut) fit easily in normal windows; in a small one even that
        could overflow it, and an oversized result must never wedge the agent (original bug #1635).
        """
        room = self.window - self.reserve - self._system_tokens() - self._function_tokens - SUMMARY_ALLOWANCE
        return max(300, int(room * 0.4 * 2.5))  # ~2.5 characters per token, counted as escaped JSON

    # -- the LLM call ----------------------------------------------------------------------
    @property
    def window(self) -> int:
        return self.llm_config.context_window

    @property
    def reserve(self) -> int:
        return min(constants.RESERVED_COMPLETION_TOKENS, self.window // 4)

    @property
    def client(self) -> LLMClient:
        if self._client is None:
            from memgpt.llm import create_llm_client

            self._client = create_llm_client(self.llm_config, Credentials.load())
        return self._client

    _streamed = False

    def _on_delta(self, kind: str, text: str) -> None:
        self._streamed = True
        self.interface.emit(AgentEvent(kind="stream_thought" if kind == "thought" else "stream_message", text=text))

    def _call_llm(self) -> ChatResult:
        self._streamed = False
        for _ in range(4):
            self._fit()
            messages = [self._system_message(), *self._context]
            try:
                return self.client.chat(messages, self.schemas, on_delta=self._on_delta)
            except ContextWindowExceededError:
                if not self._evict():
                    raise
        raise ContextWindowExceededError("The context still does not fit after summarising; try /wipe.")

    def _call_verified(self) -> ChatResult:
        for attempt in range(constants.FIRST_MESSAGE_ATTEMPTS):
            result = self._call_llm()
            if _good_first_message(result.message, require_thought="gpt-4" in self.llm_config.model):
                return result
            log.info("first message attempt %d did not pass verification", attempt + 1)
        raise LLMError(
            f"The model did not open with a proper send_message call in {constants.FIRST_MESSAGE_ATTEMPTS} attempts. "
            "Run with --no-verify, or use a model that is better at function calling."
        )

    # -- context and tokens ------------------------------------------------------------------
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
            message.tokens = _message_tokens(self._encoder, message)
        return message.tokens

    @property
    def archival_count(self) -> int:
        if self._archival_count is None:
            self._archival_count = self.storage.archival(self.name, None).count()
        return self._archival_count

    def _memory_section(self) -> str:
        return (
            f"### Memory [last modified: {events.local_time(self.state.memory_edited_at)}]\n"
            f"{self._recall_count} earlier messages between you and the user are kept in recall memory "
            "(search them with your functions)\n"
            f"{self.archival_count} passages are kept in archival memory (search them with your functions)\n\n"
            "Core memory, always in view and limited in size (everything else is in recall and archival memory):\n"
            f"{self.core.render()}"
        )

    def _system_message(self) -> Message:
        return Message(role="system", content=f"{self.state.system_prompt}\n\n{self._memory_section()}")

    def _system_tokens(self) -> int:
        """Tokens of the system message. The long prompt is counted once; the memory section (counts,
        core memory) only when it changed. +2 covers a token merging across the seam."""
        if self._prompt_cache[0] != self.state.system_prompt:
            self._prompt_cache = (self.state.system_prompt, self._count(self.state.system_prompt))
        section = self._memory_section()
        if self._system_cache[0] != section:
            self._system_cache = (section, self._count(section))
        return self._prompt_cache[1] + self._system_cache[1] + 2

    def _prompt_tokens(self) -> int:
        return self._system_tokens() + 4 + self._function_tokens + sum(self._tokens(m) for m in self._context)

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
        fixed = self._system_tokens() + self._function_tokens + SUMMARY_ALLOWANCE
        room = self.window - self.reserve - fixed
        if self._tokens(message) > room // 2:
            raise MemGPTError(
                f"That message is {self._tokens(message)} tokens; this model's window leaves room for about "
                f"{room // 2}. Send it in parts, or load long texts with `memgpt load` and attach them."
            )

    def _evict(self) -> int:
        """Summarise the oldest part of the queue into a note at its head; returns messages evicted."""
        tokens = [self._tokens(m) for m in self._context]
        roles = [m.role for m in self._context]
        fixed = self._system_tokens() + self._function_tokens + 4
        warn_room = int(constants.MESSAGE_SUMMARY_WARNING_FRAC * self.window) - fixed - SUMMARY_ALLOWANCE
        keep = max(0, min(int(constants.MESSAGE_SUMMARY_TRUNC_TOKEN_FRAC * sum(tokens)), warn_room))
        cutoff = choose_cutoff(tokens, keep, constants.MESSAGE_SUMMARY_TRUNC_KEEP_N_LAST, roles)
        fit_room = self.window - self.reserve - fixed - SUMMARY_ALLOWANCE
        if sum(tokens[cutoff:]) > fit_room:
            # The newest messages alone do not fit (a huge function result, say): keeping the last
            # three would leave the agent stuck on every call, so keep only what fits.
            cutoff = max(cutoff, choose_cutoff(tokens, min(keep, max(fit_room, 0)), 1, roles, forward=True))
        if cutoff == 0 or (cutoff == 1 and self._context[0].id == self.state.summary_id):
            return 0
        span = self._context[:cutoff]
        summary = self._summarize(transcript(span))
        kept = self._context[cutoff:]
        total = self._recall_count + 1
        alert = events.summary_alert(summary, hidden=total - len(kept) - 1, total=total, summarised=len(span))
        with self.storage.transaction():
            self._context = kept
            self.state.in_context_ids = [m.id for m in kept if m.id is not None]
            self.state.memory_pressure_alerted = False
            stored = self._store([alert])
            self._context = stored + kept
            self.state.in_context_ids = [m.id for m in self._context if m.id is not None]
            self.state.summary_id = stored[0].id
            self.storage.agents.save(self.state)
        self.interface.emit(AgentEvent(kind="summary", text=summary, data={"evicted": len(span)}))
        return len(span)

    def _ask_plain(self, system: str, question: str) -> str:
        """One call to the agent's model without memory or functions (message_chatgpt)."""
        result = self.client.chat([Message(role="system", content=system), Message(role="user", content=question)])
        return (result.message.content or "").strip() or "(no answer)"

    def _summarize(self, text: str) -> str:
        budget = self.window - self._count(SUMMARIZER_PROMPT) - self.reserve - 64
        if self._count(text) > budget:
            lines = text.splitlines()
            if len(lines) > 1:
                half = len(lines) // 2
                first = self._summarize("\n".join(lines[:half]))
                return self._summarize(f"Summary of the earlier part: {first}\n" + "\n".join(lines[half:]))
            text = text[: max(200, budget * 2)]  # one giant line: keep its start (chars < tokens*3)
        result = self.client.chat(
            [Message(role="system", content=SUMMARIZER_PROMPT), Message(role="user", content=text)], None
        )
        return (result.message.content or "").strip() or "(no summary)"

    # -- persistence -------------------------------------------------------------------------
    def _store(self, messages: list[Message]) -> list[Message]:
        if self._encoder_cached is not None:  # counted later, on demand, if the tokenizer is not loaded yet
            for message in messages:
                self._tokens(message)
        stored = self.storage.recall.append(self.name, messages)
        self._recall_count += len(stored)
        return stored

    def _commit(self, messages: list[Message]) -> None:
        """Append to recall and to the queue and save the state, in one transaction."""
        with self.storage.transaction():
            stored = self._store(messages)
            self.state.in_context_ids = [*self.state.in_context_ids, *(m.id for m in stored)]
            self.storage.agents.save(self.state)
        self._context.extend(stored)

    def _reload(self) -> None:
        self.state = self.storage.agents.load(self.name)
        self.core = CoreMemory(self.state.core_memory)
        self._context = self.storage.recall.get(self.name, self.state.in_context_ids)
        self._recall_count = self.storage.recall.count(self.name)
        self._archival_count = None
        self._search_cache.clear()

    def _drop_from(self, index: int) -> int:
        removed = self._context[index:]
        if not removed:
            return 0
        with self.storage.transaction():
            self.storage.recall.delete(self.name, [m.id for m in removed if m.id is not None])
            self.state.in_context_ids = [m.id for m in self._context[:index] if m.id is not None]
            self.storage.agents.save(self.state)
        self._context = self._context[:index]
        self._recall_count -= len(removed)
        return len(removed)

    def _archival(self) -> Any:
        if self._embedder is None:
            from memgpt.embeddings import create_embedder

            self._embedder = create_embedder(self.embedding_config, Credentials.load())
        return self.storage.archival(self.name, self._embedder)

    # -- commands ---------------------------------------------------------------------------
    def in_context_messages(self) -> list[Message]:
        return [self._system_message(), *self._context]

    def summarize(self) -> int:
        return self._evict()

    def pop(self, n: int = 1) -> int:
        """Undo the last `n` user turns and everything they caused, in context and recall."""
        starts = [i for i, m in enumerate(self._context) if events.envelope_type(m) == "user_message"]
        if not starts:
            raise MemGPTError("There are no user messages in context to undo.")
        return self._drop_from(starts[-min(n, len(starts))])

    def rethink(self, text: str) -> None:
        index = _last_index(self._context, lambda m: m.role == "assistant")
        if index is None:
            raise MemGPTError("There is no inner thought to replace yet.")
        self._update(index, self._context[index].model_copy(update={"content": text, "tokens": None}))

    def rewrite(self, text: str) -> None:
        index = _last_index(
            self._context, lambda m: m.role == "assistant" and any(c.name == "send_message" for c in m.tool_calls or [])
        )
        if index is None:
            raise MemGPTError("The agent has not sent a message to rewrite yet.")
        old = self._context[index]
        calls = [
            c.model_copy(update={"arguments": json.dumps({"message": text})}) if c.name == "send_message" else c
            for c in old.tool_calls or []
        ]
        self._update(index, old.model_copy(update={"tool_calls": calls, "tokens": None}))

    def _update(self, index: int, message: Message) -> None:
        self._tokens(message)
        self.storage.recall.update(self.name, message)
        self._context[index] = message

    def wipe(self) -> int:
        """Start the in-context history afresh; memory and recall storage are kept."""
        removed = len(self._context)
        with self.storage.transaction():
            self._context = []
            self.state.in_context_ids = []
            self.state.summary_id = None
            self.state.memory_pressure_alerted = False
            self._commit([events.login(self.state.last_login)])
        return removed

    def set_model(self, model: str) -> None:
        from memgpt.llm import context_window_for

        update: dict[str, Any] = {"model": model}
        if context_window_for(model):
            update["context_window"] = context_window_for(model)
        self.llm_config = self.llm_config.model_copy(update=update)
        self.state.llm = self.llm_config.model_dump()
        self.storage.agents.save(self.state)
        self._client = None
        self._encoder_cached = None
        self._function_tokens_cached = None
        for message in self._context:
            message.tokens = None

    def token_budget(self) -> dict[str, int]:
        system = self._count(self.state.system_prompt)
        memory = self._count(self._memory_section())
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

    def memory_view(self) -> dict[str, Any]:
        return {
            "blocks": {label: {"value": b.value, "limit": b.limit} for label, b in self.core.blocks.items()},
            "recall_total": self._recall_count,
            "recall_by_role": self.storage.recall.count_by_role(self.name),
            "archival_total": self.archival_count,
            "archival_sample": [p.text for p in self.storage.archival(self.name, None).list(10)],
            "in_context": len(self._context),
        }

    def attach_source(self, source: str) -> int:
        added = self.storage.sources.attach(source, self._archival(), self.name)
        if source not in self.state.data_sources:
            self.state.data_sources.append(source)
        self.storage.agents.save(self.state)
        self._archival_count = None
        self._search_cache.clear()
        return added

    def save(self) -> None:
        self.storage.agents.save(self.state)
        flush = getattr(self.storage, "flush", None)
        if flush:
            flush()

    def close(self) -> None:
        try:
            self.save()
        finally:
            if self._release_lock is not None:
                self._release_lock()
                self._release_lock = None


def _under_lock(storage: Storage, name: str, build: Callable[[Callable[[], None]], Agent]) -> Agent:
    """Take the agent's lock for the life of the Agent; release it at once if building fails."""
    lock = storage.lock_agent(name)
    lock.__enter__()

    def release() -> None:
        lock.__exit__(None, None, None)

    try:
        return build(release)
    except BaseException:
        release()
        raise


def _message_tokens(encoder: Any, message: Message) -> int:
    return encoder.count(json.dumps(message.to_openai(), ensure_ascii=False)) + 3


def _heartbeat_reason(message: Message) -> str | None:
    """The reason of a heartbeat envelope (its time differs from any other heartbeat's)."""
    if events.envelope_type(message) != "heartbeat":
        return None
    return json.loads(message.content or "{}").get("reason")


def _last_index(messages: list[Message], pred: Callable[[Message], bool]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if pred(messages[i]):
            return i
    return None


def _truthy(value: Any) -> bool:
    """request_heartbeat as the model sent it: true, "true", "True", 1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value == 1


def _send_message_text(call: ToolCall) -> str:
    try:
        args = parse_json_object(call.arguments)
    except LLMOutputParseError:
        return ""
    return str(args.get("message", ""))


def _normalise(output: Any, name: str) -> str:
    if output is None:
        text = "None"
    elif isinstance(output, str):
        text = output
    else:
        try:
            text = json.dumps(output, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(output)
    limit = constants.FUNCTION_RETURN_CHAR_LIMIT
    if len(text) > limit and name not in SEARCH_FUNCTIONS:
        text = text[:limit] + f"... [NOTE: output cut to {limit} characters; it was {len(text)} characters long]"
    elif len(text) > 3 * limit:
        text = text[: 3 * limit] + "... [NOTE: results cut; ask for a smaller page]"
    return text


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [NOTE: cut to {limit} characters to fit the context window; it was {len(text)}]"


def _good_first_message(message: Message, require_thought: bool = False) -> bool:
    """A usable opening, as the original checked it: a send_message (or archival search) call whose
    arguments parse, with inner thoughts (required for gpt-4 models) free of function syntax."""
    calls = message.tool_calls or []
    if not calls or calls[0].name not in FIRST_MESSAGE_FUNCTIONS:
        return False
    try:
        args = parse_json_object(calls[0].arguments)
    except LLMOutputParseError:
        return False
    if calls[0].name == "send_message" and not isinstance(args.get("message"), str):
        return False
    thought = (message.content or "").strip()
    if require_thought and not thought:
        return False
    return not any(ch in thought for ch in '(){}[]"') and "send_message" not in thought and "functions" not in thought
