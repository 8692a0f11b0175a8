"""DOCX text through the XML tree of `word/document.xml`.

A regular expression over the XML (`<w:t[^>]*>`) also matched `<w:tab/>` and `<w:tabs>`, so raw XML
leaked into passages and line breaks vanished. Walking the tree gives each run's text, `<w:tab/>` as
a tab, `<w:br/>`/`<w:cr/>` as a newline, one line per paragraph and a table as rows of tab-separated
cells. Tab stops (`<w:pPr><w:tabs>`), deleted text of tracked changes and field codes are not text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_XML_BYTES = 256 * 1024 * 1024  # a larger document.xml is a zip bomb, not a document


class DocxError(ValueError):
    pass


def docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise DocxError(f"word/document.xml is {info.file_size} bytes uncompressed")
            root = ElementTree.fromstring(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise DocxError(str(exc)) from None
    body = root.find(f"{W}body")
    if body is None:
        return ""
    return "\n".join(line for line in _blocks(body)).strip()


def _blocks(container: ElementTree.Element) -> Iterator[str]:
    """Paragraphs and tables in document order; content controls (`w:sdt`) are looked into."""
    for child in container:
        if child.tag == f"{W}p":
            yield _paragraph(child)
        elif child.tag == f"{W}tbl":
            yield from _table(child)
        elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins"):
            yield from _blocks(child)


def _paragraph(p: ElementTree.Element) -> str:
    parts: list[str] = []
    for run in p.iter(f"{W}r"):
        for node in run:
            tag = node.tag
            if tag == f"{W}t":
                parts.append(node.text or "")
            elif tag == f"{W}tab":
                parts.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                parts.append("\n")
            elif tag == f"{W}noBreakHyphen":
                parts.append("-")
    return "".join(parts)


def _table(tbl: ElementTree.Element) -> Iterator[str]:
    """One line per row, cells separated by tabs (a cell's own paragraphs joined by spaces)."""
    for row in tbl.findall(f"{W}tr"):
        cells = []
        for cell in row.findall(f"{W}tc"):
            text = " ".join(t for t in _cell_lines(cell) if t.strip())
            cells.append(text.replace("\t", " ").replace("\n", " ").strip())
        if any(cells):
            yield "\t".join(cells)


def _cell_lines(cell: ElementTree.Element) -> Iterator[str]:
    for child in cell:
        if child.tag == f"{W}p":
            yield _paragraph(child)
        elif child.tag == f"{W}tbl":  # a nested table, flattened into the cell
            yield from _table(child)
        elif child.tag == f"{W}sdt":
            yield from _blocks(child)
