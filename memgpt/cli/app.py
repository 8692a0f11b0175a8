"""The `memgpt` command. Kept light: heavy modules (openai, faiss, numpy, questionary) are
imported inside the commands that use them, so `memgpt --help` starts fast."""

from __future__ import annotations

import sys

import typer

from memgpt import __version__
from memgpt.errors import MemGPTError

app = typer.Typer(
    name="memgpt",
    help="An LLM agent with long-term memory: core memory in context, recall and archival storage on disk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    _version: bool = typer.Option(
        False, "--version", "-V", callback=_print_version, is_eager=True, help="Print the memgpt version and exit."
    ),
) -> None:
    """An LLM agent with long-term memory: core memory in context, recall and archival storage on disk."""


@app.command()
def version() -> None:
    """Print the memgpt version."""
    typer.echo(__version__)


def _register() -> None:
    # Each module adds its commands to `app`; they import nothing heavy at module level.
    from memgpt.cli import (  # noqa: F401
        agents,
        configure,
        keys,
        load,
        manage,
        migrate,
        portable,
        reembed,
        run,
        server,
    )


_register()


def main() -> None:
    from memgpt.cli.output import setup_logging

    setup_logging(debug=False)  # libraries log at INFO; `run --debug` turns it up again
    try:
        _repair_permissions()
        app()
    except MemGPTError as exc:
        from memgpt.cli.output import print_error

        print_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)


def _repair_permissions() -> None:
    """Files an older release (or a loose umask) left readable by others become private, with a note."""
    from memgpt import paths

    fixed = paths.repair_permissions()
    if fixed:
        shown = ", ".join(str(p) for p in fixed[:3]) + (f" and {len(fixed) - 3} more" if len(fixed) > 3 else "")
        sys.stderr.write(f"Note: made {len(fixed)} memgpt files private (readable by other users before): {shown}\n")
