"""Reading documents into data sources: `memgpt load`, then `attach` to any agent."""

from memgpt.loaders.ingest import Document, LoadStats, load_documents
from memgpt.loaders.readers import UnreadableError, read_document

__all__ = ["Document", "LoadStats", "UnreadableError", "load_documents", "read_document"]
