"""Document → chunks that know exactly where they came from.

Every chunk carries ``start`` and ``end`` character offsets into its document's text,
with ``text[start:end] == chunk.page_content`` guaranteed (checked here, not hoped for):
citations point readers at those spans.

Example:
    >>> from langchain_core.documents import Document
    >>> from ingest.splitting import ChunkSplitter
    >>> doc = Document(page_content="First paragraph.\\n\\nSecond one.", metadata={"doc_id": "d"})
    >>> [(c.metadata["start"], c.page_content) for c in ChunkSplitter(100, 10).split(doc)]
    [(0, 'First paragraph.\\n\\nSecond one.')]
"""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

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
        chunks = self._splitter.split_documents([document])
        for number, chunk in enumerate(chunks):
            start = chunk.metadata.pop("start_index")
            end = start + len(chunk.page_content)
            # Citations rest on this; LangChain's search gives it, but a silent miss would
            # put a wrong passage in front of a reader, so it is checked, not assumed.
            if start < 0 or text[start:end] != chunk.page_content:
                raise ValueError(f"chunk {number} of {document.metadata.get('source')} not found")
            chunk.metadata.update(start=start, end=end, chunk=number)
        return chunks
