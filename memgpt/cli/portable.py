"""`memgpt export` and `memgpt import`: move an agent between machines, share it, back it up.

The file format and the Letta `.af` mapping live in memgpt/portable (docs/portable.md).
"""

from __future__ import annotations

from pathlib import Path

import typer

from memgpt.cli.app import app


def _config() -> object | None:
    from memgpt.config import MemGPTConfig

    return MemGPTConfig.load() if MemGPTConfig.exists() else None


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@app.command()
def export(
    agent: str = typer.Option(..., "--agent", help="The agent to export."),
    output: Path = typer.Option(None, "--output", "-o", help="The file to write (default: AGENT.memgpt.jsonl)."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Write an agent (memory, whole history, archival passages with vectors, settings; never keys) to one file."""
    from memgpt.cli.output import console
    from memgpt.errors import MemGPTError
    from memgpt.portable import export_agent
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(agent, "agent name")
    path = (output or Path(f"{agent}.memgpt.jsonl")).expanduser()
    if path.exists() and not force:
        raise MemGPTError(f"{path} already exists; use --force to replace it, or -o to choose another file.")
    with open_storage(_config()) as storage:
        summary = export_agent(storage, agent, path)
    c = summary.counts
    console().print(
        f"Exported {agent!r} to {path} ({_size(summary.bytes)}): {c['message']} messages, {c['passage']} archival "
        f"passages, {c['block']} memory blocks. The file is private (0600): it holds the whole conversation.",
        markup=False,
    )


@app.command("import")
def import_agent(
    file: Path = typer.Argument(..., help="A memgpt export (.jsonl) or a Letta agent file (.af)."),
    name: str = typer.Option(None, "--name", help="Import under this name (default: the agent's own, or a free one)."),
) -> None:
    """Create an agent from an export or a Letta .af file: all of it, or (if the file is damaged) nothing."""
    from memgpt.cli.output import console
    from memgpt.portable import import_file
    from memgpt.storage import open_storage

    config = _config()
    with open_storage(config) as storage:
        summary = import_file(storage, file.expanduser(), name=name, config=config)
    out = console()
    what = "Letta agent file" if summary.source_format == "letta" else "export"
    c = summary.counts
    out.print(
        f"Imported {summary.agent!r} from the {what} {file}: {c.get('message', 0)} messages, "
        f"{c.get('passage', 0)} archival passages, {c.get('block', 0)} memory blocks.",
        markup=False,
    )
    for note in summary.notes:
        out.print(f"- {note}", markup=False)
    out.print(f"Chat with it: memgpt run --agent {summary.agent}", markup=False)
