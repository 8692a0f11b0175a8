"""Documents go in as clean text: DOCX structure, text encodings, web page charsets, chunking."""

from __future__ import annotations

import io
import random
import zipfile

from memgpt.embeddings.chunking import chunk_text
from memgpt.loaders.readers import read_document
from memgpt.tokens import count_tokens

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(body: str) -> bytes:
    """A minimal DOCX: [Content_Types].xml and word/document.xml with the given body XML."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def test_docx_runs_tabs_breaks_and_tables_come_out_as_clean_text() -> None:
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="1440"/></w:tabs></w:pPr>'
        "<w:r><w:t>Name:</w:t></w:r><w:r><w:tab/><w:t>Alice</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>First</w:t><w:br/><w:t>Second</w:t></w:r></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">Fish &amp; chips </w:t></w:r>'
        "<w:r><w:delText>removed</w:delText><w:t>cost 5</w:t></w:r></w:p>"
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>City</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>Country</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:p><w:r><w:t>Kyoto</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>Japan</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:r><w:t>After the table</w:t></w:r></w:p>"
    )
    text = read_document("letter.docx", make_docx(body))[0][0]
    assert text == "Name:\tAlice\nFirst\nSecond\nFish & chips cost 5\nCity\tCountry\nKyoto\tJapan\nAfter the table"
    assert "<" not in text and "w:" not in text


def test_cp1252_file_with_an_even_byte_count_decodes_right() -> None:
    text = "Café – naïve “quotes”, déjà vu: 10€."
    data = text.encode("cp1252")
    assert len(data) % 2 == 0  # the old decoder read such files as UTF-16 (CJK garbage)
    assert read_document("note.txt", data)[0][0] == text


def test_utf16_with_bom_and_utf8_with_bom_decode_right() -> None:
    text = "Grüße aus Köln\nZeile zwei — 日本"
    assert read_document("a.txt", text.encode("utf-16"))[0][0] == text
    assert read_document("b.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))[0][0] == text


def test_html_meta_charset_and_http_charset_are_honoured_and_furniture_skipped() -> None:
    page = (
        '<html><head><meta charset="windows-1252"><title>T</title></head><body>'
        "<nav><a href='/'>Home</a> <a href='/menu'>Menu</a></nav><header>Site banner</header>"
        "<article><header><h1>Caf\xe9 prices</h1></header><p>Espresso costs 2\x80 \x96 cheap.</p>"
        "<ul><li>one</li><li>two</li></ul><table><tr><th>Item</th><th>Price</th></tr>"
        "<tr><td>Tea</td><td>1\x80</td></tr></table><pre>def f():\n    return 1</pre></article>"
        "<aside>Related links</aside><footer>Copyright</footer><script>track()</script></body></html>"
    ).encode("latin-1")
    text = read_document("page.html", page)[0][0]
    assert "Café prices" in text and "Espresso costs 2€ – cheap." in text
    assert "- one\n- two" in text and "Item\tPrice\nTea\t1€" in text
    assert "def f():\n    return 1" in text
    for furniture in ("Home", "Menu", "Site banner", "Related", "Copyright", "track"):
        assert furniture not in text
    # the HTTP header's charset wins over a wrong <meta>
    utf8_page = "<html><head><meta charset='iso-8859-2'></head><body><p>Żółw</p></body></html>".encode()
    assert read_document("https://x/y", utf8_page, "text/html; charset=utf-8")[0][0] == "Żółw"


def test_code_keeps_its_lines_and_indentation_when_chunked() -> None:
    code = "\n\n".join(
        f"def handler_{i}(request):\n    if request.ok:\n        return {i}\n    raise ValueError('bad {i}')"
        for i in range(60)
    )
    chunks = chunk_text(code, max_tokens=120, overlap=10)
    assert len(chunks) > 3
    assert all(count_tokens(c) <= 120 for c in chunks)
    assert "def handler_7(request):\n    if request.ok:\n        return 7\n    raise ValueError('bad 7')" in "\n".join(
        chunks
    )
    table = "| name | age |\n|---|---|\n" + "\n".join(f"| person{i} | {i} |" for i in range(200))
    for chunk in chunk_text(table, max_tokens=80, overlap=0):
        assert all(line.startswith("|") and line.endswith("|") for line in chunk.splitlines())


def test_long_unpunctuated_text_chunks_within_the_limit_and_loses_no_word() -> None:
    rng = random.Random(3)
    words = [rng.choice(["river", "stone", "window", "garden", "music", "lantern", "copper"]) for _ in range(20_000)]
    chunks = chunk_text(" ".join(words), max_tokens=300, overlap=0)
    assert all(count_tokens(c) <= 300 for c in chunks)
    assert " ".join(chunks).split() == words
    assert len(chunks) < 20_000 * 2 / 250  # packed, not one word per chunk
