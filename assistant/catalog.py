"""The document catalog: one row per ingested document, in the ingestion records database.

It holds what a reader and a citation need about a whole document (title, author, the
exact text that chunk offsets point into) and what ingestion needs to skip unchanged
files without reading them twice (the file's sha256 and the splitter's fingerprint).
A row is written only after the document's chunks are in the vector store, so a row
always means "fully ingested".

Ingestion writes it; retrieval reads its version to know when to rebuild the keyword index;
the library lists it. It lives beside the store because both sides read it.

Example:
    >>> from sqlalchemy import create_engine
    >>> catalog = Catalog(create_engine("sqlite://"))
    >>> catalog.all()
    []
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

# Pictures of pages, read as documents of one page per frame (by OCR).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
# Files whose pages can be shown as printed: PDFs and pictures.
PRINTED_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}

_metadata = MetaData()
_documents = Table(
    "assistant_documents",
    _metadata,
    Column("doc_id", String, primary_key=True),
    Column("source", String, nullable=False, unique=True, index=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("title", String, nullable=False),
    Column("author", String, nullable=False),
    Column("column", String, nullable=False, default=""),
    Column("format", String, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("splitter", String, nullable=False),
    Column("ingested_at", String, nullable=False),
    Column("text", Text, nullable=False),
    # What a document states about itself, when it does (null when unknown).
    Column("publisher", String, nullable=True),
    Column("date", String, nullable=True),
    Column("pages", Integer, nullable=True),
    # JSON list of the pages whose text OCR read (scans), "[]" when none.
    Column("ocr_pages", String, nullable=True),
)
# What an editor set in the Library tab (or `docs edit`): it wins over what the document
# says, and survives the document being read again.
OVERRIDABLE = ("title", "publisher", "date")
_overrides = Table(
    "assistant_document_overrides",
    _metadata,
    Column("doc_id", String, primary_key=True),
    *(Column(name, String, nullable=True) for name in OVERRIDABLE),
)


@dataclass(frozen=True)
class DocumentRecord:
    """What the catalog knows about one document."""

    doc_id: str
    source: str
    sha256: str
    title: str
    author: str
    column: str
    format: str
    chunks: int
    splitter: str
    ingested_at: str
    text: str
    publisher: str | None = None
    date: str | None = None
    pages: int | None = None
    ocr_pages: str | None = None  # JSON list; see :attr:`scanned_pages`

    @property
    def scanned_pages(self) -> list[int]:
        """The pages whose text was read by OCR (counted from 1)."""
        return json.loads(self.ocr_pages or "[]")

    def summary(self) -> dict:
        """The public listing shape (``docs list --json``), without the full text."""
        data = {"id": self.doc_id, **asdict(self), "chars": len(self.text),
                "ocr_pages": self.scanned_pages}
        for internal in ("doc_id", "text", "splitter"):
            data.pop(internal)
        return data


def sha256_of_file(path: str | Path) -> str:
    """The sha256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    """Reads and writes document rows in a SQL database (SQLite by default)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """A catalog written by an older version gains the columns added since (null until
        its documents are ingested again, which a new loader version makes happen)."""
        present = {c["name"] for c in inspect(self._engine).get_columns(_documents.name)}
        with self._engine.begin() as connection:
            for column in _documents.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=self._engine.dialect)
                    connection.execute(text(
                        f'ALTER TABLE {_documents.name} ADD COLUMN "{column.name}" {kind}'))

    def _rows(self, query) -> Iterator[DocumentRecord]:
        with self._engine.connect() as connection:
            for row in connection.execute(query):
                yield DocumentRecord(**row._mapping)

    def all(self) -> list[DocumentRecord]:
        return list(self._rows(select(_documents).order_by(_documents.c.doc_id)))

    def get(self, doc_id: str) -> DocumentRecord | None:
        return next(self._rows(select(_documents).where(_documents.c.doc_id == doc_id)), None)

    def by_source(self, source: str) -> DocumentRecord | None:
        return next(self._rows(select(_documents).where(_documents.c.source == source)), None)

    def by_sha256(self, sha256: str) -> DocumentRecord | None:
        return next(self._rows(select(_documents).where(_documents.c.sha256 == sha256)), None)

    def version(self) -> str:
        """Changes whenever any document is added, changed or removed."""
        query = select(_documents.c.doc_id, _documents.c.sha256, _documents.c.splitter)
        with self._engine.connect() as connection:
            rows = sorted(tuple(row) for row in connection.execute(query))
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    def put(self, record: DocumentRecord) -> None:
        with self._engine.begin() as connection:
            connection.execute(_documents.delete().where(_documents.c.doc_id == record.doc_id))
            connection.execute(_documents.insert().values(**asdict(record)))

    def delete(self, doc_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(_documents.delete().where(_documents.c.doc_id == doc_id))
            connection.execute(_overrides.delete().where(_overrides.c.doc_id == doc_id))

    def overrides(self, doc_id: str) -> dict[str, str]:
        """The fields an editor set for the document (title, publisher, date), if any."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_overrides).where(_overrides.c.doc_id == doc_id)).first()
        if row is None:
            return {}
        return {k: v for k, v in row._mapping.items() if k in OVERRIDABLE and v}

    def set_overrides(self, doc_id: str, fields: dict[str, str | None]) -> None:
        """Sets the given fields (an empty value goes back to what the document says)."""
        merged = self.overrides(doc_id) | {k: (v or None) for k, v in fields.items()}
        with self._engine.begin() as connection:
            connection.execute(_overrides.delete().where(_overrides.c.doc_id == doc_id))
            connection.execute(_overrides.insert().values(doc_id=doc_id, **{
                k: merged.get(k) for k in OVERRIDABLE}))
