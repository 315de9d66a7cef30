"""The picture of a cited PDF page, with the cited sentences highlighted as with a marker pen.

A reader checking a citation sees the page as it was printed. The sentences come from the
catalog's text by their offsets — never from the caller — and are found again on the page
by their words in order: the stored text has furniture removed, hyphenated words joined
and whitespace normalised, so it is aligned word by word with what PyMuPDF reads on the
page, and a sentence that can't be found with confidence gets no highlight rather than a
wrong one. On a page whose text OCR read (a scan, a photographed page) the words are OCR's,
so the highlight covers the lines OCR found the sentence on. Pictures are cached as PNG
files keyed by the file's sha256, the page and the highlighted offsets; a file that moved or
changed since it was ingested gets no picture.

Example:
    >>> renderer = PageRenderer(parts.catalog, Path("data/pages"))  # doctest: +SKIP
    >>> renderer.render("nhse-ifr-standard-operating-procedures-v5-2023", 11, [(18217, 18367)])  # doctest: +SKIP
    PosixPath('data/pages/81776d8a2e1b0f87-p11-z2-8e1247891e50.png')
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path

import pymupdf

from assistant.catalog import PRINTED_SUFFIXES, Catalog, DocumentRecord, sha256_of_file
from ingest.ocr import PageReader, words_of
from ingest.pdf import PdfReadError, open_pages

MAX_HIGHLIGHTS = 8
MAX_HIGHLIGHT_CHARS = 2_000
# The colour of the chat's own <mark>, so the page and the passage text agree.
HIGHLIGHT_RGB = (253, 230, 138)
_TOKEN = re.compile(r"\w+")
# Page words a matched run may skip between two stretches of the sentence (a word split
# over a line break, a footnote mark) before the stretches count as different places.
_MAX_GAP = 3
# Share of a sentence's words that must be found together before it is highlighted.
_MIN_COVERAGE = 0.5
_MIN_TOKENS = 4
# Words either side of a sentence that help tell apart two places printing it.
_CONTEXT_TOKENS = 10
_CONTEXT_CHARS = 200


class PageImageError(Exception):
    """There is no picture to show; ``str()`` is the one-line reason."""


def _tokens(text: str) -> list[str]:
    # NFKC turns ligatures (ﬁ) and odd spaces into what the catalog text holds.
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def _best_place(wanted: list[str], page_tokens: list[str], lo: int, hi: int) -> list[int]:
    """The page tokens matched to ``wanted[lo:hi]`` in the one place on the page that holds
    most of it: matching stretches close together in reading order form a place."""
    places: list[list] = []
    for block in SequenceMatcher(None, wanted, page_tokens, autojunk=False).get_matching_blocks():
        if not block.size:
            continue
        if places:
            last = places[-1][-1]
            if block.b - (last.b + last.size) <= block.a - (last.a + last.size) + _MAX_GAP:
                places[-1].append(block)
                continue
        places.append([block])
    owned = [[b.b + i - b.a for b in place for i in range(max(b.a, lo), min(b.a + b.size, hi))]
             for place in places]
    return max(owned, key=len, default=[])


def _sentence_rects(words: list[tuple], text: str, start: int, end: int) -> list[pymupdf.Rect]:
    """One rectangle per printed line of ``text[start:end]`` among the page's ``words`` (as
    ``Page.get_text("words")`` gives them, in reading order), or none when the sentence's
    words are not found together on the page."""
    page_tokens, owner = [], []
    for index, word in enumerate(words):
        for token in _tokens(word[4]):
            page_tokens.append(token)
            owner.append(index)
    sentence = _tokens(text[start:end])
    alone = _best_place(sentence, page_tokens, 0, len(sentence))
    # Aligned with the words around it, the sentence is found where the document cites it
    # when the page prints it twice; unless the page orders those words differently.
    before = _tokens(text[max(0, start - _CONTEXT_CHARS) : start])[-_CONTEXT_TOKENS:]
    after = _tokens(text[end : end + _CONTEXT_CHARS])[:_CONTEXT_TOKENS]
    in_context = _best_place(before + sentence + after, page_tokens,
                             len(before), len(before) + len(sentence))
    matched = in_context if len(in_context) >= len(alone) else alone
    if len(matched) < max(_MIN_TOKENS, _MIN_COVERAGE * len(sentence)):
        return []
    lines: dict[tuple[int, int], pymupdf.Rect] = {}
    for word in words[owner[matched[0]] : owner[matched[-1]] + 1]:
        key = (word[5], word[6])  # block and line number
        lines[key] = lines.get(key, pymupdf.Rect(word[:4])) | pymupdf.Rect(word[:4])
    return list(lines.values())


class PageRenderer:
    """Renders page ``n`` (counted from 1) of a catalogued PDF or picture to PNG, cited
    sentences highlighted, caching each picture under ``cache_dir`` (at most
    ``max_cache_mb``; the oldest pictures go first). ``ocr`` finds the lines of scanned
    pages (from its cache: the page was read when it was ingested)."""

    def __init__(self, catalog: Catalog, cache_dir: Path, zoom: float = 2.0,
                 max_cache_mb: float = 200.0, ocr: PageReader | None = None) -> None:
        self.catalog = catalog
        self.ocr = ocr
        self.cache_dir = cache_dir
        self.zoom = zoom
        self.max_cache_bytes = int(max_cache_mb * 1024 * 1024)
        # PyMuPDF does not support threads: one render at a time, which also keeps two
        # readers opening the same page from drawing it twice.
        self._lock = threading.Lock()
        # (path, size, mtime) -> sha256, so an unchanged file is not read again per picture.
        self._hashes: dict[tuple[str, int, int], str] = {}

    def render(self, doc_id: str, page: int, highlights: Sequence[tuple[int, int]] = ()) -> Path:
        """The PNG of ``page`` with the catalog text at each ``(start, end)`` highlighted
        where it is printed on that page. Raises :class:`PageImageError` with the reason."""
        record = self.catalog.get(doc_id)
        if record is None:
            raise PageImageError(f"no document '{doc_id}' in the library")
        if f".{record.format}" not in PRINTED_SUFFIXES:
            raise PageImageError(f"'{doc_id}' is a {record.format} file, which has no pages")
        if page < 1:
            raise PageImageError(f"page {page} does not exist: pages are counted from 1")
        self._check_highlights(record, highlights)
        with self._lock:
            self._check_file(record)
            spans = ",".join(f"{start}-{end}" for start, end in sorted(set(highlights)))
            key = hashlib.sha256(spans.encode()).hexdigest()[:12]
            path = self.cache_dir / f"{record.sha256[:16]}-p{page}-z{self.zoom:g}-{key}.png"
            if not path.exists():
                self._store(path, self._draw(record, page, highlights))
            return path

    @staticmethod
    def _check_highlights(record: DocumentRecord, highlights: Sequence[tuple[int, int]]) -> None:
        if len(highlights) > MAX_HIGHLIGHTS:
            raise PageImageError(f"at most {MAX_HIGHLIGHTS} highlights on one page")
        for start, end in highlights:
            if not 0 <= start < end <= len(record.text) or end - start > MAX_HIGHLIGHT_CHARS:
                raise PageImageError(
                    f"no sentence at characters {start}–{end} of '{record.doc_id}'")

    def _check_file(self, record: DocumentRecord) -> None:
        """The file on disk must be the one that was ingested, or the picture would not be
        of the text the citation quotes."""
        try:
            stat = os.stat(record.source)
        except OSError:
            raise PageImageError(f"the file of '{record.doc_id}' is no longer at {record.source}; "
                                 "ingest it again where it now is") from None
        marker = (record.source, stat.st_size, stat.st_mtime_ns)
        if marker not in self._hashes:
            self._hashes[marker] = sha256_of_file(record.source)
        if self._hashes[marker] != record.sha256:
            raise PageImageError(f"the file of '{record.doc_id}' has changed since it was "
                                 "ingested; ingest it again to see its pages")

    def _draw(self, record: DocumentRecord, page: int,
              highlights: Sequence[tuple[int, int]]) -> bytes:
        try:
            document = open_pages(Path(record.source).read_bytes(), f".{record.format}")
        except (OSError, PdfReadError) as error:
            raise PageImageError(f"the file of '{record.doc_id}' can't be opened: {error}") from None
        with document:
            if page > document.page_count:
                raise PageImageError(f"page {page} does not exist: the document has "
                                     f"{document.page_count} pages")
            sheet = document[page - 1]
            scanned = page in record.scanned_pages and self.ocr is not None
            words = words_of(self.ocr.read(sheet)) if scanned else sheet.get_text("words")
            rects = [rect for start, end in highlights
                     for rect in _sentence_rects(words, record.text, start, end)]
            if scanned and sheet.rotation:  # OCR saw the page as shown; marks go unturned
                rects = [rect * sheet.derotation_matrix for rect in rects]
            if rects:
                # A highlight annotation multiplies its colour in: the print stays legible.
                # It lives in this opened copy only; the file is never written.
                mark = sheet.add_highlight_annot(rects)
                mark.set_colors(stroke=[c / 255 for c in HIGHLIGHT_RGB])
                mark.update()
            return sheet.get_pixmap(matrix=pymupdf.Matrix(self.zoom, self.zoom)).tobytes("png")

    def _store(self, path: Path, png: bytes) -> None:
        """Writes the picture whole (a reader never gets half a file), then forgets the
        oldest pictures while the cache is over its size."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.cache_dir, suffix=".tmp", delete=False) as out:
            out.write(png)
        os.replace(out.name, path)
        pictures = sorted((p.stat().st_mtime_ns, p.stat().st_size, p)
                          for p in self.cache_dir.glob("*.png"))
        total = sum(size for _, size, _ in pictures)
        for _, size, old in pictures:
            if total <= self.max_cache_bytes or old == path:  # never the one just written
                break
            old.unlink(missing_ok=True)
            total -= size
