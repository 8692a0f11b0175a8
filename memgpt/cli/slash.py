"""REPL slash commands. None is ever sent to the LLM, and none can end the session by failing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memgpt.errors import MemGPTError

log = logging.getLogger(__name__)


@dataclass
class Session:
    """What a command may touch: the agent, the console, and how input is read."""

    agent: Any  # memgpt.agent.Agent
    console: Console
    interface: Any  # ConsoleInterface or JsonLinesInterface
    interactive: bool
    multiline: bool = False
    failed: int = 0  # turns and commands that failed (a piped run then exits 1)
    persisted_llm: dict[str, Any] | None = None  # the agent's saved LLM settings when this run overrides them
    heartbeat_timer: Any = None  # memgpt.agent.heartbeats.HeartbeatTimer with --heartbeat-every (a terminal)


@dataclass
class Command:
    usage: str
    help: str
    run: Callable[[Session, str], str | None]  # returns "exit" to leave the REPL
    aliases: tuple[str, ...] = ()


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, help_text: str, aliases: tuple[str, ...] = ()):
    def register(fn: Callable[[Session, str], str | None]) -> Callable[[Session, str], str | None]:
        for n in (name, *aliases):
            COMMANDS[n] = Command(usage, help_text, fn, tuple(a for a in (name, *aliases) if a != n))
        return fn

    return register


def _turn(session: Session, run: Callable[[], Any]) -> None:
    """Run an agent turn from a command, with the same error handling as a user message."""
    from memgpt.cli.run import run_turn

    run_turn(session, run)


def _int_arg(arg: str, default: int) -> int:
    if not arg.strip():
        return default
    try:
        value = int(arg.strip())
    except ValueError:
        raise MemGPTError(f"Expected a number, got {arg.strip()!r}.") from None
    if value < 1:
        raise MemGPTError("The number must be 1 or more.")
    return value


@command("/exit", "/exit", "save and leave", aliases=("/quit",))
def _exit(session: Session, arg: str) -> str:
    session.agent.save()
    return "exit"


@command("/save", "/save", "save a checkpoint now (state is also saved after every step)")
def _save(session: Session, arg: str) -> None:
    from memgpt import paths

    session.agent.save()
    session.console.print(f"Saved agent '{session.agent.name}' to {paths.database_file()}.")


@command("/savechat", "/savechat [file]", "write the whole conversation to a text file")
def _savechat(session: Session, arg: str) -> None:
    from memgpt.agent.summarizer import transcript
    from memgpt.fileio import atomic_write_text
    from memgpt.schemas import now

    agent = session.agent
    path = Path(arg.strip() or f"{agent.name}-chat-{now().strftime('%Y%m%d-%H%M%S')}.txt").expanduser()
    messages = agent.storage.recall.last(agent.name, agent.storage.recall.count(agent.name))
    atomic_write_text(path, transcript(messages) + "\n")
    session.console.print(f"Wrote {len(messages)} messages to {path.resolve()}.")


@command("/attach", "/attach [source]", "add a loaded data source to the agent's archival memory")
def _attach(session: Session, arg: str) -> None:
    sources = [s.name for s in session.agent.storage.sources.list()]
    if not sources:
        session.console.print('No data sources yet. Load one with "memgpt load ..." first.', style="red")
        return
    name = arg.strip()
    if not name:
        if not session.interactive:
            raise MemGPTError(f"Name the source: /attach NAME (available: {', '.join(sources)}).")
        import questionary

        name = questionary.select("Select data source", choices=sources).ask()
        if not name:
            return
    if name not in sources:
        raise MemGPTError(f"No data source named {name!r} (available: {', '.join(sources)}).")
    added = session.agent.attach_source(name)
    session.console.print(
        f"Attached {name!r}: {added} new passages; archival memory now holds {session.agent.archival_count}."
    )


def _describe(message: Any) -> str:
    from memgpt.agent.summarizer import transcript_line

    if message.role == "system":
        return "[system] " + (message.content or "")[:200].replace("\n", " ") + "…"
    return transcript_line(message)


@command("/dump", "/dump [n]", "show the last n messages of the main context (all by default)")
def _dump(session: Session, arg: str) -> None:
    messages = session.agent.in_context_messages()
    n = _int_arg(arg, len(messages))
    shown = messages[-n:]
    for index, message in enumerate(shown, start=len(messages) - len(shown)):
        session.console.print(f"[{index}] {escape(_describe(message))}")


@command("/dumpraw", "/dumpraw [n]", "show the last n context messages as raw JSON")
def _dumpraw(session: Session, arg: str) -> None:
    messages = session.agent.in_context_messages()
    n = _int_arg(arg, len(messages))
    for message in messages[-n:]:
        session.console.print(json.dumps(message.to_openai(), ensure_ascii=False), markup=False)


@command("/memory", "/memory", "show core memory and recall/archival counts")
def _memory(session: Session, arg: str) -> None:
    view = session.agent.memory_view()
    for label, block in view["blocks"].items():
        notes = "".join(
            [
                ", read-only" if block.get("read_only") else "",
                f", shared as {block['shared']}" if block.get("shared") else "",
            ]
        )
        session.console.print(
            f"=== {label} ({len(block['value'])}/{block['limit']} chars{notes}) ===", style="bold", markup=False
        )
        session.console.print(escape(block["value"]))
    roles = ", ".join(f"{k}: {v}" for k, v in sorted(view["recall_by_role"].items()))
    session.console.print(f"=== recall memory: {view['recall_total']} messages ({roles}) ===", style="bold")
    session.console.print(f"=== archival memory: {view['archival_total']} passages ===", style="bold")
    for text in view["archival_sample"]:
        session.console.print(f"- {escape(text[:200])}")


@command("/model", "/model [name]", "show the model, or switch to another")
def _model(session: Session, arg: str) -> None:
    agent = session.agent
    if arg.strip():
        before = agent.llm_config.model
        agent.set_model(arg.strip())
        if session.persisted_llm is not None:  # keep this run's other overrides out of the saved settings
            cfg = agent.llm_config
            session.persisted_llm.update(model=cfg.model, context_window=cfg.context_window)
            agent.state.llm = dict(session.persisted_llm)
            agent.save()
        session.console.print(
            f"Switched {agent.name} from model {before} to {agent.llm_config.model} "
            f"(context window {agent.window}; saved to the agent)."
        )
    else:
        cfg = agent.llm_config
        session.console.print(f"Model {cfg.model} at {cfg.model_endpoint} (context window {cfg.context_window}).")


@command("/pop", "/pop [n]", "undo the last n user turns and everything they caused (default 1)")
def _pop(session: Session, arg: str) -> None:
    removed = session.agent.pop(_int_arg(arg, 1))
    session.console.print(f"Removed {removed} messages from context and recall.")


@command("/retry", "/retry", "drop the last reply and let the agent answer again")
def _retry(session: Session, arg: str) -> None:
    session.console.print("Retrying for another answer…", style="dim")
    _turn(session, session.agent.retry)


@command("/rethink", "/rethink <text>", "replace the agent's last inner thought")
def _rethink(session: Session, arg: str) -> None:
    if not arg.strip():
        raise MemGPTError("Missing text: /rethink <new inner thought>.")
    session.agent.rethink(arg.strip())
    session.console.print("Replaced the last inner thought.")


@command("/rewrite", "/rewrite <text>", "replace the last message the agent sent you")
def _rewrite(session: Session, arg: str) -> None:
    if not arg.strip():
        raise MemGPTError("Missing text: /rewrite <new message>.")
    session.agent.rewrite(arg.strip())
    session.console.print("Replaced the last message.")


@command("/summarize", "/summarize", "summarise older messages out of the context now")
def _summarize(session: Session, arg: str) -> None:
    session.interface.thinking()
    try:
        evicted = session.agent.summarize()
    finally:
        session.interface.done()
    if not evicted:  # a summary was shown as it happened (the interface prints summary events)
        session.console.print("Nothing to summarise yet.")


@command("/wipe", "/wipe", "start the in-context history afresh (memory and recall are kept)")
def _wipe(session: Session, arg: str) -> None:
    removed = session.agent.wipe()
    session.console.print(f"Cleared {removed} messages from context; they remain in recall memory.")


@command("/heartbeat", "/heartbeat", "send a heartbeat event to the agent")
def _heartbeat(session: Session, arg: str) -> None:
    _turn(session, session.agent.heartbeat)


@command("/memorywarning", "/memorywarning", "send the memory-pressure alert to the agent now (a test)")
def _memorywarning(session: Session, arg: str) -> None:
    session.interface.warning_on_request = True  # the alert says memory is full; here it was only asked for
    try:
        _turn(session, session.agent.memory_warning)
    finally:
        session.interface.warning_on_request = False


@command("/tokens", "/tokens", "show how the context window is used")
def _tokens(session: Session, arg: str) -> None:
    budget = session.agent.token_budget()
    table = Table(title=f"Context window: {budget['window']} tokens")
    table.add_column("part")
    table.add_column("tokens", justify="right")
    for key in ("system", "core_memory", "summary", "messages", "functions", "reserved", "free"):
        table.add_row(key.replace("_", " "), str(budget[key]))
    session.console.print(table)


@command("//", "//", "toggle multi-line input (finish a message with Esc then Enter)")
def _multiline(session: Session, arg: str) -> None:
    session.multiline = not session.multiline
    state = "on (Esc then Enter sends)" if session.multiline else "off"
    session.console.print(f"Multi-line input {state}.")


@command("/help", "/help [command]", "show this list, or one command's arguments", aliases=("/",))
def _help(session: Session, arg: str) -> None:
    wanted = arg.strip()
    if wanted:
        cmd = COMMANDS.get(wanted if wanted.startswith("/") else f"/{wanted}")
        if cmd is None:
            raise MemGPTError(f"No command {wanted}; /help lists them.")
        also = f" (also {', '.join(cmd.aliases)})" if cmd.aliases else ""
        session.console.print(f"{escape(cmd.usage)}{also}: {escape(cmd.help)}", markup=True)
        session.console.print("<text> is required, [n] optional.", style="dim")
        return
    table = Table(title=escape("Commands (<text> required, [n] optional)"), show_header=False)
    seen = set()
    for cmd in COMMANDS.values():
        if id(cmd.run) in seen:
            continue
        seen.add(id(cmd.run))
        table.add_row(escape(cmd.usage), cmd.help)
    session.console.print(table)


def dispatch(session: Session, line: str) -> str | None:
    """Run a slash command; errors are printed (to stderr) and counted, never raised."""
    from memgpt.cli.output import err_console

    errors = err_console()
    name, _, arg = line.strip().partition(" ")
    cmd = COMMANDS.get(name.lower())
    if cmd is None:
        session.failed += 1
        errors.print(f"Unknown command {escape(name)}.", style="red")
        _help(session, "")
        return None
    try:
        return cmd.run(session, arg)
    except MemGPTError as exc:
        errors.print(f"{escape(str(exc))}", style="red")
    except KeyboardInterrupt:
        errors.print("Interrupted.", style="yellow")
    except Exception as exc:  # a command bug must not end the conversation
        log.exception("command %s failed", name)
        errors.print(f"{name} failed: {type(exc).__name__}: {escape(str(exc))}", style="red")
    session.failed += 1
    return None
