"""Console helpers shared by the commands: one rich console each for stdout and stderr."""

from __future__ import annotations

import functools
import logging
import sys

from rich.console import Console


def _plain_when_piped(c: Console) -> Console:
    """Piped output is read by programs: no wrapping at an imaginary 80 columns."""
    if not c.is_terminal:
        c.soft_wrap = True
    return c


@functools.cache
def console() -> Console:
    return _plain_when_piped(Console(highlight=False))


@functools.cache
def err_console() -> Console:
    return _plain_when_piped(Console(stderr=True, highlight=False))


def print_error(message: str) -> None:
    err_console().print(f"[bold red]Error:[/] {message}", markup=True)


def print_warning(message: str) -> None:
    err_console().print(f"[yellow]Warning:[/] {message}", markup=True)


def setup_logging(debug: bool) -> None:
    """Quiet by default (libraries log at INFO); with --debug, everything to a file and LLM traffic on screen."""
    from memgpt import paths

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if debug:
        paths.logs_dir().mkdir(parents=True, exist_ok=True)
        logfile = paths.logs_dir() / "memgpt.log"
        handler = logging.FileHandler(logfile, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        # raw requests and responses on screen too, shortened; the file keeps them whole
        shown = logging.StreamHandler(sys.stderr)
        shown.setFormatter(logging.Formatter("[%(name)s] %(message).600s"))
        logging.getLogger("memgpt.llm").addHandler(shown)
        sys.stderr.write(f"Debug log: {logfile}\n")
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "faiss", "faiss.loader"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
