"""Constrained decoding for wrapped models: the server may only sample a valid function call.

From the agent's function schemas we build one constraint admitting exactly
`{"inner_thoughts": <string>, "function": <one of the names>, "params": {...that function's params}}`
(inner thoughts first, so the model thinks before it chooses: with the name first, the real 1.5B
model wrote "the user mentioned their dog" and then called send_message every time), as a JSON schema
and as a GBNF grammar, and send it the way each server reads it. Each server type has a list of forms, tried in order:
a form the server refuses with a 400 is dropped for that endpoint (llm/policy.py remembers), and
when none is left the prompt alone asks for JSON and the repair chain reads what comes back.
"""

from __future__ import annotations

import json
from typing import Any

from memgpt.llm.base import FunctionSchema
from memgpt.llm.memory_slot import SLOT_KEY, Slot

THOUGHTS_KEY = "inner_thoughts"

# Per server type, the request fields that carry a constraint, most precise first (docs/local_llm.md).
CONSTRAINT_FORMS: dict[str, tuple[str, ...]] = {
    "llamacpp": ("grammar", "json_schema"),  # llama-server and llama-cpp-python: GBNF `grammar`
    "localai": ("grammar",),
    "koboldcpp": ("grammar",),
    "vllm": ("structured_outputs", "guided_json"),  # guided_json was removed in vLLM 0.12
    "lmstudio": ("response_format",),
    "ollama": ("format",),  # native /api/generate (its /v1/completions takes no format)
    "openai-compatible": ("response_format",),
}


def forms_for(endpoint_type: str) -> tuple[str, ...]:
    return CONSTRAINT_FORMS.get(endpoint_type, ())


def _selected(functions: list[FunctionSchema], force: str | None) -> list[FunctionSchema]:
    chosen = [f for f in functions if f.get("name") == force] if force else []
    return chosen or list(functions)


def _params_schema(fn: FunctionSchema) -> dict[str, Any]:
    params = fn.get("parameters") or {}
    props = {k: v for k, v in (params.get("properties") or {}).items() if k != THOUGHTS_KEY}
    required = [k for k in params.get("required") or [] if k in props]
    return {
        "type": "object",
        "properties": {k: _plain(v) for k, v in props.items()},
        "required": required,
        "additionalProperties": False,
    }


def _plain(spec: Any) -> dict[str, Any]:
    """A parameter's schema without descriptions (they are in the prompt already)."""
    if not isinstance(spec, dict):
        return {}
    out = {k: v for k, v in spec.items() if k in ("type", "enum")}
    if isinstance(spec.get("items"), dict):
        out["items"] = _plain(spec["items"])
    return out


def call_schema(functions: list[FunctionSchema], force: str | None = None, slot: Slot = None) -> dict[str, Any]:
    """The JSON schema of one call to one of `functions` (only `force`, when given); with `slot`, the
    remember-this-message slot (llm/memory_slot.py) between the thoughts and the function: "open"
    (true or false) or "closed" (false: the same shape on steps that answer no user message)."""
    head: dict[str, Any] = {THOUGHTS_KEY: {"type": "string"}}
    if slot:
        head[SLOT_KEY] = {"type": "boolean"} if slot == "open" else {"type": "boolean", "enum": [False]}
    options = [
        {
            "type": "object",
            "properties": {
                **head,
                "function": {"type": "string", "enum": [fn["name"]]},
                "params": _params_schema(fn),
            },
            "required": [*head, "function", "params"],
            "additionalProperties": False,
        }
        for fn in _selected(functions, force)
    ]
    return options[0] if len(options) == 1 else {"anyOf": options}


# -- GBNF (llama.cpp grammars) -----------------------------------------------------------------
_COMMON_RULES = {
    "string": r'"\"" char* "\""',
    "char": r'[^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" hex hex hex hex)',
    "hex": "[0-9a-fA-F]",
    "integer": '"-"? ("0" | [1-9] [0-9]*)',
    "number": 'integer ("." [0-9]+)? ([eE] [-+]? [0-9]+)?',
    "boolean": '"true" | "false"',
    "null": '"null"',
    "value": "string | number | boolean | null | array-value | object-value",
    "array-value": '"[" ws (value (ws "," ws value)*)? ws "]"',
    "object-value": '"{" ws (string ws ":" ws value (ws "," ws string ws ":" ws value)*)? ws "}"',
    # at most a newline and 11 spaces: an unbounded `[ \t\n]*` lets a small model loop on whitespace
    "ws": '("\\n" | " ")? " "? " "? " "? " "? " "? " "? " "? " "? " "? " "? " "?',
}
_SCALARS = {"string", "integer", "number", "boolean", "null"}


def _literal(text: str) -> str:
    """A GBNF literal matching the JSON text of `text` (a JSON string, quotes included)."""
    encoded = json.dumps(text)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Grammar:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {}

    def type_rule(self, spec: Any) -> str:
        if not isinstance(spec, dict):
            return "value"
        if isinstance(spec.get("enum"), list) and spec["enum"]:
            name = f"enum-{len(self.rules)}"
            self.rules[name] = " | ".join(
                _literal(v) if isinstance(v, str) else json.dumps(json.dumps(v)) for v in spec["enum"]
            )
            return name
        kind = spec.get("type")
        if kind in _SCALARS:
            return str(kind)
        if kind == "array":
            item = self.type_rule(spec.get("items"))
            name = f"array-{item}"
            self.rules[name] = f'"[" ws ({item} (ws "," ws {item})*)? ws "]"'
            return name
        return "value"

    def params_rule(self, index: int, fn: FunctionSchema) -> str:
        """The function's arguments in schema order: the required ones, then each optional one or not."""
        schema = _params_schema(fn)
        required = schema["required"]
        pair = {key: f'{_literal(key)} ws ":" ws {self.type_rule(spec)}' for key, spec in schema["properties"].items()}
        optional = [key for key in schema["properties"] if key not in required]
        if required:
            body = ' ws "," ws '.join(pair[key] for key in required)
            body += "".join(f' (ws "," ws {pair[key]})?' for key in optional)
        elif optional:  # any in-order subset; the first one present has no comma before it
            firsts = [
                pair[key] + "".join(f' (ws "," ws {pair[later]})?' for later in optional[i + 1 :])
                for i, key in enumerate(optional)
            ]
            body = "(" + " | ".join(f"({alt})" for alt in firsts) + ")?"
        else:
            body = ""
        name = f"params-{index}"
        self.rules[name] = '"{" ws ' + (body + " ws " if body else "") + '"}"'
        return name


def call_grammar(functions: list[FunctionSchema], force: str | None = None, slot: Slot = None) -> str:
    """The GBNF grammar of one call (llama.cpp's `grammar` parameter), with the remember-this-message slot if `slot`."""
    grammar = _Grammar()
    calls = []
    for index, fn in enumerate(_selected(functions, force)):
        params = grammar.params_rule(index, fn)
        grammar.rules[f"call-{index}"] = f'{_literal(fn["name"])} ws "," ws {_literal("params")} ws ":" ws {params}'
        calls.append(f"call-{index}")
    thoughts = f'{_literal(THOUGHTS_KEY)} ws ":" ws string'
    if slot:
        value = "boolean" if slot == "open" else '"false"'
        thoughts += f' ws "," ws {_literal(SLOT_KEY)} ws ":" ws {value}'
    root = f'"{{" ws {thoughts} ws "," ws {_literal("function")} ws ":" ws ({" | ".join(calls)}) ws "}}"'
    lines = [f"root ::= {root}", *(f"{k} ::= {v}" for k, v in grammar.rules.items())]
    lines += [f"{k} ::= {v}" for k, v in _COMMON_RULES.items()]
    return "\n".join(lines) + "\n"


def constraint_params(
    form: str, functions: list[FunctionSchema], force: str | None = None, slot: Slot = None
) -> dict[str, Any]:
    """The request fields that carry the constraint in `form`."""
    if form == "grammar":
        return {"grammar": call_grammar(functions, force, slot)}
    schema = call_schema(functions, force, slot)
    if form == "json_schema":
        return {"json_schema": schema}
    if form == "structured_outputs":
        return {"structured_outputs": {"json": schema}}
    if form == "guided_json":
        return {"guided_json": schema}
    if form == "format":
        return {"format": schema}
    if form == "response_format":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": "function_call", "schema": schema}}}
    raise ValueError(f"unknown constraint form {form!r}")
