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

from dataclasses import asdict, dataclass, replace

from langchain_core.documents import Document


@dataclass(frozen=True)
class SourceSpan:
    """Where a piece of text comes from: document, its title and author, offsets, the text."""

    doc_id: str
    title: str
    author: str
    source: str
    start: int
    end: int
    text: str

    @classmethod
    def of_chunk(cls, chunk: Document) -> SourceSpan:
        """The span a stored chunk covers, from the metadata ingestion gives every chunk."""
        meta = chunk.metadata
        return cls(
            doc_id=meta["doc_id"], title=meta.get("title", ""), author=meta.get("author", ""),
            source=meta.get("source", ""), start=int(meta["start"]), end=int(meta["end"]),
            text=chunk.page_content,
        )

    def covers(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside this span."""
        return self.start <= start and end <= self.end

    def narrowed(self, start: int, end: int) -> SourceSpan:
        """The part of this span from ``start`` to ``end`` (document offsets)."""
        return replace(self, start=start, end=end,
                       text=self.text[start - self.start : end - self.start])

    def as_dict(self) -> dict:
        return asdict(self)
