"""Bytes to text: a byte-order mark first, then what the document declares, then UTF-8, then a detector.

The old order (UTF-8, UTF-16, Latin-1) decoded every cp1252 file with an even byte count as UTF-16:
CJK garbage. UTF-16 without a mark is only believed for data with NUL bytes (ASCII-range text in
UTF-16 is half NULs); otherwise NULs mean a binary file.
"""

from __future__ import annotations

import codecs
import re

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# Labels that mean windows-1252 in practice (the WHATWG encoding standard maps them so: pages that
# say latin-1 are written by Windows tools and use the 0x80-0x9F punctuation).
_AS_CP1252 = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "us-ascii", "ascii", "l1", "cp819"}
# Single-byte Latin code pages a detector confuses on short texts; cp1252 is by far the most common.
_LATIN_FAMILY = re.compile(r"^(cp125[02478]|cp8[45]0|cp437|cp775|cp858|latin_1|iso8859_\d+|mac_\w+)$")
_EBCDIC = {"cp037", "cp273", "cp500", "cp875", "cp1026", "cp1140"}


class DecodeError(ValueError):
    pass


def charset_of_content_type(content_type: str | None) -> str | None:
    """`text/html; charset=windows-1252` -> `windows-1252` (the HTTP header's word on the encoding)."""
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", flags=re.IGNORECASE)
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """A Python codec for an encoding label, None for unknown labels (which are then ignored)."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _bom(data: bytes) -> tuple[str, int] | None:
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return encoding, len(mark)
    return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Text of `data`: BOM, then the declared charset, then UTF-8, then charset-normalizer.

    Raises DecodeError for binary data (NUL bytes that are not UTF-16/32 text).
    """
    bom = _bom(data)
    if bom:
        return data[bom[1] :].decode(bom[0], errors="replace")
    codec = _codec(declared)
    if codec and not codec.startswith("utf-16") and not codec.startswith("utf-32"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass  # the declaration is wrong: find out ourselves
    has_nul = b"\x00" in data[:8192]
    if not has_nul:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return _detect(data, has_nul)


def _detect(data: bytes, has_nul: bool) -> str:
    from charset_normalizer import from_bytes

    matches = [
        m
        for m in from_bytes(data[:200_000])
        if m.encoding not in _EBCDIC and (has_nul or not m.encoding.startswith(("utf_16", "utf_32")))
    ]
    if has_nul:
        wide = [m for m in matches if m.encoding.startswith(("utf_16", "utf_32"))]
        if not wide:
            raise DecodeError("binary file")
        return data.decode(wide[0].encoding, errors="replace")
    if not matches:
        return data.decode("cp1252", errors="replace")
    best = matches[0]
    if _LATIN_FAMILY.match(best.encoding):
        # On short texts the detector's first pick among Latin code pages is close to a coin toss
        # (it read "Café – naïve" as cp1250: "naďve"); take cp1252 when it decodes as cleanly.
        for m in matches:
            if "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.11:
                return data.decode("cp1252", errors="replace")
    return data.decode(best.encoding, errors="replace")


_META_CHARSET = re.compile(
    rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w.:-]+)",
    flags=re.IGNORECASE,
)


def html_declared_charset(data: bytes) -> str | None:
    """The `<meta charset=...>` (or http-equiv Content-Type) in the first 4 KB, as browsers pre-scan."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", errors="ignore") if match else None
