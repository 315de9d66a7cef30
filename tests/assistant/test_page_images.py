"""Pictures of cited PDF pages: a real published PDF rendered by PyMuPDF, the cited
sentence highlighted where it is printed and nowhere else, cached, and refused with a
reason when the file or the request is wrong."""

from __future__ import annotations

import functools
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from assistant.catalog import DocumentRecord, now_iso
from assistant.chat_view import CHAT_CSS
from assistant.page_images import HIGHLIGHT_RGB, PageImageError, PageRenderer
from assistant.text import sentences
from ingest.loaders import FileLoader
from tests.conftest import SOP

DOC_ID = "sop"


@functools.cache
def _load(path: Path, sha256: str):  # the sha256 in the key: a changed file is read again
    return FileLoader(10**8, 2000).load(path)


def catalogue(parts, path: Path, doc_id: str = DOC_ID) -> DocumentRecord:
    """The catalog row ingestion would write for ``path`` (the renderer reads nothing else;
    the vectors are not needed)."""
    document = _load(path, hashlib.sha256(path.read_bytes()).hexdigest())
    meta = document.metadata
    record = DocumentRecord(
        doc_id=doc_id, source=str(path), sha256=meta["sha256"], title=meta["title"],
        author=meta["author"], column="", format=meta["format"], chunks=0, splitter="test",
        ingested_at=now_iso(), text=document.page_content, pages=meta.get("pages"))
    parts.catalog.put(record)
    return record


def cited_sentence(record: DocumentRecord) -> tuple[int, int]:
    """The offsets of the sentence saying "12 working days" (printed on page 11)."""
    (span,) = [s for s in sentences(record.text) if "12 working days" in s.text]
    return span.start, span.end


def highlighted(png: Path) -> np.ndarray:
    """(x, y) of every pixel in the highlight's colour."""
    pixmap = pymupdf.Pixmap(str(png))
    pixels = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.width, -1)
    ys, xs = np.nonzero((pixels[:, :, :3] == HIGHLIGHT_RGB).all(axis=2))
    return np.column_stack([xs, ys])


@pytest.fixture
def record(parts) -> DocumentRecord:
    return catalogue(parts, SOP)


@pytest.fixture
def renderer(parts) -> PageRenderer:
    return parts.page_renderer


def test_the_cited_sentence_is_highlighted_where_it_is_printed_and_nowhere_else(record, renderer):
    start, end = cited_sentence(record)
    png = renderer.render(DOC_ID, 11, [(start, end)])
    assert png.parent == renderer.cache_dir and png.read_bytes().startswith(b"\x89PNG")

    pixmap = pymupdf.Pixmap(str(png))
    with pymupdf.open(SOP) as document:
        size = document[10].rect
        # Where PyMuPDF itself finds the sentence's words, in the picture's pixels.
        lines = document[10].search_for(record.text[start:end])
    assert pixmap.width / pixmap.height == pytest.approx(size.width / size.height, rel=0.01)
    assert lines, "the sentence is printed on page 11"
    region = pymupdf.Rect()
    for line in lines:
        region |= line
    scale = pixmap.width / size.width
    x0, y0, x1, y1 = (c * scale for c in region)
    ends = 4 * scale  # a marker-pen highlight's rounded ends reach a little past the words

    marked = highlighted(png)
    inside = ((marked[:, 0] >= x0 - ends) & (marked[:, 0] <= x1 + ends)
              & (marked[:, 1] >= y0 - ends) & (marked[:, 1] <= y1 + ends))
    assert inside.all(), f"{(~inside).sum()} highlight pixels outside the sentence"
    # Most of the sentence's three lines are covered, not a speck.
    assert len(marked) > 0.4 * (x1 - x0) * (y1 - y0)


def test_no_highlight_when_the_sentence_is_not_on_that_page_or_none_is_asked(record, renderer):
    start, end = cited_sentence(record)
    assert len(highlighted(renderer.render(DOC_ID, 12, [(start, end)]))) == 0
    assert len(highlighted(renderer.render(DOC_ID, 11))) == 0


def test_the_second_request_is_served_from_the_cache(record, renderer):
    spans = [cited_sentence(record)]
    first = renderer.render(DOC_ID, 11, spans)
    written = first.stat()
    again = renderer.render(DOC_ID, 11, spans)
    assert again == first
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert renderer.render(DOC_ID, 11) != first  # another highlight, another picture


def test_the_cache_keeps_to_its_size_oldest_picture_first(parts, record):
    small = PageRenderer(parts.catalog, parts.settings.pages_dir, max_cache_mb=0.01)
    first = small.render(DOC_ID, 1)
    last = small.render(DOC_ID, 2)
    assert last.exists() and not first.exists()


def test_a_changed_document_gets_a_new_picture_and_a_changed_file_none(parts, renderer, tmp_path):
    copy = tmp_path / "sop.pdf"
    shutil.copy(SOP, copy)
    catalogue(parts, copy)
    before = renderer.render(DOC_ID, 11)

    with copy.open("ab") as handle:  # still a readable PDF, but not the one ingested
        handle.write(b"\n% an edit\n")
    with pytest.raises(PageImageError, match="has changed since it was ingested"):
        renderer.render(DOC_ID, 11)

    catalogue(parts, copy)  # ingested again
    after = renderer.render(DOC_ID, 11)
    assert after != before and after.exists()

    copy.unlink()
    with pytest.raises(PageImageError, match="no longer at"):
        renderer.render(DOC_ID, 11)


@pytest.mark.parametrize(("doc_id", "page", "spans", "reason"), [
    ("nothing-like-it", 1, [], "no document 'nothing-like-it'"),
    (DOC_ID, 68, [], "page 68 does not exist: the document has 67 pages"),
    (DOC_ID, 0, [], "pages are counted from 1"),
    (DOC_ID, 11, [(10, 5)], "no sentence at characters 10–5"),
    (DOC_ID, 11, [(0, 10**9)], "no sentence at characters"),
    (DOC_ID, 11, [(i, i + 1) for i in range(9)], "at most 8 highlights"),
])
def test_requests_beyond_the_document_are_refused_with_a_reason(
        record, renderer, doc_id, page, spans, reason):
    with pytest.raises(PageImageError, match=reason):
        renderer.render(doc_id, page, spans)


def test_an_unpaged_document_has_no_picture(parts, renderer, files):
    catalogue(parts, files.text("note.md", "# A note\n\nTwelve working days."), "note")
    with pytest.raises(PageImageError, match="is a md file, which has no pages"):
        renderer.render("note", 1)


def test_the_page_is_highlighted_in_the_colour_of_the_passage_texts_mark():
    r, g, b = HIGHLIGHT_RGB
    assert f".pa-text mark {{ background: #{r:02x}{g:02x}{b:02x};" in CHAT_CSS
