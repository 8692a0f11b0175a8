"""`memgpt server` over real HTTP: the OpenAI-compatible chat (through the real openai SDK) and REST."""

from __future__ import annotations

import json
import threading

from tests.fake_llm import echo_user
from tests.test_server_support import serve_fixture  # noqa: F401  (the `serve` fixture)


def test_openai_sdk_chats_with_an_agent_plain_and_streamed(serve, configured, fake_llm) -> None:
    fake_llm.default = echo_user()
    configured.llm.stream = True  # the agent's model streams too: its deltas become the chunks
    configured.save()
    server = serve()
    with server.http() as http:
        created = http.post("/api/agents", json={"name": "alice"})
        assert created.status_code == 201, created.text
        assert created.json()["loaded"] is True
    client = server.openai()
    assert "alice" in [m.id for m in client.models.list().data]

    reply = client.chat.completions.create(
        model="alice",
        messages=[
            {"role": "system", "content": "ignored: the agent has its own system prompt"},
            {"role": "user", "content": "an older message the agent already has"},
            {"role": "user", "content": "hello there"},
        ],
    )
    assert reply.choices[0].message.content == "You said: hello there"
    sent_to_llm = json.dumps(fake_llm.chat_requests())
    assert "an older message" not in sent_to_llm and "ignored: the agent" not in sent_to_llm
    events = reply.model_extra["memgpt_events"]
    assert [e["kind"] for e in events][:2] == ["user_message", "inner_thought"]
    assert "I should answer." not in reply.choices[0].message.content
    assert reply.usage.prompt_tokens > 0

    stream = client.chat.completions.create(
        model="memgpt/alice", messages=[{"role": "user", "content": "and streamed"}], stream=True
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "You said: and streamed"
    assert len(pieces) > 1  # streamed as the model produced it, not in one piece at the end
    assert chunks[-1].choices[0].finish_reason == "stop"

    # Asked for, the inner thoughts come as extension chunks, never as content.
    stream = client.chat.completions.create(
        model="alice",
        messages=[{"role": "user", "content": "show your thoughts"}],
        stream=True,
        extra_body={"memgpt_events": True},
    )
    chunks = list(stream)
    thoughts = [c.model_extra["memgpt_event"] for c in chunks if (c.model_extra or {}).get("memgpt_event")]
    assert any(t["kind"] == "inner_thought" and t["text"] == "I should answer." for t in thoughts)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "You said: show your thoughts"

    import openai
    import pytest

    with pytest.raises(openai.BadRequestError, match="newest user message is empty"):
        client.chat.completions.create(
            model="alice", messages=[{"role": "user", "content": "said before"}, {"role": "user", "content": ""}]
        )
    with pytest.raises(openai.NotFoundError, match="No agent named 'nobody'"):
        client.chat.completions.create(model="nobody", messages=[{"role": "user", "content": "hi"}])


def test_rest_agents_core_memory_archival_and_recall(serve, fake_llm) -> None:
    fake_llm.default = echo_user()
    server = serve()
    with server.http() as http:
        assert http.post("/api/agents", json={"name": "bob", "human_text": "Name: Bob"}).status_code == 201
        assert http.post("/api/agents", json={"name": "bob"}).status_code == 400  # exists
        assert [a["name"] for a in http.get("/api/agents").json()] == ["bob"]

        memory = http.get("/api/agents/bob/memory").json()
        assert memory["blocks"]["human"]["value"] == "Name: Bob"
        edited = http.put("/api/agents/bob/memory/human", json={"value": "Name: Bob\nLikes: sailing"})
        assert edited.status_code == 200, edited.text
        too_long = http.put("/api/agents/bob/memory/human", json={"value": "x" * 100_000})
        assert too_long.status_code == 400 and "at most" in too_long.json()["detail"]
        assert http.get("/api/agents/bob/memory").json()["blocks"]["human"]["value"].endswith("Likes: sailing")

        # The agent sees the edit in its very next call.
        turn = http.post("/api/agents/bob/messages", json={"message": "what do I like?"}).json()
        assert turn["messages"] == ["You said: what do I like?"]
        system = fake_llm.chat_requests()[-1]["messages"][0]["content"]
        assert "Likes: sailing" in system

        inserted = http.post("/api/agents/bob/archival", json={"text": "The boat is called Marlin."})
        assert inserted.status_code == 201, inserted.text
        assert inserted.json()["archival_total"] == 1
        found = http.get("/api/agents/bob/archival/search", params={"query": "boat name", "top_k": 3}).json()
        assert found[0]["text"] == "The boat is called Marlin."
        assert [p["text"] for p in http.get("/api/agents/bob/archival").json()] == ["The boat is called Marlin."]

        recall = http.get("/api/agents/bob/recall/search", params={"query": "like"}).json()
        assert recall["total"] >= 1 and any("what do I like" in (m["content"] or "") for m in recall["messages"])

        budget = http.get("/api/agents/bob/tokens").json()
        assert 0 < budget["used"] < budget["window"]
        assert http.get("/api/sources").json() == []
        assert http.post("/api/agents/bob/sources", json={"source": "nope"}).status_code == 404
        assert http.get("/api/agents/ghost/memory").status_code == 404
        assert http.get("/openapi.json").json()["info"]["title"] == "memgpt server"

        assert http.delete("/api/agents/bob").json() == {"deleted": "bob"}
        assert http.get("/api/agents").json() == []


def test_requests_to_one_agent_run_one_at_a_time_in_order(serve, fake_llm) -> None:
    """Concurrent clients of two agents: every message answered, none interleaved with another's turn."""
    fake_llm.default = echo_user()
    server = serve()
    with server.http() as http:
        for name in ("p", "q"):
            assert http.post("/api/agents", json={"name": name}).status_code == 201
    errors: list[str] = []

    def client(agent: str, who: int) -> None:
        with server.http() as http:
            for turn in range(3):
                text = f"{agent}-{who}-{turn}"
                got = http.post(f"/api/agents/{agent}/messages", json={"message": text}).json()
                if got.get("messages") != [f"You said: {text}"]:
                    errors.append(f"{text}: {got}")

    threads = [threading.Thread(target=client, args=(a, w)) for a in ("p", "q") for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with server.http() as http:
        for agent in ("p", "q"):
            history = http.get(f"/api/agents/{agent}/history", params={"limit": 200}).json()
            said = []
            for m in history:
                if m["role"] == "user" and json.loads(m["content"]).get("type") == "user_message":
                    said.append(("user", json.loads(m["content"])["message"]))
                for call in m.get("tool_calls") or []:
                    said.append(("agent", json.loads(call["arguments"])["message"]))
            said = said[1:]  # the boot message the agent was created with
            assert len(said) == 18
            for (role, text), (reply_role, reply) in zip(said[::2], said[1::2], strict=True):
                assert role == "user" and reply_role == "agent" and reply == f"You said: {text}"
            for who in range(3):  # each client's turns kept their order
                mine = [t for r, t in said if r == "user" and t.startswith(f"{agent}-{who}-")]
                assert mine == [f"{agent}-{who}-{n}" for n in range(3)]
