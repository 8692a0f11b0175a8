"""Kill -9 at random moments, then resume: the agent loads and every reply the user saw is in recall."""

from __future__ import annotations

import json
import random
import subprocess
import time

from memgpt.config import MemGPTConfig
from memgpt.storage import open_storage
from tests.conftest import REPO_ROOT, cli_env, memgpt_cmd, run_memgpt
from tests.fake_llm import Reply, send_message, text, tool_call

ROUNDS = 12


def test_sigkill_at_random_points_loses_nothing_seen(configured, fake_llm) -> None:
    rng = random.Random(1234)  # deterministic choice of kill points
    counter = {"n": 0}

    def reply(request: dict) -> Reply:
        if request["body"].get("tools") is None:
            return text("summary")
        counter["n"] += 1
        n = counter["n"]
        if n % 3 == 0:  # some steps write to memory first, so kills land inside multi-step turns
            return tool_call("archival_memory_insert", {"content": f"fact {n}", "request_heartbeat": True})
        return send_message(f"reply-{n}")

    fake_llm.default = reply
    seen: list[str] = []
    for round_no in range(ROUNDS):
        proc = subprocess.Popen(
            [*memgpt_cmd(), "run", "--agent", "crashy", "--first", "--no-verify"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=cli_env(),
            cwd=REPO_ROOT,
        )
        try:
            for turn in range(rng.randint(1, 3)):
                proc.stdin.write(f"round {round_no} turn {turn}\n")
                proc.stdin.flush()
                if rng.random() < 0.3:
                    time.sleep(rng.random() * 0.05)
                    break  # kill mid-step, before the reply is read
                while True:
                    line = proc.stdout.readline()
                    assert line, f"memgpt exited early: {proc.stderr.read()}"
                    if line.startswith("🤖 "):
                        seen.append(line[2:].strip())
                        break
        finally:
            proc.kill()
            proc.wait()
    assert len(seen) >= ROUNDS // 2  # the seeded kill points leave most rounds answered
    with open_storage(MemGPTConfig.load()) as storage:
        state = storage.agents.load("crashy")
        storage.recall.get("crashy", state.in_context_ids)  # the context refers only to stored messages
        sent = set()
        for message in storage.recall.last("crashy", storage.recall.count("crashy")):
            for call in message.tool_calls or []:
                if call.name == "send_message":
                    sent.add(json.loads(call.arguments)["message"])
    missing = [m for m in seen if m not in sent]
    assert not missing, f"replies shown but not in recall: {missing}"
    result = run_memgpt("run", "--agent", "crashy", "--first", input="/memory\n")
    assert result.returncode == 0 and "Using existing agent crashy" in result.stdout, result.stderr
