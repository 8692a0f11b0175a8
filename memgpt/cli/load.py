"""`memgpt load ...` (documents into a named data source) and `memgpt attach` (a source to an agent)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from memgpt.cli.app import app

load_app = typer.Typer(
    help="Load documents into a named data source (then /attach it to any agent).", no_args_is_help=True
)
app.add_typer(load_app, name="load")

NAME_HELP = "Name of the data source to create or add to."


def _run_load(name: str, documents: list[Any]) -> None:
    """Shared by every `load` subcommand: open storage, embed, show progress, print a summary."""
    from memgpt.cli.output import console, print_warning
    from memgpt.config import Credentials, MemGPTConfig
    from memgpt.embeddings import create_embedder
    from memgpt.loaders import load_documents
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(name, "data source name")
    config = MemGPTConfig.load()
    out = console()
    embedder = create_embedder(config.embedding, Credentials.load())
    with open_storage(config) as storage:
        if out.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            from memgpt.loaders.ingest import LoadStats

            stats = LoadStats()
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar:
                task = bar.add_task(f"Loading into {name}", total=len(documents), rate="")
                started = time.perf_counter()

                def progress(event: str, doc: str) -> None:
                    if event != "start":
                        rate = stats.passages / max(time.perf_counter() - started, 1e-6)
                        bar.update(task, advance=1, rate=f"{stats.passages:,} passages, {rate:,.0f}/s")

                load_documents(
                    storage, embedder, name, documents, config.embedding.embedding_chunk_size, progress, stats
                )
        else:

            def progress(event: str, doc: str) -> None:
                if event in ("done", "skip"):
                    out.print(f"{'loaded' if event == 'done' else 'already loaded'}: {doc}", markup=False)

            stats = load_documents(storage, embedder, name, documents, config.embedding.embedding_chunk_size, progress)
    for doc, reason in stats.unreadable:
        print_warning(f"skipped {doc}: {reason}")
    rate = stats.passages / max(stats.seconds, 1e-6)
    out.print(
        f"Loaded {stats.documents} documents into {name!r}: {stats.passages} passages, {stats.tokens} tokens, "
        f"{stats.bytes / 1e6:.2f} MB in {stats.seconds:.1f} s ({rate:,.0f} passages/s)"
        + (f"; {stats.skipped_known} already loaded" if stats.skipped_known else "")
        + (f"; {len(stats.unreadable)} unreadable" if stats.unreadable else "")
        + ".",
        markup=False,
    )


@load_app.command("directory")
def load_directory(
    name: str = typer.Option(..., "--name", help=NAME_HELP),
    input_dir: Path = typer.Option(..., "--input-dir", help="Folder to read."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include sub-folders."),
    extensions: str = typer.Option(
        None, "--extensions", help="Comma-separated, e.g. .txt,.md,.pdf (default: all known)."
    ),
) -> None:
    """Load every readable file of a folder."""
    from memgpt.loaders.sources import directory_documents

    wanted = [e.strip() for e in extensions.split(",") if e.strip()] if extensions else None
    _run_load(name, directory_documents(input_dir, recursive, wanted))


@load_app.command("file")
def load_file(
    name: str = typer.Option(..., "--name", help=NAME_HELP),
    paths: list[Path] = typer.Argument(..., help="Files to load."),
) -> None:
    """Load the given files."""
    from memgpt.loaders.sources import file_documents

    _run_load(name, file_documents(paths))


@load_app.command("webpage")
def load_webpage(
    name: str = typer.Option(..., "--name", help=NAME_HELP),
    url: list[str] = typer.Option(..., "--url", help="Page to load (repeatable)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for each page."),
) -> None:
    """Load web pages (their text)."""
    from memgpt.loaders.sources import webpage_documents

    _run_load(name, webpage_documents(url, timeout))


@load_app.command("database")
def load_database(
    name: str = typer.Option(..., "--name", help=NAME_HELP),
    db: Path = typer.Option(..., "--db", help="SQLite database file (opened read-only)."),
    query: str = typer.Option(..., "--query", help="SQL whose rows become passages."),
) -> None:
    """Load the rows of a query on a SQLite database, each row as `column=value, ...`."""
    from memgpt.loaders.sources import database_documents

    _run_load(name, database_documents(db, query))


@app.command()
def attach(
    agent: str = typer.Option(..., "--agent", help="The agent to give the data source to."),
    data_source: str = typer.Option(..., "--data-source", help="A source loaded with `memgpt load`."),
) -> None:
    """Add a data source's passages to an agent's archival memory (no re-embedding; twice adds nothing)."""
    from memgpt.cli.output import console
    from memgpt.config import Credentials, EmbeddingConfig, MemGPTConfig
    from memgpt.embeddings import create_embedder
    from memgpt.errors import NotFoundError
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(agent, "agent name")
    validate_name(data_source, "data source name")
    config = MemGPTConfig.load()
    with open_storage(config) as storage:
        if not storage.sources.exists(data_source):
            raise NotFoundError(f"No data source named {data_source!r}. Load one with `memgpt load`.")
        with storage.lock_agent(agent):
            state = storage.agents.load(agent)
            embedder = create_embedder(EmbeddingConfig.model_validate(state.embedding), Credentials.load())
            archival = storage.archival(agent, embedder)
            added = storage.sources.attach(data_source, archival, agent)
            if data_source not in state.data_sources:
                state.data_sources.append(data_source)
                storage.agents.save(state)
            total = archival.count()
    console().print(
        f"Attached {data_source!r} to {agent!r}: {added} new passages; archival memory now holds {total}.",
        markup=False,
    )
