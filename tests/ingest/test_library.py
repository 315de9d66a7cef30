"""Uploads through the library: checked before stored, duplicates recognised, removal complete."""

from __future__ import annotations

import pytest

from ingest.library import safe_filename
from tests.conftest import store_snapshot

GOOD = "---\ntitle: Ealing pilot\nauthor: A. Writer\n---\n\nThe Ealing pilot opened eleven clinics.\n"


@pytest.fixture
def library(parts):
    return parts.library


@pytest.mark.parametrize(
    "name,expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.md", "passwd.md"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        ("..\\..\\windows\\notes.docx", "notes.docx"),
        (".hidden.md", "hidden.md"),
        ("a\x00b\nc.md", "a-b-c.md"),
        ("...", "upload"),
        ("Board paper – März 2024.html", "Board paper - März 2024.html"),
    ],
)
def test_upload_names_lose_folders_and_control_characters(name, expected):
    assert safe_filename(name) == expected


def test_an_upload_is_stored_in_the_uploads_folder_and_indexed(library, files, settings):
    (result,) = library.add([("../ealing.md", files.text("ealing.md", GOOD))])
    assert result.status == "added" and result.chunks == 1
    stored = settings.uploads_dir / "ealing.md"
    assert stored.read_text(encoding="utf-8") == GOOD
    assert [r.source for r in library.documents()] == [str(stored.resolve())]


def test_the_same_upload_twice_is_unchanged_and_a_renamed_copy_is_a_duplicate(library, files):
    path = files.text("ealing.md", GOOD)
    library.add([("ealing.md", path)])
    snapshot = store_snapshot(library.indexer)
    again, copy = library.add([("ealing.md", path), ("copy.md", files.text("copy.md", GOOD))])
    assert again.status == "unchanged"
    assert copy.status == "duplicate" and "ealing" in copy.reason
    assert store_snapshot(library.indexer) == snapshot
    assert len(library.documents()) == 1


@pytest.mark.parametrize(
    "name,content",
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<\ngarbage"),
        ("binary.txt", bytes(range(256)) * 40),
        ("empty.md", b""),
        ("fake.docx", b"PK\x03\x04 not really a zip"),
        ("script.exe", b"MZ\x90\x00"),
    ],
)
def test_a_bad_upload_says_why_and_changes_nothing(library, files, settings, name, content):
    library.add([("ealing.md", files.text("ealing.md", GOOD))])
    snapshot = store_snapshot(library.indexer)
    (result,) = library.add([(name, files.raw(name, content))])
    assert result.status == "failed" and result.reason
    assert store_snapshot(library.indexer) == snapshot
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["ealing.md"]


def test_a_bad_new_version_does_not_replace_the_good_file(library, files, settings):
    library.add([("notes.txt", files.text("notes.txt", "Good notes about Barnet clinics."))])
    (result,) = library.add([("notes.txt", files.raw("notes-v2.txt", b"\x00\x01\x02" * 500))])
    assert result.status == "failed"
    assert (settings.uploads_dir / "notes.txt").read_text() == "Good notes about Barnet clinics."


def test_removing_an_upload_deletes_its_file_vectors_and_records(library, files, settings):
    (result,) = library.add([("ealing.md", files.text("ealing.md", GOOD))])
    assert library.remove(result.doc_id).doc_id == result.doc_id
    assert not (settings.uploads_dir / "ealing.md").exists()
    assert library.documents() == []
    assert library.indexer.vector_store.get()["ids"] == []
    assert library.remove(result.doc_id) is None


def test_removing_a_bundled_document_leaves_its_file_alone(library, files):
    path = files.text("bundled.md", GOOD)
    (result,) = library.indexer.ingest([path]).files
    library.remove(result.doc_id)
    assert path.exists()


def test_an_editor_sets_title_publisher_and_date_and_they_survive_a_new_version(
        library, files, parts):
    path = files.text("ealing.md", GOOD)
    (added,) = library.ingest([path]).files
    result = library.edit(added.doc_id, title="Ealing clinics pilot: evaluation",
                          publisher="NHS North West London", date="March 2024")
    assert result.status == "updated"
    record = parts.catalog.get(added.doc_id)
    assert (record.title, record.publisher, record.date) == \
        ("Ealing clinics pilot: evaluation", "NHS North West London", "March 2024")
    # Citations read the title from the stored passages: they show the new one.
    answer = parts.chain.answer("How many clinics did the Ealing pilot open?", generator="extractive")
    assert answer.citations and {c.span.title for c in answer.citations} == \
        {"Ealing clinics pilot: evaluation"}
    # A new version of the file keeps what the editor set; an empty value goes back to the
    # document's own.
    path.write_text(GOOD.replace("eleven", "twelve"), encoding="utf-8")
    library.ingest([path])
    assert parts.catalog.get(added.doc_id).title == "Ealing clinics pilot: evaluation"
    library.edit(added.doc_id, title="", date=None)
    record = parts.catalog.get(added.doc_id)
    assert (record.title, record.date) == ("Ealing pilot", "March 2024")


def test_editing_an_unknown_document_or_field_says_so_and_changes_nothing(library, files, parts):
    (added,) = library.ingest([files.text("ealing.md", GOOD)]).files
    before = store_snapshot(parts.indexer), parts.catalog.overrides(added.doc_id)
    with pytest.raises(LookupError, match="no document 'nope'"):
        library.edit("nope", title="X")
    with pytest.raises(ValueError, match="only title, publisher, date"):
        library.edit(added.doc_id, author="Someone")
    (files.folder / "ealing.md").unlink()
    with pytest.raises(LookupError, match="is gone"):
        library.edit(added.doc_id, title="Y")
    assert (store_snapshot(parts.indexer), parts.catalog.overrides(added.doc_id)) == before
