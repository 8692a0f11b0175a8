"""Where documents come from: folders, files, web pages, SQLite queries. Shared by the CLI and AutoGen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from memgpt.errors import MemGPTError
from memgpt.loaders.ingest import Document
from memgpt.loaders.readers import DEFAULT_EXTENSIONS


def file_documents(paths: Iterable[Path | str]) -> list[Document]:
    return [Document(name=str(p), read=Path(p).read_bytes) for p in paths]


def directory_documents(
    folder: Path | str, recursive: bool = False, extensions: Iterable[str] | None = None
) -> list[Document]:
    folder = Path(folder)
    if not folder.is_dir():
        raise MemGPTError(f"{folder} is not a folder.")
    wanted = (
        {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions} if extensions else DEFAULT_EXTENSIONS
    )
    files = sorted(
        p
        for p in folder.glob("**/*" if recursive else "*")
        if p.is_file()
        and p.suffix.lower() in wanted
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not files:
        raise MemGPTError(f"No files with extensions {', '.join(sorted(wanted))} in {folder}.")
    return file_documents(files)


def webpage_documents(urls: Iterable[str], timeout: float = 30.0) -> list[Document]:
    def fetch(url: str) -> Document:
        doc = Document(name=url, read=lambda: b"", content_type="text/html")

        def read() -> bytes:
            import urllib.error
            import urllib.request

            request = urllib.request.Request(url, headers={"User-Agent": "memgpt"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    doc.content_type = response.headers.get("Content-Type") or "text/html"
                    return response.read()
            except (urllib.error.URLError, TimeoutError, ValueError) as exc:
                raise OSError(f"could not fetch ({exc})") from None

        doc.read = read
        return doc

    return [fetch(u) for u in urls]


def database_documents(db: Path | str, query: str) -> list[Document]:
    """Each row of the query as one document, `column=value, ...` (the database is opened read-only)."""
    db = Path(db)
    if not db.is_file():
        raise MemGPTError(f"No database file at {db}.")
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            cursor = conn.execute(query)
            columns = [c[0] for c in cursor.description or []]
            rows = cursor.fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise MemGPTError(f"The query failed on {db}: {exc}") from None
    documents = []
    for number, row in enumerate(rows, start=1):
        text = ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True) if v is not None)
        documents.append(Document(name=f"{db.name} row {number}.txt", read=lambda t=text: t.encode("utf-8")))
    return documents
