"""`memgpt run`: pick or create an agent and chat with it.

Interactive in a terminal (prompt history, multi-line input, a spinner, Ctrl-C cancels a step);
line by line when stdin is piped (each line a message or a slash command, plain output, EOF
saves and exits). The agent's state is committed after every step, so leaving in any way loses
nothing the user saw.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import typer

from memgpt.cli.app import app

log = logging.getLogger(__name__)


@app.command()
def run(
    agent: str = typer.Option(None, "--agent", help="Agent to resume, or to create under this name."),
    persona: str = typer.Option(None, "--persona", help="Persona for a new agent."),
    human: str = typer.Option(None, "--human", help="Human profile for a new agent."),
    preset: str = typer.Option(None, "--preset", help="Preset for a new agent."),
    model: str = typer.Option(None, "--model", help="Model to use (switches an existing agent's model)."),
    model_endpoint: str = typer.Option(None, "--model-endpoint", help="Override the LLM endpoint."),
    model_endpoint_type: str = typer.Option(None, "--model-endpoint-type", help="Override the endpoint type."),
    model_wrapper: str = typer.Option(None, "--model-wrapper", help="JSON-in-text wrapper (chatml, llama3...)."),
    context_window: int = typer.Option(None, "--context-window", help="Override the context window (tokens)."),
    first: bool = typer.Option(False, "--first", help="You speak first (the agent does not greet)."),
    debug: bool = typer.Option(False, "--debug", help="Show requests, token counts and timings; log to a file."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip first-message verification."),
    stream: bool = typer.Option(None, "--stream/--no-stream", help="Show replies as they are generated."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Never ask: create a new agent with defaults."),
) -> None:
    """Chat with an agent (creates one if needed)."""
    from memgpt.cli.output import console, print_error, setup_logging
    from memgpt.cli.render import ConsoleInterface
    from memgpt.config import MemGPTConfig
    from memgpt.errors import AgentLockedError
    from memgpt.storage import open_storage

    setup_logging(debug)
    interactive = sys.stdin.isatty()
    if not MemGPTConfig.exists():
        if yes or not interactive:
            print_error("memgpt is not configured yet. Run `memgpt configure` first (it can run from flags too).")
            raise typer.Exit(1)
        from memgpt.cli.configure import run_wizard

        console().print("No configuration found: let's set memgpt up first.", style="yellow")
        run_wizard()
    config = MemGPTConfig.load()
    overrides = {
        k: v
        for k, v in {
            "model_endpoint": model_endpoint,
            "model_endpoint_type": model_endpoint_type,
            "model_wrapper": model_wrapper,
            "context_window": context_window,
            "stream": stream,
        }.items()
        if v is not None
    }
    if overrides:
        config.llm = config.llm.model_validate({**config.llm.model_dump(), **overrides})
    out = console()
    interface = ConsoleInterface(out, debug=debug)
    storage = open_storage(config)
    try:
        try:
            the_agent = _open_agent(
                storage, config, interface, agent, persona, human, preset, model, overrides, yes, interactive
            )
        except AgentLockedError as exc:
            print_error(str(exc))
            raise typer.Exit(1) from None
        try:
            chat(the_agent, interface, greet=not first, verify=not no_verify, interactive=interactive, debug=debug)
        finally:
            the_agent.close()
    finally:
        storage.close()


def _new_name(storage: Any) -> str:
    existing = set(storage.agents.names())
    n = len(existing) + 1
    while f"agent_{n}" in existing:
        n += 1
    return f"agent_{n}"


def _open_agent(
    storage: Any,
    config: Any,
    interface: Any,
    name: str | None,
    persona: str | None,
    human: str | None,
    preset: str | None,
    model: str | None,
    overrides: dict[str, Any],
    yes: bool,
    interactive: bool,
) -> Any:
    from memgpt.agent import Agent
    from memgpt.cli.output import console
    from memgpt.texts import validate_name

    out = console()
    if name is None and interactive and not yes and storage.agents.names():
        import questionary

        new = "➕ Create a new agent"
        choice = questionary.select("Select an agent:", choices=[new, *storage.agents.names()]).ask()
        if choice is None:
            raise typer.Exit(1)
        name = None if choice == new else choice
    if name is not None:
        validate_name(name, "agent name")
    if name is not None and storage.agents.exists(name):
        out.print(f"🔁 Using existing agent {name}", style="green")
        the_agent = Agent.load(name, config=config, storage=storage, interface=interface)
        for flag, given, kept in (
            ("persona", persona, the_agent.state.persona_name),
            ("human", human, the_agent.state.human_name),
            ("preset", preset, the_agent.state.preset),
        ):
            if given and given != kept:
                out.print(
                    f"Note: --{flag} {given} applies to new agents; {name} keeps its {flag} {kept!r} "
                    "(edit its memory instead).",
                    style="yellow",
                )
        if model and model != the_agent.llm_config.model:
            the_agent.set_model(model)
            out.print(f"Switched {name} to model {model}.", style="yellow")
        if overrides:
            the_agent.llm_config = the_agent.llm_config.model_validate(
                {**the_agent.llm_config.model_dump(), **overrides}
            )
            the_agent.state.llm = the_agent.llm_config.model_dump()
            the_agent.save()
        return the_agent
    name = name or _new_name(storage)
    out.print("🧬 Creating new agent...")
    the_agent = Agent.create(
        name=name,
        config=config,
        storage=storage,
        interface=interface,
        preset=preset,
        persona=persona,
        human=human,
        model=model,
    )
    out.print(f"->  🤖 Using persona profile {the_agent.state.persona_name!r}")
    out.print(f"->  🧑 Using human profile {the_agent.state.human_name!r}")
    out.print(f"🎉 Created new agent {name!r}", style="green")
    return the_agent


def run_turn(session: Any, turn: Callable[[], Any]) -> None:
    """One agent turn with the REPL's error handling: nothing here may end the session."""
    from memgpt.cli.output import console
    from memgpt.errors import MemGPTError

    started = time.perf_counter()
    session.interface.thinking()
    try:
        turn()
    except KeyboardInterrupt:
        session.interface.done()
        console().print(
            "Interrupted: that step was cancelled (what you sent is kept; /retry asks again).", style="yellow"
        )
        return
    except MemGPTError as exc:
        session.interface.done()
        console().print(f"✗ {exc} (what you sent is kept; /retry asks again).", style="red", markup=False)
        return
    session.interface.done()
    if session.interface.debug:
        budget = session.agent.token_budget()
        console().print(
            f"[{time.perf_counter() - started:.2f}s, context {budget['used']}/{budget['window']} tokens]",
            style="dim",
            markup=False,
        )


def _reader(session: Any) -> Callable[[], str]:
    """A function returning the next line of input; EOFError at the end, KeyboardInterrupt on Ctrl-C."""
    if not session.interactive:

        def read_piped() -> str:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\n")

        return read_piped
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    from memgpt import paths

    paths.history_file().parent.mkdir(parents=True, exist_ok=True)
    prompt = PromptSession(history=FileHistory(str(paths.history_file())))

    def read_tty() -> str:
        return prompt.prompt("> ", multiline=session.multiline)

    return read_tty


def chat(agent: Any, interface: Any, *, greet: bool, verify: bool, interactive: bool, debug: bool) -> None:
    from memgpt.cli.output import console
    from memgpt.cli.slash import Session, dispatch

    out = console()
    session = Session(agent=agent, console=out, interface=interface, interactive=interactive)
    if greet:
        run_turn(session, lambda: agent.greet(verify=verify))
    if interactive:
        out.print("Type a message, /help for commands, /exit (or Ctrl-D) to leave.", style="dim")
    read = _reader(session)
    while True:
        try:
            line = read()
        except EOFError:
            break
        except KeyboardInterrupt:
            if _confirm_exit(out):
                break
            continue
        text = line.strip()
        if not text:
            continue
        if text.startswith("!"):
            out.print("Commands start with '/', not '!'. Type /help for the list.", style="yellow")
            continue
        if text.startswith("/"):
            if dispatch(session, text) == "exit":
                break
            continue
        run_turn(session, lambda text=text: agent.user_message(text, verify=verify))
    agent.save()
    out.print(f"Saved agent '{agent.name}'. Bye!", style="dim")


def _confirm_exit(out: Any) -> bool:
    from prompt_toolkit.shortcuts import confirm

    try:
        return confirm("Leave memgpt? (your agent is saved)")
    except (KeyboardInterrupt, EOFError):
        return True
