"""Scanned documents: real published pages made into pictures, read by the bundled OCR models,
ingested, cited by page and shown with the cited lines highlighted."""

from __future__ import annotations

import difflib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pymupdf
import pytest

from assistant.harness import ASSISTANT, REPO_ROOT, run_assistant, scanned_copy
from assistant.settings import Settings
from ingest.pdf import read_pdf
from tests.assistant.test_page_images import highlighted
from tests.conftest import HRT, HRT_ID

pytestmark = pytest.mark.slow

PAGES = 8  # the guidance's first eight pages: its cover, contents, background and scope


def _first_pages(source: Path, count: int) -> bytes:
    with pymupdf.open(source) as whole, pymupdf.open() as part:
        part.insert_pdf(whole, from_page=0, to_page=count - 1)
        return part.tobytes()


def _words(text: str) -> list[str]:
    return text.replace("’", "'").replace("‘", "'").split()


def _page_text(structured, page: int) -> str:
    starts = structured.page_starts + [len(structured.text)]
    return structured.text[starts[page - 1]:starts[page]]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The guidance's first pages twice — as published, and as an image-only scan of it —
    plus a mixed file and a photographed page, ingested into one library."""
    from assistant.wiring import Parts

    folder = tmp_path_factory.mktemp("scans")
    text_pdf = _first_pages(HRT, PAGES)
    (folder / "hrt-guidance.pdf").write_bytes(text_pdf)
    (folder / "hrt-guidance-scanned.pdf").write_bytes(scanned_copy(text_pdf))
    # A text page, then page 4 fed in on its side, page 6 upside down and page 7 askew.
    with pymupdf.open(stream=text_pdf) as original, pymupdf.open() as mixed:
        mixed.insert_pdf(original, from_page=2, to_page=2)
        mixed.insert_pdf(pymupdf.open(stream=scanned_copy(
            text_pdf, [4, 6, 7], angles={4: 90, 6: 180, 7: -3})))
        (folder / "mixed.pdf").write_bytes(mixed.tobytes())
    with pymupdf.open(stream=text_pdf) as original:
        (folder / "photo-page-3.png").write_bytes(original[2].get_pixmap(dpi=150).tobytes("png"))
    parts = Parts(Settings(data_dir=tmp_path_factory.mktemp("scan-data"), _env_file=None))
    report = parts.library.ingest([folder])
    assert not report.failed, report.failed
    return parts, folder, text_pdf, report


def _fact_questions() -> list[dict]:
    questions = [json.loads(line) for line in (REPO_ROOT / "evals" / "policy.jsonl").open()]
    return [q for q in questions if q.get("doc_id") == HRT_ID and q.get("answerable")
            and q.get("page", 99) <= PAGES]


def test_an_image_only_scan_answers_the_same_fact_questions_citing_the_same_pages(library):
    parts, *_ = library
    questions = _fact_questions()
    assert len(questions) >= 3
    right = 0
    for question in questions:
        outcome = {}
        for doc_id, scanned in (("hrt-guidance", False), ("hrt-guidance-scanned", True)):
            answer = parts.chain.answer(question["question"], generator="extractive",
                                        docs=[doc_id])
            assert not answer.refused, (doc_id, question["question"])
            facts = all(fact in answer.answer for fact in question["all_of"])
            pages = sorted({c.page for c in answer.citations})
            outcome[doc_id] = (facts, pages)
            assert all(c.as_dict()["scanned"] is scanned for c in answer.citations)
        assert outcome["hrt-guidance"] == outcome["hrt-guidance-scanned"], question["id"]
        facts, pages = outcome["hrt-guidance-scanned"]
        right += facts and question["page"] in pages
    assert right >= len(questions) - 1, f"{right} of {len(questions)} answered on the right page"


def test_the_scan_reads_word_for_word_like_the_text_layer_page_by_page(library):
    parts, _, text_pdf, _ = library
    text = parts.catalog.get("hrt-guidance")
    scan = parts.catalog.get("hrt-guidance-scanned")
    assert scan.scanned_pages == list(range(1, PAGES + 1)) and text.scanned_pages == []
    assert scan.summary()["ocr_pages"] == scan.scanned_pages and scan.pages == PAGES
    assert scan.title == text.title  # its own heading, read from the picture
    structured_text, _ = read_pdf(text_pdf, 100)
    structured_scan = parts.indexer.loader.parse(Path(scan.source), Path(scan.source).read_bytes())
    layout = structured_scan.metadata["layout"]
    for page in range(3, PAGES + 1):  # past the cover and the contents page
        printed = _words(_page_text(structured_text, page))
        starts = layout["page_starts"] + [len(structured_scan.page_content)]
        read = _words(structured_scan.page_content[starts[page - 1]:starts[page]])
        similarity = difflib.SequenceMatcher(None, printed, read, autojunk=False).ratio()
        assert similarity > 0.95, (page, similarity)
    # The contents page's entries are furniture on a scan too.
    assert "Annex A" not in _page_text(structured_text, 2)
    assert "Annex A" not in structured_scan.page_content[layout["page_starts"][1]:layout["page_starts"][2]]


def test_a_mixed_file_keeps_its_text_layer_and_reads_pages_turned_or_askew(library):
    parts, _, text_pdf, report = library
    mixed = parts.catalog.get("mixed")
    assert mixed.scanned_pages == [2, 3, 4] and mixed.pages == 4
    (result,) = [f for f in report.files if f.doc_id == "mixed"]
    assert any("3 of 4 pages are scanned" in note and "pages 2, 3, 4" in note
               for note in result.notes)
    printed, _ = read_pdf(text_pdf, 100)
    structured = parts.indexer.loader.parse(Path(mixed.source), Path(mixed.source).read_bytes())
    starts = structured.metadata["layout"]["page_starts"] + [len(mixed.text)]
    for page, original in ((2, 4), (3, 6), (4, 7)):
        similarity = difflib.SequenceMatcher(
            None, _words(_page_text(printed, original)),
            _words(mixed.text[starts[page - 1]:starts[page]]), autojunk=False).ratio()
        assert similarity > 0.9, (page, similarity)


def test_the_cited_lines_of_a_scanned_page_are_highlighted_where_ocr_found_them(library):
    parts, folder, _, _ = library
    record = parts.catalog.get("hrt-guidance-scanned")
    start = record.text.index("This certificate will allow")
    end = record.text.index("1 April 2023.", start) + len("1 April 2023.")
    png = parts.page_renderer.render("hrt-guidance-scanned", 3, [(start, end)])
    marked = highlighted(png)
    # Where the sentence is printed: found on the original page by PyMuPDF's own search.
    with pymupdf.open(folder / "hrt-guidance.pdf") as original:
        page = original[2]
        region = pymupdf.Rect()
        for rect in page.search_for("This certificate will allow"):
            region |= rect
        for rect in page.search_for("from 1 April 2023. The HRT PPC"):
            region |= rect
        scale = pymupdf.Pixmap(str(png)).width / page.rect.width
    assert len(marked) > 2000, "the sentence is highlighted"
    x0, y0, x1, y1 = (c * scale for c in region)
    slack = 12 * scale
    inside = ((marked[:, 0] >= x0 - 200 * scale) & (marked[:, 0] <= x1 + 200 * scale)
              & (marked[:, 1] >= y0 - slack) & (marked[:, 1] <= y1 + slack))
    assert inside.mean() > 0.95, "the highlight is on the sentence's lines"


def test_a_picture_of_a_page_is_a_one_page_document_cited_as_scanned(library):
    parts, *_ = library
    record = parts.catalog.get("photo-page-3")
    assert (record.format, record.pages, record.scanned_pages) == ("png", 1, [1])
    answer = parts.chain.answer("How much does the HRT prescription prepayment certificate cost?",
                                generator="extractive", docs=["photo-page-3"])
    assert "£19.30" in answer.answer
    cited = answer.to_dict()["citations"]
    assert cited and {(c["page"], c["scanned"]) for c in cited} == {(1, True)}
    png = parts.page_renderer.render("photo-page-3", 1, [])
    assert png.read_bytes().startswith(b"\x89PNG")


def test_the_cli_names_a_scanned_page(library):
    parts, *_ = library
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(parts.settings.data_dir)}
    shown = run_assistant(env, "ask", "-g", "extractive", "--doc", "hrt-guidance-scanned",
                          "How much does the HRT prescription prepayment certificate cost "
                          "from 1 April 2023?")
    assert "p. 3, scanned" in shown.stdout
    listed = json.loads(run_assistant(env, "docs", "list", "--json").stdout)
    assert {d["id"]: d["ocr_pages"] for d in listed}["hrt-guidance"] == []


def test_blank_and_damaged_pictures_are_named_and_the_rest_is_read(files, tmp_path):
    from assistant.wiring import Parts

    text_pdf = _first_pages(HRT, 4)
    with pymupdf.open(stream=scanned_copy(text_pdf, [3])) as document:
        blank = document.new_page(width=595, height=842)
        blank.insert_image(blank.rect, pixmap=_white(400, 560))
        damaged = document.new_page(width=595, height=842)
        damaged.insert_image(damaged.rect, stream=scanned_copy_png(text_pdf, 4))
        xref = damaged.get_images()[0][0]
        document.update_stream(xref, b"\x00 not a picture any more " * 50)
        path = tmp_path / "partly-damaged.pdf"
        document.save(path)
    parts = Parts(Settings(data_dir=tmp_path / "data", _env_file=None))
    (result,) = parts.library.ingest([path]).files
    assert result.status == "added", result
    notes = " ".join(result.notes)
    assert "1 of 3 pages are scanned" in notes and "(pages 1)" in notes
    # The blank page, and the damaged picture (unreadable, or read as nothing): one line each.
    assert "(pages 2" in notes and "OCR found no text on them" in notes
    assert "pages 2, 3" in notes or "pages 3 could not be read" in notes
    assert "£19.30" in parts.catalog.get(result.doc_id).text


def _white(width: int, height: int) -> pymupdf.Pixmap:
    picture = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    picture.clear_with(255)
    return picture


def scanned_copy_png(pdf: bytes, page: int) -> bytes:
    with pymupdf.open(stream=pdf) as document:
        return document[page - 1].get_pixmap(dpi=100).tobytes("png")


def test_a_file_that_is_not_a_picture_or_has_no_text_fails_saying_why(files, tmp_path):
    from assistant.wiring import Parts

    parts = Parts(Settings(data_dir=tmp_path / "data", _env_file=None))
    fake = files.raw("notes.png", b"Minutes of the board, typed in a text editor.\n" * 20)
    white = tmp_path / "white.jpg"
    white.write_bytes(_white(600, 800).tobytes("jpg"))
    results = {Path(r.path).name: r for r in parts.library.ingest([fake, white]).files}
    assert results["notes.png"].status == "failed"
    assert "is not a readable PNG picture" in results["notes.png"].reason
    assert results["white.jpg"].status == "failed"
    assert "no text that could be read, even by OCR" in results["white.jpg"].reason
    assert parts.catalog.all() == []


def test_with_ocr_off_a_scan_is_refused_saying_how_to_read_it(tmp_path):
    from assistant.wiring import Parts

    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_copy(_first_pages(HRT, 1)))
    parts = Parts(Settings(data_dir=tmp_path / "data", ocr=False, _env_file=None))
    (result,) = parts.library.ingest([path]).files
    assert result.status == "failed"
    assert "OCR is off: set ASSISTANT_OCR=true" in result.reason


def test_a_scan_ingest_killed_midway_reads_no_page_twice_when_run_again(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_copy(_first_pages(HRT, 5)))
    data_dir = tmp_path / "data"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    cache = data_dir / "ocr"
    process = subprocess.Popen([str(ASSISTANT), "ingest", str(scan)], env=env, cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(list(cache.glob("*/*.json"))) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    read_before = {p: p.stat().st_mtime_ns for p in cache.glob("*/*.json")}
    assert 2 <= len(read_before) < 5, "killed while reading the scan"

    run_assistant(env, "ingest", str(scan))
    read_after = {p: p.stat().st_mtime_ns for p in cache.glob("*/*.json")}
    assert len(read_after) == 5
    assert all(read_after[p] == mtime for p, mtime in read_before.items()), \
        "a page read before the kill was read again"
    listed = json.loads(run_assistant(env, "docs", "list", "--json").stdout)
    assert [d["ocr_pages"] for d in listed] == [[1, 2, 3, 4, 5]]


def test_reading_a_page_again_takes_it_from_the_cache(tmp_path):
    from ingest.ocr import PageReader

    reader = PageReader(tmp_path / "ocr")
    calls = []
    recognise = reader._recognise
    reader._recognise = lambda image: calls.append(1) or recognise(image)
    with pymupdf.open(stream=scanned_copy(_first_pages(HRT, 3), [3])) as document:
        first = reader.read(document[0])
        again = reader.read(document[0])
        width = document[0].rect.width
    assert calls == [1] and first == again
    assert any("£19.30" in line.text for line in first.lines)
    assert all(0 <= line.box[0] < line.box[2] <= width + 1 for line in first.lines)
