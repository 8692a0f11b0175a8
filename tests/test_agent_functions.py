"""Schemas from signatures, user functions, paging with real totals, and results that must fit the window."""

from __future__ import annotations

import json
from typing import Optional

import pytest

from memgpt import paths
from memgpt.agent import Agent
from memgpt.config import LLMConfig, MemGPTConfig, ToolsConfig
from memgpt.errors import MemGPTError
from memgpt.functions.base import send_message as base_send_message
from memgpt.functions.schema import SchemaError, build_spec
from memgpt.interface import RecordingInterface
from memgpt.storage import open_storage
from memgpt.tokens import count_tokens
from tests.fake_llm import send_message, text, tool_call, tool_calls


def call(function: str, heartbeat: bool | str = True, **args) -> object:
    return tool_call(function, {**args, "request_heartbeat": heartbeat}, content=f"calling {function}")


def tool_results(fake_llm) -> list[dict]:
    """Every function result the model was shown, across all requests (deduplicated, in order)."""
    seen: dict[str, dict] = {}
    for body in fake_llm.chat_requests():
        for m in body["messages"]:
            if m["role"] == "tool":
                seen.setdefault(m["tool_call_id"], {"name": m.get("name"), **json.loads(m["content"])})
    return list(seen.values())


def request_tokens(body: dict) -> int:
    return count_tokens(json.dumps(body["messages"])) + count_tokens(json.dumps(body.get("tools") or []))


# -- schemas -------------------------------------------------------------------------------------


def sample(self, query: str, limit: Optional[int] = 3, ratio: float = 0.5, exact: bool = False) -> str:  # noqa: UP045
    """Look something up.

    Args:
        query (str): What to look for,
            over two lines.
        limit: How many results.
        ratio: A number.
        exact: Whether to match exactly.

    Returns:
        str: the answer.
    """
    return query


def plain(sides: int) -> str:
    """Roll a die.

    Args:
        sides: Number of faces.
    """
    return str(sides)


def test_schema_from_signature_and_docstring() -> None:
    spec = build_spec(sample)
    params = spec.schema["parameters"]
    assert spec.schema["description"] == "Look something up."
    assert params["properties"]["query"] == {"type": "string", "description": "What to look for, over two lines."}
    assert params["properties"]["limit"]["type"] == "integer"  # Optional[int] -> integer
    assert params["properties"]["ratio"]["type"] == "number"
    assert params["properties"]["exact"]["type"] == "boolean"
    assert params["required"] == ["query", "request_heartbeat"]
    assert "self" not in params["properties"]
    assert spec.validate({"query": "x", "limit": "4"}) == {"query": "x", "limit": 4, "ratio": 0.5, "exact": False}
    with pytest.raises(ValueError, match="unexpected argument 'colour'"):
        spec.validate({"query": "x", "colour": 1})
    assert "request_heartbeat" not in build_spec(base_send_message).schema["parameters"]["properties"]
    no_context = build_spec(plain)  # a plain function keeps its first parameter
    assert no_context.schema["parameters"]["required"] == ["sides", "request_heartbeat"]
    assert no_context.call(object(), {"sides": 6}) == "6"


def test_schema_refuses_what_it_cannot_describe() -> None:
    def undocumented(self, x: int) -> None:
        """Does things."""

    def untyped(self, x) -> None:
        """Does things.

        Args:
            x: a thing.
        """

    def wrong_type(self, x: dict) -> None:
        """Does things.

        Args:
            x: a thing.
        """

    for func, problem in ((undocumented, "not described"), (untyped, "type annotation"), (wrong_type, "unsupported")):
        with pytest.raises(SchemaError, match=problem):
            build_spec(func)


# -- user functions ------------------------------------------------------------------------------

USER_FUNCTIONS = '''
import random


def roll_dice(self, sides: int) -> str:
    """Roll a die with the given number of sides.

    Args:
        sides: How many sides the die has.
    """
    return f"rolled a {min(sides, 1) * sides} on a d{sides}"


def big_report(self) -> str:
    """Produce a very long report."""
    return "data " * 20000
'''


def write_user_functions_and_preset() -> None:
    functions = paths.user_texts_dir("functions")
    functions.mkdir(parents=True, exist_ok=True)
    (functions / "dice.py").write_text(USER_FUNCTIONS)
    (functions / "broken.py").write_text("def oops(:\n")
    (functions / "needs_pkg.py").write_text("import surely_not_installed_pkg\n")
    presets = paths.user_texts_dir("presets")
    presets.mkdir(parents=True, exist_ok=True)
    (presets / "gamer.yaml").write_text(
        "system_prompt: memgpt_chat\nfunctions:\n  - send_message\n  - conversation_search\n"
        "  - roll_dice\n  - big_report\n"
    )


def test_user_functions_load_with_the_same_mechanism(make_agent, fake_llm) -> None:
    write_user_functions_and_preset()
    agent = make_agent(preset="gamer")
    errors = " ".join(agent.interface.texts("error"))
    assert "broken.py" in errors and "surely_not_installed_pkg" in errors  # skipped with a warning
    fake_llm.script(call("roll_dice", heartbeat="true", sides=6), send_message("You rolled a 6!"))
    assert agent.user_message("roll a d6 for me", verify=False).messages == ["You rolled a 6!"]
    assert tool_results(fake_llm)[-1]["message"] == "rolled a 6 on a d6"
    tools = {t["function"]["name"]: t["function"] for t in fake_llm.chat_requests()[0]["tools"]}
    assert set(tools) == {"send_message", "conversation_search", "roll_dice", "big_report"}
    assert tools["roll_dice"]["parameters"]["required"] == ["inner_thoughts", "sides", "request_heartbeat"]
    (paths.user_texts_dir("functions") / "dice.py").unlink()  # the file goes away: the agent still loads
    config, storage, name = agent.config, agent.storage, agent.name
    agent.close()
    resumed = Agent.load(name, config=config, storage=storage, interface=RecordingInterface())
    try:
        assert "roll_dice" not in resumed.functions
        assert any("roll_dice" in t for t in resumed.interface.texts("error"))
    finally:
        resumed.close()


def test_oversized_function_results_never_overflow_a_small_window(make_agent, fake_llm) -> None:
    write_user_functions_and_preset()
    window = 4096
    agent = make_agent(window=window, preset="gamer")

    def reply(request: dict) -> object:
        if request["body"].get("tools") is None:  # the summariser
            return text("I produced big reports.")
        return send_message("Done.")

    fake_llm.script(tool_calls([("big_report", {"request_heartbeat": True})] * 3, content="three reports"))
    fake_llm.default = reply
    result = agent.user_message("make three reports", verify=False)
    assert set(result.messages) == {"Done."}
    reports = [r for r in tool_results(fake_llm) if r["name"] == "big_report"]
    assert len(reports) == 3 and all("cut to" in r["message"] for r in reports)
    for body in fake_llm.chat_requests():
        assert request_tokens(body) <= window
    fake_llm.default = lambda request: (
        send_message("still fine") if request["body"].get("tools") else text("I produced big reports.")
    )
    assert agent.user_message("ok?", verify=False).messages == ["still fine"]
    assert agent.interface.of_kind("summary")  # the big results forced an eviction, which made room
    for body in fake_llm.chat_requests():
        assert request_tokens(body) <= window


# -- search ------------------------------------------------------------------------------------


def test_conversation_search_pages_with_real_totals(make_agent, fake_llm) -> None:
    agent = make_agent()
    for i in range(7):
        fake_llm.script(send_message(f"Lovely, number {i}." if i else "I adore parrots, truly."))
        agent.user_message(f"My kiwi bird did trick {i}", verify=False)
    fake_llm.script(
        call("conversation_search", query="kiwi", page=1),
        call("conversation_search", query="kiwi", page=5),
        call("conversation_search", query="adore"),
        send_message("found them"),
    )
    agent.user_message("what did I tell you about birds?", verify=False)
    page1, empty, said = tool_results(fake_llm)[-3:]
    assert page1["status"] == "OK" and page1["message"].startswith("Showing 6-7 of 7 results")
    assert len(json.loads(page1["message"].split("\n", 1)[1])) == 2
    assert empty["status"] == "Failed" and "no page 5" in empty["message"]
    # what the agent said through send_message is searchable
    assert said["status"] == "OK" and "said to the user: I adore parrots" in said["message"]


def test_archival_pages_cache_and_invalidation(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(
        *[call("archival_memory_insert", content=f"Fact {i}: the user owns {i} bicycles.") for i in range(6)],
        call("archival_memory_search", query="bicycles"),
        call("archival_memory_search", query="bicycles", page=1),
        call("archival_memory_insert", content="Fact 6: the user owns a unicycle and bicycles."),
        call("archival_memory_search", query="bicycles", page=1),
        send_message("noted"),
    )
    agent.user_message("I collect bicycles", verify=False)
    results = [r for r in tool_results(fake_llm) if r["name"] == "archival_memory_search"]
    assert results[0]["message"].startswith("Showing 1-5 of 6 results")
    assert results[1]["message"].startswith("Showing 6-6 of 6 results")
    assert results[2]["message"].startswith("Showing 6-7 of 7 results")  # the insert dropped the cached ranking


# -- the user's side -----------------------------------------------------------------------------


def test_a_message_too_big_for_the_window_is_refused_before_it_is_stored(make_agent, fake_llm) -> None:
    agent = make_agent(window=4096)
    before = agent.storage.recall.count(agent.name)
    with pytest.raises(MemGPTError, match="room for about"):
        agent.user_message("word " * 3000, verify=False)
    assert agent.storage.recall.count(agent.name) == before
    assert fake_llm.chat_requests() == []
    fake_llm.script(send_message("hi"))
    assert agent.user_message("hello", verify=False).messages == ["hi"]


def test_arguments_with_raw_newlines_are_repaired(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.script(
        tool_call("core_memory_append", '{"name": "human", "content": "Likes\ntea", "request_heartbeat": true}'),
        send_message("noted"),
    )
    agent.user_message("I like tea", verify=False)
    assert "Likes\ntea" in agent.core.blocks["human"].value


def test_memory_pressure_alert_fires_when_the_context_crosses_75_percent(make_agent, fake_llm) -> None:
    """Crossing the line makes the alert owed; it goes in just before the next user message (no call of
    its own), and only once until the next eviction."""
    window = 8192
    agent = make_agent(window=window)
    fake_llm.default = send_message("ok " + "fine " * 40)
    line = 0.75 * window
    for i in range(60):
        agent.user_message(f"Message {i}: " + "chatter " * 60, verify=False)
        if agent.state.memory_pressure_owed:
            break
        assert agent._prompt_tokens() <= line  # not owed while under the line
    else:
        pytest.fail("no memory-pressure alert")
    assert agent._prompt_tokens() > line
    assert agent.interface.of_kind("memory_warning") == []  # owed, not yet sent
    calls = len(fake_llm.chat_requests())
    agent.user_message("one more", verify=False)
    assert len(fake_llm.chat_requests()) == calls + 1  # the alert rode along with the message
    assert len(agent.interface.of_kind("memory_warning")) == 1
    context = agent._context
    alert_at = max(i for i, m in enumerate(context) if m.role == "user" and "soon" in (m.content or ""))
    assert "one more" in (context[alert_at + 1].content or "")  # just before the user's message
    assert agent.interface.of_kind("summary") == []  # a warning, not yet an eviction
    agent.user_message("and one more", verify=False)
    assert len(agent.interface.of_kind("memory_warning")) == 1  # once until the next eviction


def test_eviction_cut_keeps_calls_with_their_results() -> None:
    from memgpt.agent.summarizer import choose_cutoff

    roles = ["user", "assistant", "tool", "user", "assistant", "tool", "tool", "user", "assistant", "tool"]
    tokens = [10] * len(roles)
    for keep_tokens in range(0, 101, 5):
        cut = choose_cutoff(tokens, keep_tokens, 3, roles)
        assert cut <= len(roles) - 3  # the last three stay
        assert cut == 0 or roles[cut] != "tool"  # the kept part never starts with an orphaned result
    # a cut that falls inside a call's results moves back before the call...
    assert choose_cutoff(tokens, 45, 3, roles) == 4
    # ...or, when the newest messages alone do not fit, past all of its results
    assert choose_cutoff(tokens, 0, 1, roles, forward=True) == len(roles)


def test_unparseable_text_from_a_wrapped_local_model_becomes_a_failure_heartbeat(fake_llm) -> None:
    config = MemGPTConfig(
        llm=LLMConfig(
            model="local-model",
            model_endpoint_type="openai-compatible",
            model_endpoint=fake_llm.url,
            model_wrapper="chatml",
            context_window=8192,
            max_retries=0,
        )
    )
    agent = Agent.create(name="local", config=config, storage=open_storage(config), interface=RecordingInterface())
    try:
        fake_llm.script(
            text("Sure thing, happy to help you with that!"),
            text('{"function": "send_message", "params": {"inner_thoughts": "Retry.", "message": "Hello from local"}}'),
        )
        result = agent.user_message("hi", verify=False)
        assert result.messages == ["Hello from local"] and result.steps == 2
        assert any("could not be read" in e for e in agent.interface.texts("heartbeat"))
        second_prompt = fake_llm.requests[-1]["body"]["prompt"]
        assert "could not be read as a function call" in second_prompt  # the model was told, and retried
    finally:
        agent.close()


def test_interrupt_inside_a_function_leaves_no_half_applied_step(make_agent, fake_llm) -> None:
    functions = paths.user_texts_dir("functions")
    functions.mkdir(parents=True, exist_ok=True)
    (functions / "interrupting.py").write_text(
        "def edit_then_interrupt(self, note: str) -> None:\n"
        '    """Edit memory, then get interrupted.\n\n    Args:\n        note: what to add.\n    """\n'
        '    self.core.append("human", note)\n'
        "    raise KeyboardInterrupt\n"
    )
    (paths.user_texts_dir("presets")).mkdir(parents=True, exist_ok=True)
    (paths.user_texts_dir("presets") / "fragile.yaml").write_text(
        "system_prompt: memgpt_chat\nfunctions:\n  - send_message\n  - edit_then_interrupt\n"
    )
    agent = make_agent(preset="fragile")
    fake_llm.script(call("edit_then_interrupt", note="half-done edit"))
    with pytest.raises(KeyboardInterrupt):
        agent.user_message("go", verify=False)
    assert "half-done edit" not in agent.core.blocks["human"].value
    stored = agent.storage.agents.load(agent.name)
    assert "half-done edit" not in stored.core_memory["human"].value
    assert stored.in_context_ids == [m.id for m in agent.in_context_messages()[1:]]
    assert json.loads(agent.in_context_messages()[-1].content)["message"] == "go"  # the user event was kept
    fake_llm.script(send_message("recovered"))
    assert agent.retry().messages == ["recovered"]


def test_plain_text_gets_one_nudge_even_when_the_clock_moves(make_agent, fake_llm, monkeypatch) -> None:
    from memgpt.agent import events

    ticks = iter(range(10_000))
    monkeypatch.setattr(events, "local_time", lambda dt=None: f"2024-01-01 00:00:{next(ticks):04d} AM")
    agent = make_agent()
    fake_llm.script(text("just thinking"), text("still just thinking"), text("and again"))
    result = agent.user_message("hello", verify=False)
    assert result.steps == 2 and not result.capped  # nudged once, then control returns to the user


def test_extras_preset_files_http_and_plain_assistant(make_agent, fake_llm, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("line one\nline two\nline three\n")
    # issue 13 §3: the file and HTTP tools reach only folders and local hosts the user allowed
    tools = ToolsConfig(allowed_dirs=[str(tmp_path)], http_allowed_hosts=[f"127.0.0.1:{fake_llm.port}"])
    MemGPTConfig(tools=tools).save()
    agent = make_agent(preset="memgpt_extras")

    def answer(request: dict) -> object:
        if request["body"].get("tools") is None:  # message_chatgpt's plain call
            return text("Paris.")
        return send_message("done")

    fake_llm.script(
        call("read_from_text_file", filename=str(notes), line_start=2, num_lines=2),
        call("append_to_text_file", filename=str(notes), content="line four"),
        call("read_from_text_file", filename=str(tmp_path / "missing.txt"), line_start=1),
        call("http_request", method="GET", url=fake_llm.url + "/models"),
        call("message_chatgpt", message="What is the capital of France?"),
    )
    fake_llm.default = answer
    assert agent.user_message("use your extras", verify=False).messages == ["done"]
    read, appended, missing, http, plain = [r for r in tool_results(fake_llm) if r["name"] != "send_message"][:5]
    assert read["message"] == "line two\nline three"
    assert appended["status"] == "OK" and notes.read_text().endswith("line four\n")
    assert missing["status"] == "Failed" and "No file named" in missing["message"]
    assert http["status"] == "OK" and json.loads(http["message"])["status_code"] == 200
    assert plain["message"] == "Paris."


@pytest.mark.parametrize("model, greeting", [("gpt-4", "Hello? Is anyone there?"), ("gpt-3.5-turbo", "Hi! Is anyone")])
def test_boot_sequence_as_the_model_first_sees_it(fake_llm, model, greeting) -> None:
    config = MemGPTConfig(
        llm=LLMConfig(model=model, model_endpoint_type="openai-compatible", model_endpoint=fake_llm.url, max_retries=0)
    )
    agent = Agent.create(name="boot", config=config, storage=open_storage(config), interface=RecordingInterface())
    try:
        fake_llm.script(send_message("Hello there!", thought="A new person, how nice."))
        assert agent.greet().messages == ["Hello there!"]
        system, boot, result, login = fake_llm.chat_requests()[0]["messages"]
        assert system["role"] == "system" and "### Core memory" in system["content"]
        assert "### Memory status [core memory last modified:" in system["content"]
        assert "0 passages are kept in archival memory" in system["content"]
        assert boot["content"] == ""  # its thought travels as the call's first argument, as the schema asks
        assert json.loads(boot["tool_calls"][0]["function"]["arguments"])["inner_thoughts"]
        assert boot["tool_calls"][0]["function"]["name"] == "send_message"
        assert greeting in boot["tool_calls"][0]["function"]["arguments"]
        assert result["role"] == "tool" and json.loads(result["content"])["status"] == "OK"
        assert json.loads(login["content"])["type"] == "login"
        assert json.loads(login["content"])["last_login"] == "Never (first login)"
    finally:
        agent.close()


def test_evicted_messages_are_found_again_with_conversation_search(make_agent, fake_llm) -> None:
    agent = make_agent(window=4096)

    def reply(request: dict) -> object:
        if request["body"].get("tools") is None:
            return text("We chatted about many numbered things.")
        last = request["body"]["messages"][-1]  # the newest event
        if "what was item zero?" in (last.get("content") or ""):
            return call("conversation_search", query="item 0")
        return send_message("ok")

    fake_llm.default = reply
    for i in range(25):
        agent.user_message(
            f"Remember item {i}: the {['red', 'blue', 'green'][i % 3]} kettle " + "and so on " * 20, verify=False
        )
    assert agent.interface.of_kind("summary")
    head = json.loads(agent.in_context_messages()[1].content)["message"]
    assert "recall memory" in head and "We chatted about many numbered things." in head
    in_view = " ".join(m.content or "" for m in agent.in_context_messages())
    assert "item 0:" not in in_view  # evicted...
    # Asked by content, not by script position: a summary may run first, and take the next entry.
    agent.user_message("what was item zero?", verify=False)
    found = [r for r in tool_results(fake_llm) if r["name"] == "conversation_search"][-1]
    assert "Remember item 0:" in found["message"]  # ...but still in recall storage


def test_user_function_overrides_the_shipped_one_by_name(memgpt_home) -> None:
    from memgpt.functions.registry import load_functions

    folder = memgpt_home / "functions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.py").write_text(
        "def pause_heartbeats(self, minutes: int) -> str:\n"
        '    """Never pause: this user prefers an always-on agent.\n\n'
        '    Args:\n        minutes: Ignored.\n    """\n'
        '    return "not pausing"\n'
    )
    # issue 13: a user function replaces a built-in only when the preset asks for it as `user:NAME`
    assert not load_functions(["pause_heartbeats"])["pause_heartbeats"].schema["description"].startswith("Never")
    spec = load_functions(["user:pause_heartbeats"])["pause_heartbeats"]
    assert spec.func(None, minutes=5) == "not pausing"
    assert spec.schema["description"].startswith("Never pause")
