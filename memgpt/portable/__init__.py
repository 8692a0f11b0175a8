"""Portable agents: `memgpt export` / `memgpt import` (one self-describing JSON Lines file) and
Letta `.af` agent files. See docs/portable.md for the format and what a Letta file maps to."""

from memgpt.portable.export import ExportSummary, export_agent
from memgpt.portable.format import FORMAT, VERSION, PortableFormatError
from memgpt.portable.importer import ImportSummary, import_file

__all__ = [
    "FORMAT",
    "VERSION",
    "ExportSummary",
    "ImportSummary",
    "PortableFormatError",
    "export_agent",
    "import_file",
]
