"""`memgpt load` and `attach`: real files, a real web page on 127.0.0.1, real SQLite/FAISS."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from memgpt.agent import Agent
from memgpt.config import MemGPTConfig
from memgpt.interface import RecordingInterface
from memgpt.loaders.readers import UnreadableError, read_document
from memgpt.storage import open_storage
from tests.conftest import run_memgpt
from tests.fake_llm import send_message, tool_call

FACT = "The secret launch code of project Heron is PURPLE-ELEPHANT-42."


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with real text that pypdf can extract."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("Meeting notes.\n\n" + FACT + "\n\nNext meeting on Friday.")
    (folder / "guide.md").write_text("# Guide\n\nHerons are wading birds that hunt fish in shallow water.")
    (folder / "report.pdf").write_bytes(make_pdf("Quarterly revenue grew by 12 percent."))
    (folder / "table.csv").write_text("city,country\nLisbon,Portugal\nKyoto,Japan\n")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    (folder / "sub" / "deep.txt").write_text("Only found when loading recursively.")
    return folder


def source_counts(name: str) -> tuple[int, int, int]:
    with open_storage(MemGPTConfig.load()) as storage:
        summary = storage.sources.get(name)
        distinct = storage.db.query(
            "SELECT COUNT(DISTINCT content_hash) FROM passages WHERE owner=?", (f"source:{name}",)
        )
        return summary.documents, summary.passages, distinct[0][0]


def test_readers() -> None:
    assert "Quarterly revenue" in read_document("r.pdf", make_pdf("Quarterly revenue"))[0][0]
    assert read_document("t.csv", b"a,b\n1,2\n")[0][0] == "a=1, b=2"
    html = (
        b"<html><head><style>x{}</style></head><body><h1>Title</h1><script>bad()</script><p>Body text</p></body></html>"
    )
    assert read_document("p.html", html)[0][0] == "Title\n\nBody text"
    with pytest.raises(UnreadableError, match="binary"):
        read_document("b.txt", b"\x00\x00abc")
    with pytest.raises(UnreadableError, match="PDF"):
        read_document("broken.pdf", b"%PDF-1.4 garbage")


def test_load_directory_attach_and_find_a_fact(configured, fake_llm, documents) -> None:
    result = run_memgpt("load", "directory", "--name", "heron", "--input-dir", str(documents))
    assert result.returncode == 0, result.stderr
    assert "Loaded 4 documents into 'heron'" in result.stdout and "passages/s)" in result.stdout
    assert "skipped" in result.stderr and "blob.txt" in result.stderr and "binary" in result.stderr
    assert "heron" in run_memgpt("list", "sources").stdout
    docs, passages, distinct = source_counts("heron")
    assert docs == 4 and passages == distinct
    again = run_memgpt("load", "directory", "--name", "heron", "--input-dir", str(documents), "--recursive")
    assert "Loaded 1 documents" in again.stdout and "4 already loaded" in again.stdout
    assert source_counts("heron")[0] == 5

    config = MemGPTConfig.load()
    with open_storage(config) as storage:
        Agent.create(name="reader", config=config, storage=storage, interface=RecordingInterface()).close()
    first = run_memgpt("attach", "--agent", "reader", "--data-source", "heron")
    assert first.returncode == 0, first.stderr
    added = int(first.stdout.split(": ")[1].split(" new")[0])
    assert added == source_counts("heron")[1]
    second = run_memgpt("attach", "--agent", "reader", "--data-source", "heron")
    assert ": 0 new passages" in second.stdout
    assert "heron" in run_memgpt("list", "agents").stdout

    fake_llm.script(
        tool_call("archival_memory_search", {"query": "launch code of project Heron", "request_heartbeat": True}),
        send_message("The code is PURPLE-ELEPHANT-42."),
    )
    with open_storage(config) as storage:
        agent = Agent.load("reader", config=config, storage=storage, interface=RecordingInterface())
        try:
            agent.user_message("What is the launch code of project Heron?", verify=False)
            results = agent.interface.texts("function_result")
        finally:
            agent.close()
    assert any("PURPLE-ELEPHANT-42" in r for r in results)
    body = json.dumps(fake_llm.chat_requests()[-1]["messages"])
    assert "PURPLE-ELEPHANT-42" in body  # the model saw the passage


def test_load_webpage_and_database(configured, tmp_path) -> None:
    page = b"<html><body><p>The heron festival takes place every May.</p><script>x()</script></body></html>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/missing":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        result = run_memgpt("load", "webpage", "--name", "web", "--url", f"{base}/festival", "--url", f"{base}/missing")
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert "Loaded 1 documents" in result.stdout and "missing" in result.stderr
    db = tmp_path / "birds.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE birds (name TEXT, habitat TEXT)")
        conn.executemany("INSERT INTO birds VALUES (?, ?)", [("heron", "wetlands"), ("puffin", "cliffs")])
    result = run_memgpt("load", "database", "--name", "birds", "--db", str(db), "--query", "SELECT * FROM birds")
    assert "Loaded 2 documents" in result.stdout, result.stderr
    bad = run_memgpt("load", "database", "--name", "birds", "--db", str(db), "--query", "SELECT nope FROM birds")
    assert bad.returncode == 1 and "query failed" in bad.stderr


def test_interrupted_load_resumes_without_duplicates(configured, tmp_path) -> None:
    """A load stopped part-way (Ctrl-C while reading document 25) keeps every document it stored, and the
    next `memgpt load` continues from there. Deterministic: an interrupt at a known document, with embed
    batches of 4 passages so each document is stored before the next is read (a kill -9 timed from
    outside raced with a load that had become fast enough to finish first)."""
    from memgpt.embeddings import create_embedder
    from memgpt.loaders import load_documents
    from memgpt.loaders.sources import directory_documents

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"doc{i:02}.txt").write_text(f"Document {i}. " + " ".join(f"word{i}x{j}" for j in range(400)))
    from memgpt.config import EmbeddingConfig

    config = MemGPTConfig.load()  # the fast embedder: this is about resuming, and 280 passages
    config.embedding = EmbeddingConfig(embedding_model="wordllama-l2-supercat")
    config.save()

    class SmallBatches:
        def __init__(self, inner) -> None:
            self.inner, self.model_id, self.dim, self.batch_size = inner, inner.model_id, inner.dim, 4

        def embed(self, texts):
            return self.inner.embed(texts)

    def interrupt() -> bytes:
        raise KeyboardInterrupt

    documents = directory_documents(folder)
    documents[25].read = interrupt
    with open_storage(config) as storage, pytest.raises(KeyboardInterrupt):
        load_documents(storage, SmallBatches(create_embedder(config.embedding)), "many", documents, chunk_size=300)
    loaded_before = source_counts("many")[0]
    assert loaded_before == 25
    result = run_memgpt("load", "directory", "--name", "many", "--input-dir", str(folder))
    assert result.returncode == 0, result.stderr
    assert f"{loaded_before} already loaded" in result.stdout
    docs, passages, distinct = source_counts("many")
    assert docs == 40 and passages == distinct


def test_load_in_a_terminal_shows_passages_per_second(configured, documents, spawn_memgpt) -> None:
    """The progress bar says how fast passages go in (a 10k-file load takes minutes: people want to know)."""
    import pexpect

    child = spawn_memgpt("load", "directory", "--name", "rate", "--input-dir", str(documents), timeout=120)
    child.expect(r"passages, [\d,]+/s")
    child.expect(r"Loaded 4 documents into 'rate'.*passages/s\)")
    child.expect(pexpect.EOF)
