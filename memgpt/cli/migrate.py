"""`memgpt migrate --to postgres|sqlite`: move every agent and data source to the other backend.

Copies agents (state, messages with their ids mapped), passages with their vectors, data sources
with their documents and attachments (memgpt/storage/postgres/transfer.py), then checks the
counts on both sides and switches the config to the target. The source is only read: after a
move to Postgres the SQLite file is still there, as it was, to go back to. Killed half-way, the
same command resumes.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from memgpt.cli import settings
from memgpt.cli.app import app


@app.command()
def migrate(
    to: str = typer.Option(..., "--to", **settings.choice(["postgres", "sqlite"]), help="postgres or sqlite."),
    postgres_uri: str = typer.Option(
        None, "--postgres-uri", help="The server (default: MEMGPT_PG_URI, else the configured one)."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Overwrite agents the target already has with another history."
    ),
    switch: bool = typer.Option(True, "--switch/--keep-config", help="Use the target from now on (default)."),
) -> None:
    """Copy all agents, messages, passages (with vectors) and data sources to another storage backend."""
    from memgpt.cli.output import console, print_error
    from memgpt.config import Credentials, MemGPTConfig
    from memgpt.storage import open_postgres, open_sqlite
    from memgpt.storage.postgres import uri as uris
    from memgpt.storage.postgres.transfer import copy_all, verify

    out = console()
    config = MemGPTConfig.load()
    creds = Credentials.load()
    uri = uris.check_uri(postgres_uri) if postgres_uri else uris.configured_uri(config)
    where = uris.describe(uri)
    if to == "postgres":
        source, target = open_sqlite(config), open_postgres(uri)
        names = ("SQLite", f"PostgreSQL at {where}")
    else:
        source, target = open_postgres(uri), open_sqlite(config)
        names = (f"PostgreSQL at {where}", "SQLite")
    try:
        out.print(f"Copying from {names[0]} to {names[1]}…", markup=False)
        report = copy_all(source, target, replace=replace, progress=lambda text: out.print(f"  {text}", markup=False))
        problems = verify(source, target)
    finally:
        source.close()
        target.close()
    if problems:
        print_error("The copy is incomplete; run the same command again to resume:\n  " + "\n  ".join(problems))
        raise typer.Exit(1)
    out.print(
        f"Copied {len(report.agents)} agents ({report.messages} messages), {len(report.sources)} data sources and "
        f"{report.passages} passages"
        + (f"; {len(report.skipped)} agents were already there" if report.skipped else "")
        + ". Counts match.",
        markup=False,
    )
    if switch:
        select_storage(config, creds, to, uri if to == "postgres" else None, check=False)
        config.save()
        if not creds.is_empty():
            creds.save()
        out.print(f"memgpt now uses {names[1]}. The {names[0]} copy was left as it was.", markup=False)
        if to == "sqlite" and os.environ.get(uris.ENV_URI):
            out.print(f"{uris.ENV_URI} is set, and it still selects Postgres: unset it.", style="yellow", markup=False)


def select_storage(config: Any, creds: Any, backend: str | None, uri: str | None, check: bool = True) -> None:
    """Select the storage backend. A URI's password goes to the credentials file, never to config.json;
    a Postgres server is tried (and its schema created) before anything is saved."""
    from memgpt.cli.output import console
    from memgpt.errors import ConfigError
    from memgpt.storage.postgres import uri as uris

    backend = backend or ("postgres" if uri else None)
    if backend is None:
        return
    if backend == "sqlite":
        config.storage = config.storage.model_copy(
            update={"archival_storage_type": "local", "recall_storage_type": "sqlite"}
        )
        return
    if uri:
        bare, password = uris.split_password(uris.check_uri(uri))
        if password or bare != config.storage.postgres_uri:
            creds.postgres_password = password  # a new server without a password: the old one is not its
        config.storage = config.storage.model_copy(update={"postgres_uri": bare})
    if not config.storage.postgres_uri:
        raise ConfigError("--storage postgres needs --postgres-uri postgresql://user:password@host:5432/dbname.")
    from memgpt.storage import open_postgres

    full = uris.with_password(config.storage.postgres_uri, creds.postgres_password)
    if check:
        open_postgres(full).close()  # reachable, pgvector present, schema migrated: or a clear error now
    config.storage = config.storage.model_copy(
        update={"archival_storage_type": "postgres", "recall_storage_type": "postgres"}
    )
    if check:
        where = uris.describe(config.storage.postgres_uri)
        hint = "copy agents there: `memgpt migrate --to postgres`"
        console().print(f"🐘 Storage: PostgreSQL at {where} ({hint})", markup=False)


