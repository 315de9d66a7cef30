"""Idempotent ingestion into a real Chroma store with the real embedding model."""

from __future__ import annotations

import pytest

from tests.conftest import DOCUMENTS_DIR, store_snapshot


def _chunks_of(indexer, doc_id: str) -> dict:
    return indexer.vector_store.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])


def test_corpus_goes_in_with_exact_offsets_and_metadata(indexer):
    report = indexer.ingest([DOCUMENTS_DIR])
    assert report.counts["added"] == 2 and report.counts["failed"] == 0
    for record in indexer.catalog.all():
        stored = _chunks_of(indexer, record.doc_id)
        assert len(stored["ids"]) == record.chunks > 0
        for text, meta in zip(stored["documents"], stored["metadatas"]):
            assert record.text[meta["start"] : meta["end"]] == text
            assert (meta["title"], meta["author"]) == (record.title, record.author)
        assert record.author in {"Dave West", "Ben Clover"}


def test_reingesting_unchanged_files_writes_nothing(indexer):
    indexer.ingest([DOCUMENTS_DIR])
    before = store_snapshot(indexer)
    report = indexer.ingest([DOCUMENTS_DIR])
    assert report.counts == {
        "added": 0, "updated": 0, "unchanged": 2, "duplicate": 0, "failed": 0, "removed": 0,
    }
    assert store_snapshot(indexer) == before


def test_a_changed_file_replaces_its_old_chunks(indexer, files):
    path = files.text("note.md", "---\ntitle: Note\n---\nThe old fact is about Leeds.\n")
    indexer.ingest([path])
    old_id = indexer.catalog.by_source(str(path.resolve())).doc_id
    path.write_text("---\ntitle: Note\n---\nThe new fact is about Bristol.\n\nMore.\n")
    report = indexer.ingest([path])
    assert [f.status for f in report.files] == ["updated"]
    stored = _chunks_of(indexer, old_id)
    assert stored["documents"] and not any("Leeds" in t for t in stored["documents"])
    assert any("Bristol" in t for t in stored["documents"])
    # Records and vectors agree: exactly the new chunks, nothing of the old version.
    assert sorted(indexer.record_manager.list_keys(group_ids=[old_id])) == sorted(stored["ids"])
    assert indexer.catalog.get(old_id).chunks == len(stored["ids"])


def test_a_changed_chunk_size_resplits_everything(settings, files):
    from assistant.wiring import Parts

    path = files.text("long.md", "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(8)))
    Parts(settings).indexer.ingest([path])
    smaller = Parts(settings.model_copy(update={"chunk_size": 200})).indexer
    report = smaller.ingest([path])
    assert report.files[0].status == "updated"
    doc_id = report.files[0].doc_id
    assert len(_chunks_of(smaller, doc_id)["ids"]) == report.files[0].chunks
    assert len(smaller.record_manager.list_keys(group_ids=[doc_id])) == report.files[0].chunks


def test_remove_leaves_no_vectors_records_or_row(indexer):
    indexer.ingest([DOCUMENTS_DIR])
    doc_id = "west-london-strategic-nhs-function"
    removed = indexer.remove(doc_id)
    assert removed is not None and removed.doc_id == doc_id
    assert _chunks_of(indexer, doc_id)["ids"] == []
    assert indexer.record_manager.list_keys(group_ids=[doc_id]) == []
    assert indexer.catalog.get(doc_id) is None
    # The other document is untouched.
    other = indexer.catalog.get("clover-london-health-devolution")
    assert len(_chunks_of(indexer, other.doc_id)["ids"]) == other.chunks
    assert indexer.remove(doc_id) is None


def test_document_identity_is_stable_across_runs(settings):
    from assistant.wiring import Parts

    # Each run a new process's parts.
    first = Parts(settings).indexer.ingest([DOCUMENTS_DIR])
    Parts(settings).indexer.remove("clover-london-health-devolution")
    again = Parts(settings).indexer.ingest([DOCUMENTS_DIR])
    assert sorted(f.doc_id for f in first.files) == sorted(f.doc_id for f in again.files)
    assert [f.status for f in again.files].count("added") == 1


def test_a_duplicate_is_recognised_not_stored_twice(indexer, files):
    indexer.ingest([DOCUMENTS_DIR])
    before = store_snapshot(indexer)
    copy = files.raw("copy.md", (DOCUMENTS_DIR / "west-london-strategic-nhs-function.md").read_bytes())
    report = indexer.ingest([copy])
    assert report.files[0].status == "duplicate"
    assert "west-london-strategic-nhs-function" in report.files[0].reason
    assert store_snapshot(indexer) == before


def test_same_name_in_two_folders_keeps_both(indexer, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "minutes.md").write_text(f"Minutes kept in folder {folder}.")
    report = indexer.ingest([tmp_path / "a", tmp_path / "b"])
    ids = [f.doc_id for f in report.files]
    assert len(set(ids)) == 2 and ids[0] == "minutes"


def test_prune_forgets_documents_whose_files_are_gone(indexer, files):
    keep = files.text("keep.md", "Kept note about Croydon.")
    gone = files.text("gone.md", "Deleted note about Harrow.")
    indexer.ingest([files.folder])
    gone.unlink()
    report = indexer.ingest([files.folder], prune=True)
    assert {f.status for f in report.files} == {"removed", "unchanged"}
    assert [r.doc_id for r in indexer.catalog.all()] == ["keep"]
    assert _chunks_of(indexer, "gone")["ids"] == []
    assert keep.exists()


BAD_FILES = {
    "corrupt.pdf": b"%PDF-1.7\n% truncated before any object",
    "binary.txt": bytes(range(256)) * 8,
    "empty.md": b"",
    "latin1.txt": "Caf\xe9".encode("latin-1"),
    "table.xlsx": b"PK\x03\x04",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_fail_with_a_reason_and_change_nothing(indexer, files, name):
    indexer.ingest([DOCUMENTS_DIR])
    before = store_snapshot(indexer)
    bad = files.raw(name, BAD_FILES[name])
    report = indexer.ingest([bad])
    assert [f.status for f in report.files] == ["failed"]
    assert report.files[0].reason
    assert store_snapshot(indexer) == before


def test_a_changed_file_that_now_fails_keeps_its_stored_version(indexer, files):
    path = files.text("note.txt", "A note about Ealing.")
    indexer.ingest([path])
    before = store_snapshot(indexer)
    path.write_bytes(b"\x00\x01binary now")
    report = indexer.ingest([path])
    assert report.files[0].status == "failed"
    assert store_snapshot(indexer) == before


def test_good_files_go_in_beside_bad_ones(indexer, files):
    files.raw("broken.pdf", b"%PDF-1.4 garbage")
    files.encrypted_pdf("locked.pdf")
    files.text("good.md", "---\ntitle: Good note\n---\nA good note about Lambeth.")
    files.pdf("fine.pdf", ["A fine PDF about Southwark."], "Fine PDF")
    files.docx("fine.docx", ["A fine Word file about Camden."], "Fine DOCX")
    report = indexer.ingest([files.folder])
    statuses = {f.path.rsplit("/", 1)[1]: f.status for f in report.files}
    assert statuses == {
        "broken.pdf": "failed", "locked.pdf": "failed",
        "good.md": "added", "fine.pdf": "added", "fine.docx": "added",
    }
    assert sorted(r.title for r in indexer.catalog.all()) == ["Fine DOCX", "Fine PDF", "Good note"]


def test_a_second_writer_waits_then_refuses_clearly(settings):
    from assistant.wiring import Parts
    from ingest.indexer import IngestLocked

    holder = Parts(settings).indexer
    waiter = Parts(settings.model_copy(update={"lock_timeout_s": 0.2})).indexer
    with holder.locked():
        with pytest.raises(IngestLocked, match="another ingest holds"):
            waiter.ingest([DOCUMENTS_DIR])
    assert waiter.catalog.all() == []


def test_a_file_being_read_does_not_hold_the_lock_from_another_writer(settings, tmp_path):
    """Reading a long scan takes minutes (OCR); only writing takes the lock, so a document
    added meanwhile goes in at once instead of waiting for the whole scan."""
    import threading

    from assistant.wiring import Parts
    from tests.conftest import HRT, HRT_ID

    reading = Parts(settings).library
    other = Parts(settings.model_copy(update={"lock_timeout_s": 0.5})).library
    on_first_page, carry_on = threading.Event(), threading.Event()

    def pause(path, done, total):
        on_first_page.set()
        assert carry_on.wait(60)

    long_read = threading.Thread(target=lambda: reading.ingest([HRT], on_page=pause))
    long_read.start()
    try:
        assert on_first_page.wait(60)
        (result,) = other.ingest([DOCUMENTS_DIR / "west-london-strategic-nhs-function.md"]).files
        assert result.status == "added"
    finally:
        carry_on.set()
        long_read.join(120)
    assert sorted(r.doc_id for r in other.documents()) == [
        HRT_ID, "west-london-strategic-nhs-function"]
