"""The new-fact slot: constrained calls carry `"new_fact_about_user"`, and a line in it is saved to the
<human> block as a core_memory_append after the main call, in the same step (llm/memory_slot.py)."""

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
from tests.test_llm_constraints import HISTORY, SEND, grammar_regex
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


def reply(fact: object, message: str = "Poor charger!") -> str:
    return json.dumps(
        {"inner_thoughts": "A beagle.", SLOT_KEY: fact, "function": "send_message", "params": {"message": message}}
    )


@pytest.mark.parametrize(
    ("fact", "valid"), [(None, True), ("Has a beagle called Biscuit", True), (3, False), (True, False)]
)
def test_the_grammar_holds_the_slot_between_thoughts_and_call(fact, valid) -> None:
    pattern = grammar_regex(call_grammar([SEND, APPEND], slot="open"))
    assert bool(pattern.fullmatch(reply(fact))) is valid
    no_slot = '{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi"}}'
    assert not pattern.fullmatch(no_slot)  # the model must answer the question every step
    assert grammar_regex(call_grammar([SEND, APPEND])).fullmatch(no_slot)  # and without the slot, nothing changes
    held = grammar_regex(call_grammar([SEND, APPEND], slot="null"))  # a step that answers no user message
    assert bool(held.fullmatch(reply(fact))) is (fact is None)
    schema = call_schema([SEND, APPEND], slot="open")["anyOf"][0]
    assert list(schema["properties"])[:2] == ["inner_thoughts", SLOT_KEY]
    assert schema["properties"][SLOT_KEY] == {"type": ["string", "null"]} and SLOT_KEY in schema["required"]
    assert call_schema([SEND, APPEND], slot="null")["anyOf"][0]["properties"][SLOT_KEY] == {"type": "null"}


def wrapped(server, **overrides):
    llm = LLMConfig(
        model="m", model_endpoint_type="llamacpp", model_endpoint=server.url, model_wrapper="chatml", **overrides
    )
    return create_llm_client(llm)


def test_a_fact_in_the_slot_becomes_an_append_after_the_call(fake_llm) -> None:
    fake_llm.script(text(reply("Has a beagle called Biscuit")), text(reply("none")), text(reply(None)))
    client = wrapped(fake_llm)
    first = client.chat(HISTORY, [SEND, APPEND])
    assert [c.name for c in first.message.tool_calls] == ["send_message", "core_memory_append"]
    saved = json.loads(first.message.tool_calls[1].arguments)
    assert saved == {"name": "human", "content": "Has a beagle called Biscuit"}
    body = fake_llm.requests[-1]["body"]
    assert SLOT_KEY in body["grammar"] and SLOT_KEY in body["prompt"]  # constrained, and told what it is for
    for _ in range(2):  # "none" and null both mean nothing new
        assert [c.name for c in client.chat(HISTORY, [SEND, APPEND]).message.tool_calls] == ["send_message"]
    fake_llm.script(text(reply(None)))
    client.chat(HISTORY, [SEND])  # no core_memory_append in the preset: nowhere for a fact to go
    assert SLOT_KEY not in fake_llm.requests[-1]["body"]["grammar"]


def test_the_slot_can_be_turned_off_and_is_only_where_a_constraint_holds(fake_llm) -> None:
    fake_llm.script(text(reply(None)), text(reply(None)))
    wrapped(fake_llm, memory_slot="off").chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert SLOT_KEY not in body["grammar"] and SLOT_KEY not in body["prompt"]
    wrapped(fake_llm, constrained_decoding=False).chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert "grammar" not in body and SLOT_KEY not in body["prompt"]  # auto: no constraint, no slot
    fake_llm.script(text(reply("Works nights")))
    result = wrapped(fake_llm, constrained_decoding=False, memory_slot="on").chat(HISTORY, [SEND, APPEND])
    assert SLOT_KEY in fake_llm.requests[-1]["body"]["prompt"]  # on: asked for in the prompt alone
    assert [c.name for c in result.message.tool_calls] == ["send_message", "core_memory_append"]


def test_native_llamacpp_calls_carry_the_slot_in_their_chat_grammar(fake_llm) -> None:
    llm = LLMConfig(model="m", model_endpoint_type="llamacpp", model_endpoint=fake_llm.url)
    fake_llm.script(text(reply("Works night shifts as a nurse")))
    client = create_llm_client(llm)
    result = client.chat(HISTORY, [SEND, APPEND])
    body = fake_llm.requests[-1]["body"]
    assert f'"\\"{SLOT_KEY}\\"" ws ":" ws (null | string)' in body["grammar"]
    assert body["messages"][0]["content"].endswith(INSTRUCTION)  # told what it is for, at the end of the system text
    calls = result.message.tool_calls
    assert [c.name for c in calls] == ["send_message", "core_memory_append"]
    assert json.loads(calls[1].arguments)["content"] == "Works night shifts as a nurse"
    heartbeat = Message(role="user", content='{"type": "heartbeat", "reason": "continue"}')
    fake_llm.script(text(reply(None)))
    client.chat([*HISTORY, heartbeat], [SEND, APPEND])
    later = fake_llm.requests[-1]["body"]
    assert f'"\\"{SLOT_KEY}\\"" ws ":" ws null' in later["grammar"]  # no user message: held to null
    assert later["messages"][0] == body["messages"][0]  # the same system text: the prompt cache holds


def test_history_shows_the_slot_as_the_model_wrote_it() -> None:
    saved = Message(
        role="assistant",
        content="A beagle.",
        tool_calls=[
            ToolCall(name="send_message", arguments='{"message": "Poor charger!"}'),
            ToolCall(name="core_memory_append", arguments='{"name": "human", "content": "Has a beagle"}'),
        ],
    )
    shown = json.loads(render_assistant(saved, slot=True))
    assert list(shown) == ["inner_thoughts", SLOT_KEY, "function", "params"]
    assert shown[SLOT_KEY] == "Has a beagle" and shown["function"] == "send_message"
    plain = saved.model_copy(update={"tool_calls": saved.tool_calls[:1]})
    assert json.loads(render_assistant(plain, slot=True))[SLOT_KEY] is None
    assert SLOT_KEY not in json.loads(render_assistant(saved))


def test_an_agent_saves_the_slot_fact_in_the_same_step_once(fake_llm) -> None:
    config = MemGPTConfig(
        llm=LLMConfig(
            model="local-model",
            model_endpoint_type="llamacpp",
            model_endpoint=fake_llm.url,
            model_wrapper="chatml",
            context_window=8192,
            max_retries=0,
        )
    )
    agent = Agent.create(name="slotted", config=config, storage=open_storage(config), interface=RecordingInterface())
    try:
        fake_llm.script(text(reply("Has a beagle called Biscuit")), text(reply("Has a beagle called Biscuit", "Ha!")))
        first = agent.user_message("Biscuit chewed my charger, that beagle of mine.", verify=False)
        assert first.messages == ["Poor charger!"] and first.steps == 1  # no heartbeat, no extra call
        second = agent.user_message("He did it again!", verify=False)
        assert second.messages == ["Ha!"] and second.steps == 1
        human = agent.core.blocks["human"].value
        assert human.count("Has a beagle called Biscuit") == 1  # the repeat was not added twice
        storage = agent.storage
        agent.close()
        agent = Agent.load("slotted", config=config, storage=storage, interface=RecordingInterface())
        assert human in agent.core.blocks["human"].value
        fake_llm.script(text(reply(None, "Hi again")))
        agent.user_message("hello", verify=False)
        prompt = fake_llm.requests[-1]["body"]["prompt"]
        assert f'"{SLOT_KEY}": "Has a beagle called Biscuit"' in prompt  # its own past slot, shown back
        assert "already holds this line" in prompt  # and the model was told why the repeat did nothing
    finally:
        agent.close()
