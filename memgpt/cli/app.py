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
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """An LLM agent with long-term memory: core memory in context, recall and archival storage on disk."""


@app.command()
def version() -> None:
    """Print the memgpt version."""
    typer.echo(__version__)


def _register() -> None:
    # Each module adds its commands to `app`; they import nothing heavy at module level.
    from memgpt.cli import configure, load, manage, reembed, run, server  # noqa: F401


_register()


def main() -> None:
    from memgpt.cli.output import setup_logging

    setup_logging(debug=False)  # libraries log at INFO; `run --debug` turns it up again
    try:
        app()
    except MemGPTError as exc:
        from memgpt.cli.output import print_error

        print_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
