"""`memgpt run`: pick or create an agent and chat with it.

Interactive in a terminal (prompt history, multi-line input, a spinner, Ctrl-C cancels a step);
line by line when stdin is piped (each line a message or a slash command, plain output, EOF
saves and exits). The agent's state is committed after every step, so leaving in any way loses
nothing the user saw.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import typer

from memgpt.cli import settings
from memgpt.cli.app import app
from memgpt.cli.background import RecallIndexer, start_warmup

log = logging.getLogger(__name__)


@app.command()
def run(
    agent: str = typer.Option(None, "--agent", help="Agent to resume, or to create under this name."),
    persona: str = typer.Option(None, "--persona", help="Persona for a new agent."),
    human: str = typer.Option(None, "--human", help="Human profile for a new agent."),
    preset: str = typer.Option(None, "--preset", help="Preset for a new agent."),
    model: str = settings.option_model("Model for this run (a new agent keeps it; --save keeps it for others)."),
    model_endpoint: str = settings.option_endpoint(),
    model_endpoint_type: str = settings.option_endpoint_type(),
    model_wrapper: str = settings.option_wrapper(),
    context_window: int = settings.option_window(),
    save: bool = typer.Option(False, "--save", help="Keep the --model/--model-* flags as the agent's own settings."),
    message: str = typer.Option(None, "--message", "-m", help="Send one message (or /command), print, and exit."),
    as_json: bool = typer.Option(False, "--json", help="Print agent events as JSON Lines (one object per line)."),
    first: bool = typer.Option(False, "--first", help="You speak first (the agent does not greet)."),
    debug: bool = typer.Option(False, "--debug", help="Show requests, token counts and timings; log to a file."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip first-message verification."),
    stream: bool = typer.Option(None, "--stream/--no-stream", help="Show replies as they are generated."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Never ask: create a new agent with defaults."),
    block: list[str] = typer.Option(
        None,
        "--block",
        help="An extra core memory block for a new agent: LABEL=TEXT, or LABEL=@FILE (repeatable).",
    ),
    heartbeat_every: float = typer.Option(
        None,
        "--heartbeat-every",
        min=0.001,
        help="In a terminal: send the agent a heartbeat after this many idle minutes (it may think "
        "unprompted; pause_heartbeats quiets it). Off by default.",
    ),
) -> None:
    """Chat with an agent (creates one if needed). Piped: one message per line; exits 1 if a turn failed."""
    from memgpt.cli.output import console, err_console, print_error, setup_logging
    from memgpt.cli.render import ConsoleInterface, JsonLinesInterface
    from memgpt.config import MemGPTConfig
    from memgpt.errors import AgentLockedError
    from memgpt.storage import open_storage

    setup_logging(debug)
    scripted = message is not None or as_json
    interactive = sys.stdin.isatty() and not scripted
    if not MemGPTConfig.exists():
        if yes or not interactive:
            print_error("memgpt is not configured yet. Run `memgpt configure` first (it can run from flags too).")
            raise typer.Exit(1)
        from memgpt.cli.configure import run_wizard

        console().print("No configuration found: let's set memgpt up first.", style="yellow")
        run_wizard()
    config = MemGPTConfig.load()
    flags = {
        "model": model,
        "endpoint_type": model_endpoint_type,
        "endpoint": model_endpoint,
        "wrapper": model_wrapper,
        "window": context_window,
    }
    status = err_console() if scripted else console()  # --json / -m: stdout carries only the answer
    interface: Any = JsonLinesInterface() if as_json else ConsoleInterface(console(), debug=debug)
    storage = open_storage(config)
    try:
        try:
            opened = _open_agent(
                storage,
                config,
                interface,
                agent,
                persona,
                human,
                preset,
                flags,
                save,
                yes,
                interactive,
                status,
                parse_blocks(block or []),
            )
        except AgentLockedError as exc:
            print_error(str(exc))
            raise typer.Exit(1) from None
        the_agent, persisted = opened
        if stream is not None and stream != the_agent.llm_config.stream:  # a display choice: never saved
            persisted = persisted or dict(the_agent.state.llm)
            the_agent.llm_config = the_agent.llm_config.model_copy(update={"stream": stream})
        try:
            session = _session(the_agent, interface, interactive, persisted)
            if heartbeat_every is not None:
                if interactive:
                    from memgpt.agent.heartbeats import HeartbeatTimer

                    session.heartbeat_timer = HeartbeatTimer(heartbeat_every)
                else:
                    from memgpt.cli.output import print_warning

                    print_warning("--heartbeat-every needs a terminal (it waits for an idle prompt); ignored here.")
            if message is not None:
                one_shot(session, message, verify=not no_verify)
            else:
                greet = not first and not as_json
                chat(session, greet=greet, verify=not no_verify)
        finally:
            the_agent.close()
    finally:
        storage.close()
    if session.failed and not interactive:
        err_console().print(f"{session.failed} turn(s) failed.", style="red", markup=False)
        raise typer.Exit(1)


def _session(agent: Any, interface: Any, interactive: bool, persisted: dict[str, Any] | None) -> Any:
    from memgpt.cli.output import console, err_console
    from memgpt.cli.render import JsonLinesInterface
    from memgpt.cli.slash import Session

    # with --json, stdout is JSON only: what slash commands print for people goes to stderr
    out = err_console() if isinstance(interface, JsonLinesInterface) else console()
    return Session(agent=agent, console=out, interface=interface, interactive=interactive, persisted_llm=persisted)


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
    flags: dict[str, Any],
    save: bool,
    yes: bool,
    interactive: bool,
    out: Any,
    blocks: list[Any] | None = None,
) -> tuple[Any, dict[str, Any] | None]:
    """The agent to talk to, with the flags applied; also its saved LLM settings when this run uses
    others (None when the run uses what is saved)."""
    from memgpt.agent import Agent
    from memgpt.cli.output import print_warning
    from memgpt.texts import validate_name

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
                print_warning(
                    f"--{flag} {given} applies to new agents; {name} keeps its {flag} {kept!r} "
                    "(edit its memory instead)."
                )
        if blocks:
            print_warning(f"--block applies to new agents; {name} keeps its memory blocks.")
        return the_agent, apply_run_settings(the_agent, flags, save, config, out)
    updates = settings.llm_updates(config.llm, config=config, **flags)
    if updates:  # a new agent takes the flags as its own settings
        config = config.model_copy(update={"llm": settings.with_updates(config.llm, updates)})
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
        model=flags.get("model"),
        blocks=blocks,
    )
    out.print(f"->  🤖 Using persona profile {the_agent.state.persona_name!r}")
    out.print(f"->  🧑 Using human profile {the_agent.state.human_name!r}")
    for label, mem in the_agent.core.blocks.items():
        if label not in ("persona", "human"):
            how = ", read-only" if mem.read_only else ""
            how += f", shared as {mem.shared}" if mem.shared else ""
            out.print(f"->  🧩 Memory block {label!r} ({len(mem.value)}/{mem.limit} chars{how})", markup=False)
    if updates:
        out.print(f"->  ⚙ Using {settings.agent_settings_line(the_agent.llm_config)}", markup=False)
    out.print(f"🎉 Created new agent {name!r}", style="green")
    return the_agent, None


def apply_run_settings(agent: Any, flags: dict[str, Any], save: bool, config: Any, out: Any) -> dict[str, Any] | None:
    """Apply --model/--model-* flags to a loaded agent: for this run only unless `save`. Prints every
    change. Returns the agent's saved settings when the run differs from them (else None)."""
    before = agent.llm_config
    updates = settings.llm_updates(before, config=config, **flags)
    if not updates:
        return None
    saved = dict(agent.state.llm)
    if "model" in updates:
        agent.set_model(updates["model"])  # resets the tokenizer and client; it also saves: undone below
    agent.llm_config = settings.with_updates(agent.llm_config, updates)
    how = "saved" if save else "this run only; add --save to keep it"
    for line in settings.describe_changes(before, updates):
        out.print(f"⚙ {agent.name}: {line} ({how})", style="yellow", markup=False)
    agent.state.llm = agent.llm_config.model_dump() if save else saved
    agent.save()
    return None if save else saved


def parse_blocks(specs: list[str]) -> list[Any]:
    """`--block LABEL=TEXT` / `LABEL=@FILE` as preset blocks (default limit, writable, not shared)."""
    from pathlib import Path

    from memgpt.errors import MemGPTError
    from memgpt.texts import PresetBlock

    blocks = []
    for spec in specs:
        label, sep, text = spec.partition("=")
        if not sep:
            raise MemGPTError(f"--block {spec!r}: expected LABEL=TEXT (or LABEL=@FILE).")
        if text.startswith("@"):
            path = Path(text[1:]).expanduser()
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise MemGPTError(f"--block {label}=@{path}: cannot read the file ({exc.strerror or exc}).") from None
        try:
            blocks.append(PresetBlock(label=label.strip(), value=text))
        except ValueError as exc:
            raise MemGPTError(f"--block {spec[:80]!r}: {exc}") from None
    return blocks


def run_turn(session: Any, turn: Callable[[], Any]) -> bool:
    """One agent turn with the REPL's error handling: nothing here may end the session.

    Returns whether the turn succeeded; failures are counted on the session (piped runs exit 1).
    """
    from memgpt.errors import MemGPTError

    started = time.perf_counter()
    session.interface.thinking()
    try:
        _wire_retries(session)
        turn()
    except KeyboardInterrupt:
        session.failed += 1
        session.interface.turn_failed("Interrupted: that step was cancelled (what you sent is kept; /retry asks again)")
        return False
    except MemGPTError as exc:
        session.failed += 1
        hint = setting_hint(session.agent, exc)
        session.interface.turn_failed(f"{exc}{hint} (what you sent is kept; /retry asks again).")
        return False
    session.interface.done()
    if session.interface.debug:
        from memgpt.cli.output import console

        budget = session.agent.token_budget()
        console().print(
            f"[{time.perf_counter() - started:.2f}s, context {budget['used']}/{budget['window']} tokens]",
            style="dim",
            markup=False,
        )
    return True


def _wire_retries(session: Any) -> None:
    """Seam for the LLM client's retry callback: a client that has `on_retry` (attempt, max_attempts,
    delay, reason) gets the interface's, so waiting shows "retrying in N s (k/5)" instead of silence."""
    client = session.agent.client
    if hasattr(client, "on_retry") and getattr(client, "on_retry", None) is None:
        client.on_retry = session.interface.on_retry


def setting_hint(agent: Any, exc: Exception) -> str:
    """Errors about the endpoint, key or model name the agent's own setting and the command changing it."""
    from memgpt.errors import LLMAuthError, LLMConnectionError, LLMModelNotFoundError

    llm, name = agent.llm_config, agent.name
    if isinstance(exc, LLMConnectionError):
        return (
            f". Agent {name!r} uses model_endpoint {llm.model_endpoint}: change it with "
            f"`memgpt agent set {name} --model-endpoint URL` (or for one run: `memgpt run --agent {name} "
            "--model-endpoint URL`)"
        )
    if isinstance(exc, LLMAuthError):
        return f". Store the key for that endpoint with `memgpt keys set {llm.model_endpoint}`"
    if isinstance(exc, LLMModelNotFoundError):
        return f". Agent {name!r} uses model {llm.model}: change it with `memgpt agent set {name} --model NAME`"
    return ""


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
    from memgpt.fileio import create_private

    paths.make_private_dir(paths.history_file().parent)
    create_private(paths.history_file())  # what the user typed: private like the conversation
    prompt = PromptSession(history=FileHistory(str(paths.history_file())))

    def read_tty() -> str:
        timer = session.heartbeat_timer
        if timer is None:
            return prompt.prompt("> ", multiline=session.multiline)
        return prompt.prompt("> ", multiline=session.multiline, pre_run=lambda: _watch_idle(session, timer))

    return read_tty


# What the prompt returns when the idle timer, not the person, ended it (cannot be typed).
TIMED_HEARTBEAT = "\x00timed-heartbeat"
HEARTBEATS_PAUSED = "\x00heartbeats-paused"


def _watch_idle(session: Any, timer: Any) -> None:
    """Run on the prompt's own event loop: end the prompt when a timed heartbeat is due. Only an empty
    prompt can end this way (typed text restarts the wait), so nothing the person writes is lost."""
    import asyncio

    from prompt_toolkit.application import get_app

    app = get_app()

    async def watch() -> None:
        while True:
            await asyncio.sleep(timer.poll_seconds)
            decision = timer.check(session.agent.state.heartbeats_paused_until, typing=bool(app.current_buffer.text))
            if decision != "wait" and not app.is_done:
                app.exit(result=TIMED_HEARTBEAT if decision == "fire" else HEARTBEATS_PAUSED)
                return

    app.create_background_task(watch())


def _timed_event(session: Any, line: str) -> bool:
    """Handle what the idle timer returned instead of a line; False when `line` is the person's."""
    from memgpt.agent import events
    from memgpt.cli.output import console

    if line == HEARTBEATS_PAUSED:
        until = session.agent.state.heartbeats_paused_until
        shown = events.local_time(until) if until else "later"
        console().print(f"⏸ Timed heartbeat skipped: the agent paused heartbeats until {shown}.", style="dim")
        return True
    if line != TIMED_HEARTBEAT:
        return False
    minutes = session.heartbeat_timer.interval / 60
    idle = f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:g} min"
    console().print(f"⏰ Timed heartbeat (idle for {idle}): the agent may think on its own.", style="dim")
    run_turn(session, session.agent.heartbeat)
    session.heartbeat_timer.touch()
    return True


def _dispatch_line(session: Any, text: str, verify: bool) -> str | None:
    """One line of input: a slash command or a message. Returns "exit" to leave."""
    from memgpt.cli.output import print_warning
    from memgpt.cli.slash import dispatch

    if text.startswith("!"):
        print_warning("Commands start with '/', not '!'. Type /help for the list.")
        return None
    if text.startswith("/"):
        return dispatch(session, text)
    run_turn(session, lambda: session.agent.user_message(text, verify=verify))
    return None


def one_shot(session: Any, message: str, *, verify: bool) -> None:
    """`memgpt run -m TEXT`: one message (or /command), no greeting, then save and leave."""
    if message.strip():
        _dispatch_line(session, message.strip(), verify)
    session.agent.save()


def chat(session: Any, *, greet: bool, verify: bool) -> None:
    from memgpt.cli.output import console

    out, agent = console(), session.agent
    if greet:
        run_turn(session, lambda: agent.greet(verify=verify))
    if session.heartbeat_timer is not None:
        session.heartbeat_timer.touch()
    if session.interactive:
        out.print("Type a message, /help for commands, /exit (or Ctrl-D) to leave.", style="dim")
    read = _reader(session)
    indexer = None
    if session.interactive:
        _ask_before_writes_outside(session)
        if not os.environ.get("MEMGPT_NO_WARMUP"):  # bench/first_turn.py measures the difference
            start_warmup(agent)
            indexer = RecallIndexer(agent)
    try:
        while True:
            if indexer is not None:
                indexer.resume()  # embeds the last turn's messages while the user types
            try:
                line = read()
            except EOFError:
                break
            except KeyboardInterrupt:
                if _confirm_exit(out):
                    break
                continue
            if indexer is not None:
                indexer.pause()
            if _timed_event(session, line):
                continue
            text = line.strip()
            if text and _dispatch_line(session, text, verify) == "exit":
                break
            if session.heartbeat_timer is not None:
                session.heartbeat_timer.touch()  # idle time counts from the end of the last turn
    finally:
        if indexer is not None:
            indexer.close()
    agent.save()
    if not isinstance(session.interface, _json_interface()):
        out.print(f"Saved agent '{agent.name}'. Bye!", style="dim")


def _ask_before_writes_outside(session: Any) -> None:
    """In a terminal, a file tool's write outside the allowed folders asks the person first."""
    from pathlib import Path

    from memgpt.functions import boundary

    def confirm(path: Path) -> bool:
        session.interface.done()  # the spinner would draw over the question
        try:
            return typer.confirm(
                f"The agent wants to write to {path}, outside the folders its file tools may use. Allow this once?",
                default=False,
            )
        except (KeyboardInterrupt, EOFError, typer.Abort):
            return False
        finally:
            session.interface.thinking()

    boundary.set_write_confirmation(confirm)


def _json_interface() -> type:
    from memgpt.cli.render import JsonLinesInterface

    return JsonLinesInterface


def _confirm_exit(out: Any) -> bool:
    from prompt_toolkit.shortcuts import confirm

    try:
        return confirm("Leave memgpt? (your agent is saved)")
    except (KeyboardInterrupt, EOFError):
        return True
