"""The one source-span type: an exact stretch of a stored document that a reader can check.

Retrieval's passages, the evidence handed to a generator and the citations of an answer all
hold a :class:`SourceSpan`; its ``text`` is always ``document_text[start:end]`` of the
document's catalog text, which is what makes a citation verifiable.

Example:
    >>> span = SourceSpan("west", "London lacks…", "Dave West", "west.md", 10, 14, "NHS ")
    >>> span.as_dict()["doc_id"], span.covers(11, 13)
    ('west', True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from langchain_core.documents import Document

from assistant.catalog import PRINTED_SUFFIXES


def _merged_pages(*spans: SourceSpan) -> tuple[tuple[int, int], ...]:
    """The (offset, page) starts of the pages any of ``spans`` touches (one document's)."""
    starts: dict[int, int] = {}
    for span in spans:
        for at, page in span.pages:
            starts[page] = min(at, starts.get(page, at))
    return tuple(sorted((at, page) for page, at in starts.items()))


def cited_page(page: int, scanned: bool) -> str:
    """How a citation names its page: "p. 12", or "p. 4, scanned" when OCR read its text
    from a picture (a reader may want to check the wording against the page itself)."""
    return f"p. {page}, scanned" if scanned else f"p. {page}"


@dataclass(frozen=True)
class SourceSpan:
    """Where a piece of text comes from: document, its title and author, offsets, the text,
    and, when the document has them, its pages and the section it sits in."""

    doc_id: str
    title: str
    author: str
    source: str
    start: int
    end: int
    text: str
    section: str = ""
    # (offset, page) where each page the span touches begins, the first holding ``start``;
    # empty for unpaged formats. Pages are counted from 1, as a PDF viewer counts them.
    pages: tuple[tuple[int, int], ...] = ()
    ocr_pages: tuple[int, ...] = ()  # the pages it touches whose text OCR read (scans)

    @classmethod
    def of_chunk(cls, chunk: Document) -> SourceSpan:
        """The span a stored chunk covers, from the metadata ingestion gives every chunk."""
        meta = chunk.metadata
        pages = tuple((int(at), int(page)) for at, page in json.loads(meta.get("pages") or "[]"))
        return cls(
            doc_id=meta["doc_id"], title=meta.get("title", ""), author=meta.get("author", ""),
            source=meta.get("source", ""), start=int(meta["start"]), end=int(meta["end"]),
            text=chunk.page_content, section=meta.get("section") or "", pages=pages,
            ocr_pages=tuple(json.loads(meta.get("ocr_pages") or "[]")),
        )

    @property
    def page_start(self) -> int | None:
        return self.pages[0][1] if self.pages else None

    @property
    def page_end(self) -> int | None:
        return self.pages[-1][1] if self.pages else None

    def page_of(self, offset: int) -> int | None:
        """The page holding ``offset`` (a document offset inside this span)."""
        page = self.page_start
        for at, number in self.pages:
            if at <= offset:
                page = number
        return page

    def scanned(self, page: int | None) -> bool:
        """Whether ``page`` is one whose text OCR read from a picture."""
        return page is not None and page in self.ocr_pages

    @property
    def printed(self) -> bool:
        """Whether its pages can be shown as printed (a PDF or a picture)."""
        return self.source.lower().endswith(tuple(PRINTED_SUFFIXES))

    def through(self, later: SourceSpan, text: str) -> SourceSpan:
        """This span joined with ``later``, a span of the same document starting no earlier:
        ``text`` is the document's text from this span's start to the joined span's end,
        and the pages (scanned ones too) are both spans'."""
        return replace(self, end=self.start + len(text), text=text,
                       pages=_merged_pages(self, later),
                       ocr_pages=tuple(sorted({*self.ocr_pages, *later.ocr_pages})))

    def headed(self, context: str) -> str:
        """Its text after what names its topic: nothing (``"none"``), its document's title
        (``"title"``), or the title and its section heading (``"title_section"``). A chunk
        deep in a document rarely repeats what the document is about.

        >>> span = SourceSpan("d", "Influenza", "", "", 0, 9, "Two doses", section="Children")
        >>> span.headed("title_section")
        'Influenza. Children\\nTwo doses'
        """
        heading = [self.title] if context != "none" and self.title else []
        if context == "title_section" and self.section and self.section != self.title:
            heading.append(self.section)
        return f"{'. '.join(heading)}\n{self.text}" if heading else self.text

    def covers(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside this span."""
        return self.start <= start and end <= self.end

    def narrowed(self, start: int, end: int) -> SourceSpan:
        """The part of this span from ``start`` to ``end`` (document offsets)."""
        pages = tuple(
            (max(at, start), number) for at, number in self.pages
            if at < end and number >= (self.page_of(start) or 0)
        )
        return replace(self, start=start, end=end, pages=pages,
                       text=self.text[start - self.start : end - self.start])

    def as_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "author": self.author,
                "source": self.source, "start": self.start, "end": self.end, "text": self.text,
                "page_start": self.page_start, "page_end": self.page_end,
                "section": self.section}
