"""Console helpers shared by the commands: one rich console each for stdout and stderr."""

from __future__ import annotations

import functools

from rich.console import Console


@functools.cache
def console() -> Console:
    return Console(highlight=False)


@functools.cache
def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    err_console().print(f"[bold red]Error:[/] {message}", markup=True, soft_wrap=True)


def print_warning(message: str) -> None:
    err_console().print(f"[yellow]Warning:[/] {message}", markup=True, soft_wrap=True)
