"""The document library, one service for both front ends: list, ingest, upload, edit, remove, check.

The chat's Library tab and ``assistant docs …`` / ``assistant ingest`` call the same methods,
so they behave alike: removing an uploaded document deletes its file from either.
Uploads go through the same :class:`~ingest.indexer.Indexer` as ``assistant ingest``. An
uploaded file is checked (loaded and parsed) before it is written anywhere, so a rejected
file never replaces a good one; accepted files are kept under the data dir's ``uploads/``
folder, which is where the catalog's ``source`` points and what a later re-ingest reads.

Example:
    >>> library = Parts(settings).library  # assistant.wiring builds it  # doctest: +SKIP
    >>> [r.status for r in library.add([("notes.md", Path("/tmp/gradio/abc/notes.md"))])]  # doctest: +SKIP
    ['added']
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.catalog import OVERRIDABLE, DocumentRecord
from ingest.check import CheckReport, StoreChecker
from ingest.indexer import FileResult, Indexer, IngestReport
from ingest.loaders import LoadError, sha256_of

_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str) -> str:
    """A plain file name for an upload: no folders (``../``, absolute paths), no control
    characters, no leading dot; keeps the extension, which decides how it is read."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    base = _UNSAFE.sub("-", base).strip(" .-")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem[:100].strip(" .-") or "upload"
    return f"{stem}.{ext[:10]}" if ext else stem


_MAX_FIELD_CHARS = 300


class Library:
    """Lists, ingests, adds (uploads), removes and checks documents; one writer at a time
    via the indexer's lock."""

    def __init__(self, indexer: Indexer, checker: StoreChecker, uploads_dir: Path) -> None:
        self.indexer = indexer
        self.checker = checker
        self.uploads_dir = uploads_dir

    def documents(self) -> list[DocumentRecord]:
        return self.indexer.catalog.all()

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.indexer.catalog.get(doc_id)

    def ingest(
        self, paths: Iterable[Path], prune: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_file: Callable[[FileResult], None] | None = None,
        on_page: Callable[[Path, int, int], None] | None = None,
    ) -> IngestReport:
        """Ingests files and folders where they are (see :meth:`Indexer.ingest`)."""
        return self.indexer.ingest(paths, prune=prune, on_start=on_start, on_file=on_file,
                                   on_page=on_page)

    def add(self, uploads: Iterable[tuple[str, Path]],
            on_page: Callable[[str, int, int], None] | None = None) -> list[FileResult]:
        """Ingests each ``(original name, temporary path)``; one result per upload, in order.
        ``on_page(name, done, total)`` is told as each page of a paged upload is read."""
        return [self._add_one(name, path, on_page) for name, path in uploads]

    def _add_one(self, name: str, path: Path,
                 on_page: Callable[[str, int, int], None] | None = None) -> FileResult:
        target = self.uploads_dir / safe_filename(name)
        loader = self.indexer.loader
        try:
            # Read under the upload's own name: its extension decides the format.
            data = loader.read(path)
            digest = sha256_of(data)
            if target.exists() and sha256_of(target.read_bytes()) == digest:
                return self._ingest(target, name)
            twin = self.indexer.catalog.by_sha256(digest)
            if twin is not None:
                return FileResult(
                    name, "duplicate", twin.doc_id, twin.chunks,
                    f"same content as '{twin.title}' (id {twin.doc_id}), already in the library; "
                    "not stored twice",
                )
            # Read once here (a scan's pages by OCR, with progress) to refuse a bad file
            # before it replaces anything; ingesting it then finds its pages in the OCR cache.
            loader.parse(path, data, (lambda done, total: on_page(name, done, total))
                         if on_page else None)
        except LoadError as error:
            return FileResult(name, "failed", reason=str(error))
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        # Written beside the target, then renamed: a crash never leaves half a file there.
        handle, staging = tempfile.mkstemp(dir=self.uploads_dir, prefix=".upload-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, target)
        return self._ingest(target, name)

    def _ingest(self, target: Path, name: str) -> FileResult:
        (result,) = self.indexer.ingest([target]).files
        return FileResult(name, result.status, result.doc_id, result.chunks, result.reason,
                          result.notes)

    def check(self, repair: bool = False) -> CheckReport:
        """Whether catalog, records and vectors agree; with ``repair``, mends what doesn't
        and checks again (``ok_after_repair``)."""
        if not repair:
            return self.checker.check()
        report = self.checker.repair()
        report.ok_after_repair = self.checker.check().ok
        return report

    def edit(self, doc_id: str, **fields: str | None) -> FileResult:
        """Sets a document's title, publisher or date as an editor sees fit (``None``: leave
        as is; an empty value: back to what the document says), and reads it again so that
        citations show them. Raises ``ValueError`` for another field, ``LookupError`` for an
        unknown document or a missing file."""
        unknown = set(fields) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"only {', '.join(OVERRIDABLE)} can be edited, not {', '.join(unknown)}")
        cleaned = {k: " ".join((v or "").split())[:_MAX_FIELD_CHARS] for k, v in fields.items()
                   if v is not None}
        return self.indexer.edit(doc_id, cleaned)

    def remove(self, doc_id: str) -> DocumentRecord | None:
        """Removes the document; an uploaded file goes too, so it doesn't come back."""
        record = self.indexer.remove(doc_id)
        if record is not None:
            source = Path(record.source)
            if source.is_relative_to(self.uploads_dir.resolve()):
                source.unlink(missing_ok=True)
        return record
