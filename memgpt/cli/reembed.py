"""`memgpt reembed`: move an agent's archival memory to the embedding model in the current config.

Vectors of two models cannot be mixed, so changing the embedding model of an agent with archival
memory means re-embedding every passage (the texts are kept, so nothing is lost).
"""

from __future__ import annotations

import typer

from memgpt.cli.app import app


@app.command()
def reembed(
    agent: str = typer.Option(..., "--agent", help="The agent whose archival memory to re-embed."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Re-embed an agent's archival memory with the embedding model of the current config."""
    from memgpt.cli.output import console
    from memgpt.config import Credentials, MemGPTConfig
    from memgpt.embeddings import create_embedder
    from memgpt.storage import open_storage
    from memgpt.texts import validate_name

    validate_name(agent, "agent name")
    config = MemGPTConfig.load()
    with open_storage(config) as storage, storage.lock_agent(agent):
        state = storage.agents.load(agent)
        count = storage.archival(agent, None).count()
        target = config.embedding
        if not yes and not typer.confirm(
            f"Re-embed {count} passages of {agent!r} with {target.embedding_model} ({target.embedding_dim}-d)?",
            default=True,
        ):
            raise typer.Exit(1)
        embedder = create_embedder(target, Credentials.load())
        done = storage.archival(agent, None).reembed(embedder)
        state.embedding = target.model_dump()
        storage.agents.save(state)
    console().print(f"Re-embedded {done} passages of {agent!r} with {embedder.model_id}.", markup=False)
