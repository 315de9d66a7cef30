"""PDF → :class:`StructuredText`: the text a reader sees, page by page, without the furniture.

Read with PyMuPDF (fast, with each line's position and font; chosen by measurement, see
``evals/tuning.md``). On every page:

- **Furniture goes**: lines in the top or bottom margin that recur on many pages once
  digits are masked (running headers and footers, "10 | Report title", a browser's print
  time and URL), page-number lines ("12", "Page 3 of 40", "2/4"), and contents-page lines
  with dot leaders.
- **Lines become paragraphs**: the lines of a text block are joined with spaces, and a word
  hyphenated across a line break is joined again.
- **Headings become sections**: a short line set clearly larger than the body text, or in
  bold on its own, starts a section.
- **Tables stay tables**: on pages whose lines line up in columns, PyMuPDF's table finder
  runs and each table is written as rows that keep their column headers; its cells are
  not repeated as loose text.
- **Scanned pages are read**: a page showing pictures with no text layer (or a few
  characters of one) is read by OCR (:mod:`ingest.ocr`) when a reader is given, its lines
  going through the same furniture, paragraph and heading rules, and its number is kept
  in ``ocr_pages``; without a reader, or when OCR finds nothing, the page is named in
  ``notes`` rather than silently empty.
- **Pictures are documents too**: a PNG, JPEG or TIFF file is read as a PDF of one page per
  frame (:func:`open_pages`), so a photographed or scanned page is cited like any other.

Example:
    >>> structured, found = read_pdf(Path("guidance.pdf").read_bytes(), max_pages=2000)  # doctest: +SKIP
    >>> structured.page_at(structured.text.index("12 working days")), found["title"]  # doctest: +SKIP
    (11, 'Standard operating procedures: Individual funding requests')
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

import pymupdf

from ingest.ocr import OcrError, OcrPage, PageReader
from assistant.catalog import IMAGE_SUFFIXES
from ingest.structure import Section, StructuredText, table_lines

# The layout-model add-on it recommends on first use is not installed (it needs onnxruntime
# models); the rules below do that job.
pymupdf.no_recommend_layout()

# Changes whenever the same PDF would be read into different text: part of the ingestion
# fingerprint, so a new reader re-ingests PDFs instead of keeping old chunks.
READER_VERSION = "pdf-pymupdf-4"

_MARGIN = 0.09  # share of the page height at the top and at the bottom holding furniture
_PAGE_NUMBER = re.compile(
    r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–—|]?\s*\d{1,4}\s*[-–—|]?$", re.IGNORECASE)
_NUMBERED_RUNNING = re.compile(r"^\d{1,4}\s*[|•·]\s*\S|\S\s*[|•·]\s*\d{1,4}$")
_BROWSER_PRINT = re.compile(
    r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}|^(https?://|www\.)\S+(\s+\d+/\d+)?$", re.IGNORECASE)
_DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d{1,4}\s*$|…{2,}\s*\d{1,4}\s*$")
_DIGITS = re.compile(r"\d+")
_FOOTNOTE_MARK = re.compile(r"^\s*[\d,–-]+\s*$")
_LABEL = re.compile(r"^[\divxlc]{1,4}([.)]\d{0,3}){0,3}[.)]?$|^[•▪●◦–-]$|^\(?[a-z]\)$", re.IGNORECASE)
_HYPHENATED = re.compile(r"[A-Za-z]-$")
_COMPOUND_PREFIXES = {"non", "self", "co", "cross", "long", "short", "well", "high", "low",
                      "full", "part", "end", "year", "age", "evidence", "cost", "person"}
_MIN_TEXT_CHARS = 20  # below this a page with pictures counts as image-only
# An OCR line's box is taller than the type it holds: font size ≈ this share of its height
# (measured against the text layer of the same pages: 0.65–0.8).
_OCR_TYPE_SHARE = 0.75
# Rows of a contents page read by OCR: its leader dots are read as one or two, or not at all.
_OCR_CONTENTS_MIN_ROWS = 5
# A gap between OCR lines wider than this share of a line's height starts a new paragraph.
_OCR_PARAGRAPH_GAP = 0.75
_HEADING_SCALE = 1.18
# OCR's line heights vary with the letters they hold (±15 %): a heading must stand out more.
_HEADING_SCALE_SCANNED = 1.45
# How far a printed page number may run from the file's page count (covers, front matter).
_LABEL_DRIFT = 10
_HEADING_MAX_CHARS = 160


class PdfReadError(Exception):
    """The PDF can't be read; ``str()`` is the one-line reason."""


@dataclass
class _Line:
    text: str
    top: float
    bottom: float
    left: float
    right: float
    size: float
    bold: bool


@dataclass
class _Block:
    lines: list[_Line]
    top: float
    kind: str = "text"  # or "table", whose lines are already finished rows
    scanned: bool = False  # read by OCR: its sizes are estimates, its fonts unknown


def _line_of(raw: dict) -> _Line | None:
    # A raised number is a footnote mark ("scenario.52 It was"): it would glue sentences
    # together and put stray numbers in quotes, and the footnote itself stays on its page.
    kept = [s for s in raw["spans"] if not (s["flags"] & 1 and _FOOTNOTE_MARK.match(s["text"]))]
    spans = [s for s in kept if s["text"].strip()]
    if not spans:
        return None
    text = "".join(s["text"] for s in kept).replace("\t", " ").replace("\u00ad", "-")
    x0, y0, x1, y1 = raw["bbox"]
    # The line's font: that of most of its characters.
    sizes = Counter()
    bold = 0
    for s in spans:
        sizes[round(s["size"], 1)] += len(s["text"])
        if s["flags"] & 16 or "bold" in s["font"].lower():
            bold += len(s["text"])
    return _Line(" ".join(text.split()), y0, y1, x0, x1, sizes.most_common(1)[0][0],
                 bold >= 0.6 * sum(len(s["text"]) for s in spans))


def _looks_tabular(lines: list[_Line]) -> bool:
    """Several rows holding two or more separate pieces of text side by side: a cheap sign
    of a table, so that the slow table finder (about 0.5 s a page) runs only where one may
    be. Paragraph numbers ("2.1.") beside their paragraph don't count."""
    rows: dict[int, list[_Line]] = {}
    for line in lines:
        if not _LABEL.match(line.text):
            rows.setdefault(round(line.top / 3), []).append(line)
    return sum(1 for row in rows.values() if len(row) >= 2) >= 4


def _inside(line: _Line, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    middle_x, middle_y = (line.left + line.right) / 2, (line.top + line.bottom) / 2
    return x0 - 2 <= middle_x <= x1 + 2 and y0 - 2 <= middle_y <= y1 + 2


def _page_blocks(page: pymupdf.Page) -> tuple[list[_Block], bool]:
    """The page's text blocks and tables in reading order, and whether it shows pictures."""
    blocks = []
    for raw in page.get_text("dict", sort=True)["blocks"]:
        if raw["type"] != 0:
            continue
        lines = [line for line in (_line_of(r) for r in raw["lines"]) if line]
        if lines:
            blocks.append(_Block(lines, lines[0].top))
    all_lines = [line for block in blocks for line in block.lines]
    if all_lines and _looks_tabular(all_lines):
        tables = []
        for table in page.find_tables().tables:
            rows = table_lines(table.extract())
            if len(rows) >= 1 and table.col_count >= 2:
                tables.append((tuple(table.bbox), rows))
        for box, rows in tables:
            for block in blocks:
                block.lines = [line for line in block.lines if not _inside(line, box)]
            blocks.append(_Block([_Line(row, box[1], box[3], box[0], box[2], 0, False)
                                  for row in rows], box[1], "table"))
        blocks = sorted((b for b in blocks if b.lines), key=lambda b: b.top)
    return blocks, bool(page.get_images())


def _contents_rows(rows: list[list], page_count: int) -> set[int]:
    """The rows of a contents page read by OCR: entries ending in a page number (standing
    apart at the right, or after what is left of the leader dots), the numbers rising down
    the page, at least five of them and most of the rows from the first one on; then every
    row from the first entry on is the contents'. (A table whose last column holds counts
    rarely has them rising, nor within the file's length.)"""
    found = []
    for index, row in enumerate(rows):
        last = row[-1].text.strip()
        number = re.search(r"(\d{1,4})$", last)
        if number and int(number.group(1)) <= page_count + _LABEL_DRIFT and (
                (len(row) >= 2 and last.strip(" .…").isdigit())
                or re.search(r"[.…]\s*\d{1,4}$", last)):
            found.append((index, int(number.group(1))))
    numbers = [number for _, number in found]
    if len(found) < _OCR_CONTENTS_MIN_ROWS or numbers != sorted(numbers):
        return set()
    first = found[0][0]
    if len(found) < 0.5 * (len(rows) - first):
        return set()
    return set(range(first, len(rows)))


def _ocr_blocks(page: OcrPage, page_count: int) -> list[_Block]:
    """The lines OCR read on a page as text blocks: pieces side by side on one row become
    one line, and a wider gap than between the lines of a paragraph starts a new block;
    the rows of a contents page are left out, as dot leaders are on a text page."""
    pieces = sorted(page.lines, key=lambda line: (line.upright[1] + line.upright[3]) / 2)
    rows: list[list] = []
    for piece in pieces:
        x0, y0, x1, y1 = piece.upright
        if rows:
            last = rows[-1][-1].upright
            if abs((y0 + y1) / 2 - (last[1] + last[3]) / 2) < 0.5 * min(y1 - y0, last[3] - last[1]):
                rows[-1].append(piece)
                continue
        rows.append([piece])
    for row in rows:
        row.sort(key=lambda piece: piece.upright[0])
    contents = _contents_rows(rows, page_count)
    lines = []
    for index, row in enumerate(rows):
        if index in contents:
            continue
        top = min(p.upright[1] for p in row)
        bottom = max(p.upright[3] for p in row)
        height = median(p.upright[3] - p.upright[1] for p in row)
        lines.append(_Line(" ".join(p.text for p in row), top, bottom, row[0].upright[0],
                           row[-1].upright[2], round(height * _OCR_TYPE_SHARE, 1), False))
    blocks: list[_Block] = []
    for line in lines:
        if blocks:
            last = blocks[-1].lines[-1]
            gap = line.top - last.bottom
            if gap < _OCR_PARAGRAPH_GAP * min(line.bottom - line.top, last.bottom - last.top):
                blocks[-1].lines.append(line)
                continue
        blocks.append(_Block([line], line.top, scanned=True))
    return blocks


def _text_chars(blocks: list[_Block]) -> int:
    return sum(len(line.text) for block in blocks for line in block.lines)


def _furniture_keys(pages: list[tuple[list[_Block], float]]) -> set[str]:
    """Margin lines (digits masked) that recur on many pages: running headers and footers.

    A short block of its own at the very top or bottom of a page counts from its third page
    (a long report's running header changes with each chapter: "Chapter 3: The assessment
    of risk"); any other margin line only when it recurs on 40 % of the pages."""
    seen: Counter = Counter()
    edge_seen: Counter = Counter()
    for blocks, height in pages:
        text_blocks = [b for b in blocks if b.kind == "text"]
        edges = {id(b) for b in text_blocks[:2] + text_blocks[-2:] if len(b.lines) <= 2}
        keys, edge_keys = set(), set()
        for block in text_blocks:
            for line in block.lines:
                if _in_margin(line, height):
                    key = _DIGITS.sub("#", line.text.lower())
                    keys.add(key)
                    if id(block) in edges:
                        edge_keys.add(key)
        seen.update(keys)
        edge_seen.update(edge_keys)
    needed = max(3, int(0.4 * len(pages)))
    edge_needed = 3 if len(pages) >= 8 else max(2, math.ceil(0.4 * len(pages)))
    return ({key for key, count in seen.items() if count >= needed}
            | {key for key, count in edge_seen.items() if count >= edge_needed})


def _in_margin(line: _Line, height: float) -> bool:
    return line.bottom < height * _MARGIN * 1.6 or line.top > height * (1 - _MARGIN)


def _is_furniture(line: _Line, height: float, recurring: set[str], page: int) -> bool:
    text = line.text
    if _DOT_LEADER.search(text):
        return True
    if text.isdigit() and abs(int(text) - page) <= _LABEL_DRIFT:
        return True  # the printed page number, wherever the layout put it
    if not _in_margin(line, height):
        return False
    return bool(_PAGE_NUMBER.match(text) or _NUMBERED_RUNNING.search(text)
                or _BROWSER_PRINT.match(text)
                or _DIGITS.sub("#", text.lower()) in recurring)


def _join_lines(lines: list[_Line]) -> str:
    """A block's lines as one paragraph; a word hyphenated at a line end is joined again."""
    text = ""
    for line in lines:
        piece = line.text
        if not text:
            text = piece
        elif _HYPHENATED.search(text) and piece[:1].islower():
            # "thera-" + "peutic" was one word; "Barnet-" + "based" and "non-" + "urgent"
            # are compounds whose hyphen stays.
            word = re.search(r"(\w+)-$", text).group(1)
            joined = word[:1].isupper() or word.lower() in _COMPOUND_PREFIXES
            text = (text + piece) if joined else text[:-1] + piece
        else:
            text = f"{text} {piece}"
    return text


def _continues(paragraph: str, block: _Block) -> bool:
    """Whether ``block`` carries on the sentence ``paragraph`` broke off (a lower-case start
    after no closing punctuation, or after a hyphenated word)."""
    first = block.lines[0].text
    return first[:1].islower() and not paragraph.rstrip().endswith((".", "?", "!", ":", ";"))


def _body_size(pages: list[tuple[list[_Block], float]]) -> float:
    sizes: Counter = Counter()
    for blocks, _ in pages:
        for block in blocks:
            for line in block.lines:
                if block.kind == "text":
                    sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _is_heading(block: _Block, body: float) -> bool:
    if block.kind != "text" or len(block.lines) > 3:
        return False
    text = " ".join(line.text for line in block.lines)
    if len(text) > _HEADING_MAX_CHARS or not re.search(r"[A-Za-z]{3}", text):
        return False
    scale = _HEADING_SCALE_SCANNED if block.scanned else _HEADING_SCALE
    larger = all(line.size >= body * scale for line in block.lines)
    bold_alone = all(line.bold for line in block.lines) and not text.rstrip().endswith((".", ","))
    return larger or bold_alone


def _title_lines(pages: list[tuple[list[_Block], float]]) -> str:
    """The document's own title: the largest text on its first two pages."""
    candidates = [block for blocks, _ in pages[:2] for block in blocks
                  if block.kind == "text" and re.search(r"[A-Za-z]{3}", _join_lines(block.lines))]
    if not candidates:
        return ""
    biggest = max(max(line.size for line in block.lines) for block in candidates)
    for block in candidates:
        # OCR's sizes are estimates: lines of one title differ by up to a tenth.
        slack = 0.12 * biggest if block.scanned else 0.5
        lines = [line for line in block.lines if line.size >= biggest - slack]
        if lines:
            return _join_lines(lines)[:200]
    return ""


def open_pages(data: bytes, suffix: str = ".pdf") -> pymupdf.Document:
    """The file as a PDF: a picture (PNG, JPEG, TIFF) becomes one page per frame. Raises
    :class:`PdfReadError` saying why it can't be opened."""
    if suffix.lower() in IMAGE_SUFFIXES:
        try:
            with pymupdf.open(stream=data, filetype=suffix.lower().lstrip(".")) as picture:
                data = picture.convert_to_pdf()
        except Exception as error:  # PyMuPDF raises its own types for damaged files
            raise PdfReadError(
                f"is not a readable {suffix.lstrip('.').upper()} picture "
                f"({type(error).__name__}: {error})") from None
    try:
        return pymupdf.open(stream=data, filetype="pdf")
    except Exception as error:
        raise PdfReadError(f"is not a readable PDF ({type(error).__name__}: {error})") from None


def _read_pages(document: pymupdf.Document, ocr: PageReader | None,
                on_page: Callable[[int, int], None] | None) -> tuple[list, dict[str, list]]:
    """Every page's blocks and height, and the numbers of the pages that were read by OCR,
    that showed only pictures without text found, and that could not be read."""
    pages: list[tuple[list[_Block], float]] = []
    found: dict[str, list] = {"ocr": [], "pictures": [], "unreadable": [], "ocr_off": []}
    for page in document:
        number = page.number + 1
        try:
            blocks, has_images = _page_blocks(page)
            height = page.rect.height
            if has_images and _text_chars(blocks) < _MIN_TEXT_CHARS:
                if ocr is None:
                    found["pictures"].append(number)
                elif not found["ocr_off"]:
                    read = ocr.read(page)
                    if read.lines:
                        blocks, height = _ocr_blocks(read, document.page_count), read.height
                        found["ocr"].append(number)
                    else:
                        found["pictures"].append(number)
                else:
                    found["pictures"].append(number)
        except OcrError as error:  # the reader can't run: say so once, keep the rest
            found["ocr_off"].append(str(error))
            found["pictures"].append(number)
            blocks, height = [], page.rect.height
        except Exception:  # one damaged page must not cost the rest of the document
            blocks, height = [], page.rect.height
            found["unreadable"].append(number)
        pages.append((blocks, height))
        if on_page:
            on_page(number, document.page_count)
    return pages, found


def read_pdf(data: bytes, max_pages: int, ocr: PageReader | None = None,
             on_page: Callable[[int, int], None] | None = None,
             suffix: str = ".pdf") -> tuple[StructuredText, dict]:
    """The PDF's (or picture's) structured text, and what it says about itself (``title``,
    ``author`` from its metadata; ``heading_title``, its largest text on the first pages;
    ``pages``). ``ocr`` reads pages that are only pictures; ``on_page(done, total)`` is
    told after each page."""
    document = open_pages(data, suffix)
    with document:
        if document.needs_pass and not document.authenticate(""):
            raise PdfReadError("is a password-protected PDF; remove the password and try again")
        if document.page_count > max_pages:
            raise PdfReadError(
                f"has {document.page_count} pages, more than the limit of {max_pages}")
        pages, found_pages = _read_pages(document, ocr, on_page)
        meta = document.metadata or {}
    recurring = _furniture_keys(pages)
    body = _body_size(pages)
    text, page_starts, sections = "", [], []
    for number, (blocks, height) in enumerate(pages, 1):
        paragraphs: list[tuple[_Block, str]] = []
        for block in blocks:
            if block.kind == "table":
                paragraphs.append((block, "\n".join(line.text for line in block.lines)))
                continue
            block.lines = [ln for ln in block.lines
                           if not _is_furniture(ln, height, recurring, number)]
            if not block.lines:
                continue
            previous = paragraphs[-1] if paragraphs else None
            if previous and previous[0].kind == "text" and _continues(previous[1], block):
                # One paragraph the layout cut into blocks: join it again.
                previous[0].lines += block.lines
                paragraphs[-1] = (previous[0], _join_lines(previous[0].lines))
            else:
                paragraphs.append((block, _join_lines(block.lines)))
        page_text = "\n\n".join(p for _, p in paragraphs)
        if text:
            text += "\n\n"
        page_starts.append(len(text))
        at = len(text)
        for block, paragraph in paragraphs:
            if _is_heading(block, body):
                sections.append(Section(at, paragraph, 1))
            at += len(paragraph) + 2
        text += page_text
    found = {"title": meta.get("title"), "author": meta.get("author"),
             "heading_title": _title_lines(pages), "pages": len(pages)}
    return StructuredText(text, page_starts, sections, _notes(found_pages, len(pages), ocr),
                          found_pages["ocr"]), found


def _notes(found: dict[str, list], count: int, ocr: PageReader | None) -> list[str]:
    """One line for each kind of page whose text could not be read, or was read by OCR."""
    notes = []
    if found["ocr"]:
        notes.append(f"{len(found['ocr'])} of {count} pages are scanned, their text read by "
                     f"OCR (pages {_page_list(found['ocr'])})")
    if pictures := found["pictures"]:
        why = ("OCR is off: set ASSISTANT_OCR=true to read them" if ocr is None
               else f"OCR could not run: {found['ocr_off'][0]}" if found["ocr_off"]
               else "OCR found no text on them")
        notes.append(f"{len(pictures)} of {count} pages are pictures whose text was not read "
                     f"(pages {_page_list(pictures)}; {why})")
    if found["unreadable"]:
        notes.append(f"pages {_page_list(found['unreadable'])} could not be read")
    return notes


def _page_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
