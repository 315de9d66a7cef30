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

    @classmethod
    def of_chunk(cls, chunk: Document) -> SourceSpan:
        """The span a stored chunk covers, from the metadata ingestion gives every chunk."""
        meta = chunk.metadata
        pages = tuple((int(at), int(page)) for at, page in json.loads(meta.get("pages") or "[]"))
        return cls(
            doc_id=meta["doc_id"], title=meta.get("title", ""), author=meta.get("author", ""),
            source=meta.get("source", ""), start=int(meta["start"]), end=int(meta["end"]),
            text=chunk.page_content, section=meta.get("section") or "", pages=pages,
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
