"""Known context windows. Unknown models fall back to 8192 (the original's default) with a note."""

from __future__ import annotations

# Longest prefix wins, so "gpt-4-32k" beats "gpt-4". Local names come in many spellings (Ollama's
# "qwen2.5:7b", Hugging Face's "Qwen/Qwen2.5-7B-Instruct", GGUF files "llama-2-7b-chat.Q4_K_M.gguf",
# fine-tunes "Hermes-3-Llama-3.1-8B"): see `context_window_for`.
KNOWN_WINDOWS: dict[str, int] = {
    # OpenAI
    "gpt-3.5-turbo": 16385,
    "gpt-3.5-turbo-0613": 4096,
    "gpt-3.5-turbo-0301": 4096,
    "gpt-3.5-turbo-16k": 16385,
    "gpt-3.5-turbo-instruct": 4096,
    "gpt-4": 8192,
    "gpt-4-32k": 32768,
    "gpt-4-1106": 128000,
    "gpt-4-0125": 128000,
    "gpt-4-turbo": 128000,
    "gpt-4-vision": 128000,
    "gpt-4o": 128000,
    "chatgpt-4o": 128000,
    "gpt-4.1": 1047576,
    "gpt-4.5": 128000,
    "gpt-5": 400000,
    "gpt-oss": 131072,
    "o1": 200000,
    "o1-mini": 128000,
    "o1-preview": 128000,
    "o3": 200000,
    "o4-mini": 200000,
    # local families (the window the model was trained for; servers often serve less)
    "llama-2": 4096,
    "llama2": 4096,
    "codellama": 16384,
    "tinyllama": 2048,
    "llama-3": 8192,
    "llama3": 8192,
    "llama-3.1": 131072,
    "llama3.1": 131072,
    "llama-3.2": 131072,
    "llama3.2": 131072,
    "llama-3.3": 131072,
    "llama3.3": 131072,
    "mistral": 32768,
    "mistral-nemo": 131072,
    "mistral-small": 32768,
    "mistral-large": 131072,
    "mixtral": 32768,
    "dolphin": 16384,
    "dolphin-mistral": 32768,
    "dolphin-mixtral": 32768,
    "dolphin-llama3": 8192,
    "qwen2": 32768,
    "qwen2.5": 32768,
    "qwen3": 40960,
    "phi3": 4096,
    "phi-3": 4096,
    "phi3.5": 131072,
    "phi-3.5": 131072,
    "phi4": 16384,
    "phi-4": 16384,
    "gemma": 8192,
    "gemma2": 8192,
    "gemma-2": 8192,
    "gemma3": 131072,
    "gemma-3": 131072,
    "deepseek-r1": 131072,
    "command-r": 131072,
}

# Words a fine-tune puts before the base model's name ("Meta-Llama-3-8B", "Hermes-3-Llama-3.1-8B").
_SEPARATORS = "-_. "


def context_window_for(model: str) -> int | None:
    """The known window of `model`, or None (callers then use 8192 and say so).

    A name that starts with a known family wins; otherwise a family named after a separator inside it
    ("hermes-3-llama-3.1-8b" is a Llama 3.1; too short a key, like "o1", never matches inside). The
    longest match wins either way.
    """
    name = model.lower().rsplit("/", 1)[-1]
    prefixed = [key for key in KNOWN_WINDOWS if name.startswith(key)]
    if not prefixed:
        prefixed = [key for key in KNOWN_WINDOWS if len(key) > 3 and any(f"{sep}{key}" in name for sep in _SEPARATORS)]
    return KNOWN_WINDOWS[max(prefixed, key=len)] if prefixed else None
