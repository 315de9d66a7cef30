"""Page furniture of PDFs exported as Markdown or text: out of the text, pages kept."""

from __future__ import annotations

import re

import pytest

from evals.datasets import POLICY_DOCUMENTS
from ingest.loaders import FileLoader, _load_text
from ingest.markup import markdown_to_text
from ingest.page_breaks import without_page_furniture
from ingest.structure import Section, StructuredText
from tests.conftest import DOCUMENTS_DIR

EXPORT = POLICY_DOCUMENTS / "nhse-2025-26-priorities-operational-planning-guidance.md"
HEADER = "2025/26 priorities and operational planning guidance"


@pytest.fixture(scope="module")
def export() -> tuple[StructuredText, StructuredText]:
    """The planning guidance as Markdown exported from its PDF: as read, and without furniture."""
    read = markdown_to_text(_load_text(EXPORT.read_bytes())[0])
    return read, without_page_furniture(read)


def test_running_headers_and_page_numbers_leave_the_sentences_they_cut(export):
    read, cleaned = export
    assert read.text.count(HEADER) == 18  # the export glues it to 17 pages' first lines
    # What remains is the title and the document's own mentions, never inside a sentence.
    assert not re.search(rf"[a-z,] {re.escape(HEADER)} [a-z]", cleaned.text)
    for cut in ("NHS England will transfer 2", "robust and realistic 3", "the cancer 62-\n"):
        assert cut in read.text and cut not in cleaned.text
    for whole in ("NHS England will transfer a higher proportion of funding",
                  "underpinned by robust and realistic delivery plans",
                  "performance against the cancer 62-day and 28-day Faster Diagnosis Standard"):
        assert whole in cleaned.text
    # A paragraph that ended at the page stays a paragraph.
    assert "maximise productivity and value.\n\nBoards of providers" in cleaned.text


def test_shorter_page_breaks_go_where_the_proven_furniture_marks_them(export):
    # Three pages of the export end with three blank lines, not five: "…approach to patient
    # 11", three blank lines, the running header, "segmentation and risk stratification".
    read, cleaned = export
    for cut in ("approach to patient 11\n", "agreed exclusions\n\n\n\n\n\n10 \n"):
        assert cut in read.text
    assert HEADER not in cleaned.text
    assert "approach to patient segmentation and risk stratification" in cleaned.text
    assert not re.search(r"exclusions\s+10\b", cleaned.text)
    assert cleaned.page_at(cleaned.text.index("segmentation and risk")) == 12
    # Three blank lines that the furniture doesn't mark are the author's, kept as written.
    assert "the 10 Year Health Plan.\n\n\n\nBut the timeliness" in cleaned.text


def test_pages_follow_the_numbers_printed_on_them(export):
    _, cleaned = export
    starts = cleaned.page_starts
    assert starts == sorted(starts) and len(starts) >= 17
    # The foreword ends with its signature and the printed "4"; the introduction opens page 5.
    assert cleaned.page_at(cleaned.text.index("Amanda Pritchard")) == 4
    assert cleaned.page_at(cleaned.text.index("The investigation by Lord Darzi")) == 5
    assert cleaned.page_at(cleaned.text.index("Publication reference")) <= 2


def test_sections_still_start_at_their_headings(export):
    read, cleaned = export
    assert len(cleaned.sections) == len(read.sections) > 5
    for section in cleaned.sections:
        assert cleaned.text[section.start :].startswith(section.heading.strip()[:20])


def test_text_exports_with_form_feeds_get_pages_too():
    pages = [f"Section {n} of the policy explains the rules and{' more' * n} {n}" for n in range(1, 5)]
    cleaned = without_page_furniture(StructuredText("\f".join(pages)))
    assert len(cleaned.page_starts) == 4
    assert not re.search(r"and( more)* \d", cleaned.text)
    assert cleaned.page_at(cleaned.text.index("Section 3")) == 3


@pytest.mark.parametrize("text", [
    *(p.read_text(encoding="utf-8") for p in sorted(DOCUMENTS_DIR.glob("*.md"))),
    # Blank-line runs without page numbers or a repeated header are only spacing.
    "\n\n\n\n\n".join(f"Paragraph {word} stands alone." for word in ("one", "two", "three", "four")),
    "Too few\n\n\n\n\nbreaks 1\n\n\n\n\nto say 2",
])
def test_text_without_page_breaks_comes_back_unchanged(text):
    read = StructuredText(text, sections=[Section(0, "Top")])
    assert without_page_furniture(read) is read


def test_the_loader_gives_an_export_its_pages_and_plain_markdown_none(tmp_path):
    loader = FileLoader(max_bytes=10_000_000, max_pdf_pages=100)
    exported = loader.load(EXPORT)
    assert HEADER + " a higher" not in exported.page_content
    assert len(exported.metadata["layout"]["page_starts"]) >= 17
    column = loader.load(next(DOCUMENTS_DIR.glob("*.md")))
    assert column.metadata["layout"]["page_starts"] == []
