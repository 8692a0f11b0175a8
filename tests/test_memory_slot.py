"""The remember-this-message slot: constrained calls carry `"remember_this_message"`, and true saves the
user's message in their own words to the <human> block, as a core_memory_append after the main call in
the same step (llm/memory_slot.py)."""

from __future__ import annotations

import json

import pytest

from memgpt.agent import Agent
from memgpt.config import LLMConfig, MemGPTConfig
from memgpt.interface import RecordingInterface
from memgpt.llm import create_llm_client
from memgpt.llm.constraints import call_grammar, call_schema
from memgpt.llm.memory_slot import INSTRUCTION, SLOT_KEY
from memgpt.llm.wrappers import render_assistant
from memgpt.schemas import Message, ToolCall
from memgpt.storage import open_storage
from tests.fake_llm import text
from tests.test_llm_constraints import SEND, grammar_regex
from tests.test_llm_edge import clean_slate  # noqa: F401 - the autouse fixture

APPEND = {
    "name": "core_memory_append",
    "description": "Append.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "content": {"type": "string"},
            "request_heartbeat": {"type": "boolean"},
        },
        "required": ["name", "content", "request_heartbeat"],
    },
}
TOLD = "Ugh, long day. Biscuit chewed through my phone charger again, that beagle of mine is a menace."
HISTORY = [
    Message(role="system", content="You are a test."),
    Message(role="user", content=json.dumps({"type": "user_message", "message": TOLD, "time": "now"})),
]
SAVED = 'The user said: "' + TOLD + '"'


def reply(remember: object, message: str = "Poor charger!") -> str:
    return json.dumps(
        {"inner_thoughts": "A beagle.", SLOT_KEY: remember, "function": "send_message", "params": {"message": message}}
    )


@pytest.mark.parametrize(("remember", "valid"), [(False, True), (True, True), (None, False), ("yes", False)])
def test_the_grammar_holds_the_slot_between_thoughts_and_call(remember, valid) -> None:
    pattern = grammar_regex(call_grammar([SEND, APPEND], slot="open"))
    assert bool(pattern.fullmatch(reply(remember))) is valid
    no_slot = '{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi"}}'
    assert not pattern.fullmatch(no_slot)  # the model must answer the question every step
    assert grammar_regex(call_grammar([SEND, APPEND])).fullmatch(no_slot)  # and without the slot, nothing changes
    closed = grammar_regex(call_grammar([SEND, APPEND], slot="closed"))  # a step that answers no user message
    assert bool(closed.fullmatch(reply(remember))) is (remember is False)
    schema = call_schema([SEND, APPEND], slot="open")["anyOf"][0]
    assert list(schema["properties"])[:2] == ["inner_thoughts", SLOT_KEY]
    assert schema["properties"][SLOT_KEY] == {"type": "boolean"} and SLOT_KEY in schema["required"]
    held = call_schema([SEND, APPEND], slot="closed")["anyOf"][0]["properties"][SLOT_KEY]
    assert held == {"type": "boolean", "enum": [False]}


def wrapped(server, **overrides):
    settings = {"memory_slot": "auto", **overrides}
    llm = LLMConfig(
        model="m", model_endpoint_type="llamacpp", model_endpoint=server.url, model_wrapper="chatml", **settings
    )
    return create_llm_client(llm)


def test_true_saves_the_users_own_words_after_the_call(fake_llm) -> None:
    fake_llm.script(text(reply(True)), text(reply(False)))
    client = wrapped(fake_llm)
    first = client.chat(HISTORY, [SEND, APPEND])
    assert [c.name for c in first.message.tool_calls] == ["send_message", "core_memory_append"]
    assert json.loads(first.message.tool_calls[1].arguments) == {"name": "human", "content": SAVED}
    body = fake_llm.requests[-1]["body"]
    assert SLOT_KEY in body["grammar"] and INSTRUCTION in body["prompt"]  # constrained, and told what it is for
    assert [c.name for c in client.chat(HISTORY, [SEND, APPEND]).message.tool_calls] == ["send_message"]
    fake_llm.script(text(reply(False)))
    client.chat(HISTORY, [SEND])  # no core_memory_append in the preset: nowhere for the message to go
    assert SLOT_KEY not in fake_llm.requests[-1]["body"]["grammar"]


def test_the_slot_is_off_by_default_and_auto_only_where_a_constraint_holds(fake_llm) -> None:
    fake_llm.script(text(reply(False)), text(reply(False)), text(reply(False)))
    wrapped(fake_llm, memory_slot="off").chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert SLOT_KEY not in body["grammar"] and SLOT_KEY not in body["prompt"]
    default = LLMConfig(model="m", model_endpoint_type="llamacpp", model_endpoint=fake_llm.url, model_wrapper="chatml")
    assert default.memory_slot == "off"
    create_llm_client(default).chat(HISTORY, [SEND, APPEND])
    assert SLOT_KEY not in fake_llm.requests[-1]["body"]["grammar"]
    wrapped(fake_llm, constrained_decoding=False).chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert "grammar" not in body and SLOT_KEY not in body["prompt"]  # auto: no constraint, no slot
    fake_llm.script(text(reply(True)))
    result = wrapped(fake_llm, constrained_decoding=False, memory_slot="on").chat(HISTORY, [SEND, APPEND])
    assert SLOT_KEY in fake_llm.requests[-1]["body"]["prompt"]  # on: asked for in the prompt alone
    assert [c.name for c in result.message.tool_calls] == ["send_message", "core_memory_append"]


def test_native_llamacpp_calls_carry_the_slot_in_their_chat_grammar(fake_llm) -> None:
    llm = LLMConfig(model="m", model_endpoint_type="llamacpp", model_endpoint=fake_llm.url, memory_slot="auto")
    fake_llm.script(text(reply(True)))
    client = create_llm_client(llm)
    result = client.chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert f'"\\"{SLOT_KEY}\\"" ws ":" ws boolean' in body["grammar"]
    assert body["messages"][0]["content"].endswith(INSTRUCTION)  # told what it is for, after the system text
    calls = result.message.tool_calls
    assert [c.name for c in calls] == ["send_message", "core_memory_append"]
    assert json.loads(calls[1].arguments)["content"] == SAVED
    heartbeat = Message(role="user", content='{"type": "heartbeat", "reason": "continue"}')
    fake_llm.script(text(reply(True)))  # on a heartbeat the grammar would not admit it; nothing to save anyway
    later_result = client.chat([*HISTORY, heartbeat], [SEND, APPEND])
    later = fake_llm.requests[-1]["body"]
    assert f'"\\"{SLOT_KEY}\\"" ws ":" ws "false"' in later["grammar"]  # no user message: held to false
    assert later["messages"][0] == body["messages"][0]  # the same system text: the prompt cache holds
    assert [c.name for c in later_result.message.tool_calls] == ["send_message"]


def test_long_messages_are_saved_shortened() -> None:
    from memgpt.llm.memory_slot import MAX_QUOTE_CHARS, fill_slot, with_slot_call

    long = "word " * 400
    history = [Message(role="user", content=json.dumps({"type": "user_message", "message": long}))]
    calls = with_slot_call([ToolCall(name="send_message", arguments="{}")], {SLOT_KEY: True})
    saved = fill_slot(Message(role="assistant", tool_calls=calls), history).tool_calls[1]
    content = json.loads(saved.arguments)["content"]
    assert content.endswith('..."') and len(content) < MAX_QUOTE_CHARS + 30


def test_history_shows_the_slot_as_the_model_wrote_it() -> None:
    saved = Message(
        role="assistant",
        content="A beagle.",
        tool_calls=[
            ToolCall(name="send_message", arguments='{"message": "Poor charger!"}'),
            ToolCall(name="core_memory_append", arguments=json.dumps({"name": "human", "content": SAVED})),
        ],
    )
    shown = json.loads(render_assistant(saved, slot=True))
    assert list(shown) == ["inner_thoughts", SLOT_KEY, "function", "params"]
    assert shown[SLOT_KEY] is True and shown["function"] == "send_message"
    plain = saved.model_copy(update={"tool_calls": saved.tool_calls[:1]})
    assert json.loads(render_assistant(plain, slot=True))[SLOT_KEY] is False
    assert SLOT_KEY not in json.loads(render_assistant(saved))


def test_an_agent_saves_the_message_in_the_same_step_once(fake_llm) -> None:
    config = MemGPTConfig(
        llm=LLMConfig(
            model="local-model",
            model_endpoint_type="llamacpp",
            model_endpoint=fake_llm.url,
            model_wrapper="chatml",
            context_window=8192,
            max_retries=0,
            memory_slot="auto",
        )
    )
    agent = Agent.create(name="slotted", config=config, storage=open_storage(config), interface=RecordingInterface())
    try:
        fake_llm.script(text(reply(True)), text(reply(True, "Ha!")))
        first = agent.user_message(TOLD, verify=False)
        assert first.messages == ["Poor charger!"] and first.steps == 1  # no heartbeat, no extra call
        second = agent.user_message(TOLD, verify=False)  # the same words again
        assert second.messages == ["Ha!"] and second.steps == 1
        human = agent.core.blocks["human"].value
        assert human.count(SAVED) == 1  # the repeat was not added twice
        storage = agent.storage
        agent.close()
        agent = Agent.load("slotted", config=config, storage=storage, interface=RecordingInterface())
        assert SAVED in agent.core.blocks["human"].value
        fake_llm.script(text(reply(False, "Hi again")))
        agent.user_message("hello", verify=False)
        prompt = fake_llm.requests[-1]["body"]["prompt"]
        assert f'"{SLOT_KEY}": true' in prompt  # its own past answers, shown back in the same slot
        assert "already holds this line" in prompt  # and the model was told why the repeat did nothing
    finally:
        agent.close()
