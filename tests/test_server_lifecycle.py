"""`memgpt server` as a process: auth, the agent lock shared with `memgpt run`, SIGTERM mid-step."""

from __future__ import annotations

import json
import stat
import threading
import time

from tests.conftest import run_memgpt
from tests.fake_llm import echo_user, hang
from tests.test_server_support import serve_fixture  # noqa: F401  (the `serve` fixture)


def test_every_request_needs_the_token(serve, fake_llm, memgpt_home) -> None:
    server = serve(token=None)  # no --token: one is generated and stored
    token_line = next(line for line in server.lines if "API token" in line)
    token = token_line.rsplit(" ", 1)[1]
    path = memgpt_home / "server_token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"?token={token}" in server.output()  # the chat page link, this once

    for bad in (None, "wrong"):
        with server.http(token=bad) as http:
            for method, url in (("get", "/v1/models"), ("get", "/api/agents"), ("get", "/openapi.json")):
                response = getattr(http, method)(url)
                assert response.status_code == 401, url
            assert http.post("/v1/chat/completions", json={"model": "x", "messages": []}).status_code == 401
            assert http.get("/").status_code == 401  # the page asks for the token
    with server.http(token=token) as http:
        assert http.get("/api/agents").json() == []
        # The printed page link trades the token for a cookie, then the page and API work without a header.
    with server.http(token=None) as browser:
        signed_in = browser.get("/", params={"token": token}, follow_redirects=True)
        assert signed_in.status_code == 200 and "memgpt" in signed_in.text
        assert browser.get("/api/agents").status_code == 200
        forged = browser.post("/api/agents", json={"name": "x"}, headers={"origin": "http://evil.example"})
        assert forged.status_code == 401  # a cookie alone does not let another site change things
    server.stop()

    again = serve(token=None)  # the stored token is reused and not printed again
    assert token not in again.output()
    with again.http(token=token) as http:
        assert http.get("/api/agents").status_code == 200


def test_no_auth_only_on_loopback(configured) -> None:
    refused = run_memgpt("server", "--host", "0.0.0.0", "--no-auth", "--port", "0", timeout=30)
    assert refused.returncode == 2
    assert "without a token" in refused.stderr + refused.stdout


def test_no_auth_on_loopback_answers_loopback_hosts_only(serve, fake_llm) -> None:
    server = serve("--no-auth", token=None)
    with server.http(token=None) as http:
        assert http.get("/api/agents").status_code == 200
        rebound = http.get("/api/agents", headers={"host": "evil.example:8283"})
        assert rebound.status_code == 403  # DNS rebinding: a hostile name resolving to 127.0.0.1


def test_a_served_agent_is_locked_against_memgpt_run_and_released_at_sigterm(serve, fake_llm) -> None:
    fake_llm.default = echo_user()
    server = serve()
    with server.http() as http:
        assert http.post("/api/agents", json={"name": "carol"}).status_code == 201
        result = run_memgpt("run", "--agent", "carol", "--first", input="hello\n", timeout=60)
        assert result.returncode == 1
        assert "already running in another memgpt process" in result.stderr + result.stdout

        # The other way round: an agent someone has open elsewhere is refused, not shared.
        from memgpt.storage.lock import agent_lock

        assert http.post("/api/agents", json={"name": "dave"}).status_code == 201
        assert http.delete("/api/agents/dave").status_code == 200
        result = run_memgpt("run", "--agent", "erin", "--yes", "--first", input="", timeout=60)
        assert result.returncode == 0, result.stderr
        with agent_lock("erin"):
            refused = http.post("/api/agents/erin/messages", json={"message": "hi"})
            assert refused.status_code == 409
            assert "already running" in refused.json()["detail"]
        works = http.post("/api/agents/erin/messages", json={"message": "hi"})  # free again: served now
        assert works.json()["messages"] == ["You said: hi"]

    # SIGTERM when idle: every agent saved, every lock released.
    assert server.stop() == 0
    assert "memgpt server stopped." in server.output()
    for name in ("carol", "erin"):
        result = run_memgpt("run", "--agent", name, "--first", input="/memory\n", timeout=60)
        assert result.returncode == 0, result.stderr
    assert "recall memory: 8 messages" in result.stdout  # created 3, served login + turn 4, this login 1


def test_sigterm_mid_step_loses_nothing_that_was_shown(serve, fake_llm) -> None:
    fake_llm.default = echo_user()
    server = serve()
    client = server.openai()
    with server.http() as http:
        assert http.post("/api/agents", json={"name": "frank"}).status_code == 201
    first = client.chat.completions.create(model="frank", messages=[{"role": "user", "content": "first words"}])
    assert first.choices[0].message.content == "You said: first words"

    calls = len(fake_llm.chat_requests())
    fake_llm.script(hang(20))  # the next step waits on the LLM ...
    failed: list[BaseException] = []

    def second() -> None:
        try:
            server.openai().chat.completions.create(model="frank", messages=[{"role": "user", "content": "second"}])
        except BaseException as exc:  # the server goes away mid-step: the client sees an error
            failed.append(exc)

    waiting = threading.Thread(target=second)
    waiting.start()
    deadline = time.monotonic() + 20
    while len(fake_llm.chat_requests()) == calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake_llm.chat_requests()) > calls, "the step never reached the LLM"
    assert server.stop() == 0  # ... when SIGTERM arrives (--grace 1)
    waiting.join(10)
    assert failed, "the interrupted request should not have succeeded"
    assert "Abandoned unfinished steps of: frank" in server.output()

    restarted = serve()  # the lock went with the process; everything shown is in recall
    with restarted.http() as http:
        said = []
        for query in ("first words", "second"):
            page = http.get("/api/agents/frank/recall/search", params={"query": query}).json()
            said += [m for m in page["messages"]]
        texts = [json.loads(m["content"]).get("message") if m["role"] == "user" else m for m in said]
        assert "first words" in texts and "second" in texts
        replies = http.get("/api/agents/frank/recall/search", params={"query": "You said"}).json()["messages"]
        assert any("You said: first words" in call["arguments"] for m in replies for call in m["tool_calls"] or [])
        after = http.post("/api/agents/frank/messages", json={"message": "third"}).json()
        assert after["messages"] == ["You said: third"]


def test_a_client_leaving_mid_step_leaves_no_half_step(serve, fake_llm) -> None:
    from tests.fake_llm import tool_call

    fake_llm.default = echo_user()
    server = serve()
    with server.http() as http:
        assert http.post("/api/agents", json={"name": "hana"}).status_code == 201
        assert http.post("/api/agents/hana/messages", json={"message": "warm up"}).status_code == 200
        calls = len(fake_llm.chat_requests())
        fake_llm.script(tool_call("send_message", {"message": "a late reply"}, content="Slowly.", delay=1.0))
        with http.stream("POST", "/api/agents/hana/messages", json={"message": "are you there?", "stream": True}) as r:
            first = next(r.iter_lines())
            assert first == "event: user_message"
        # The client has gone; the step still completes and is stored whole.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            tail = http.get("/api/agents/hana/history", params={"limit": 3}).json()
            if any(c["arguments"].find("a late reply") >= 0 for m in tail for c in m.get("tool_calls") or []):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the abandoned step never completed")
        assert len(fake_llm.chat_requests()) == calls + 1
        assert tail[-1]["role"] == "tool" and tail[-2]["role"] == "assistant"
        assert http.post("/api/agents/hana/messages", json={"message": "next"}).json()["messages"] == ["You said: next"]
