"""`memgpt list`, `add`, `delete`: managing agents, personas, humans, presets and data sources."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from memgpt.cli.app import app


class ListKind(str, Enum):
    agents = "agents"
    humans = "humans"
    personas = "personas"
    presets = "presets"
    sources = "sources"


class TextKind(str, Enum):
    persona = "persona"
    human = "human"


class DeleteKind(str, Enum):
    agent = "agent"
    persona = "persona"
    human = "human"
    source = "source"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


JSON_HELP = "Print JSON (a list of objects) instead of a table."


@app.command("list")
def list_(
    kind: ListKind = typer.Argument(..., help="What to list."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List agents, humans, personas, presets or data sources (tab-separated when piped)."""
    from memgpt import texts
    from memgpt.cli.output import print_records

    if kind in (ListKind.humans, ListKind.personas):
        records = [
            {
                "name": name,
                "origin": "yours" if texts.is_user_text(kind.value, name) else "shipped",
                "text": path.read_text(encoding="utf-8") if as_json else _short(path.read_text(encoding="utf-8")),
            }
            for name, path in texts.list_texts(kind.value).items()
        ]
        print_records(kind.value.capitalize(), records, ["name", "origin", "text"], as_json)
    elif kind == ListKind.presets:
        records = []
        for name in texts.list_presets():
            preset = texts.load_preset(name)
            records.append(
                {
                    "name": name,
                    "system_prompt": preset.system_prompt,
                    "functions": preset.functions if as_json else len(preset.functions),
                    "description": preset.description,
                }
            )
        print_records("Presets", records, ["name", "system_prompt", "functions", "description"], as_json)
    else:
        from memgpt.config import MemGPTConfig
        from memgpt.storage import open_storage

        with open_storage(MemGPTConfig.load()) as storage:
            if kind == ListKind.agents:
                records = [
                    {
                        "name": a.name,
                        "model": a.model,
                        "persona": a.persona_name,
                        "human": a.human_name,
                        "data_sources": list(a.data_sources),
                        "messages": a.messages,
                        "created": _when(a.created_at),
                    }
                    for a in storage.agents.list()
                ]
                columns = ["name", "model", "persona", "human", "data_sources", "messages", "created"]
                print_records("Agents", records, columns, as_json)
            else:
                records = [
                    {
                        "name": s.name,
                        "documents": s.documents,
                        "passages": s.passages,
                        "size": f"{s.size_bytes / 1e6:.2f} MB" if not as_json else s.size_bytes,
                        "embedding": f"{s.embedding_model} ({s.embedding_dim})",
                        "agents": list(s.agents),
                    }
                    for s in storage.sources.list()
                ]
                columns = ["name", "documents", "passages", "size", "embedding", "agents"]
                print_records("Data sources", records, columns, as_json)


@app.command()
def add(
    kind: TextKind = typer.Argument(..., help="persona or human"),
    name: str = typer.Option(..., "--name", help="Name to save it under."),
    text: str = typer.Option(None, "--text", help="The text itself."),
    file: Path = typer.Option(None, "--file", "-f", help="A file holding the text."),
) -> None:
    """Add (or replace) a persona or human profile of your own."""
    from memgpt import texts
    from memgpt.cli.output import console, print_error
    from memgpt.constants import CORE_MEMORY_HUMAN_CHAR_LIMIT, CORE_MEMORY_PERSONA_CHAR_LIMIT

    if (text is None) == (file is None):
        print_error("Give exactly one of --text or --file.")
        raise typer.Exit(2)
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print_error(f"Cannot read {file}: {exc}")
            raise typer.Exit(1) from None
    texts.validate_name(name, kind.value)
    limit = CORE_MEMORY_PERSONA_CHAR_LIMIT if kind == TextKind.persona else CORE_MEMORY_HUMAN_CHAR_LIMIT
    if not text.strip():
        print_error("The text is empty.")
        raise typer.Exit(1)
    if len(text.strip()) > limit:
        print_error(f"The text is {len(text.strip())} characters; a core memory block holds at most {limit}.")
        raise typer.Exit(1)
    path = texts.save_user_text(f"{kind.value}s", name, text)
    console().print(f"Saved {kind.value} {name!r} to {path}", markup=False)


@app.command()
def delete(
    kind: DeleteKind = typer.Argument(..., help="agent, persona, human or source"),
    name: str = typer.Option(..., "--name", help="Name of the thing to delete."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete an agent (with all its memories), a data source, or one of your personas/humans."""
    from memgpt import texts
    from memgpt.cli.output import console

    texts.validate_name(name, kind.value)
    if not yes:
        what = {"agent": " and all its memories", "source": " and its passages"}.get(kind.value, "")
        if not typer.confirm(f"Delete {kind.value} {name!r}{what}? This cannot be undone.", default=False):
            console().print("Nothing deleted.")
            raise typer.Exit(1)
    if kind in (DeleteKind.persona, DeleteKind.human):
        path = texts.delete_user_text(f"{kind.value}s", name)
        console().print(f"Deleted {kind.value} {name!r} ({path}).", markup=False)
        return
    from memgpt.config import MemGPTConfig
    from memgpt.storage import open_storage

    with open_storage(MemGPTConfig.load()) as storage:
        if kind == DeleteKind.agent:
            with storage.lock_agent(name):
                storage.agents.delete(name)
        else:
            storage.sources.delete(name)
    console().print(f"Deleted {kind.value} {name!r}.", markup=False)


@app.command()
def folder(open_it: bool = typer.Option(False, "--open", help="Open the config folder in the file browser.")) -> None:
    """Show where memgpt keeps its config, your texts and its data."""
    from memgpt import paths
    from memgpt.cli.output import console

    out = console()
    out.print(f"config and your texts: {paths.config_dir()}", markup=False)
    out.print(f"database and indexes:  {paths.data_dir()}", markup=False)
    if open_it:
        typer.launch(str(paths.config_dir()), locate=False)
