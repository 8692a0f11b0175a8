"""A real small model manages its memory: scripted sessions against llama-cpp-python's server.

Not part of `python -m bench` (it needs a GGUF model and the llama-cpp-python server, and takes
minutes per mode on 2 CPU threads). Run it with one command (see docs/local_llm.md):

    python -m bench.real_llm --model /path/to/model.gguf --llama-python /path/to/venv/bin/python

It starts the server on 127.0.0.1 (or uses `--server-url`), then per mode (native tools with a
forced call; the chatml wrapper with its grammar constraint; the same without the constraint) runs a
15-turn session in which four facts are told in passing, then checks:

- the share of steps whose reply was a valid function call,
- the facts found in core memory or archival memory after the session,
- the facts answered after a resume (the agent closed and loaded again),
- seconds per turn, and prompt tokens the server had to evaluate per call (from its log line
  "N prefix-match hit, remaining M prompt tokens to eval") against the new tokens of that call.

Results print as tables and go to `--json` if given. Model files are never kept in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, print_table

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Facts told in passing, as people do, with what a correct answer must contain.
FACTS = [
    (
        "Ugh, long day. Biscuit chewed through my phone charger again, that beagle of mine is a menace.",
        "What's my dog called?",
        ["biscuit"],
    ),
    (
        "Night shifts all week at the children's hospital, nursing really takes it out of me.",
        "What do I do for work?",
        ["nurse", "nursing"],
    ),
    (
        "I'm planning a small dinner for my birthday on March 14th, nothing fancy.",
        "When is my birthday?",
        ["march 14", "14 march", "14th of march", "march 14th", "3/14"],
    ),
    (
        "I'm halfway through The Left Hand of Darkness, it's slow but I love it.",
        "Which book am I reading?",
        ["left hand of darkness"],
    ),
]
SMALL_TALK = [
    "Hi! How are you today?",
    "The weather has been grey for days.",
    "Do you have any tips for sleeping better?",
    "I made soup tonight, leek and potato.",
    "Have you heard any good music lately?",
    "My neighbour is renovating, so much noise.",
    "I might go for a walk later.",
    "Thanks for listening, by the way.",
    "What do you like to talk about?",
    "Anyway, enough about me.",
    "I think I'll make tea.",
]
EVAL_LINE = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")


@dataclass
class ModeResult:
    mode: str
    steps: int = 0
    valid_calls: int = 0
    empty: int = 0  # replies with neither text nor a call (retried by the agent, never stored)
    turns: int = 0
    seconds: list[float] = field(default_factory=list)
    facts_stored: int = 0
    facts_answered: int = 0
    evaluated: list[int] = field(default_factory=list)  # prompt tokens the server evaluated, per call
    prefix_hits: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    core_human: str = ""
    answers: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(python: str, model: str, n_ctx: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    cmd = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        model,
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--verbose",
        "true",
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"llama-cpp server exited; see {log}") from None
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("llama-cpp server did not start in 120 s")


def watch(agent: Any, result: ModeResult) -> None:
    """Count the agent's own calls (not the summariser's) and how many came back as a valid call."""
    from memgpt.errors import LLMOutputParseError
    from memgpt.llm.json_repair import parse_json_object

    client = agent.client
    chat = client.chat

    def counted(messages: Any, functions: Any = None, **kw: Any) -> Any:
        if not functions:
            return chat(messages, functions, **kw)
        result.steps += 1
        reply = chat(messages, functions, **kw)
        names = {f["name"] for f in functions}
        calls = reply.message.tool_calls or []
        result.empty += not calls and not (reply.message.content or "").strip()
        try:
            ok = bool(calls) and all(
                c.name in names and isinstance(parse_json_object(c.arguments), dict) for c in calls
            )
        except LLMOutputParseError:
            ok = False
        result.valid_calls += ok
        return reply

    client.chat = counted


def _fact_found(text: str, keys: list[str]) -> bool:
    low = text.lower()
    return any(k in low for k in keys)


def run_mode(mode: str, url: str, model: str, window: int, log: Path, turns: int) -> ModeResult:
    from memgpt.agent import Agent
    from memgpt.config import LLMConfig, MemGPTConfig
    from memgpt.errors import MemGPTError
    from memgpt.interface import RecordingInterface
    from memgpt.storage import open_storage

    result = ModeResult(mode)
    wrapper = None if mode.startswith("native") else mode.split("-")[0]
    llm = LLMConfig(
        model=model,
        model_endpoint_type="llamacpp",
        model_endpoint=url,
        model_wrapper=wrapper,
        context_window=window,
        request_timeout=900,
        max_retries=1,
    )
    flags = set(mode.split("-")[1:])
    if "unconstrained" in flags:
        llm = llm.model_copy(update={"constrained_decoding": False})
    if "slot" in flags:  # with the remember-this-message question (llm/memory_slot.py; off by default)
        llm = llm.model_copy(update={"memory_slot": "auto"})
    config = MemGPTConfig(llm=llm)
    interface = RecordingInterface()
    storage = open_storage(config)
    agent = Agent.create(name=f"real-{mode}", config=config, storage=storage, interface=interface)
    watch(agent, result)
    script: list[str] = []
    talk = iter(SMALL_TALK)
    for i in range(turns):
        script.append(FACTS[i // 3][0] if i % 3 == 1 and i // 3 < len(FACTS) else next(talk, "Okay."))

    def measure(fn: Any) -> None:
        before_log = log.read_text(errors="replace")
        started = time.perf_counter()
        try:
            fn()
        except MemGPTError as exc:
            result.errors.append(str(exc)[:200])
        result.seconds.append(time.perf_counter() - started)
        new = log.read_text(errors="replace")[len(before_log) :]
        for hit, remaining in EVAL_LINE.findall(new):
            result.prefix_hits.append(int(hit))
            result.evaluated.append(int(remaining))

    measure(lambda: agent.greet(verify=False))
    for text in script:
        measure(lambda text=text: agent.user_message(text, verify=False))
        result.turns += 1
    memory = " ".join(b.value for b in agent.core.blocks.values())
    archival = " ".join(p.text for p in storage.archival(agent.name, None).list(1000))
    result.core_human = agent.core.blocks["human"].value
    result.facts_stored = sum(_fact_found(memory + " " + archival, keys) for _, _, keys in FACTS)
    agent.close()
    resumed = Agent.load(agent.name, config=config, storage=storage, interface=interface)
    watch(resumed, result)
    for _, question, keys in FACTS:
        start = len(interface.events)
        measure(lambda q=question: resumed.user_message(q, verify=False))
        said = " ".join(e.text for e in interface.events[start:] if e.kind == "assistant_message")
        result.answers.append(said[:200])
        result.facts_answered += _fact_found(said, keys)
    resumed.close()
    storage.close()
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--llama-python", default=sys.executable, help="python with llama-cpp-python[server]")
    parser.add_argument("--server-url", help="use a running server instead of starting one")
    parser.add_argument("--server-log", type=Path, help="its log file (needed with --server-url for eval counts)")
    parser.add_argument(
        "--modes",
        default="native,chatml,chatml-unconstrained",
        help="comma-separated: native or a wrapper name, with -unconstrained and/or -slot (llm.memory_slot auto)",
    )
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--window", type=int, default=8192)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="memgpt-real-")
    os.environ["MEMGPT_HOME"] = home
    log = args.server_log or Path(home) / "llama-server.log"
    proc = None
    if args.server_url:
        url = args.server_url
    else:
        proc, url = start_server(args.llama_python, args.model, args.window, log)
    model_name = Path(args.model).name
    results = []
    try:
        for mode in args.modes.split(","):
            print(f"[real_llm] mode {mode} ...", flush=True)
            results.append(run_mode(mode, url, model_name, args.window, log, args.turns))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    out = {"model": model_name, "modes": [r.__dict__ for r in results]}
    if args.json:  # first: a long run's numbers must survive a printing problem
        args.json.write_text(json.dumps(out, indent=2, default=str))
    rows = []
    for r in results:
        after_first = r.evaluated[1:] or [0]
        rows.append(
            [
                r.mode,
                f"{r.valid_calls}/{r.steps} ({r.valid_calls / max(1, r.steps):.0%})",
                r.empty,
                f"{r.facts_stored}/{len(FACTS)}",
                f"{r.facts_answered}/{len(FACTS)}",
                f"{sum(r.seconds) / max(1, len(r.seconds)):.1f}",
                f"{r.evaluated[0] if r.evaluated else '-'}",
                f"{sorted(after_first)[len(after_first) // 2]}",
                len(r.errors),
            ]
        )
    print_table(
        f"Real model {model_name}, {args.turns} turns + {len(FACTS)} questions after a resume, window {args.window}",
        [
            "mode",
            "steps with a valid call",
            "empty replies",
            "facts stored",
            "answered after resume",
            "s/turn",
            "eval tokens (1st call)",
            "eval tokens/call after (median)",
            "errors",
        ],
        rows,
    )
    return out


if __name__ == "__main__":
    main()
