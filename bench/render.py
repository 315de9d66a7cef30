"""Pictures of cited PDF pages: random pages of a long published PDF, a sentence highlighted.

Ingests the 240-page COVID-19 Inquiry Module 1 report into a fresh data dir (the whole
pipeline, so the catalog and the offsets are the real ones), then, for each of ``--pages``
random pages, picks a random sentence printed on it and asks the chat's renderer for that
page with the sentence highlighted: once with an empty cache (cold: open, find the
sentence, draw, write the PNG), once again (warm: served from the cache). Goal (issue 14):
a page renders in at most 1 s, p95.

    .venv/bin/python bench/render.py [--pages 40] [--seed 14]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish
from langchain_core.documents import Document

from assistant.settings import REPO_ROOT, Settings
from assistant.spans import SourceSpan
from assistant.text import sentences
from evals.metrics import percentile

REPORT = REPO_ROOT / "evals" / "data" / "policy" / "documents" / "covid-inquiry-module1-report-2024.pdf"


def _sentences_by_page(parts, doc_id: str) -> dict[int, list[tuple[int, int]]]:
    """Every sentence of the stored passages that starts and ends on one page, by page."""
    stored = parts.vector_store.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
    found: dict[int, set[tuple[int, int]]] = {}
    for text, meta in zip(stored["documents"], stored["metadatas"]):
        span = SourceSpan.of_chunk(Document(page_content=text, metadata=meta))
        for sentence in sentences(span.text):
            start, end = span.start + sentence.start, span.start + sentence.end
            page = span.page_of(start)
            if page and page == span.page_of(end - 1) and len(sentence.text.split()) >= 6:
                found.setdefault(page, set()).add((start, end))
    return {page: sorted(spans) for page, spans in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40, help="random pages to render")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    from assistant.wiring import Parts

    with tempfile.TemporaryDirectory() as scratch:
        parts = Parts(Settings(data_dir=Path(scratch) / "data", _env_file=None))
        report = parts.library.ingest([REPORT])
        assert not report.failed, report.failed
        doc_id = report.files[0].doc_id
        by_page = _sentences_by_page(parts, doc_id)
        rng = random.Random(args.seed)
        pages = rng.sample(sorted(by_page), min(args.pages, len(by_page)))
        asks = [(page, rng.choice(by_page[page])) for page in pages]

        renderer = parts.page_renderer
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        pictures = []
        for kind in ("cold", "warm"):
            for page, sentence in asks:
                started = time.perf_counter()
                png = renderer.render(doc_id, page, [sentence])
                timings[kind].append((time.perf_counter() - started) * 1000)
                pictures.append(png)
        # Found on its page when the picture differs from the page without a highlight.
        found = sum(png.read_bytes() != renderer.render(doc_id, page).read_bytes()
                    for (page, _), png in zip(asks, pictures[: len(asks)]))
        size_kb = sum(png.stat().st_size for png in pictures[: len(asks)]) / len(asks) / 1024

    rows = [[kind, len(values), f"{percentile(values, 0.5):.0f}", f"{percentile(values, 0.95):.0f}",
             f"{max(values):.0f}"] for kind, values in timings.items()]
    publish("render", f"Cited page pictures: {len(asks)} random pages of a 240-page PDF",
            ["cache", "pages", "p50 ms", "p95 ms", "max ms"], rows,
            notes=f"{REPORT.name}, zoom {renderer.zoom:g} (PNG {size_kb:.0f} KB on average), one "
                  "random sentence of each page highlighted; the sentence was found and "
                  f"highlighted on {found}/{len(asks)} pages. Cold: open the PDF, align the "
                  "sentence with the page's words, draw, write the PNG (the file's sha256 is "
                  "checked on the first request only, then on any change of size or time). "
                  "Goal: <= 1 s p95.")


if __name__ == "__main__":
    main()
