"""Ask the server what context window it serves, instead of trusting a model-name table.

Local servers serve what they were started with (`llama-server -c 4096`, Ollama's `num_ctx`), often
far less than the model card says; a window set too large makes every long prompt fail. Each server
says it in its own place. Short timeouts, stdlib HTTP (no SDK import), and never an exception:
a probe that cannot tell returns None and the caller falls back to the table.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

log = logging.getLogger("memgpt.llm")

PROBE_TIMEOUT = 2.0


def _root(endpoint: str) -> str:
    """The server's root URL: the endpoint without its OpenAI `/v1` suffix."""
    return re.sub(r"/v1/?$", "", endpoint.rstrip("/"))


def _get(url: str, body: dict[str, Any] | None = None, timeout: float = PROBE_TIMEOUT) -> Any:
    import urllib.request  # 40 ms: only when a probe runs, not whenever memgpt.llm is imported

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own endpoint
        return json.loads(response.read(1_000_000))


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and 0 < value < 100_000_000:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return _positive(int(value.strip()))
    return None


def _llamacpp(endpoint: str, model: str, timeout: float) -> tuple[int, str] | None:
    data = _get(_root(endpoint) + "/props", timeout=timeout)
    if not isinstance(data, dict):
        return None
    settings = data.get("default_generation_settings")
    for value, where in (
        (data.get("n_ctx"), "n_ctx"),
        (settings.get("n_ctx") if isinstance(settings, dict) else None, "default_generation_settings.n_ctx"),
    ):
        if _positive(value):
            return _positive(value), f"llama.cpp /props {where}"  # type: ignore[return-value]
    return None


def _models_entry(data: Any, model: str) -> dict[str, Any] | None:
    entries = data.get("data") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        return None
    dicts = [e for e in entries if isinstance(e, dict)]
    for entry in dicts:
        if entry.get("id") == model:
            return entry
    return dicts[0] if len(dicts) == 1 else None


def _vllm(endpoint: str, model: str, timeout: float) -> tuple[int, str] | None:
    entry = _models_entry(_get(endpoint.rstrip("/") + "/models", timeout=timeout), model)
    value = _positive(entry.get("max_model_len")) if entry else None
    return (value, "vLLM /v1/models max_model_len") if value else None


def _lmstudio(endpoint: str, model: str, timeout: float) -> tuple[int, str] | None:
    entry = _models_entry(_get(_root(endpoint) + "/api/v0/models", timeout=timeout), model)
    if not entry:
        return None
    for key in ("loaded_context_length", "max_context_length"):
        value = _positive(entry.get(key))
        if value:
            return value, f"LM Studio /api/v0/models {key}"
    return None


def _ollama(endpoint: str, model: str, timeout: float) -> tuple[int, str] | None:
    data = _get(_root(endpoint) + "/api/show", {"model": model}, timeout=timeout)
    if not isinstance(data, dict):
        return None
    # num_ctx (Modelfile or server setting) is what Ollama serves; context_length is what the model
    # was trained for, and Ollama silently truncates beyond its (smaller) default
    params = data.get("parameters")
    if isinstance(params, str):
        match = re.search(r"^\s*num_ctx\s+(\d+)", params, re.MULTILINE)
        if match and _positive(match.group(1)):
            return int(match.group(1)), "Ollama /api/show parameters num_ctx"
    info = data.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if isinstance(key, str) and key.endswith(".context_length") and _positive(value):
                return _positive(value), f"Ollama /api/show model_info {key} (trained length; set num_ctx to serve it)"  # type: ignore[return-value]
    return None


def _koboldcpp(endpoint: str, model: str, timeout: float) -> tuple[int, str] | None:
    data = _get(_root(endpoint) + "/api/extra/true_max_context_length", timeout=timeout)
    value = _positive(data.get("value")) if isinstance(data, dict) else None
    return (value, "koboldcpp /api/extra/true_max_context_length") if value else None


Probe = Callable[[str, str, float], "tuple[int, str] | None"]

PROBES: dict[str, tuple[Probe, ...]] = {
    "llamacpp": (_llamacpp,),
    "vllm": (_vllm,),
    "ollama": (_ollama,),
    "lmstudio": (_lmstudio,),
    "koboldcpp": (_koboldcpp,),
    "localai": (_llamacpp, _vllm),
    "openai-compatible": (_llamacpp, _vllm, _lmstudio),
}


def probe_context_window(llm: Any, timeout: float = PROBE_TIMEOUT) -> tuple[int, str] | None:
    """(window, where it was read) from the server `llm` points at, or None when it does not say.

    Never raises: an unreachable server, a 404 or a body of the wrong shape all give None.
    """
    endpoint = str(getattr(llm, "model_endpoint", "") or "")
    model = str(getattr(llm, "model", "") or "")
    for probe in PROBES.get(str(getattr(llm, "model_endpoint_type", "")), ()):
        try:
            found = probe(endpoint, model, timeout)
        except (OSError, ValueError, AttributeError, TypeError, RecursionError) as exc:  # URLError is an OSError
            log.debug("context window probe %s at %s: %s", probe.__name__, endpoint, exc)
            continue
        except Exception:  # a probe is a hint: nothing it meets may stop the caller
            log.debug("context window probe %s failed", probe.__name__, exc_info=True)
            continue
        if found:
            return found
    return None
