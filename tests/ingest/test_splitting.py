"""Chunk offsets always give back the exact chunk text."""

from __future__ import annotations

import random

import pytest
from langchain_core.documents import Document

from ingest.loaders import FileLoader
from ingest.splitting import ChunkSplitter
from tests.conftest import DOCUMENTS_DIR


def _assert_offsets_exact(text: str, chunks: list[Document]) -> None:
    assert chunks, "no chunks"
    for number, chunk in enumerate(chunks):
        start, end = chunk.metadata["start"], chunk.metadata["end"]
        assert text[start:end] == chunk.page_content
        assert chunk.metadata["chunk"] == number
    starts = [c.metadata["start"] for c in chunks]
    assert starts == sorted(starts), "chunks out of document order"


@pytest.mark.parametrize("path", sorted(DOCUMENTS_DIR.glob("*.md")), ids=lambda p: p.name)
@pytest.mark.parametrize("size,overlap", [(200, 40), (800, 120), (1500, 300)])
def test_offsets_are_exact_on_the_corpus(path, size, overlap):
    doc = FileLoader(10_000_000, 100).load(path)
    chunks = ChunkSplitter(size, overlap).split(doc)
    _assert_offsets_exact(doc.page_content, chunks)
    # Every character of the document is in some chunk except whitespace between them.
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.metadata["start"], chunk.metadata["end"]))
    uncovered = {doc.page_content[i] for i in range(len(doc.page_content)) if i not in covered}
    assert uncovered <= {" ", "\n", "\t"}


def test_offsets_are_exact_when_text_repeats():
    # Repeated paragraphs are where a naive text.find() points at the wrong copy.
    rng = random.Random(7)
    words = ["trust", "board", "London", "STP", "CCG", "mayor", "devolution", "NHS"]
    paragraph = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) + "."
    base = [paragraph() for _ in range(6)]
    text = "\n\n".join(base + base + [paragraph()] + base)
    chunks = ChunkSplitter(150, 60).split(Document(page_content=text, metadata={}))
    _assert_offsets_exact(text, chunks)


def test_chunks_end_at_paragraph_breaks_when_they_can():
    paragraphs = ["Alpha " * 20 + "end.", "Beta " * 20 + "end.", "Gamma " * 20 + "end."]
    text = "\n\n".join(p.strip() for p in paragraphs)
    chunks = ChunkSplitter(150, 0).split(Document(page_content=text, metadata={}))
    assert [c.page_content for c in chunks] == [p.strip() for p in paragraphs]


def test_fingerprint_changes_with_the_settings():
    assert ChunkSplitter(800, 120).fingerprint != ChunkSplitter(600, 120).fingerprint
