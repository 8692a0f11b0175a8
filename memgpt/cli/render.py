"""How agent events look in the terminal.

Inner thoughts are dim and italic, messages to the user stand out, function calls and results are
dim and short, system notes are yellow. When stdout is not a terminal the same lines are printed
without colour codes, so `memgpt run` can be piped and scripted.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from memgpt.interface import AgentEvent

MEMORY_FUNCTIONS = {"core_memory_append", "core_memory_replace", "archival_memory_insert"}
SEARCH_FUNCTIONS = {"conversation_search", "conversation_search_date", "archival_memory_search"}


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_call(name: str, arguments: str) -> str:
    try:
        args: Any = json.loads(arguments) if arguments else {}
    except json.JSONDecodeError:
        return f"{name}({_short(arguments, 120)})"
    if isinstance(args, dict):
        args.pop("request_heartbeat", None)
        if name in MEMORY_FUNCTIONS:
            detail = args.get("content") or args.get("new_content") or ""
            block = f" {args['name']}" if "name" in args else ""
            return f"updating memory{block} ({name}): {_short(detail, 120)}"
        if name in SEARCH_FUNCTIONS:
            what = args.get("query") or f"{args.get('start_date')} to {args.get('end_date')}"
            return f"searching memory ({name}): {_short(what, 80)}, page {args.get('page') or 0}"
        shown = ", ".join(f"{k}={_short(json.dumps(v), 40)}" for k, v in args.items())
        return f"{name}({shown})"
    return f"{name}({_short(arguments, 120)})"


class ConsoleInterface:
    """Renders AgentEvents on a rich console; shows a spinner while the LLM works.

    Errors and warnings go to the error console (stderr), so a script reading stdout gets only the
    conversation, and a terminal shows both.
    """

    def __init__(self, console: Console, debug: bool = False, errors: Console | None = None) -> None:
        from memgpt.cli.output import err_console

        self.console = console
        self.errors = errors or err_console()
        self.debug = debug
        self.warning_on_request = False  # /memorywarning: the alert was asked for, memory need not be full
        self._status: Any = None
        self._streaming: str | None = None  # "thought" | "message" while partial text is on screen

    def warm_up(self) -> None:
        """Render a status line and a message on a throwaway console: rich imports its spinner and
        emoji tables on first use, which the first turn would otherwise pay for (the REPL's warm-up)."""
        import io

        scratch = Console(file=io.StringIO(), force_terminal=True, width=80)
        scratch.status("warm-up", spinner="dots")
        scratch.print("💭 :thought_balloon: warm-up", style="dim italic")

    # -- spinner ---------------------------------------------------------------------------
    def thinking(self) -> None:
        if self._status is None and self.console.is_terminal:
            self._status = self.console.status("Thinking…", spinner="dots")
            self._status.start()

    def _stop_spinner(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def done(self) -> None:
        self._stop_spinner()
        self._end_stream()

    def _end_stream(self) -> None:
        if self._streaming is not None:
            self.console.print()
            self._streaming = None

    # -- events ----------------------------------------------------------------------------
    def emit(self, event: AgentEvent) -> None:
        kind = event.kind
        if kind in ("stream_thought", "stream_message"):
            self._stop_spinner()  # but keep the partial line going
            target = "thought" if kind == "stream_thought" else "message"
            if self._streaming != target:
                self._end_stream()
                prefix = "💭 " if target == "thought" else "🤖 "
                self.console.print(prefix, end="")
                self._streaming = target
            style = "dim italic" if target == "thought" else "bold"
            self.console.print(escape(event.text), end="", style=style)
            return
        self.done()
        if event.data.get("streamed") and kind in ("inner_thought", "assistant_message"):
            return  # already shown as it arrived
        printer = getattr(self, f"_{kind}", None)
        if printer is not None:
            printer(event)
        if kind in ("heartbeat", "memory_warning", "function_result"):
            self.thinking()  # the agent goes on working

    def _inner_thought(self, event: AgentEvent) -> None:
        self.console.print(f"💭 {escape(event.text)}", style="dim italic")

    def _assistant_message(self, event: AgentEvent) -> None:
        self.console.print(f"🤖 {escape(event.text)}", style="bold bright_yellow")

    def _user_message(self, event: AgentEvent) -> None:
        if self.debug or event.data.get("name"):
            who = event.data.get("name") or "you"
            self.console.print(f"🧑 {escape(who)}: {escape(event.text)}", style="green")

    def _function_call(self, event: AgentEvent) -> None:
        text = describe_call(event.data.get("name", event.text), event.data.get("arguments", ""))
        self.console.print(f"⚡ {escape(text)}", style="dim")

    def _function_result(self, event: AgentEvent) -> None:
        if event.data.get("status") == "Failed":
            self.console.print(f"   ✗ {escape(_short(event.text, 300))}", style="red")
        elif self.debug:
            self.console.print(f"   ✓ {escape(_short(event.text, 300))}", style="dim")

    def _heartbeat(self, event: AgentEvent) -> None:
        if self.debug:
            self.console.print(f"💓 {escape(_short(event.text, 200))}", style="dim")

    def _system(self, event: AgentEvent) -> None:
        self.console.print(f"⚠ {escape(event.text)}", style="yellow")

    def _error(self, event: AgentEvent) -> None:
        self.errors.print(f"✗ {escape(event.text)}", style="red")

    def _memory_warning(self, event: AgentEvent) -> None:
        if self.warning_on_request:
            text = "🧠 Sent the memory-pressure alert on request (/memorywarning); the agent may save what matters."
        else:
            text = (
                "🧠 Memory is nearly full: the agent was asked to save what matters before older messages are "
                "summarised."
            )
        self.console.print(text, style="yellow")

    # -- outside the event stream --------------------------------------------------------------
    def turn_failed(self, text: str) -> None:
        self.done()
        self.errors.print(f"✗ {escape(text)}", style="red")

    def on_retry(self, attempt: int, max_attempts: int, delay: float, reason: str = "") -> None:
        """What the LLM client calls before it waits to retry (seam: `client.on_retry`)."""
        self._stop_spinner()
        why = f"{reason}; " if reason else ""
        self.errors.print(f"↻ {escape(why)}retrying in {delay:.0f} s ({attempt}/{max_attempts})", style="yellow")
        self.thinking()

    def _summary(self, event: AgentEvent) -> None:
        evicted = event.data.get("evicted", 0)
        self.console.print(
            f"📝 Summarised {evicted} older messages (still in recall storage): {escape(_short(event.text, 300))}",
            style="cyan",
        )


class JsonLinesInterface:
    """`memgpt run --json`: every AgentEvent as one JSON object per line on stdout, for programs.

    Partial streaming deltas are left out (the complete thought/message follows as its own event);
    a failed turn is a line of kind "error" with data.turn_failed, a retry a line of kind "retry".
    """

    debug = False
    warning_on_request = False

    def __init__(self, write: Any = None) -> None:
        from memgpt.cli.output import write_line

        self._write = write or write_line

    def thinking(self) -> None:
        return None

    def done(self) -> None:
        return None

    def emit(self, event: AgentEvent) -> None:
        if event.kind in ("stream_thought", "stream_message"):
            return
        self._write(event.model_dump_json())

    def _line(self, kind: str, text: str, data: dict[str, Any]) -> None:
        self._write(json.dumps({"kind": kind, "text": text, "data": data}, ensure_ascii=False))

    def turn_failed(self, text: str) -> None:
        self._line("error", text, {"turn_failed": True})

    def on_retry(self, attempt: int, max_attempts: int, delay: float, reason: str = "") -> None:
        self._line("retry", reason, {"attempt": attempt, "max_attempts": max_attempts, "delay": delay})
