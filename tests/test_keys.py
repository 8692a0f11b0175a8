"""Keys go only where they were given: per-endpoint credentials, checked on the wire (fake server headers)."""

from __future__ import annotations

import json

from memgpt import paths
from memgpt.config import Credentials, EmbeddingConfig, LLMConfig
from tests.conftest import run_memgpt
from tests.fake_llm import FakeLLMServer, echo_user

OPENAI_SECRET = "sk-openai-secret-0123456789"


def _write_old_credentials() -> None:
    """The file earlier releases wrote: one `openai_key` for every provider."""
    paths.config_dir().mkdir(parents=True, exist_ok=True)
    paths.credentials_file().write_text(json.dumps({"openai_key": OPENAI_SECRET}))


def _auth_headers(server: FakeLLMServer) -> list[str]:
    return [r["headers"].get("authorization", "") for r in server.requests if r["method"] == "POST"]


def test_a_third_party_endpoint_gets_no_key_it_was_not_given(configured, fake_llm) -> None:
    """An OpenAI key in the old file and in OPENAI_API_KEY never reaches another host; a key stored
    for that endpoint (or its provider variable) does."""
    _write_old_credentials()
    fake_llm.default = echo_user()
    env = {"OPENAI_API_KEY": "sk-env-secret-0123456789", "MEMGPT_RETRY_BASE_DELAY": "0.001"}
    result = run_memgpt("run", "--agent", "k", "-m", "hello", env=env)
    assert result.returncode == 0, result.stderr
    sent = _auth_headers(fake_llm)
    assert sent and all("secret" not in h for h in sent), sent

    fake_llm.reset()
    set_key = run_memgpt("keys", "set", fake_llm.url, input="tp-key-for-this-host-only\n")
    assert set_key.returncode == 0, set_key.stderr
    assert run_memgpt("run", "--agent", "k", "-m", "again", env=env).returncode == 0
    assert set(_auth_headers(fake_llm)) == {"Bearer tp-key-for-this-host-only"}

    fake_llm.reset()
    env["MEMGPT_OPENAI_COMPATIBLE_API_KEY"] = "provider-var-key"
    assert run_memgpt("run", "--agent", "k", "-m", "and again", env=env).returncode == 0
    assert set(_auth_headers(fake_llm)) == {"Bearer provider-var-key"}


def test_remote_embeddings_get_only_their_endpoints_key(fake_llm, monkeypatch) -> None:
    from memgpt.embeddings import create_embedder

    _write_old_credentials()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret-0123456789")
    config = EmbeddingConfig(
        embedding_endpoint_type="openai-compatible",
        embedding_endpoint=fake_llm.url,
        embedding_model="fake",
        embedding_dim=64,
    )
    create_embedder(config, Credentials.load()).embed(["some text"])
    assert _auth_headers(fake_llm) == ["Bearer not-needed"]


def test_key_for_matches_hosts_exactly(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    creds = Credentials(keys={"https://api.together.xyz/v1/": "tg-key"})
    assert creds.key_for("openai", "https://api.openai.com/v1") == "sk-env"
    assert creds.key_for("openai", "https://API.OpenAI.com:443/v1/") == "sk-env"
    assert creds.key_for("openai", "https://api.openai.com.evil.example/v1") is None
    assert creds.key_for("openai-compatible", "http://localhost:8000/v1") is None
    assert creds.key_for("openai-compatible", "https://api.together.xyz/v1") == "tg-key"
    assert creds.key_for("openai-compatible", "https://api.together.xyz/other") == "tg-key"  # same host, other path
    assert creds.key_for("openai-compatible", "http://api.together.xyz/v1") is None  # not over plain http
    monkeypatch.setenv("MEMGPT_VLLM_API_KEY", "vllm-key")
    assert creds.key_for("vllm", "http://gpu-box:8000/v1") == "vllm-key"
    assert creds.key_for("ollama", "http://gpu-box:8000/v1") is None


def test_old_credentials_file_is_read_as_openais_key_and_rewritten(memgpt_home) -> None:
    _write_old_credentials()
    creds = Credentials.load()
    assert creds.key_for("openai", "https://api.openai.com/v1") == OPENAI_SECRET
    assert creds.key_for("openai-compatible", "http://127.0.0.1:9/v1") is None
    creds.save()
    saved = json.loads(paths.credentials_file().read_text())
    assert "openai_key" not in saved and saved["keys"] == {"https://api.openai.com/v1": OPENAI_SECRET}
    assert paths.credentials_file().stat().st_mode & 0o077 == 0


def test_keys_commands_store_list_masked_and_remove(memgpt_home) -> None:
    assert run_memgpt("keys", "set", "openai", "sk-abcdefghijklmnop").returncode == 0
    assert run_memgpt("keys", "set", "https://api.together.xyz/v1", input="tg-0123456789abcdef\n").returncode == 0
    listed = run_memgpt("keys", "list")
    assert listed.returncode == 0
    assert "https://api.openai.com/v1" in listed.stdout and "https://api.together.xyz/v1" in listed.stdout
    assert "sk-abcdefghijklmnop" not in listed.stdout and "tg-0123456789abcdef" not in listed.stdout
    assert "mnop" in listed.stdout  # the last four characters tell keys apart
    records = json.loads(run_memgpt("keys", "list", "--json").stdout)
    assert {r["endpoint"] for r in records} == {"https://api.openai.com/v1", "https://api.together.xyz/v1"}
    assert run_memgpt("keys", "remove", "https://api.together.xyz/v1/").returncode == 0
    assert "together" not in run_memgpt("keys", "list").stdout
    missing = run_memgpt("keys", "remove", "https://nowhere.example/v1")
    assert missing.returncode == 1 and "No key is stored" in missing.stderr
    bad = run_memgpt("keys", "set", "nonsense", "x")
    assert bad.returncode == 1 and "neither an http(s):// URL nor a provider name" in bad.stderr


def test_create_llm_client_sends_a_key_set_in_code_to_the_paired_endpoint(fake_llm) -> None:
    """Library callers (AutoGen config lists) pair a key with an endpoint themselves."""
    from memgpt.llm import create_llm_client
    from memgpt.schemas import Message

    llm = LLMConfig(model="gpt-4", model_endpoint_type="openai-compatible", model_endpoint=fake_llm.url, max_retries=0)
    fake_llm.default = echo_user()
    create_llm_client(llm, Credentials(keys={fake_llm.url: "stored-for-fake"})).chat(
        [Message(role="user", content="hi")]
    )
    assert _auth_headers(fake_llm) == ["Bearer stored-for-fake"]
