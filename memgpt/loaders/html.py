"""The readable text of a web page: headings, paragraphs, lists, tables, preformatted code.

Page furniture (navigation, site header and footer, asides, scripts, styles, forms' hidden parts) is
skipped so passages hold what the page says, not its menu repeated on every page of a site. A
`<header>` or `<footer>` inside an `<article>` or `<main>` belongs to the content and is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

ALWAYS_SKIPPED = {"script", "style", "noscript", "head", "svg", "template", "nav", "aside", "iframe", "button"}
FURNITURE = {"header", "footer"}  # skipped outside article/main
CONTENT = {"article", "main"}
BLOCK = {
    "p", "div", "br", "hr", "li", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "main", "pre", "table", "blockquote", "figure", "figcaption", "ul", "ol", "dl", "address",
}  # fmt: skip
LINES = {"li", "tr", "dt", "dd", "br"}  # a new line where they start; blocks also end with one
VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


_MARKERS = {0: None, 1: None, 2: None}  # used below to protect <pre> whitespace; never text


class _TextFromHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open skipped elements
        self.content_depth = 0
        self.pre_depth = 0
        self.cell_in_row = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if self.skipping:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        if tag in ALWAYS_SKIPPED or (tag in FURNITURE and not self.content_depth) or _hidden(attrs):
            if tag not in VOID:
                self.skipping.append(tag)
            return
        if tag in CONTENT:
            self.content_depth += 1
        if tag == "pre":
            self.pre_depth += 1
        if tag == "tr":
            self.cell_in_row = 0
        if tag in ("td", "th"):
            if self.cell_in_row:
                self.parts.append("\t")
            self.cell_in_row += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            # close the innermost matching element (tolerates unclosed children like <p>)
            if tag in self.skipping:
                while self.skipping and self.skipping.pop() != tag:
                    pass
            return
        if tag in CONTENT and self.content_depth:
            self.content_depth -= 1
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
        if tag in BLOCK and tag not in LINES:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        data = data.translate(_MARKERS)
        if self.pre_depth:
            # protected from whitespace folding: code keeps its lines and indentation
            self.parts.append(data.replace("\n", "\x00").replace(" ", "\x01").replace("\t", "\x02"))
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def _hidden(attrs: Any) -> bool:
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and value == "true"):
            return True
        if name == "style" and value and re.search(r"display\s*:\s*none", value):
            return True
    return False


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.replace("\x00", "\n").replace("\x01", " ").replace("\x02", "\t").strip()
