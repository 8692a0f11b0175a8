"""Console helpers shared by the commands: one rich console each for stdout and stderr."""

from __future__ import annotations

import functools
import json
import logging
import sys
from typing import Any

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


def write_line(text: str) -> None:
    """Machine-readable output: exactly the text, no markup, emoji codes or wrapping applied."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def print_records(title: str, records: list[dict[str, Any]], columns: list[str], as_json: bool = False) -> None:
    """Rows for people in a terminal (a table); tab-separated lines, header first, when piped; JSON
    (a list of objects with the same keys, values typed) with --json.

    Piped output is read by programs: box drawing and wrapping at 80 columns only get in their way.
    """
    out = console()
    if as_json:
        write_line(json.dumps(records, ensure_ascii=False, default=str))
        return
    headers = [c.replace("_", " ").capitalize() for c in columns]
    rows = [[_cell(record.get(c)) for c in columns] for record in records]
    if not out.is_terminal:
        for row in [headers, *rows]:
            write_line("\t".join(" ".join(cell.split()) for cell in row))
        return
    from rich.table import Table

    table = Table(title=title)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


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
        from memgpt.fileio import create_private

        paths.make_private_dir(paths.logs_dir())
        logfile = paths.logs_dir() / "memgpt.log"
        create_private(logfile)  # it holds whole conversations: 0600 like the database
        handler = logging.FileHandler(logfile, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        # raw requests and responses on screen too, shortened; the file keeps them whole
        shown = logging.StreamHandler(sys.stderr)
        shown.setFormatter(logging.Formatter("[%(name)s] %(message).600s"))
        logging.getLogger("memgpt.llm").addHandler(shown)
        sys.stderr.write(f"Debug log: {logfile} (it contains your conversation text; readable only by you)\n")
        logging.getLogger("memgpt").debug("this log contains conversation text (requests and replies)")
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "faiss", "faiss.loader"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
