"""The REPL's background work: recall messages are embedded while the prompt waits, and stop on Enter."""

from __future__ import annotations

from memgpt.cli.background import RECALL_BATCH, RecallIndexer
from tests.fake_llm import send_message


def test_recall_is_embedded_while_the_prompt_waits(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.default = send_message("Noted.")
    for said in ("My nephew Otto loves dinosaurs.", "I booked the dentist for Friday.", "The cat is grey."):
        agent.user_message(said, verify=False)
    vectors = agent.recall_vectors()
    assert vectors is not None and vectors.pending() >= 6  # three messages and three replies
    indexer = RecallIndexer(agent)
    indexer.resume().join(60)
    assert vectors.pending() == 0 and indexer.embedded >= 6
    agent.user_message("And I started pottery classes.", verify=False)
    assert vectors.pending() == 2
    indexer.resume().join(60)  # after each turn: only the new messages
    assert vectors.pending() == 0
    hits = vectors.search("what is my nephew into?", 3)  # nothing left to embed inside the search
    assert hits


def test_entering_a_line_stops_the_indexer_between_batches(make_agent, fake_llm) -> None:
    agent = make_agent()
    fake_llm.default = send_message("Noted.")
    for i in range(12):
        agent.user_message(f"Little note number {i} about my day.", verify=False)
    vectors = agent.recall_vectors()
    before = vectors.pending()
    indexer = RecallIndexer(agent)
    thread = indexer.resume()
    indexer.pause()  # the user pressed Enter at once
    indexer.close()
    assert not thread.is_alive()
    assert before - vectors.pending() <= RECALL_BATCH  # at most the batch in flight
    indexer.resume().join(60)
    assert vectors.pending() == 0
