"""All functions an agent can be given: the shipped set plus the user's own `functions/*.py`.

User modules are imported from the user's functions folder; any module-level function with a
docstring and type hints becomes available under its name, and a preset enables it by listing it.
A module that fails to import is skipped with a warning rather than stopping memgpt.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging

from memgpt import paths
from memgpt.errors import ConfigError
from memgpt.functions.base import BASE_FUNCTIONS
from memgpt.functions.schema import FunctionSpec, SchemaError, build_spec

log = logging.getLogger(__name__)


def _user_functions() -> dict[str, FunctionSpec]:
    found: dict[str, FunctionSpec] = {}
    directory = paths.user_texts_dir("functions")
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"memgpt_user_functions.{path.stem}", path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a user's broken file must not stop memgpt
            log.warning("Skipped user functions file %s: %s", path, exc)
            continue
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ != module.__name__ or name.startswith("_"):
                continue
            try:
                found[name] = build_spec(func)
            except SchemaError as exc:
                log.warning("Skipped function %s in %s: %s", name, path, exc)
    return found


def available_functions() -> dict[str, FunctionSpec]:
    specs = {f.__name__: build_spec(f) for f in BASE_FUNCTIONS}
    for name, spec in _user_functions().items():
        if name in specs:
            log.warning("User function %s has the name of a built-in function and was ignored.", name)
            continue
        specs[name] = spec
    return specs


def load_functions(names: list[str]) -> dict[str, FunctionSpec]:
    specs = available_functions()
    missing = [n for n in names if n not in specs]
    if missing:
        raise ConfigError(
            f"Unknown function(s) {', '.join(missing)}: put them in {paths.user_texts_dir('functions')} "
            "or remove them from the preset."
        )
    return {n: specs[n] for n in names}
