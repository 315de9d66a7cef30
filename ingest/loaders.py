"""File → one LangChain ``Document`` (its text plus metadata), or a one-line reason why not.

Supported: ``.md``/``.markdown``/``.txt`` (YAML front matter optional), ``.html``/``.htm``
(visible text only), ``.pdf`` (:mod:`ingest.pdf`: page by page, furniture removed, tables
as rows, scanned pages read by OCR when a reader is given), ``.docx``, and pictures of pages
(``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff``), read by OCR as one page per frame. The returned ``page_content`` is the text that chunk offsets point
into; ``metadata["layout"]`` says where its pages and sections start, when known.

Example:
    >>> from pathlib import Path
    >>> from ingest.loaders import FileLoader
    >>> doc = FileLoader(max_bytes=10_000_000, max_pdf_pages=500).load(Path("documents/x.md"))  # doctest: +SKIP
    >>> doc.metadata["title"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import yaml
from langchain_core.documents import Document

from assistant.catalog import IMAGE_SUFFIXES

from ingest.markup import docx_to_text, html_to_text, markdown_to_text
from ingest.ocr import PageReader
from ingest.page_breaks import without_page_furniture
from ingest.pdf import PdfReadError, read_pdf
from ingest.pdf import READER_VERSION as PDF_READER_VERSION
from ingest.structure import StructuredText

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | IMAGE_SUFFIXES | {".pdf", ".docx"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
# A DOCX expands to many times its size; past this ratio it is treated as a zip bomb.
_MAX_DOCX_EXPANSION = 100


# Layout a reader may return beside the text: page starts, (start, heading) sections, notes.
LAYOUT_KEYS = ("page_starts", "sections", "notes", "ocr_pages")
# Part of the ingestion fingerprint: a change to how any format is read re-ingests it.
LOADER_VERSION = f"loaders-2+{PDF_READER_VERSION}+markup-4"
# A PDF's own title field often names its template or its file, not the document.
_JUNK_TITLE = re.compile(
    r"^(untitled|document\d*|report template|template|\[insert .*\]|slide \d+|title)$|"
    r"^microsoft (word|powerpoint) - |\.(docx?|pdf|pptx?|indd)$|^\d{6,}|final|draft \d",
    re.IGNORECASE)
_PUBLISHERS = (
    "NHS England and NHS Improvement", "NHS England", "NHS Improvement",
    "Department of Health and Social Care", "Department of Health & Social Care",
    "UK Health Security Agency", "Public Health England", "Care Quality Commission",
    "National Institute for Health and Care Excellence", "NHS Business Services Authority",
    "NHS Digital", "Health Education England", "Cabinet Office", "UK Covid-19 Inquiry",
    "Infected Blood Inquiry", "HM Treasury", "Welsh Government", "Scottish Government",
)
_LOCAL_BODY = re.compile(r"\b(NHS [A-Z][\w&,' -]{2,60}? (Integrated Care Board|ICB|Clinical "
                         r"Commissioning Group|CCG|(NHS )?(Foundation )?Trust))\b")
_MONTHS = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_STATED_DATE = re.compile(
    rf"\b(?:published|updated|last updated|publication date|issued|date|version [\d.]+,?)"
    rf"\s*(?:on\s*)?:?\s*((?:\d{{1,2}}\s+)?{_MONTHS}\s+\d{{4}})", re.IGNORECASE)
_ANY_DATE = re.compile(rf"\b((?:\d{{1,2}}\s+)?{_MONTHS}\s+(?:19|20)\d{{2}})\b")


class LoadError(Exception):
    """A file that cannot be ingested; ``str(error)`` is the one-line reason."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LoadError(
            f"is not valid UTF-8 text (bad byte at position {error.start}); "
            "save it as UTF-8 and try again"
        ) from None


def _is_real_title(title: str | None) -> bool:
    return bool(title and len(title.strip()) >= 4 and not _JUNK_TITLE.search(title.strip()))


def _stated_publisher_and_date(opening: str) -> dict:
    """The publisher and publication date a document states on its first page(s), if any."""
    found: dict = {}
    publisher = next((p for p in _PUBLISHERS if p in opening), None)
    if publisher is None and (local := _LOCAL_BODY.search(opening)):
        publisher = local.group(1)
    if publisher:
        found["publisher"] = publisher
    if date := (_STATED_DATE.search(opening) or _ANY_DATE.search(opening)):
        found["date"] = " ".join(date.group(1).split())
    return found


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip().capitalize() or path.name


def _load_text(data: bytes) -> tuple[str, dict]:
    text = _normalise(_decode_text(data))
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            first_line = str(error).splitlines()[0]
            raise LoadError(f"has a front-matter header that is not valid YAML ({first_line})")
        if parsed is not None and not isinstance(parsed, dict):
            raise LoadError("has a front-matter header that is not a mapping of key: value")
        meta = {str(k): v for k, v in (parsed or {}).items()}
        text = text[match.end() :]
    return text, meta


def _load_html(data: bytes) -> tuple[str, dict]:
    structured, meta = html_to_text(_decode_text(data))
    return structured.text, {**meta, **_layout(structured)}


def _load_pdf(data: bytes, max_pages: int, ocr: PageReader | None,
              on_page: Callable[[int, int], None] | None, suffix: str) -> tuple[str, dict]:
    try:
        structured, found = read_pdf(data, max_pages, ocr, on_page, suffix)
    except PdfReadError as error:
        raise LoadError(str(error)) from None
    if not structured.text.strip():
        kind = "PDF" if suffix == ".pdf" else "picture"
        if not structured.notes:  # no page showed a picture either
            raise LoadError(f"has no text and no pictures of text: a blank or damaged {kind}?")
        if ocr is None:
            raise LoadError("has no text layer (a scan or a picture?), and OCR is off: "
                            "set ASSISTANT_OCR=true to read it")
        raise LoadError("has no text that could be read, even by OCR "
                        f"({'; '.join(structured.notes)})")
    title = found["title"] if _is_real_title(found["title"]) else found["heading_title"]
    meta = {"title": title, "author": found["author"], "pages": found["pages"],
            **_layout(structured)}
    starts = structured.page_starts
    # Publisher and date stand on the first pages, or in the imprint on the last one.
    opening = structured.text[: starts[2] if len(starts) > 2 else None]
    meta.update(_stated_publisher_and_date(opening + "\n\n" + structured.text[starts[-1]:]))
    return structured.text, meta


def _load_docx(data: bytes, max_bytes: int) -> tuple[str, dict]:
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            if "word/document.xml" not in archive.namelist():
                raise LoadError("is not a Word document (no word/document.xml inside)")
    except zipfile.BadZipFile:
        raise LoadError("is not a valid DOCX (not a zip archive)") from None
    if expanded > max(max_bytes, len(data) * _MAX_DOCX_EXPANSION):
        raise LoadError(f"expands to {expanded:,} bytes when unzipped; refusing a likely zip bomb")
    try:
        document = docx.Document(io.BytesIO(data))
        structured = docx_to_text(document)
    except Exception as error:  # python-docx raises many types for damaged files
        raise LoadError(f"is not a readable DOCX ({type(error).__name__}: {error})") from None
    props = document.core_properties
    return structured.text, {
        "title": props.title, "author": props.author, **_layout(structured),
    }


def _layout(structured: StructuredText) -> dict:
    """The layout keys of a reader's result, for the splitter."""
    return {"page_starts": structured.page_starts,
            "sections": [(s.start, s.heading) for s in structured.sections],
            "notes": structured.notes, "ocr_pages": structured.ocr_pages}


class FileLoader:
    """Reads one supported file into a ``Document``.

    The metadata always has ``title``, ``author``, ``source`` (the resolved path),
    ``sha256`` (of the file's bytes) and ``format``; front matter may add more keys
    (``column``, ``standfirst``, ``source_file``...), which are kept as given.
    """

    def __init__(self, max_bytes: int, max_pdf_pages: int, ocr: PageReader | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_pdf_pages = max_pdf_pages
        self.ocr = ocr  # reads scanned pages and pictures; None: OCR is off

    @property
    def version(self) -> str:
        """Changes whenever a file would be read into different text (OCR on or off too)."""
        return f"{LOADER_VERSION}+{self.ocr.version if self.ocr else 'no-ocr'}"

    def load(self, path: Path) -> Document:
        """Reads and parses ``path``; raises :class:`LoadError` with the reason if it can't."""
        return self.parse(path, self.read(path))

    def read(self, path: Path) -> bytes:
        """The file's bytes, after the checks that need no parsing (type, size, emptiness)."""
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise LoadError(f"has an unsupported type '{suffix or '(none)'}'; supported: {kinds}")
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise LoadError("is not a regular file")
        except OSError as error:
            raise LoadError(f"cannot be read ({error.strerror})") from None
        if size == 0:
            raise LoadError("is empty")
        if size > self.max_bytes:
            raise LoadError(
                f"is {size / 1048576:.1f} MB, over the {self.max_bytes / 1048576:.1f} MB limit "
                "(raise ASSISTANT_MAX_FILE_MB to allow it)"
            )
        try:
            return path.read_bytes()
        except OSError as error:
            raise LoadError(f"cannot be read ({error.strerror})") from None

    def parse(self, path: Path, data: bytes,
              on_page: Callable[[int, int], None] | None = None) -> Document:
        """Turns the bytes read from ``path`` into a ``Document``; for a paged file,
        ``on_page(done, total)`` is told after each page is read."""
        path = path.resolve()
        suffix = path.suffix.lower()
        if suffix == ".pdf" or suffix in IMAGE_SUFFIXES:
            text, found = _load_pdf(data, self.max_pdf_pages, self.ocr, on_page, suffix)
        elif suffix == ".docx":
            text, found = _load_docx(data, self.max_bytes)
        elif suffix in HTML_SUFFIXES:
            text, found = _load_html(data)
        else:
            text, found = _load_text(data)
            # A PDF exported as Markdown or text keeps its page breaks and their furniture.
            structured = without_page_furniture(
                StructuredText(text) if suffix == ".txt" else markdown_to_text(text))
            if suffix != ".txt" or structured.page_starts:
                text, found = structured.text, {**found, **_layout(structured)}
        if not text.strip():
            raise LoadError("has no text once its header and markup are removed")
        layout = {key: found.pop(key) for key in LAYOUT_KEYS if key in found}
        # Chroma metadata holds only scalars; front matter may carry dates or lists.
        metadata = {
            k: v if isinstance(v, (str, int, float, bool)) else str(v)
            for k, v in found.items()
            if v not in (None, "")
        }
        if layout:
            # Where pages and sections start: the splitter turns it into each chunk's
            # page and section, and takes it out of the metadata.
            metadata["layout"] = layout
        metadata.update(
            title=str(metadata.get("title") or _title_from_name(path)),
            author=str(metadata.get("author") or ""),
            source=str(path),
            sha256=sha256_of(data),
            format=suffix.lstrip("."),
        )
        return Document(page_content=text, metadata=metadata)
