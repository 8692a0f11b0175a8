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
from memgpt.functions.extras import EXTRA_FUNCTIONS
from memgpt.functions.schema import FunctionSpec, build_spec

log = logging.getLogger(__name__)


# Problems met while loading the user's function files, for the CLI to show (also logged).
LOAD_WARNINGS: list[str] = []


def _warn(message: str) -> None:
    if message not in LOAD_WARNINGS:
        LOAD_WARNINGS.append(message)
    log.warning(message)


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
        except ModuleNotFoundError as exc:
            _warn(f"Skipped the functions file {path}: it needs the package {exc.name!r} (pip install it).")
            continue
        except Exception as exc:  # a user's broken file (syntax error, failing import) must not stop memgpt
            _warn(f"Skipped the functions file {path}: {exc.__class__.__name__}: {exc}")
            continue
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ != module.__name__ or name.startswith("_"):
                continue
            try:
                found[name] = build_spec(func)
            except Exception as exc:  # SchemaError, or anything odd in a user's function
                _warn(f"Skipped the function {name} in {path}: {exc}")
    return found


def available_functions() -> dict[str, FunctionSpec]:
    LOAD_WARNINGS.clear()
    specs = {f.__name__: build_spec(f) for f in [*BASE_FUNCTIONS, *EXTRA_FUNCTIONS]}
    # A user's function of the same name replaces the shipped one, like their personas and presets do.
    specs.update(_user_functions())
    return specs


def load_functions(names: list[str], strict: bool = True) -> dict[str, FunctionSpec]:
    """The named functions. Unknown names raise (strict, for a new agent) or are left out with a
    warning (an existing agent whose user function file was removed must still load)."""
    specs = available_functions()
    missing = [n for n in names if n not in specs]
    if missing and not strict:
        _warn(
            f"Function(s) {', '.join(missing)} are not defined any more (looked in "
            f"{paths.user_texts_dir('functions')}); the agent continues without them."
        )
        return {n: specs[n] for n in names if n in specs}
    if missing:
        raise ConfigError(
            f"Unknown function(s) {', '.join(missing)}: put them in {paths.user_texts_dir('functions')} "
            "or remove them from the preset."
        )
    return {n: specs[n] for n in names}
