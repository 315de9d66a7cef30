"""The PDF reader on real published documents (evals/data/policy) and on made ones."""

from __future__ import annotations

import re
from functools import cache

import pytest

from assistant.settings import REPO_ROOT
from ingest.loaders import FileLoader
from ingest.pdf import read_pdf

POLICY = REPO_ROOT / "evals" / "data" / "policy" / "documents"
LOADER = FileLoader(max_bytes=50_000_000, max_pdf_pages=2000)


@cache  # the 240-page report takes seconds; every test reads the same bytes
def _read(name: str):
    return read_pdf((POLICY / name).read_bytes(), max_pages=2000)


def _page_text(structured, page: int) -> str:
    starts = structured.page_starts
    return structured.text[starts[page - 1] : starts[page] if page < len(starts) else None]


def test_a_browser_printed_page_loses_its_print_time_url_and_page_counter():
    structured, found = _read("govuk-physical-activity-after-childbirth-web-page-printed.pdf")
    assert found["pages"] == 4 and len(structured.page_starts) == 4
    assert "18/02/2026" not in structured.text
    assert "https://www.gov.uk/government/publications/physical-activity-guidelines" not in \
        structured.text.split("This publication is available at")[0]
    assert not re.search(r"(^|\n)\d/4(\n|$)", structured.text)
    assert "Published 7 September 2019" in structured.text


def test_page_numbers_go_and_every_offset_knows_its_page():
    structured, _ = _read("nhse-ifr-standard-operating-procedures-v5-2023.pdf")
    assert not re.search(r"(^|\n\n)\d{1,3}(\n\n|$)", structured.text)  # no bare page-number line
    at = structured.text.index("within 12 working days of the date of receipt")
    assert structured.page_at(at) == 11  # as a viewer counts; the page is printed "10"
    assert "within 12 working days" in _page_text(structured, 11)


def test_a_table_is_written_as_rows_that_keep_their_column_headers():
    structured, _ = _read("ukhsa-green-book-ch19-influenza-2025.pdf")
    assert "Year: 2012/13 | England (%): 40.3 | Scotland (%): 54.0" in structured.text


def test_lines_are_joined_into_paragraphs_and_headings_become_sections():
    structured, _ = _read("covid-inquiry-module1-report-2024.pdf")
    assert ("there are a multitude of institutions, structures and systems responsible for "
            "pandemic preparedness") in structured.text
    headings = [s.heading for s in structured.sections]
    assert "The international system of biosecurity" in headings
    for section in structured.sections:
        assert structured.text[section.start:].startswith(section.heading)


def test_a_template_title_gives_way_to_the_documents_own_heading():
    document = LOADER.load(POLICY / "dhsc-hrt-prepayment-certificate-guidance-2024.pdf")
    assert document.metadata["title"].startswith(
        "Guidance on the Hormone Replacement Therapy prescription prepayment certificate")
    assert document.metadata["pages"] == 30 and document.metadata["date"] == "February 2024"


def test_publisher_and_date_are_read_from_the_document():
    meta = LOADER.load(POLICY / "nhse-ifr-commissioning-policy-v3-2023.pdf").metadata
    assert (meta["publisher"], meta["date"]) == ("NHS England", "8 February 2023")
    assert meta["title"] == "Commissioning policy: individual funding requests"


def test_a_word_hyphenated_across_lines_is_joined(files):
    path = files.pdf("hyphen.pdf", ["The board agreed the thera-\npeutic plan and the Barnet-"
                                    "\nbased service."])
    text = LOADER.load(path).page_content
    assert "therapeutic plan" in text
    assert "Barnet-based" in text  # a hyphen before a capitalised word stays


def test_without_ocr_image_only_pages_are_counted_and_named(files, tmp_path):
    from fpdf import FPDF
    from PIL import Image

    picture = tmp_path / "scan.png"
    Image.new("RGB", (200, 200), "white").save(picture)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "A page of text about the Southwark clinics and their opening hours.")
    for _ in range(2):
        pdf.add_page()
        pdf.image(str(picture), x=10, y=10, w=100)
    path = tmp_path / "mixed.pdf"
    pdf.output(str(path))
    document = LOADER.load(path)
    (note,) = document.metadata["layout"]["notes"]
    assert "2 of 3 pages are pictures whose text was not read" in note and "pages 2, 3" in note
    assert "OCR is off: set ASSISTANT_OCR=true" in note


@pytest.mark.parametrize("name", sorted(p.name for p in POLICY.glob("*.pdf")))
def test_every_real_pdf_reads_with_pages_and_no_dot_leaders(name):
    structured, found = _read(name)
    assert len(structured.page_starts) == found["pages"] > 0
    assert structured.page_starts == sorted(structured.page_starts)
    assert not re.search(r"\.{6,}\s*\d+\s*$", structured.text, re.MULTILINE)


def test_a_chapters_running_header_goes_but_its_title_page_stays():
    structured, _ = _read("covid-inquiry-module1-report-2024.pdf")
    assert "Chapter 3: The assessment of risk" not in _page_text(structured, 79)
    assert "Chapter 4: An effective strategy" not in _page_text(structured, 101)
    assert _page_text(structured, 151).startswith("Chapter 6: A new approach")


def test_footnote_marks_leave_the_sentence_and_the_footnote_stays_on_its_page():
    structured, _ = _read("covid-inquiry-module1-report-2024.pdf")
    page = _page_text(structured, 79)
    assert "committee of the Department of Health). The 2019 National Security" in page
    assert "Katharine Hammond 16 June 2023" in page
