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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memgpt import constants
from memgpt.agent import events
from memgpt.agent.commands import CommandsMixin, last_index
from memgpt.agent.context import STATUS_ALLOWANCE, SUMMARY_ALLOWANCE, ContextMixin, conversation_floor, message_tokens
from memgpt.agent.replies import (
    INNER_THOUGHTS,
    cap_text,
    good_first_message,
    is_empty,
    lift_inner_thoughts,
    normalise_result,
    send_message_text,
    thoughts_into_arguments,
    truthy,
    with_inner_thoughts,
)
from memgpt.config import Credentials, EmbeddingConfig, LLMConfig, MemGPTConfig
from memgpt.errors import ContextWindowExceededError, LLMError, LLMOutputParseError, MemGPTError
from memgpt.functions.context import FunctionContext, FunctionError
from memgpt.functions.registry import LOAD_WARNINGS, load_functions
from memgpt.interface import AgentEvent, AgentInterface
from memgpt.llm.base import LLMClient
from memgpt.llm.json_repair import parse_json_object
from memgpt.llm.policy import LOCAL_ENDPOINT_TYPES
from memgpt.memory.core import CoreMemory
from memgpt.schemas import AgentState, ChatResult, CoreMemoryBlock, Message, ToolCall, now
from memgpt.storage.base import Storage
from memgpt.tokens import encoder_for

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5  # a conservative average for English prose (tiktoken/BPE vocabularies)


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


class Agent(ContextMixin, CommandsMixin):
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
        self.core = core_memory_of(state, storage)
        self.functions = load_functions(state.functions, strict=False)
        for warning in LOAD_WARNINGS:
            self.interface.emit(AgentEvent(kind="error", text=warning))
        self.llm_config = LLMConfig.model_validate(state.llm)
        self.thoughts_in_arguments = thoughts_travel_as_argument(self.llm_config)
        self.schemas = agent_schemas(self.functions, self.thoughts_in_arguments, self.core.blocks)
        self.embedding_config = EmbeddingConfig.model_validate(state.embedding)
        self._client = llm_client
        self._embedder: Any = None
        self._release_lock = release_lock
        self._encoder_cached: Any = None  # loaded at the first count: the prompt can show before it
        self._context: list[Message] = storage.recall.get(self.name, state.in_context_ids)
        for message in self._context:
            if message.role == "assistant" and message.tool_calls and message.content:
                message.tokens = None  # counted again in the form it is sent (thoughts may move into arguments)
        self._recall_count = storage.recall.count(self.name)
        self._archival_count: int | None = None
        self._search_cache: dict[str, list[Any]] = {}
        self._function_tokens_cached: int | None = None
        self._system_cache: tuple[str, int] = ("", 0)
        self._summary_calls = 0  # summariser calls made in the current step (bounded)
        self._status: str | None = None  # the memory-status snapshot the model is shown

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
        blocks: list[Any] | None = None,
    ) -> Agent:
        """A new agent, stored atomically: either it exists completely or not at all.

        `blocks` are extra core memory blocks (`memgpt.texts.PresetBlock`s, from `memgpt run --block`),
        added after the preset's own; one with a preset block's label replaces it."""
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
        llm = config.llm
        if model and model != llm.model:
            llm = llm.model_copy(
                update={"model": model, "context_window": context_window_for(model) or llm.context_window}
            )
        limits = config.limits
        persona_limit = scaled_limit(
            limits.core_memory_persona_limit, constants.CORE_MEMORY_PERSONA_CHAR_LIMIT, llm, persona_value
        )
        human_limit = scaled_limit(
            limits.core_memory_human_limit, constants.CORE_MEMORY_HUMAN_CHAR_LIMIT, llm, human_value
        )
        extra = extra_blocks(preset_obj, blocks or [], llm, limits.core_memory_human_limit)
        blocks = {
            "persona": CoreMemoryBlock(label="persona", value=persona_value, limit=persona_limit),
            "human": CoreMemoryBlock(label="human", value=human_value, limit=human_limit),
            **{b.label: b for b in extra},
        }
        for block in blocks.values():
            if len(block.value) > block.limit:
                raise MemGPTError(
                    f"The {block.label} text is {len(block.value)} characters; core memory blocks hold at most "
                    f"{block.limit} at a context window of {llm.context_window}. Shorten it, or raise the limit "
                    f"in the config (limits.core_memory_{block.label}_limit)."
                )
        check_budget(llm, system_prompt, preset_obj.functions, blocks)
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

        def build(release: Callable[[], None]) -> Agent:
            with storage.transaction():
                link_shared_blocks(state, storage)
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
            agent._drop_unanswered_logins()
            agent._commit([events.login(last)])
            return agent

        return _under_lock(storage, name, build)

    def _drop_unanswered_logins(self) -> None:
        """Resumes without a word in between leave one login line, not one per resume (they stay in
        recall): 112 of them once filled a 4k window before the user could say hello."""
        keep = len(self._context)
        while keep and events.envelope_type(self._context[keep - 1]) == "login":
            keep -= 1
        if keep < len(self._context):
            self._context = self._context[:keep]
            self.state.in_context_ids = [m.id for m in self._context if m.id is not None]

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
        self.state.memory_pressure_owed = False
        return self._run(events.system_alert(events.MEMORY_PRESSURE_ALERT), False)

    def retry(self) -> TurnResult:
        """Drop everything after the last user-role message and let the model answer it again."""
        index = last_index(self._context, lambda m: m.role == "user")
        if index is None:
            raise MemGPTError("There is nothing to retry yet.")
        self._drop_from(index + 1)
        return self._run(None, False)

    def _run(self, event: Message | None, verify: bool) -> TurnResult:
        if event is not None:
            self._commit([*self._owed_alert(), event])
        result = TurnResult()
        nudged = False
        self._chain_calls: Counter[str] = Counter()  # each call made in this chain, to catch a loop
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
        self._summary_calls = 0
        parse_error: LLMOutputParseError | None = None
        try:
            result = self._call_verified() if verify else self._call_nonempty()
            reply = result.message
        except LLMOutputParseError as exc:
            parse_error = exc
            reply = Message(role="assistant", content=(exc.raw or "")[:1000] or None)
            result = None
        self.state.first_reply_done = True
        reply = bound_reply(reply)
        reply.id = None
        calls = reply.tool_calls or []
        to_store: list[Message] = [reply]
        shown: list[AgentEvent] = []
        if reply.content:
            shown.append(AgentEvent(kind="inner_thought", text=reply.content, data={"streamed": self._streamed}))
        sent: list[str] = []
        failed = parse_error is not None
        wants_heartbeat = False
        self.core.total_limit = self._core_char_budget()
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
                for index, call in enumerate(calls):
                    if index < constants.MAX_TOOL_CALLS_PER_REPLY:
                        ok, text, heartbeat = self._dispatch(call, ctx)
                    else:  # bounded work per reply: one note stands for the calls that were not run
                        ok, text, heartbeat = False, call.arguments, False
                    failed = failed or not ok
                    wants_heartbeat = wants_heartbeat or heartbeat
                    to_store.append(events.function_result(call.id, call.name, ok, text))
                    if call.name == "send_message" and ok:
                        message = send_message_text(call)
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
                if ctx.memory_edited or ctx.archival_changed:
                    self.refresh_status()  # the top of the prompt changes with the memory itself
                repeats = self._count_call(calls)
                next_event = self._next_event(
                    to_store, failed, wants_heartbeat, parse_error, allow_nudge and not calls, repeats
                )
                if repeats >= REPEATS_STOP and next_event is not None:
                    next_event = None  # the model is looping: end its turn (the cap would, 20 steps later)
                    shown.append(AgentEvent(kind="system", text=_stopped_repeating(calls)))
                stopped = next_event is not None and not may_continue
                if stopped:
                    next_event = None
                if next_event is not None:
                    to_store.extend([*self._owed_alert(shown), next_event])
                self._commit(to_store)
        except BaseException:
            self._reload()  # an interrupted step leaves no half-applied edits behind
            raise
        if next_event is not None:
            reason = json.loads(next_event.content or "{}")
            shown.append(AgentEvent(kind="heartbeat", text=str(reason.get("reason") or "")))
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
        repeats: int = 1,
    ) -> Message | None:
        """What runs the model next: a heartbeat it asked for, or a failure it must hear about.

        Crossing the warning line only marks the memory-pressure alert as owed (once per approach to
        the limit; the flag resets when a summary makes room). The alert then goes in just before the
        next event, a requested heartbeat or the user's next message, instead of costing a round of
        its own: the original sent it as an extra call, and sent it *instead of* a pending heartbeat,
        so the result the model wanted to report never reached the user (its bug 13). Room is not at
        risk: the summary runs only at the window's limit, well above the warning line."""
        projected = self._prompt_tokens() + sum(self._tokens(m) for m in new)
        if not self.state.memory_pressure_alerted and projected > constants.MESSAGE_SUMMARY_WARNING_FRAC * self.window:
            self.state.memory_pressure_alerted = True
            self.state.memory_pressure_owed = True
        if parse_error is not None:
            return events.heartbeat(
                f"{constants.NON_USER_MSG_PREFIX}Your last reply could not be read as a function call ({parse_error}). "
                "Reply with one valid function call."
            )
        if (failed or wants_heartbeat) and repeats > 1:
            return events.heartbeat(events.HEARTBEAT_REPEATED)
        if failed:
            return events.heartbeat(events.HEARTBEAT_FAILED)
        if wants_heartbeat:
            return events.heartbeat(events.HEARTBEAT_REQUESTED)
        if nudge:
            return events.heartbeat(events.HEARTBEAT_NO_FUNCTION)
        return None

    def _count_call(self, calls: list[ToolCall]) -> int:
        """How often this step's calls (same functions, same arguments) were made in this chain."""
        if not calls:
            return 0
        key = json.dumps([(c.name, _without_heartbeat(c.arguments)) for c in calls])
        self._chain_calls[key] += 1
        return self._chain_calls[key]

    def _owed_alert(self, shown: list[AgentEvent] | None = None) -> list[Message]:
        """The memory-pressure alert if one is owed (it is then delivered), else nothing."""
        if not self.state.memory_pressure_owed:
            return []
        self.state.memory_pressure_owed = False
        event = AgentEvent(kind="memory_warning", text=events.MEMORY_PRESSURE_ALERT)
        if shown is None:
            self.interface.emit(event)
        else:
            shown.append(event)
        return [events.system_alert(events.MEMORY_PRESSURE_ALERT)]

    def _dispatch(self, call: ToolCall, ctx: FunctionContext) -> tuple[bool, str | None, bool]:
        """Run one function call: (ok, result text, heartbeat requested). Never raises for bad input."""
        spec = self.functions.get(call.name)
        if spec is None:
            return False, f"No function named {call.name!r}. Available: {', '.join(self.functions)}.", False
        if call.arguments.startswith('{"_too_long": '):  # shortened by bound_reply
            return (
                False,
                f"The arguments of {call.name} were {json.loads(call.arguments)['_too_long']}; at most "
                f"{constants.MAX_ARGUMENT_CHARS} are accepted. Send less at a time.",
                False,
            )
        try:
            args = parse_json_object(call.arguments) if call.arguments and call.arguments.strip() else {}
        except LLMOutputParseError:
            raw = call.arguments if len(call.arguments) < 400 else call.arguments[:400] + "..."
            return False, f"The arguments of {call.name} are not valid JSON: {raw}", False
        heartbeat = truthy(args.pop("request_heartbeat", None))
        args.pop(INNER_THOUGHTS, None)  # lifted into the reply's thoughts already; never an argument
        query = args.get("query")
        if isinstance(query, str) and len(query) > constants.MAX_QUERY_CHARS:
            args["query"] = query[: constants.MAX_QUERY_CHARS]  # no search needs more; a 1 MB one took 50 s
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
        return True, cap_text(normalise_result(output, call.name), self._result_char_cap()), heartbeat

    def _result_char_cap(self) -> int:
        """Characters a function result may take so it still fits next to the rest of the context.

        3000 characters (the original's cut) fit easily in normal windows; in a small one even that
        could overflow it, and an oversized result must never wedge the agent (original bug #1635).
        """
        room = self._queue_room() - SUMMARY_ALLOWANCE
        return max(300, int(room * 0.4 * 2.5))  # ~2.5 characters per token, counted as escaped JSON

    def _core_char_budget(self) -> int:
        """Characters core memory may hold in all, so the queue keeps its floor of the window.

        The block limits already keep it small at ordinary windows; this stops the agent's own edits
        from locking the user out where the limits were raised or the window is small."""
        current = sum(len(b.value) for b in self.core.blocks.values())
        spare = self._queue_room() - SUMMARY_ALLOWANCE - conversation_floor(self.window)
        return current + max(0, int(spare * CHARS_PER_TOKEN))

    # -- the LLM call ----------------------------------------------------------------------
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

    def _outgoing(self, message: Message) -> Message:
        return thoughts_into_arguments(message) if self.thoughts_in_arguments else message

    def _tokens(self, message: Message) -> int:
        """Tokens of a message in the form it is sent (thoughts as an argument where they travel so)."""
        if message.tokens is None:
            message.tokens = message_tokens(self._encoder, self._outgoing(message))
        return message.tokens

    def prompt_messages(self) -> list[Message]:
        """Exactly what the next call sends: the system message and the queue."""
        return [self._system_message(), *(self._outgoing(m) for m in self._context)]

    def _call_llm(self, force_function: str | None = None) -> ChatResult:
        self._streamed = False
        for _ in range(4):
            self.core.refresh()  # a shared block another agent edited is seen from this call on
            self._fit()
            try:
                result = self.client.chat(
                    self.prompt_messages(), self.schemas, force_function=force_function, on_delta=self._on_delta
                )
            except ContextWindowExceededError:
                if not self._evict():
                    raise
                continue
            if self.thoughts_in_arguments or self.llm_config.model_wrapper:
                result = result.model_copy(update={"message": lift_inner_thoughts(result.message)})
            if self.llm_config.model_endpoint_type in LOCAL_ENDPOINT_TYPES and not self.llm_config.model_wrapper:
                # Small local models search in answer to the user and forget request_heartbeat, then never
                # answer (seen with a real 1.5B model); wrapped models get this in the wrapper already.
                from memgpt.llm.wrappers import correct_heartbeat

                result = result.model_copy(update={"message": correct_heartbeat(result.message, self._context)})
            return result
        raise ContextWindowExceededError("The context still does not fit after summarising; try /wipe.")

    def _call_nonempty(self) -> ChatResult:
        """An empty reply (no thought, no call) is never committed: stored, it is sent back and small
        models copy it. It is asked for again — the last time forcing send_message — then reported."""
        for attempt in range(constants.EMPTY_REPLY_RETRIES + 1):
            force = "send_message" if attempt and attempt == constants.EMPTY_REPLY_RETRIES else None
            result = self._call_llm(force_function=force)
            if not is_empty(result.message):
                return result
            log.info("empty reply (attempt %d)", attempt + 1)
        raise LLMError(
            f"The model returned an empty reply {constants.EMPTY_REPLY_RETRIES + 1} times in a row; nothing was "
            "stored. Try again, /retry, or a model that is better at function calling."
        )

    def _call_verified(self) -> ChatResult:
        for attempt in range(constants.FIRST_MESSAGE_ATTEMPTS):
            result = self._call_nonempty()
            if good_first_message(result.message, require_thought="gpt-4" in self.llm_config.model):
                return result
            log.info("first message attempt %d did not pass verification", attempt + 1)
        raise LLMError(
            f"The model did not open with a proper send_message call in {constants.FIRST_MESSAGE_ATTEMPTS} attempts. "
            "Run with --no-verify, or use a model that is better at function calling."
        )

    def _ask_plain(self, system: str, question: str) -> str:
        """One call to the agent's model without memory or functions (message_chatgpt)."""
        result = self.client.chat([Message(role="system", content=system), Message(role="user", content=question)])
        return (result.message.content or "").strip() or "(no answer)"

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
        self.core = core_memory_of(self.state, self.storage)
        self._context = self.storage.recall.get(self.name, self.state.in_context_ids)
        self._recall_count = self.storage.recall.count(self.name)
        self._archival_count = None
        self._search_cache.clear()
        self._status = None  # a snapshot taken inside the failed step may describe what was rolled back

    def recall_vectors(self) -> Any:
        """This agent's message vectors (conversation_search by meaning), or None where that search
        does not run (no embedder, a recall store outside SQLite)."""
        from memgpt.storage.message_vectors import message_vectors_for

        return message_vectors_for(self.storage.recall, self.name, getattr(self._archival(), "embedder", None))

    def _archival(self) -> Any:
        if self._embedder is None:
            from memgpt.embeddings import create_embedder

            self._embedder = create_embedder(self.embedding_config, Credentials.load())
        return self.storage.archival(self.name, self._embedder)

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


def bound_reply(reply: Message) -> Message:
    """The reply as it will be stored and run: at most MAX_TOOL_CALLS_PER_REPLY calls (one more stands
    for the rest, answered as Failed with a note), and arguments over MAX_ARGUMENT_CHARS shortened so
    the context never carries them (they are refused anyway)."""
    calls = reply.tool_calls or []
    cap = constants.MAX_TOOL_CALLS_PER_REPLY
    if len(calls) <= cap and all(len(c.arguments) <= constants.MAX_ARGUMENT_CHARS for c in calls):
        return reply
    bounded = []
    for call in calls[:cap]:
        if len(call.arguments) > constants.MAX_ARGUMENT_CHARS:
            head = call.arguments[:200]
            call = call.model_copy(
                update={"arguments": json.dumps({"_too_long": f"{len(call.arguments)} characters", "start": head})}
            )
        bounded.append(call)
    if len(calls) > cap:
        bounded.append(
            ToolCall(
                id=calls[cap].id,
                name=calls[cap].name,
                arguments=(
                    f"Not run: this and {len(calls) - cap - 1} more calls. At most {cap} function calls are run "
                    "per reply; call the rest in your next replies."
                ),
            )
        )
    return reply.model_copy(update={"tool_calls": bounded})


def _heartbeat_reason(message: Message) -> str | None:
    """The reason of a heartbeat envelope (its time differs from any other heartbeat's)."""
    if events.envelope_type(message) != "heartbeat":
        return None
    return json.loads(message.content or "{}").get("reason")


def thoughts_travel_as_argument(llm: LLMConfig) -> bool:
    """Wrapped models write `inner_thoughts` in their JSON already; native callers get the argument
    unless the user chose text content (2023 gpt-4 habits)."""
    if llm.model_wrapper:
        return False
    return llm.inner_thoughts != "content"


def scaled_limit(configured: int, default: int, llm: LLMConfig, text: str) -> int:
    """A block's character limit: the default shrinks with small windows (2000 characters per block
    take a quarter of a 4k window) but leaves the starting text room to grow by a quarter; a limit
    the user set is theirs."""
    if configured != default:
        return configured
    return min(default, max(500, llm.context_window // 4, int(len(text) * 1.25)))


def check_budget(
    llm: LLMConfig, system_prompt: str, function_names: list[str], blocks: dict[str, CoreMemoryBlock]
) -> None:
    """Refuse to create an agent whose fixed parts leave the conversation less than its floor."""
    encoder = encoder_for(llm.model)
    schemas = agent_schemas(load_functions(function_names), thoughts_travel_as_argument(llm), blocks)
    system = encoder.count(system_prompt) + 40
    functions = encoder.count(json.dumps(schemas))
    core = encoder.count(CoreMemory(blocks).render()) + 30
    from memgpt.llm.policy import completion_reserve

    reserve = completion_reserve(llm.context_window)
    room = llm.context_window - reserve - system - functions - core - STATUS_ALLOWANCE - SUMMARY_ALLOWANCE
    floor = conversation_floor(llm.context_window)
    if room < floor:
        raise MemGPTError(
            f"A context window of {llm.context_window} tokens is too small for this agent: the system prompt "
            f"({system}), functions ({functions}), core memory ({core}) and the reply's reserve "
            f"({reserve}) leave {max(room, 0)} tokens for the conversation; at least {floor} are needed. Use a model "
            "with a larger window (or --context-window if the server allows more), lower "
            "limits.core_memory_persona_limit / limits.core_memory_human_limit in the config, or a preset with "
            "fewer functions."
        )


def agent_schemas(functions: dict[str, Any], thoughts_in_arguments: bool, blocks: dict[str, CoreMemoryBlock]) -> list:
    """The function schemas this agent sends: core_memory_* name its blocks; thoughts go first where
    they travel as an argument."""
    from memgpt.functions.schema import with_block_labels

    schemas = [with_block_labels(spec.schema, blocks) for spec in functions.values()]
    return [with_inner_thoughts(s) for s in schemas] if thoughts_in_arguments else schemas


def core_memory_of(state: AgentState, storage: Storage) -> CoreMemory:
    """The agent's core memory; wired to the shared-block store only when it links a shared block."""
    shared = None
    if any(block.shared for block in state.core_memory.values()):
        from memgpt.storage.sqlite import block_store

        shared = block_store(storage)
    core = CoreMemory(state.core_memory, shared=shared)
    core.refresh()
    return core


def extra_blocks(preset: Any, given: list[Any], llm: LLMConfig, configured_limit: int) -> list[CoreMemoryBlock]:
    """A new agent's blocks beyond persona and human: the preset's, then `--block`s (a label given
    twice keeps the later). A block without a limit gets the human block's default for this window."""
    out: dict[str, CoreMemoryBlock] = {}
    for entry in [*preset.blocks, *given]:
        if entry.label in ("persona", "human"):
            raise MemGPTError(f"--block {entry.label}=...: use --persona / --human for the {entry.label} block.")
        limit = entry.limit or scaled_limit(configured_limit, constants.CORE_MEMORY_HUMAN_CHAR_LIMIT, llm, entry.value)
        out[entry.label] = CoreMemoryBlock(
            label=entry.label,
            value=entry.value,
            limit=limit,
            read_only=entry.read_only,
            shared=entry.shared,
            description=entry.description,
        )
    return list(out.values())


def link_shared_blocks(state: AgentState, storage: Storage) -> None:
    """Shared blocks the new agent names are created if new, or taken as they are now (another agent
    may have edited them since the preset was written). Joins the creation's transaction."""
    if not any(block.shared for block in state.core_memory.values()):
        return
    from memgpt.storage.sqlite import block_store

    store = block_store(storage)
    for label, block in list(state.core_memory.items()):
        if block.shared:
            state.core_memory[label] = store.create(block.shared, block)


# A call repeated with the same arguments in one chain gets a heartbeat that says so; the third time
# the chain ends. A small real model after a login asked for conversation_search("") with a heartbeat
# step after step, and only the 20-step cap stopped it.
REPEATS_STOP = 3


def _without_heartbeat(arguments: str) -> str:
    """The arguments as a stable key, `request_heartbeat` (and the thoughts) left out."""
    try:
        args = json.loads(arguments)
    except (json.JSONDecodeError, TypeError):
        return arguments
    if not isinstance(args, dict):
        return arguments
    args = {k: v for k, v in args.items() if k not in ("request_heartbeat", "inner_thoughts")}
    return json.dumps(args, sort_keys=True)


def _stopped_repeating(calls: list[ToolCall]) -> str:
    names = ", ".join(dict.fromkeys(c.name for c in calls))
    return f"Stopped the agent: it made the same call ({names}) {REPEATS_STOP} times in a row of steps."
