"""`memgpt server` under load: N concurrent clients over M agents against the instant fake LLM.

Three phases, all against the same scripted fake (tests.fake_llm, echo replies, no delay):

1. in-process: `Agent.user_message` called directly, T turns (the baseline; run in a child
   process, as the server's agents are, so both share the CPU with the fake LLM the same way);
2. one client, T turns over HTTP (`POST /v1/chat/completions` through a real `memgpt server`
   subprocess): per-turn latency, and its overhead over (1) at p50 and p99;
3. N clients over M agents (client i talks to agent i % M), T turns each, all at once:
   requests/s, latency p50/p99 (it includes waiting behind the other clients of the same agent:
   one writer per agent), and, read back from SQLite after a clean shutdown, lost or reordered
   messages per agent (every user message stored once, each client's in its order, each answered
   by its own reply before the next user message). Both must be 0.

Usage: python -m bench.server [--quick] [--clients 16] [--agents 4] [--turns 50]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from bench.common import REPO_ROOT, ms, print_table, python_cmd

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TOKEN = "bench-token"
WINDOW = 131072  # large enough that no eviction or memory alert happens during the run


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _config(url: str) -> Any:
    from memgpt.config import LLMConfig, MemGPTConfig

    return MemGPTConfig(
        llm=LLMConfig(
            model="gpt-4",
            model_endpoint_type="openai-compatible",
            model_endpoint=url,
            context_window=WINDOW,
            max_retries=0,
        )
    )


def _in_process_child(turns: int) -> list[float]:
    """The baseline in its own process, like the server: the fake LLM (in this process) then costs
    both paths the same, instead of competing with the in-process agent for one GIL."""
    out = subprocess.run(
        python_cmd("-m", "bench.server", "--baseline-child", str(turns)),
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _in_process(config: Any, turns: int) -> list[float]:
    from memgpt.agent import Agent
    from memgpt.interface import NullInterface
    from memgpt.storage import open_storage

    storage = open_storage(config)
    agent = Agent.create(name="inproc", config=config, storage=storage, interface=NullInterface())
    try:
        latencies = []
        for turn in range(turns + 5):  # five warm-up turns (tokenizer, first connection, caches)
            started = time.perf_counter()
            agent.user_message(f"in-process {turn}")
            if turn >= 5:
                latencies.append(time.perf_counter() - started)
        return latencies
    finally:
        agent.close()
        storage.close()


class _Server:
    """A `memgpt server` subprocess on a free loopback port."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self.proc = subprocess.Popen(
            python_cmd("-m", "memgpt", "server", "--port", "0", "--token", TOKEN, "--grace", "30"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout or []], daemon=True).start()
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if "listening on" in line:
                self.url = line.split("listening on ", 1)[1].strip()
                return
        self.proc.kill()
        raise RuntimeError("memgpt server did not start:\n" + "".join(seen))

    def stop(self) -> int:
        import signal

        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


def _client(url: str) -> Any:
    import httpx

    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)


def _turn(http: Any, agent: str, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = http.post("/v1/chat/completions", json={"model": agent, "messages": [{"role": "user", "content": text}]})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()["choices"][0]["message"]["content"]


def _check_agent(storage: Any, agent: str, clients: list[int], turns: int) -> tuple[int, int]:
    """(lost, reordered) for one agent, from what recall storage holds."""
    said: list[tuple[str, str]] = []
    for message in storage.recall.last(agent, 10_000_000):
        if message.role == "user":
            data = json.loads(message.content or "{}")
            if data.get("type") == "user_message":
                said.append(("user", data["message"]))
        for call in message.tool_calls or []:
            if call.name == "send_message":
                said.append(("agent", json.loads(call.arguments)["message"]))
    while said and said[0][0] == "agent":  # the boot message
        said.pop(0)
    users = [text for role, text in said if role == "user"]
    expected = [f"c{c}-t{t}" for c in clients for t in range(turns)]
    lost = len(set(expected) - set(users)) + (len(users) - len(set(users)))
    reordered = 0
    for c in clients:
        mine = [u for u in users if u.startswith(f"c{c}-")]
        if mine != sorted(mine, key=lambda u: int(u.rsplit("t", 1)[1])):
            reordered += 1
    for index, (role, text) in enumerate(said):
        if role == "user" and (index + 1 >= len(said) or said[index + 1] != ("agent", f"You said: {text}")):
            reordered += 1
    return lost, reordered


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4 clients, 2 agents, 5 turns each")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--agents", type=int, default=None)
    parser.add_argument("--turns", type=int, default=None)
    parser.add_argument("--baseline-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_child is not None:
        from memgpt.config import MemGPTConfig

        print(json.dumps(_in_process(MemGPTConfig.load(), args.baseline_child)))
        return {}
    clients = args.clients or (4 if args.quick else 16)
    n_agents = args.agents or (2 if args.quick else 4)
    turns = args.turns or (5 if args.quick else 50)
    old_home = os.environ.get("MEMGPT_HOME")
    from tests.fake_llm import FakeLLMServer, echo_user

    with tempfile.TemporaryDirectory(prefix="memgpt-bench-server-") as home, FakeLLMServer() as fake:
        os.environ["MEMGPT_HOME"] = home
        try:
            from memgpt.config import Credentials

            fake.default = echo_user()
            config = _config(fake.url)
            config.save()
            Credentials(openai_key="sk-bench").save()
            local = _in_process_child(turns)
            server = _Server()
            try:
                with _client(server.url) as http:
                    for name in ["seq", *(f"agent{a}" for a in range(n_agents))]:
                        http.post("/api/agents", json={"name": name}).raise_for_status()
                    sequential = []
                    for turn in range(turns + 5):
                        elapsed, _ = _turn(http, "seq", f"sequential {turn}")
                        if turn >= 5:
                            sequential.append(elapsed)
                latencies: list[float] = []
                wrong: list[str] = []
                lock = threading.Lock()

                def run_client(c: int) -> None:
                    with _client(server.url) as http:
                        for t in range(turns):
                            text = f"c{c}-t{t}"
                            elapsed, content = _turn(http, f"agent{c % n_agents}", text)
                            with lock:
                                latencies.append(elapsed)
                                if content != f"You said: {text}":
                                    wrong.append(text)

                threads = [threading.Thread(target=run_client, args=(c,)) for c in range(clients)]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                wall = time.perf_counter() - started
            finally:
                exit_code = server.stop()
            from memgpt.storage import open_storage

            lost = reordered = 0
            with open_storage(config) as storage:
                for a in range(n_agents):
                    mine = [c for c in range(clients) if c % n_agents == a]
                    agent_lost, agent_reordered = _check_agent(storage, f"agent{a}", mine, turns)
                    lost += agent_lost
                    reordered += agent_reordered
        finally:
            if old_home is None:
                os.environ.pop("MEMGPT_HOME", None)
            else:
                os.environ["MEMGPT_HOME"] = old_home
    requests = clients * turns
    results = {
        "clients": clients,
        "agents": n_agents,
        "turns_per_client": turns,
        "in_process_p50_ms": statistics.median(local) * 1000,
        "in_process_p99_ms": _percentile(local, 0.99) * 1000,
        "http_p50_ms": statistics.median(sequential) * 1000,
        "http_p99_ms": _percentile(sequential, 0.99) * 1000,
        "overhead_p50_ms": (statistics.median(sequential) - statistics.median(local)) * 1000,
        "overhead_p99_ms": (_percentile(sequential, 0.99) - _percentile(local, 0.99)) * 1000,
        "concurrent_requests": requests,
        "concurrent_seconds": wall,
        "requests_per_second": requests / wall,
        "concurrent_p50_ms": statistics.median(latencies) * 1000,
        "concurrent_p99_ms": _percentile(latencies, 0.99) * 1000,
        "lost": lost,
        "reordered": reordered,
        "wrong_replies": len(wrong),
        "server_exit_code": exit_code,
    }
    print_table(
        f"One turn, {turns} sequential turns each (instant fake LLM)",
        ["path", "p50", "p99"],
        [
            ["Agent.user_message in-process", ms(results["in_process_p50_ms"] / 1000), ms(_percentile(local, 0.99))],
            ["POST /v1/chat/completions", ms(results["http_p50_ms"] / 1000), ms(_percentile(sequential, 0.99))],
            ["overhead of the server", ms(results["overhead_p50_ms"] / 1000), ms(results["overhead_p99_ms"] / 1000)],
        ],
    )
    print_table(
        f"{clients} concurrent clients over {n_agents} agents, {turns} turns each",
        ["requests", "seconds", "requests/s", "p50", "p99", "lost", "reordered", "wrong replies"],
        [
            [
                requests,
                f"{wall:.2f}",
                f"{results['requests_per_second']:.1f}",
                ms(results["concurrent_p50_ms"] / 1000),
                ms(results["concurrent_p99_ms"] / 1000),
                lost,
                reordered,
                len(wrong),
            ]
        ],
    )
    if lost or reordered or wrong or exit_code != 0:
        raise RuntimeError(f"messages lost ({lost}), reordered ({reordered}), wrong ({len(wrong)}), exit {exit_code}")
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
