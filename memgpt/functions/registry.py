"""All functions an agent can be given: the shipped set plus the user's own `functions/*.py`.

User code runs only when a preset asks for it: the function files are read (parsed, not run) to
see which functions each defines, and a file is imported only when the preset names one of its
functions. A user function with the name of a built-in one is not used in its place unless the
preset says so by listing it as `user:NAME`, so a stray `send_message` in the functions folder
cannot replace the built-in for every agent. Problems (a syntax error, a missing package, a
failing import) are reported as warnings rather than stopping memgpt.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import logging
from pathlib import Path

from memgpt import paths
from memgpt.errors import ConfigError
from memgpt.functions.base import BASE_FUNCTIONS
from memgpt.functions.extras import EXTRA_FUNCTIONS
from memgpt.functions.schema import FunctionSpec, build_spec

log = logging.getLogger(__name__)

USER_PREFIX = "user:"  # in a preset: "user:send_message" = the user's function, even over a built-in

# Problems met while loading the user's function files, for the CLI to show (also logged).
LOAD_WARNINGS: list[str] = []


def _warn(message: str) -> None:
    if message not in LOAD_WARNINGS:
        LOAD_WARNINGS.append(message)
    log.warning(message)


def builtin_functions() -> dict[str, FunctionSpec]:
    return {f.__name__: build_spec(f) for f in [*BASE_FUNCTIONS, *EXTRA_FUNCTIONS]}


def _missing_package(tree: ast.Module) -> str | None:
    """The first top-level package the file imports that is not installed (found without running it)."""
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            try:
                if importlib.util.find_spec(top) is None:
                    return top
            except (ImportError, ValueError):
                return top
    return None


def scan_user_files(report: bool = True) -> dict[str, Path]:
    """Function name -> the user file defining it, read without running any user code; files that
    cannot be parsed or that import a missing package are left out (and reported if `report`)."""
    warn = _warn if report else log.debug
    found: dict[str, Path] = {}
    directory = paths.user_texts_dir("functions")
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
            warn(f"Skipped the functions file {path}: {exc.__class__.__name__}: {exc}")
            continue
        missing = _missing_package(tree)
        if missing:
            warn(f"Skipped the functions file {path}: it needs the package {missing!r} (pip install it).")
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                found.setdefault(node.name, path)
    return found


def _import_user_file(path: Path) -> dict[str, FunctionSpec]:
    spec = importlib.util.spec_from_file_location(f"memgpt_user_functions.{path.stem}", path)
    if spec is None or spec.loader is None:
        return {}
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        _warn(f"Skipped the functions file {path}: it needs the package {exc.name!r} (pip install it).")
        return {}
    except Exception as exc:  # a user's broken file (failing import, error at import) must not stop memgpt
        _warn(f"Skipped the functions file {path}: {exc.__class__.__name__}: {exc}")
        return {}
    specs: dict[str, FunctionSpec] = {}
    for name, func in inspect.getmembers(module, inspect.isfunction):
        if func.__module__ != module.__name__ or name.startswith("_"):
            continue
        try:
            specs[name] = build_spec(func)
        except Exception as exc:  # SchemaError, or anything odd in a user's function
            _warn(f"Skipped the function {name} in {path}: {exc}")
    return specs


def _user_specs(wanted: list[str], defined: dict[str, Path]) -> dict[str, FunctionSpec]:
    """Import only the user files that define a function the preset asks for from the user."""
    specs: dict[str, FunctionSpec] = {}
    for path in dict.fromkeys(defined[n] for n in wanted if n in defined):
        specs.update({n: s for n, s in _import_user_file(path).items() if n in wanted})
    return specs


def _refuse_shadows(names: list[str], defined: dict[str, Path]) -> None:
    """Say so when a user file defines a built-in's name the preset lists plainly (the built-in is used)."""
    for name in names:
        if name in defined:
            _warn(
                f"The user function {name} in {defined[name]} has the name of a built-in function and was not "
                f"used; the built-in {name} is. To use yours, list it as `{USER_PREFIX}{name}` in the preset."
            )


def load_functions(names: list[str], strict: bool = True) -> dict[str, FunctionSpec]:
    """The named functions, keyed by function name. `user:NAME` asks for the user's NAME over a
    built-in. Unknown names raise (strict, for a new agent) or are left out with a warning (an
    existing agent whose user function file was removed must still load)."""
    LOAD_WARNINGS.clear()
    builtins = builtin_functions()
    plain = [n for n in names if not n.startswith(USER_PREFIX)]
    from_user = [n.removeprefix(USER_PREFIX) for n in names if n.startswith(USER_PREFIX)]
    from_user += [n for n in plain if n not in builtins]
    defined = scan_user_files(report=bool(from_user))  # parsing runs no user code
    user = _user_specs(from_user, defined)
    _refuse_shadows([n for n in plain if n in builtins], defined)
    specs: dict[str, FunctionSpec] = {}
    missing: list[str] = []
    for listed in names:
        name = listed.removeprefix(USER_PREFIX)
        spec = user.get(name) if listed.startswith(USER_PREFIX) or name not in builtins else builtins[name]
        if spec is None:
            missing.append(name)
        else:
            specs[name] = spec
    if missing and not strict:
        _warn(
            f"Function(s) {', '.join(missing)} are not defined any more (looked in "
            f"{paths.user_texts_dir('functions')}); the agent continues without them."
        )
    elif missing:
        raise ConfigError(
            f"Unknown function(s) {', '.join(missing)}: put them in {paths.user_texts_dir('functions')} "
            "or remove them from the preset."
        )
    return specs
