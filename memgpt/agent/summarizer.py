"""Summarise-and-evict: what to move out of the main context, and the summary that replaces it.

The span is chosen oldest first, never separating a function call from its result, always keeping
the newest messages. The summariser reads a plain transcript (the original fed it a Python repr of
message dicts); a transcript too long for the window is summarised in parts first.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from memgpt.constants import SUMMARY_WORD_LIMIT
from memgpt.schemas import Message
from memgpt.storage.searchable import sent_messages, user_text

SUMMARIZER_PROMPT = f"""You condense part of a conversation between an AI companion and a human into a short memory.
The transcript shows who spoke: "user" lines are the human; "assistant thought" lines are the AI's private
thoughts, which the human never saw; "assistant to user" lines are what the AI actually said; "function" lines
are results of the AI's memory tools; "event" lines are system events such as logins and heartbeats.
Write the summary in the first person, as the AI remembering what happened ("I learned...", "they told me...").
Keep names, facts, commitments, preferences and open questions; drop greetings and filler.
Write at most {SUMMARY_WORD_LIMIT} words. Reply with the summary only."""


def transcript_line(message: Message) -> str:
    when = message.created_at.strftime("%Y-%m-%d %H:%M")
    if message.role == "user":
        said = user_text(message.content)
        if said is not None:
            return f"[{when}] user: {said}"
        try:
            data = json.loads(message.content or "{}")
            detail = data.get("message") or data.get("reason") or data.get("type")
        except json.JSONDecodeError:
            detail = message.content
        return f"[{when}] event: {detail}"
    if message.role == "assistant":
        lines = []
        if message.content:
            lines.append(f"[{when}] assistant thought: {message.content}")
        lines.extend(f"[{when}] assistant to user: {text}" for text in sent_messages(message))
        for call in message.tool_calls or []:
            if call.name != "send_message":
                lines.append(f"[{when}] assistant called {call.name}({call.arguments[:300]})")
        return "\n".join(lines) or f"[{when}] assistant: (nothing)"
    if message.role == "tool":
        try:
            data = json.loads(message.content or "{}")
            detail = f"{data.get('status')}: {data.get('message')}"
        except json.JSONDecodeError:
            detail = message.content
        return f"[{when}] function {message.name}: {str(detail)[:500]}"
    return f"[{when}] {message.role}: {message.content}"


def transcript(messages: list[Message]) -> str:
    return "\n".join(transcript_line(m) for m in messages)


# A summary call may not take more than this many parts; past it, lines are cut shorter.
MAX_SUMMARY_CALLS = 3
FALLBACK_SUMMARY = "(These messages could not be summarised; they are still in recall memory.)"


def shorten_line(line: str, max_chars: int) -> str:
    """Head and tail of an over-long line: the full text stays in recall, the summary needs the gist."""
    if len(line) <= max_chars:
        return line
    tail = max_chars // 5
    head = max_chars - tail
    return f"{line[:head]} [... {len(line) - head - tail} characters not shown ...] {line[-tail:]}"


def pack(lines: list[str], count: Callable[[str], int], budget: int) -> list[str]:
    """Consecutive lines grouped into parts of at most `budget` tokens (a line longer than the budget
    must already have been shortened)."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for line in lines:
        size = count(line) + 1
        if current and used + size > budget:
            parts.append("\n".join(current))
            current, used = [], 0
        current.append(line)
        used += size
    if current:
        parts.append("\n".join(current))
    return parts


def plan_parts(messages: list[Message], count: Callable[[str], int], budget: int) -> list[str]:
    """The transcript in at most MAX_SUMMARY_CALLS parts that each fit `budget` tokens.

    Every message, however long and however shaped (one 40 KB line, say), is cut to a share of the
    budget first, so this always terminates with parts that fit: summarisation always makes progress.
    """
    budget = max(budget, 64)
    lines = [transcript_line(m) for m in messages]
    max_chars = max(200, budget * 2)  # ~3+ characters a token: a line never exceeds the budget alone
    for _ in range(12):
        shortened = [shorten_line(line, max_chars) for line in lines]
        if all(count(line) < budget for line in shortened):
            parts = pack(shortened, count, budget)
            if len(parts) <= MAX_SUMMARY_CALLS:
                return parts
        max_chars = max(80, max_chars // 2)
    # Very many messages: keep the newest that fit in the allowed parts; older lines are dropped
    # from the summary (not from recall).
    parts = pack([shorten_line(line, 80) for line in lines], count, budget)
    dropped = parts[: len(parts) - MAX_SUMMARY_CALLS]
    kept = parts[len(dropped) :]
    if dropped:
        kept[0] = f"({sum(p.count(chr(10)) + 1 for p in dropped)} older lines omitted)\n{kept[0]}"
    return kept


def summarise(
    messages: list[Message], ask: Callable[[str], str], count: Callable[[str], int], budget: int
) -> tuple[str, int]:
    """(summary, LLM calls made): the parts folded oldest first into one running summary."""
    summary = ""
    calls = 0
    part_budget = budget - (SUMMARY_WORD_LIMIT * 2 + 40)  # room for the running summary in later parts
    for part in plan_parts(messages, count, part_budget):
        text = f"Summary of the earlier part: {summary}\n{part}" if summary else part
        calls += 1
        summary = ask(text).strip() or summary
    return summary or FALLBACK_SUMMARY, calls


def choose_cutoff(tokens: list[int], keep_tokens: int, keep_last: int, roles: list[str], forward: bool = False) -> int:
    """How many of the oldest messages to evict so the rest is at most `keep_tokens`.

    Keeps at least `keep_last` messages and never separates a function call from its results: a
    cut that lands on a tool result moves back to before its call (or, with `forward`, past its
    last result: used when the newest messages alone do not fit). Returns 0 when nothing can go.
    """
    n = len(tokens)
    limit = max(0, n - keep_last)
    cutoff = 0
    remaining = sum(tokens)
    while cutoff < limit and remaining > keep_tokens:
        remaining -= tokens[cutoff]
        cutoff += 1
    if cutoff < n and roles[cutoff] == "tool":
        back = cutoff
        while back > 0 and roles[back] == "tool":
            back -= 1  # to the assistant message that made the call
        if back > 0 and not forward:
            return back
        while cutoff < n and roles[cutoff] == "tool":
            cutoff += 1  # a result goes with its call
    return cutoff
