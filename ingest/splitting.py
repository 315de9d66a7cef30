"""Document → chunks that know exactly where they came from.

Every chunk carries ``start`` and ``end`` character offsets into its document's text,
with ``text[start:end] == chunk.page_content`` guaranteed (checked here, not hoped for):
citations point readers at those spans. When the loader says where pages and sections
start (``metadata["layout"]``), each chunk also carries ``page_start``/``page_end``, the
offsets where its pages begin (``pages``, JSON ``[[offset, page], …]``, so a sentence's page
can be told) and ``section``, the heading it sits under; a chunk on pages read by OCR also
carries ``ocr_pages`` (JSON ``[4, 5]``), so that its citations can say "scanned".

Example:
    >>> from langchain_core.documents import Document
    >>> from ingest.splitting import ChunkSplitter
    >>> doc = Document(page_content="First paragraph.\\n\\nSecond one.", metadata={"doc_id": "d"})
    >>> [(c.metadata["start"], c.page_content) for c in ChunkSplitter(100, 10).split(doc)]
    [(0, 'First paragraph.\\n\\nSecond one.')]
"""

from __future__ import annotations

import json

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.structure import Section, StructuredText

# Paragraphs first, then lines, then sentences, so chunks end where a reader would pause.
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


class ChunkSplitter:
    """Splits a document's text into overlapping, offset-carrying chunks."""

    def __init__(self, chunk_size: int, chunk_overlap: int) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            separators=_SEPARATORS,
            keep_separator="end",
            add_start_index=True,
        )

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same text would be cut differently."""
        return f"recursive-v1:{self.chunk_size}:{self.chunk_overlap}"

    def split(self, document: Document) -> list[Document]:
        text = document.page_content
        metadata = dict(document.metadata)
        layout = metadata.pop("layout", None)
        located = StructuredText("", layout.get("page_starts", []), [
            Section(start, heading) for start, heading in layout.get("sections", [])
        ], ocr_pages=layout.get("ocr_pages", [])) if layout else None
        chunks = self._splitter.split_documents([Document(page_content=text, metadata=metadata)])
        for number, chunk in enumerate(chunks):
            start = chunk.metadata.pop("start_index")
            end = start + len(chunk.page_content)
            # Citations rest on this; LangChain's search gives it, but a silent miss would
            # put a wrong passage in front of a reader, so it is checked, not assumed.
            if start < 0 or text[start:end] != chunk.page_content:
                raise ValueError(f"chunk {number} of {document.metadata.get('source')} not found")
            chunk.metadata.update(start=start, end=end, chunk=number)
            if located is not None:
                chunk.metadata.update(_locators(located, start, end))
        return chunks


def _locators(located: StructuredText, start: int, end: int) -> dict:
    """The chunk's pages (with where each begins) and the section it starts in."""
    found: dict = {"section": located.section_at(start)}
    first = located.page_at(start)
    if first is not None:
        last = located.page_at(max(start, end - 1))
        pages = [[start, first]] + [[located.page_starts[p - 1], p] for p in range(first + 1, last + 1)]
        found.update(page_start=first, page_end=last, pages=json.dumps(pages))
        # Only when there are some: a chunk's id hashes its metadata, and the chunks of
        # documents without scans must keep theirs.
        if scanned := [p for p in located.ocr_pages if first <= p <= last]:
            found["ocr_pages"] = json.dumps(scanned)
    return found
