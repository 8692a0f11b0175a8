"""Known context windows. Unknown models fall back to 8192 (the original's default) with a note."""

from __future__ import annotations

# Longest prefix wins, so "gpt-4-32k" beats "gpt-4".
KNOWN_WINDOWS: dict[str, int] = {
    "gpt-3.5-turbo": 16385,
    "gpt-3.5-turbo-0613": 4096,
    "gpt-3.5-turbo-0301": 4096,
    "gpt-3.5-turbo-16k": 16385,
    "gpt-4": 8192,
    "gpt-4-32k": 32768,
    "gpt-4-1106": 128000,
    "gpt-4-0125": 128000,
    "gpt-4-turbo": 128000,
    "gpt-4o": 128000,
    "gpt-4.1": 1047576,
    "gpt-4.5": 128000,
    "gpt-5": 400000,
    "o1": 200000,
    "o3": 200000,
    "o4-mini": 200000,
    "llama-2": 4096,
    "llama2": 4096,
    "llama-3": 8192,
    "llama3": 8192,
    "llama-3.1": 131072,
    "llama3.1": 131072,
    "llama-3.2": 131072,
    "llama3.2": 131072,
    "llama-3.3": 131072,
    "llama3.3": 131072,
    "mistral": 32768,
    "mixtral": 32768,
    "dolphin": 16384,
    "qwen2": 32768,
    "qwen2.5": 32768,
    "qwen3": 40960,
    "phi3": 4096,
    "phi-3": 4096,
    "gemma": 8192,
    "gemma2": 8192,
    "gemma3": 131072,
}


def context_window_for(model: str) -> int | None:
    name = model.lower().rsplit("/", 1)[-1]
    best = None
    for prefix in KNOWN_WINDOWS:
        if name.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return KNOWN_WINDOWS[best] if best else None
