"""Constrained decoding for wrapped models: the constraint admits exactly the valid calls, and each
server type gets it in the request field it reads (with a remembered fallback when it refuses)."""

from __future__ import annotations

import codecs
import json
import re

import pytest

from memgpt.config import LLMConfig
from memgpt.llm import create_llm_client
from memgpt.llm.constraints import CONSTRAINT_FORMS, call_grammar, call_schema
from memgpt.schemas import Message
from tests.fake_llm import error, text
from tests.test_llm_edge import clean_slate  # noqa: F401 - the autouse fixture

SEND = {
    "name": "send_message",
    "description": "Send a message.",
    "parameters": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
}
SEARCH = {
    "name": "archival_memory_search",
    "description": "Search.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "page": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "request_heartbeat": {"type": "boolean"},
        },
        "required": ["query", "request_heartbeat"],
    },
}
OPTIONAL_ONLY = {
    "name": "heartbeat_only",
    "description": "All arguments optional.",
    "parameters": {
        "type": "object",
        "properties": {"request_heartbeat": {"type": "boolean"}, "note": {"type": "string"}},
    },
}
HISTORY = [Message(role="system", content="You are a test."), Message(role="user", content="hi")]
GOOD = '{"inner_thoughts": "t", "function": "send_message", "params": {"message": "hi"}}'


_TOKEN = re.compile(r'\s*("(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|[A-Za-z0-9-]+|[()|?*+])')


def grammar_regex(grammar: str) -> re.Pattern[str]:
    """A (non-recursive) GBNF grammar as a Python regex: literals, classes, groups, | ? * +.

    Repetitions become possessive: the grammar's repeated items never overlap what follows them,
    and a backtracking regex over its nested optional whitespace takes minutes to say no.
    """
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())

    def expand(name: str, depth: int = 0) -> str:
        assert depth < 20, f"recursive rule {name}"
        out = []
        for token in _TOKEN.findall(rules[name]):
            if token.startswith('"'):
                out.append(re.escape(codecs.decode(token[1:-1], "unicode_escape")))
            elif token.startswith("["):
                out.append(token)
            elif token in "?*+":
                out.append(token + "+")  # possessive: this grammar never needs to give back (no backtracking blow-up)
            elif token in "()|":
                out.append("(?:" if token == "(" else token)
            else:
                out.append(f"(?:{expand(token, depth + 1)})")
        return "".join(out)

    return re.compile(expand("root"), re.DOTALL)


def call(function: str, indent: int | None = None, thoughts: str | None = "t", **params: object) -> str:
    """A reply in the constrained form: thoughts first (left out when None), then the call."""
    head = {} if thoughts is None else {"inner_thoughts": thoughts}
    return json.dumps({**head, "function": function, "params": params}, indent=indent)


SEARCH_ARGS = {"query": "q"}


@pytest.mark.parametrize(
    ("reply", "valid"),
    [
        (GOOD, True),
        (call("send_message", indent=2, thoughts='a "q" \u00e9', message="x"), True),
        (call("archival_memory_search", **SEARCH_ARGS, request_heartbeat=True, page=2), True),
        (call("archival_memory_search", **SEARCH_ARGS, request_heartbeat=False, tags=["a", "b"]), True),
        (call("heartbeat_only"), True),  # a function whose arguments are all optional
        (call("heartbeat_only", request_heartbeat=True), True),
        (call("send_message", thoughts=None, message="no thoughts"), False),
        ('{"function": "send_message", "params": {"inner_thoughts": "t", "message": "x"}}', False),  # name first
        (call("other", message="x"), False),
        (call("send_message"), False),  # message is required
        (call("archival_memory_search", **SEARCH_ARGS, request_heartbeat="yes"), False),
        ('{"inner_thoughts": "raw\nnewline", "function": "send_message", "params": {"message": "x"}}', False),
        (call("send_message", message="x", extra=1), False),
        (call("heartbeat_only", other=1), False),
    ],
)
def test_grammar_admits_exactly_valid_calls(reply, valid) -> None:
    assert bool(grammar_regex(call_grammar([SEND, SEARCH, OPTIONAL_ONLY])).fullmatch(reply)) is valid


def test_forced_function_narrows_the_constraint() -> None:
    pattern = grammar_regex(call_grammar([SEND, SEARCH], force="archival_memory_search"))
    assert not pattern.fullmatch(GOOD)
    schema = call_schema([SEND, SEARCH], force="send_message")
    assert schema["properties"]["function"] == {"type": "string", "enum": ["send_message"]}
    assert list(schema["properties"]) == ["inner_thoughts", "function", "params"]  # thoughts first
    assert schema["required"] == ["inner_thoughts", "function", "params"]
    params = schema["properties"]["params"]
    assert list(params["properties"]) == ["message"] and params["required"] == ["message"]
    assert params["additionalProperties"] is False
    both = call_schema([SEND, SEARCH])
    assert [o["properties"]["function"]["enum"] for o in both["anyOf"]] == [
        ["send_message"],
        ["archival_memory_search"],
    ]


def wrapped(server, endpoint_type: str):
    llm = LLMConfig(model="m", model_endpoint_type=endpoint_type, model_endpoint=server.url, model_wrapper="chatml")
    return create_llm_client(llm)


@pytest.mark.parametrize(
    ("endpoint_type", "check"),
    [
        ("llamacpp", lambda b: b["grammar"].startswith("root ::=")),
        ("localai", lambda b: "grammar" in b),
        ("koboldcpp", lambda b: "grammar" in b),
        ("vllm", lambda b: b["structured_outputs"]["json"]["properties"]["function"]["enum"] == ["send_message"]),
        ("lmstudio", lambda b: b["response_format"]["type"] == "json_schema"),
        (
            "openai-compatible",
            lambda b: b["response_format"]["json_schema"]["schema"]["required"][0] == "inner_thoughts",
        ),
        ("ollama", lambda b: b["format"]["type"] == "object"),
    ],
)
def test_constraint_sent_in_each_servers_field(fake_llm, endpoint_type, check) -> None:
    fake_llm.script(text(GOOD))
    result = wrapped(fake_llm, endpoint_type).chat(HISTORY, [SEND])
    assert result.message.content == "t"  # the inner thoughts, written before the call
    assert json.loads(result.message.tool_calls[0].arguments) == {"message": "hi"}
    body = fake_llm.requests[-1]["body"]
    assert check(body)
    assert body["prompt"].endswith("<|im_start|>assistant\n")  # not pre-filled: the constraint starts at "{"


def test_refused_constraint_falls_back_form_by_form(fake_llm) -> None:
    assert CONSTRAINT_FORMS["vllm"] == ("structured_outputs", "guided_json")
    fake_llm.script(
        error(400, "unknown field structured_outputs"), error(400, "guided_json: bad"), text(GOOD), text(GOOD)
    )
    assert wrapped(fake_llm, "vllm").chat(HISTORY, [SEND]).message.tool_calls
    wrapped(fake_llm, "vllm").chat(HISTORY, [SEND])  # remembered for this endpoint: no refused forms again
    bodies = [r["body"] for r in fake_llm.requests]
    assert ["structured_outputs" in b for b in bodies] == [True, False, False, False]
    assert ["guided_json" in b for b in bodies] == [False, True, False, False]
    assert bodies[-1]["prompt"].endswith('"inner_thoughts":')  # no constraint left: pre-filled, repaired
    fake_llm.script(text("no json"))
    plain = wrapped(fake_llm, "vllm").chat(HISTORY)  # the summariser: never constrained
    assert plain.message.content == "no json" and "guided_json" not in fake_llm.requests[-1]["body"]
