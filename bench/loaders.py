"""Ingesting real published documents: the page-aware PDF reader vs the old pypdf one, one run.

Ingests the documents of ``evals/data/policy/`` (10 PDFs of 4–240 pages, a DOCX, a Markdown
export) twice, each into a fresh data dir with the whole pipeline (read, split, embed, write
to Chroma, records and catalog): once as the assistant reads PDFs now (PyMuPDF, furniture
removed, tables as rows), once with the old reader (pypdf's text, pages joined). Reading
alone is timed too. Goal (issue 14): the new ingest takes at most 1.25× the old one.

    .venv/bin/python bench/loaders.py
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
import pymupdf
from common import publish

from assistant.settings import REPO_ROOT, Settings
from ingest.loaders import FileLoader

POLICY = REPO_ROOT / "evals" / "data" / "policy" / "documents"


class PypdfLoader(FileLoader):
    """The loader as it read PDFs before issue 14: pypdf's text, page after page."""

    version = "bench-pypdf"

    def parse(self, path: Path, data: bytes):
        if path.suffix.lower() != ".pdf":
            return super().parse(path, data)
        from langchain_core.documents import Document
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
        return Document(page_content=text, metadata={
            "title": path.stem, "author": "", "source": str(path.resolve()),
            "sha256": "", "format": "pdf"})


def _ingest(parts, loader: FileLoader, files: list[Path]) -> tuple[float, float, int]:
    """(seconds reading, seconds for the whole ingest, chunks) for one fresh data dir."""
    started = time.perf_counter()
    for path in files:
        loader.load(path)
    read_s = time.perf_counter() - started
    parts.indexer.loader = loader
    started = time.perf_counter()
    report = parts.library.ingest(files)
    assert not report.failed, report.failed
    return read_s, time.perf_counter() - started, sum(f.chunks for f in report.files)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    from assistant.wiring import Parts

    files = sorted(p for p in POLICY.iterdir() if p.suffix in (".pdf", ".docx", ".md"))
    pages = sum(len(pymupdf.open(p)) for p in files if p.suffix == ".pdf")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, loader_class in (("old: pypdf", PypdfLoader), ("new: PyMuPDF, page-aware", FileLoader)):
            settings = Settings(data_dir=Path(scratch) / name.split(":")[0], _env_file=None)
            parts = Parts(settings)
            parts.embeddings.embed_query("warm up")  # model load is not ingestion
            loader = loader_class(settings.max_file_bytes, settings.max_pdf_pages)
            read_s, ingest_s, chunks = _ingest(parts, loader, files)
            rows.append([name, f"{read_s:.1f}", f"{ingest_s:.1f}", chunks])
    ratio = float(rows[1][2]) / float(rows[0][2])
    publish("loaders", f"Ingesting {len(files)} published documents ({pages} PDF pages)",
            ["reader", "reading s", "whole ingest s", "chunks"], rows,
            notes=f"New / old whole ingest: {ratio:.2f}× (goal ≤ 1.25×).")


if __name__ == "__main__":
    main()
