"""Work the REPL does while its prompt waits for the user: warming up, and embedding recall.

Both run in daemon threads, never block the prompt and only log their failures (the turn that needs
the piece reports it properly). A person types for seconds; that time pays for imports and for the
message vectors `conversation_search` would otherwise make inside a turn.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

# Messages embedded per background batch: small, so a batch in flight when the user presses Enter
# ends within ~0.1 s (e5 embeds ~60 a second on 2 cores) instead of competing with the turn.
RECALL_BATCH = 8


def start_warmup(agent: Any) -> threading.Thread:
    """Import the LLM client (openai), numpy and faiss and load the embedder in a daemon thread while
    the user types, so the first turn costs what later ones do. Never blocks the prompt; a failure
    here is only logged (the turn that needs the piece reports it properly)."""

    def warm() -> None:
        try:
            import faiss  # noqa: F401
            import numpy  # noqa: F401
            import openai  # noqa: F401

            import memgpt.llm.openai_client  # noqa: F401
            from memgpt.config import Credentials
            from memgpt.embeddings import create_embedder


            embedder = create_embedder(agent.embedding_config, Credentials.load())
            if agent.embedding_config.embedding_endpoint_type == "local":
                embedder.embed(["warm-up"])  # loads the model; the agent gets the same shared instance
        except Exception:  # noqa: BLE001  (best effort by design)
            log.debug("warm-up failed", exc_info=True)
        try:
            agent._prompt_tokens()  # loads the tokenizer (~0.25 s) and counts the prompt, as the first turn would
            for part in (agent.client, agent.interface):  # the HTTP client and its modules; rich's spinner
                warm_part = getattr(part, "warm_up", None)
                if warm_part is not None:
                    warm_part()
        except Exception:  # noqa: BLE001  (best effort: a stand-in agent may not have these)
            log.debug("warm-up of the prompt failed", exc_info=True)

    thread = threading.Thread(target=warm, name="memgpt-warmup", daemon=True)
    thread.start()
    return thread


class RecallIndexer:
    """Embeds recall messages that have no vector yet (the newest turn; an old agent's history) while
    the prompt waits, so `conversation_search` finds by meaning without embedding inside a turn.

    Only for local embedders: a remote one would be paid for every message, searched or not (there,
    `conversation_search` embeds lazily as before). `pause()` is called when a line is entered; the
    thread stops after its current batch. `resume()` after each turn starts it again."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.embedded = 0

    def resume(self) -> threading.Thread | None:
        if self._thread is not None and self._thread.is_alive():
            return self._thread  # still going (it saw no stop): the new turn's messages come next
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="memgpt-recall-index", daemon=True)
        self._thread.start()
        return self._thread

    def pause(self) -> None:
        self._stop.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop and wait for the batch in flight, before the storage it writes to is closed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        from memgpt.embeddings.local import LocalEmbedder

        try:
            vectors = self.agent.recall_vectors()
            if vectors is None or not isinstance(vectors.embedder, LocalEmbedder):
                return
            self.embedded += vectors.catch_up(float("inf"), batch=RECALL_BATCH, stop=self._stop)
        except Exception:  # noqa: BLE001  (best effort: the search embeds what is missing)
            log.debug("background recall indexing failed", exc_info=True)
