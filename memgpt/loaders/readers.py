"""Turn files into text segments (a segment per PDF page, one per other document).

Everything here is forgiving: a file we cannot read raises UnreadableError with the reason, and
the loader reports and skips it; one bad file never stops a load.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any

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


class _TextFromHTML(HTMLParser):
    SKIP = {"script", "style", "noscript", "head", "svg"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html)
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableError("binary file")
    for encoding in ("utf-8", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("latin-1")
    except UnicodeDecodeError:
        raise UnreadableError("not text in a known encoding") from None


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
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise UnreadableError(f"unreadable DOCX ({exc})") from None
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL)
    texts = ["".join(re.findall(r"<w:t[^>]*>(.*?)</w:t>", p, flags=re.DOTALL)) for p in paragraphs]
    import html

    return "\n".join(html.unescape(t) for t in texts if t)


def read_document(name: str, data: bytes, content_type: str | None = None) -> list[Segment]:
    """Text segments of a document, chosen by extension (or HTTP content type)."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf" or (content_type or "").startswith("application/pdf"):
        return _pdf(data)
    if suffix == ".docx":
        return [(_docx(data), {})]
    text = _decode(data)
    if suffix in (".html", ".htm") or (content_type or "").startswith("text/html"):
        text = html_to_text(text)
    elif suffix in (".csv", ".tsv"):
        text = _rows_as_text(text, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".json":
        with contextlib.suppress(json.JSONDecodeError):  # invalid JSON is kept as plain text
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    if not text.strip():
        raise UnreadableError("empty")
    return [(text, {})]
