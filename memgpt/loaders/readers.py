"""Turn files into text segments (a segment per PDF page, one per other document).

Everything here is forgiving: a file we cannot read raises UnreadableError with the reason, and
the loader reports and skips it; one bad file never stops a load.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import PurePath
from typing import Any

from memgpt.loaders.decoding import DecodeError, charset_of_content_type, decode_text, html_declared_charset
from memgpt.loaders.docx import DocxError, docx_text
from memgpt.loaders.html import html_to_text

TEXT_EXTENSIONS = {
    ".txt",
    ".md",
    ".markdown",
    ".rst",
    ".log",
    ".py",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".hpp",
    ".cs",
    ".go",
    ".rs",
    ".rb",
    ".php",
    ".swift",
    ".kt",
    ".scala",
    ".sh",
    ".bash",
    ".sql",
    ".toml",
    ".yaml",
    ".yml",
    ".ini",
    ".cfg",
    ".tex",
    ".org",
    ".xml",
}
DEFAULT_EXTENSIONS = TEXT_EXTENSIONS | {".json", ".csv", ".tsv", ".html", ".htm", ".pdf", ".docx"}

Segment = tuple[str, dict[str, Any]]  # text and its metadata (page, row...)


class UnreadableError(Exception):
    pass


def _decode(data: bytes, declared: str | None = None) -> str:
    try:
        return decode_text(data, declared)
    except DecodeError as exc:
        raise UnreadableError(str(exc)) from None


def _rows_as_text(text: str, delimiter: str) -> str:
    """Each row as `column=value, ...` so a passage keeps the meaning of its cells."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return ""
    header, lines = rows[0], []
    for row in rows[1:]:
        lines.append(", ".join(f"{h}={v}" for h, v in zip(header, row, strict=False) if v != ""))
    return "\n".join(lines) if lines else ", ".join(header)


def _pdf(data: bytes) -> list[Segment]:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "", {"page": number}) for number, page in enumerate(reader.pages, start=1)]
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise UnreadableError(f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    pages = [(text, meta) for text, meta in pages if text.strip()]
    if not pages:
        raise UnreadableError("the PDF has no extractable text (scanned images need OCR first)")
    return pages


def _docx(data: bytes) -> str:
    try:
        return docx_text(data)
    except DocxError as exc:
        raise UnreadableError(f"unreadable DOCX ({exc})") from None


def read_document(name: str, data: bytes, content_type: str | None = None) -> list[Segment]:
    """Text segments of a document, chosen by extension (or HTTP content type)."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf" or (content_type or "").startswith("application/pdf"):
        return _pdf(data)
    if suffix == ".docx":
        return [(_docx(data), {})]
    declared = charset_of_content_type(content_type)
    is_html = suffix in (".html", ".htm") or (content_type or "").startswith(("text/html", "application/xhtml"))
    if is_html:
        # the HTTP header's charset wins over the page's own <meta charset> (as in browsers)
        text = html_to_text(_decode(data, declared or html_declared_charset(data)))
    elif suffix in (".csv", ".tsv"):
        text = _rows_as_text(_decode(data, declared), "\t" if suffix == ".tsv" else ",")
    elif suffix == ".json":
        text = _decode(data, declared)
        with contextlib.suppress(json.JSONDecodeError):  # invalid JSON is kept as plain text
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    else:
        text = _decode(data, declared)
    if not text.strip():
        raise UnreadableError("empty")
    return [(text, {})]
