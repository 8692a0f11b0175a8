"""JSON schemas generated from Python signatures and Google-style docstrings.

One mechanism for the shipped functions and the user's own: the model sees exactly the
parameters the Python function accepts, described by its docstring, so the two cannot drift.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

# These end the agent's turn by nature, so they get no request_heartbeat parameter.
NO_HEARTBEAT = {"send_message", "pause_heartbeats"}
# Repeated in every function's schema: kept short, since small windows pay for it six times.
HEARTBEAT_DESCRIPTION = "true: run again right after this call, to call another function or reply with the result."

_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


class SchemaError(ValueError):
    pass


def _json_type(annotation: Any, where: str) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _json_type(args[0], where)
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        return {"type": "array", "items": _json_type(item, where)}
    if annotation in _JSON_TYPES:
        return {"type": _JSON_TYPES[annotation]}
    raise SchemaError(f"{where}: unsupported parameter type {annotation!r} (use str, int, float, bool, list).")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {param: description}) from a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section = None
    current = None
    for line in lines:
        stripped = line.strip()
        if re.match(r"^(Args|Arguments|Parameters|Returns|Raises):\s*$", stripped):
            section = stripped[:-1].lower()
            continue
        if section is None:
            if stripped or description:
                description.append(stripped)
            continue
        if section in ("args", "arguments", "parameters"):
            match = re.match(r"^(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$", stripped)
            indent = len(line) - len(line.lstrip())
            if match and indent <= 4:
                current = match.group(1)
                params[current] = match.group(3).strip()
            elif current and stripped:
                params[current] = f"{params[current]} {stripped}".strip()
    text = " ".join(p for p in description if p).strip()
    return text, params


# A first parameter with one of these names receives the FunctionContext (the original passed the
# agent as `self`); a function without one is a plain function of its arguments.
CONTEXT_PARAMS = {"self", "ctx", "context", "agent"}


@dataclass
class FunctionSpec:
    name: str
    func: Callable[..., Any]
    schema: dict[str, Any]
    args_model: type[BaseModel]
    takes_context: bool = True

    def call(self, ctx: Any, arguments: dict[str, Any]) -> Any:
        return self.func(ctx, **arguments) if self.takes_context else self.func(**arguments)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Arguments checked and converted; raises ValueError with a message for the model."""
        try:
            return self.args_model.model_validate(arguments).model_dump()
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "arguments"
                if err["type"] == "missing":
                    problems.append(f"missing required argument '{field}'")
                elif err["type"] == "extra_forbidden":
                    problems.append(f"unexpected argument '{field}'")
                else:
                    problems.append(f"argument '{field}': {err['msg']}")
            raise ValueError("; ".join(problems)) from None


def build_spec(func: Callable[..., Any], name: str | None = None) -> FunctionSpec:
    name = name or func.__name__
    description, param_docs = parse_docstring(func.__doc__ or "")
    if not description:
        raise SchemaError(f"function {name}: a docstring describing it is required")
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:  # an annotation naming something the module never imported
        raise SchemaError(f"function {name}: its type annotations cannot be resolved ({exc})") from None
    properties: dict[str, Any] = {}
    required: list[str] = []
    fields: dict[str, Any] = {}
    params = list(inspect.signature(func).parameters.values())
    takes_context = bool(params) and params[0].name in CONTEXT_PARAMS
    for param in params[1:] if takes_context else params:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise SchemaError(f"function {name}: *args/**kwargs cannot be described to the model")
        if param.name == "request_heartbeat":
            continue  # added uniformly below; the agent consumes it
        if param.name not in hints:
            raise SchemaError(f"function {name}: parameter {param.name!r} needs a type annotation")
        if param.name not in param_docs:
            raise SchemaError(f"function {name}: parameter {param.name!r} is not described in the docstring")
        prop = _json_type(hints[param.name], f"function {name}")
        prop["description"] = param_docs[param.name]
        properties[param.name] = prop
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
            fields[param.name] = (hints[param.name], ...)
        else:
            fields[param.name] = (hints[param.name], param.default)
    if name not in NO_HEARTBEAT:
        properties["request_heartbeat"] = {"type": "boolean", "description": HEARTBEAT_DESCRIPTION}
        required.append("request_heartbeat")
    schema = {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required},
    }
    model = create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)
    return FunctionSpec(name=name, func=func, schema=schema, args_model=model, takes_context=takes_context)


# The functions that edit core memory take a block label; their schema names this agent's blocks.
BLOCK_FUNCTIONS = ("core_memory_append", "core_memory_replace")
BLOCK_HINTS = {"persona": "about you", "human": "about the user"}


def with_block_labels(schema: dict[str, Any], blocks: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `name` parameter listing the agent's writable blocks (core_memory_* only).

    An agent with just persona and human gets the shipped schema unchanged, so existing agents send
    exactly the prompt they sent before blocks existed (and keep their servers' prompt caches).
    """
    if schema.get("name") not in BLOCK_FUNCTIONS or "name" not in schema["parameters"]["properties"]:
        return schema
    writable = [(label, block) for label, block in blocks.items() if not block.read_only]
    if [label for label, _ in writable] == list(BLOCK_HINTS) and all(b.description is None for _, b in writable):
        return schema
    parts = []
    for label, block in writable:
        hint = block.description or BLOCK_HINTS.get(label)
        parts.append(f'"{label}" ({hint})' if hint else f'"{label}"')
    listed = ", ".join(parts) if parts else "none (every block is read-only)"
    prop: dict[str, Any] = {"type": "string", "description": f"The block to edit: {listed}."}
    if writable:
        prop["enum"] = [label for label, _ in writable]
    properties = {**schema["parameters"]["properties"], "name": prop}
    return {**schema, "parameters": {**schema["parameters"], "properties": properties}}
