"""File → one LangChain ``Document`` (its text plus metadata), or a one-line reason why not.

Supported: ``.md``/``.markdown``/``.txt`` (YAML front matter optional), ``.html``/``.htm``
(visible text only), ``.pdf`` and ``.docx``. The returned ``page_content`` is the text that
chunk offsets point into, so it is kept as extracted: only a byte-order mark is dropped
and line endings are made ``\\n``.

Example:
    >>> from pathlib import Path
    >>> from ingest.loaders import FileLoader
    >>> doc = FileLoader(max_bytes=10_000_000, max_pdf_pages=500).load(Path("documents/x.md"))  # doctest: +SKIP
    >>> doc.metadata["title"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from pathlib import Path

import yaml
from langchain_core.documents import Document

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
# A DOCX expands to many times its size; past this ratio it is treated as a zip bomb.
_MAX_DOCX_EXPANSION = 100


# pypdf logs every repair it attempts; the one-line reason below is what a user needs.
logging.getLogger("pypdf").setLevel(logging.ERROR)


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
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_text(data), "html.parser")
    meta: dict = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    author = soup.find("meta", attrs={"name": "author"})
    if author and author.get("content"):
        meta["author"] = author["content"].strip()
    for hidden in soup(["script", "style", "noscript", "template", "head"]):
        hidden.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    # One paragraph per block of visible text, so the splitter can cut between them.
    text = "\n\n".join(line for line in lines if line)
    return text, meta


def _load_pdf(data: bytes, max_pages: int) -> tuple[str, dict]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("is a password-protected PDF; remove the password and try again")
        pages = len(reader.pages)
        if pages > max_pages:
            raise LoadError(f"has {pages} pages, more than the limit of {max_pages}")
        text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
        info = reader.metadata or {}
        meta = {"title": info.get("/Title"), "author": info.get("/Author")}
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise LoadError(f"is not a readable PDF ({type(error).__name__}: {error})") from None
    if not text.strip():
        raise LoadError("has no extractable text (a scanned PDF? run OCR on it first)")
    return _normalise(text), meta


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
    except Exception as error:  # python-docx raises many types for damaged files
        raise LoadError(f"is not a readable DOCX ({type(error).__name__}: {error})") from None
    blocks = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text.strip() for cell in row.cells))
    props = document.core_properties
    return _normalise("\n\n".join(b for b in blocks if b)), {
        "title": props.title,
        "author": props.author,
    }


class FileLoader:
    """Reads one supported file into a ``Document``.

    The metadata always has ``title``, ``author``, ``source`` (the resolved path),
    ``sha256`` (of the file's bytes) and ``format``; front matter may add more keys
    (``column``, ``standfirst``, ``source_file``...), which are kept as given.
    """

    def __init__(self, max_bytes: int, max_pdf_pages: int) -> None:
        self.max_bytes = max_bytes
        self.max_pdf_pages = max_pdf_pages

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

    def parse(self, path: Path, data: bytes) -> Document:
        """Turns the bytes read from ``path`` into a ``Document``."""
        path = path.resolve()
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            text, found = _load_pdf(data, self.max_pdf_pages)
        elif suffix == ".docx":
            text, found = _load_docx(data, self.max_bytes)
        elif suffix in HTML_SUFFIXES:
            text, found = _load_html(data)
        else:
            text, found = _load_text(data)
        if not text.strip():
            raise LoadError("has no text once its header and markup are removed")
        # Chroma metadata holds only scalars; front matter may carry dates or lists.
        metadata = {
            k: v if isinstance(v, (str, int, float, bool)) else str(v)
            for k, v in found.items()
            if v not in (None, "")
        }
        metadata.update(
            title=str(metadata.get("title") or _title_from_name(path)),
            author=str(metadata.get("author") or ""),
            source=str(path),
            sha256=sha256_of(data),
            format=suffix.lstrip("."),
        )
        return Document(page_content=text, metadata=metadata)
