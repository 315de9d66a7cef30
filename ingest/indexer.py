"""Chunks → vector store, idempotently, through LangChain's indexing API.

Each document is indexed with its own ``index(..., cleanup="scoped_full",
source_id_key="doc_id")`` call, so:

- chunk ids are hashes of content and metadata: re-ingesting an unchanged file writes
  nothing, and a write repeated after a crash overwrites instead of duplicating;
- a changed file's chunks that no longer exist are deleted once its new ones are in;
- removing a document deletes its vectors and records, then nothing of it is left.

Files whose bytes and splitter settings match the catalog are skipped before loading.
A file is read (its scanned pages by OCR, which can take minutes) without holding the
ingestion lock, and written under it: a long scan never keeps others from adding documents.

Example:
    >>> from assistant.settings import Settings
    >>> from assistant.wiring import Parts
    >>> indexer = Parts(Settings(data_dir="/tmp/store")).indexer  # doctest: +SKIP
    >>> indexer.ingest([Path("documents")]).counts  # doctest: +SKIP
    {'added': 2, 'updated': 0, 'unchanged': 0, 'duplicate': 0, 'failed': 0, 'removed': 0}
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from langchain_classic.indexes import SQLRecordManager
from langchain_core.indexing import index
from langchain_core.vectorstores import VectorStore

from assistant.catalog import Catalog, DocumentRecord, now_iso
from ingest.loaders import FileLoader, LoadError, sha256_of
from ingest.locks import IngestionLock, Lease, LeaseLost, LockTimeout
from ingest.splitting import ChunkSplitter

Status = Literal["added", "updated", "unchanged", "duplicate", "failed", "removed"]
STATUSES: tuple[Status, ...] = ("added", "updated", "unchanged", "duplicate", "failed", "removed")
# Metadata every chunk carries into the store; citations and filters rely on these keys.
CHUNK_METADATA_KEYS = ("doc_id", "title", "author", "source", "start", "end", "chunk", "sha256")
# Where the chunk sits, when its format says (pages: paged formats; section: any headings).
CHUNK_LOCATOR_KEYS = ("page_start", "page_end", "pages", "section", "ocr_pages")
# Enough texts per write to keep the embedding model's batches full.
_INDEX_BATCH = 256


class IngestLocked(RuntimeError):
    """Another process holds the ingestion lock."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file (or one removed document)."""

    path: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    reason: str | None = None
    notes: tuple[str, ...] = ()  # what could not be read of a file that went in


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.files if f.status == s) for s in STATUSES}

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def as_dict(self) -> dict:
        return {**self.counts, "files": [asdict(f) for f in self.files]}


def discover(paths: Iterable[Path]) -> list[Path]:
    """The files named, plus every non-hidden file under the folders named, in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            found.append(path)
    return list(dict.fromkeys(p.resolve() for p in found))


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "document"


@contextmanager
def hold_for_ingest(lock: IngestionLock, timeout_s: float) -> Iterator[Lease]:
    """Holds the ingestion lock; raises :class:`IngestLocked`, saying what to do, after
    ``timeout_s`` of waiting, or when the lock was lost while held."""
    try:
        with lock.hold(timeout_s) as lease:
            yield lease
    except LockTimeout as error:
        raise IngestLocked(
            f"{error}; waited {timeout_s:.0f} s. Let it finish, or raise ASSISTANT_LOCK_TIMEOUT_S."
        ) from None
    except LeaseLost as error:
        raise IngestLocked(
            f"this ingest lost {lock.description}: {error}. It stopped before its next write; "
            "what it stored before stays. Another ingest may be running: run this one again "
            "when it has finished."
        ) from None


class Indexer:
    """Ingests files into the vector store and keeps the catalog and records in step."""

    def __init__(
        self,
        vector_store: VectorStore,
        record_manager: SQLRecordManager,
        catalog: Catalog,
        loader: FileLoader,
        splitter: ChunkSplitter,
        lock: IngestionLock,
        lock_timeout_s: float = 600.0,
    ) -> None:
        self.vector_store = vector_store
        self.record_manager = record_manager
        self.catalog = catalog
        self.loader = loader
        self.splitter = splitter
        self._lock = lock
        self._lock_timeout_s = lock_timeout_s
        self._lease = Lease()  # the held lock's, checked before every write

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same file would be read or cut differently: a file whose
        fingerprint and bytes match its catalog row is skipped unread."""
        return f"{self.loader.version}|{self.splitter.fingerprint}"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the ingestion lock so that two writers never interleave."""
        with hold_for_ingest(self._lock, self._lock_timeout_s) as lease:
            self._lease = lease
            yield

    def ingest(
        self,
        paths: Iterable[Path],
        prune: bool = False,
        on_file: Callable[[FileResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
        on_page: Callable[[Path, int, int], None] | None = None,
    ) -> IngestReport:
        """Ingests files and folders; with ``prune``, forgets documents whose files under
        the named folders are gone. ``on_start`` gets the file count, ``on_file`` each
        result, ``on_page(path, done, total)`` each page of a paged file as it is read.

        Another ingest holding the lock is found at once (:class:`IngestLocked` after
        ``lock_timeout_s``); the lock is then taken again for each file's writes only."""
        paths = list(paths)
        report = IngestReport()
        with self.locked():
            if prune:
                report.files.extend(self._prune(paths))
        files = discover(paths)
        if on_start:
            on_start(len(files))
        for path in files:
            pages = (lambda done, total, path=path: on_page(path, done, total)) if on_page else None
            result = self._ingest_file(path, on_page=pages)
            report.files.append(result)
            if on_file:
                on_file(result)
        return report

    def remove(self, doc_id: str) -> DocumentRecord | None:
        """Deletes a document's vectors, records and catalog row; ``None`` if unknown."""
        with self.locked():
            return self.remove_unlocked(doc_id)

    def remove_unlocked(self, doc_id: str) -> DocumentRecord | None:
        """:meth:`remove` for a caller that already holds :meth:`locked`."""
        record = self.catalog.get(doc_id)
        if record is None:
            return None
        # Catalog first: an interrupted removal leaves orphan vectors (found by a check),
        # never a listed document whose passages are missing.
        self.catalog.delete(doc_id)
        self._delete_chunks(doc_id)
        return record

    def _delete_chunks(self, doc_id: str) -> None:
        while keys := self.record_manager.list_keys(group_ids=[doc_id], limit=1000):
            self.vector_store.delete(keys)
            self.record_manager.delete_keys(keys)

    def _prune(self, paths: list[Path]) -> list[FileResult]:
        folders = [p.resolve() for p in paths if p.is_dir()]
        results = []
        for record in self.catalog.all():
            source = Path(record.source)
            if any(source.is_relative_to(f) for f in folders) and not source.exists():
                self.catalog.delete(record.doc_id)
                self._delete_chunks(record.doc_id)
                results.append(
                    FileResult(record.source, "removed", record.doc_id, 0, "file no longer exists")
                )
        return results

    def _new_doc_id(self, path: Path) -> str:
        doc_id = _slug(path.stem)
        if self.catalog.get(doc_id) is not None:
            # Same name in another folder: keep both, told apart by where they live.
            doc_id += "-" + hashlib.sha1(str(path).encode()).hexdigest()[:6]
        return doc_id

    def edit(self, doc_id: str, details: dict[str, str]) -> FileResult:
        """Stores an editor's details for a listed document (see ``Catalog.set_overrides``)
        and ingests it again from its file, changed or not, so that its passages carry them;
        raises ``LookupError`` for an unknown id or a missing file, changing nothing."""
        with self.locked():
            record = self.catalog.get(doc_id)
            if record is None:
                raise LookupError(f"no document '{doc_id}' in the library")
            if not Path(record.source).is_file():
                raise LookupError(f"its file {record.source} is gone; add the document again")
            self.catalog.set_overrides(doc_id, details)
        return self._ingest_file(Path(record.source), force=True)

    def _skipped(self, source: str, sha256: str, force: bool) -> FileResult | None:
        """The result for a file that needs no writing (unchanged, or a copy of another
        document), or ``None``."""
        existing = self.catalog.by_source(source)
        if (existing and existing.sha256 == sha256 and existing.splitter == self.fingerprint
                and not force):
            return FileResult(source, "unchanged", existing.doc_id, existing.chunks)
        twin = self.catalog.by_sha256(sha256)
        if twin and twin.source != source:
            return FileResult(
                source,
                "duplicate",
                twin.doc_id,
                twin.chunks,
                f"same content as document '{twin.doc_id}' ({twin.source}); not stored twice",
            )
        return None

    def _ingest_file(self, path: Path, force: bool = False,
                     on_page: Callable[[int, int], None] | None = None) -> FileResult:
        source = str(path)
        try:
            data = self.loader.read(path)
        except LoadError as error:
            return FileResult(source, "failed", reason=str(error))
        if skipped := self._skipped(source, sha256_of(data), force):
            return skipped
        try:
            document = self.loader.parse(path, data, on_page)
        except LoadError as error:
            return FileResult(source, "failed", reason=str(error))
        with self.locked():
            # Asked again: another ingest may have stored it while this one was reading.
            if skipped := self._skipped(source, document.metadata["sha256"], force):
                return skipped
            return self._store(path, document)

    def _store(self, path: Path, document) -> FileResult:
        """Splits, embeds and writes a parsed document; the caller holds the lock."""
        source = str(path)
        existing = self.catalog.by_source(source)
        doc_id = existing.doc_id if existing else self._new_doc_id(path)
        document.metadata["doc_id"] = doc_id
        # An editor's title, publisher or date wins over what the document says.
        document.metadata.update(self.catalog.overrides(doc_id))
        chunks = self.splitter.split(document)
        for chunk in chunks:
            chunk.metadata = {k: chunk.metadata[k] for k in CHUNK_METADATA_KEYS} | {
                k: chunk.metadata[k] for k in CHUNK_LOCATOR_KEYS if k in chunk.metadata}
        self._lease.check()
        index(
            chunks,
            self.record_manager,
            self.vector_store,
            cleanup="scoped_full",
            source_id_key="doc_id",
            key_encoder="sha256",
            batch_size=_INDEX_BATCH,
        )
        meta = document.metadata
        self._lease.check()
        self.catalog.put(
            DocumentRecord(
                doc_id=doc_id,
                source=source,
                sha256=meta["sha256"],
                title=meta["title"],
                author=meta["author"],
                column=str(meta.get("column", "")),
                format=meta["format"],
                chunks=len(chunks),
                splitter=self.fingerprint,
                ingested_at=now_iso(),
                text=document.page_content,
                publisher=_text_or_none(meta.get("publisher")),
                date=_text_or_none(meta.get("date")),
                pages=meta.get("pages"),
                ocr_pages=json.dumps(meta.get("layout", {}).get("ocr_pages", [])),
            )
        )
        notes = tuple(meta.get("layout", {}).get("notes", ()))
        return FileResult(source, "updated" if existing else "added", doc_id, len(chunks),
                          notes=notes)
