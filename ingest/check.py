"""Finds and repairs disagreements between the catalog, the ingestion records and the vectors.

Ingestion writes vectors, then records, then the catalog row, so an interrupted run can leave
vectors without records, records of a document the catalog never got, or (after an
interrupted removal) vectors of a document no longer listed. The next ingest of the same
files mends most of that by itself; this check finds whatever is left and repairs it:
strays are deleted, an incomplete document is deleted and ingested again from its file.

Example:
    >>> checker = Parts(settings).checker  # assistant.wiring builds it  # doctest: +SKIP
    >>> report = checker.check()  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.store import read_all
from ingest.indexer import Indexer


@dataclass
class CheckReport:
    """What disagrees; every list is empty when the store is sound."""

    documents: int = 0
    vectors: int = 0
    records: int = 0
    orphan_vectors: list[str] = field(default_factory=list)
    orphan_records: list[str] = field(default_factory=list)
    unlisted_documents: list[str] = field(default_factory=list)
    incomplete_documents: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    ok_after_repair: bool | None = None  # set by a repair, which checks again

    @property
    def ok(self) -> bool:
        return not (self.orphan_vectors or self.orphan_records or self.unlisted_documents
                    or self.incomplete_documents)

    def as_dict(self) -> dict:
        return {"ok": self.ok, **asdict(self)}


class StoreChecker:
    """Compares catalog, records and vectors; repairs under the ingestion lock."""

    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer

    def _vectors(self) -> dict[str, str]:
        """Every vector id in the collection → the document it belongs to."""
        return {chunk_id: str((meta or {}).get("doc_id", ""))
                for chunk_id, meta in read_all(self._indexer.vector_store, "metadatas")}  # type: ignore[arg-type]

    def _find(self) -> tuple[CheckReport, set[str], set[str]]:
        """The report, plus the vectors and the records that belong to no listed document."""
        records = self._indexer.record_manager
        catalog = {r.doc_id: r for r in self._indexer.catalog.all()}
        vectors = self._vectors()
        keys = set(records.list_keys())
        keys_by_doc = {doc_id: set(records.list_keys(group_ids=[doc_id])) for doc_id in catalog}
        listed_keys = set().union(*keys_by_doc.values())
        report = CheckReport(documents=len(catalog), vectors=len(vectors), records=len(keys))
        report.orphan_vectors = sorted(set(vectors) - keys)
        report.orphan_records = sorted(keys - set(vectors))
        report.unlisted_documents = sorted(
            {doc_id for doc_id in vectors.values() if doc_id not in catalog})
        report.incomplete_documents = sorted(
            doc_id for doc_id, record in catalog.items()
            if len(keys_by_doc[doc_id]) != record.chunks or not keys_by_doc[doc_id] <= set(vectors)
        )
        stray_vectors = set(report.orphan_vectors) | {
            chunk_id for chunk_id, doc_id in vectors.items() if doc_id not in catalog}
        stray_records = set(report.orphan_records) | (keys - listed_keys)
        return report, stray_vectors, stray_records

    def check(self) -> CheckReport:
        """Finds disagreements; changes nothing."""
        return self._find()[0]

    def repair(self) -> CheckReport:
        """Finds and mends; the report's ``repaired`` says what was done, one line each."""
        indexer = self._indexer
        sources: list[Path] = []
        with indexer.locked():
            report, stray_vectors, stray_records = self._find()
            if stray_vectors:
                indexer.vector_store.delete(sorted(stray_vectors))
                report.repaired.append(
                    f"deleted {len(stray_vectors)} vectors of no listed document")
            if stray_records:
                indexer.record_manager.delete_keys(sorted(stray_records))
                report.repaired.append(
                    f"deleted {len(stray_records)} records of no listed document or vector")
            for doc_id in report.incomplete_documents:
                record = indexer.remove_unlocked(doc_id)
                if record and Path(record.source).exists():
                    sources.append(Path(record.source))
                else:
                    report.repaired.append(f"removed '{doc_id}': incomplete and its file is gone")
        for result in indexer.ingest(sources).files if sources else []:
            report.repaired.append(
                f"re-ingested {result.path} as '{result.doc_id}' ({result.chunks} chunks)")
        return report
