"""`memgpt list`, `add`, `delete`: managing agents, personas, humans and data sources."""

from __future__ import annotations

from memgpt.cli.app import app  # noqa: F401
