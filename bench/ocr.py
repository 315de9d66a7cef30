"""OCR on this machine: pages per second, words right, and a 50-page scan ingested.

Scans are made from a real published PDF (the NHS England IFR standard operating procedures,
67 pages): every page drawn as a 150 dpi picture with no text layer, as a photocopier makes
one. Then:

1. **Reading pages** side by side, the same pages each way: RapidOCR as it comes (its
   line-direction classifier on, its own threads) against ours (classifier off, the page's
   long side at 1,700 px, both cores in one reader), ours on one core, and ours two pages at
   a time on one core each. Words right: the share of the page's own text-layer words
   read, in order (difflib over words).
2. **A 50-page scan ingested** through the library (`assistant ingest`'s path) with a progress
   bar, then again after its catalog row is removed: every page comes from the OCR cache.

    .venv/bin/python bench/ocr.py [--pages 8] [--scan-pages 50]
"""

from __future__ import annotations

import argparse
import difflib
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

SOURCE = (Path(__file__).resolve().parent.parent / "evals" / "data" / "policy" / "documents"
          / "nhse-ifr-standard-operating-procedures-v5-2023.pdf")
FIRST_PAGE = 5  # past the cover and contents: pages of running text, lists and a table


def _words_right(read: str, printed: str) -> float:
    printed_words = printed.replace("’", "'").split()
    matcher = difflib.SequenceMatcher(None, read.replace("’", "'").split(), printed_words,
                                      autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(printed_words))


def reading_rows(pages: int, scratch: Path) -> list[list]:
    import numpy as np
    import pymupdf
    from rapidocr import RapidOCR

    from assistant.harness import scanned_copy
    from ingest.ocr import PageReader

    numbers = list(range(FIRST_PAGE, FIRST_PAGE + pages))
    with pymupdf.open(SOURCE) as original:
        printed = [original[n - 1].get_text() for n in numbers]
    scan = pymupdf.open(stream=scanned_copy(SOURCE.read_bytes(), numbers))
    reader = PageReader(scratch / "unused")
    pictures = [reader.picture(page)[0] for page in scan]

    def ours(threads: int):
        one = PageReader(scratch / f"ocr-{threads}", threads=threads)
        return lambda picture: " ".join(line.text for line in
                                        one._read_upright(picture, 1.0).lines)

    as_it_comes = RapidOCR(params={"Global.log_level": "error"})
    ways = [
        ("RapidOCR as it comes (classifier on)", lambda p: " ".join(as_it_comes(p).txts or ()), 1),
        ("ours: no classifier, 1,700 px, 2 cores per page", ours(2), 1),
        ("ours on 1 core", ours(1), 1),
        ("ours, 2 pages at once on 1 core each", None, 2),
    ]
    rows = []
    for name, read, at_once in ways:
        if at_once == 2:
            readers = [ours(1), ours(1)]
            readers[0](pictures[0]), readers[1](pictures[0])  # warm both
            started = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                texts = list(pool.map(lambda i: readers[i % 2](pictures[i]), range(pages)))
        else:
            read(pictures[0])  # warm: models loaded
            started = time.perf_counter()
            texts = [read(picture) for picture in pictures]
        seconds = time.perf_counter() - started
        right = np.mean([_words_right(text, page) for text, page in zip(texts, printed)])
        rows.append([name, f"{pages / seconds:.2f}", f"{seconds / pages:.1f}", f"{right:.1%}"])
    return rows


def scan_rows(scan_pages: int, scratch: Path) -> list[list]:
    from assistant.harness import scanned_copy
    from assistant.settings import Settings
    from assistant.wiring import Parts

    path = scratch / "sop-scanned.pdf"
    path.write_bytes(scanned_copy(SOURCE.read_bytes(), range(1, scan_pages + 1)))
    parts = Parts(Settings(data_dir=scratch / "data", _env_file=None))
    parts.embeddings.embed_query("warm")  # the embedder loaded before timing
    rows = []
    for label in ("first ingest (every page read by OCR)", "again, catalog row removed (OCR cache)"):
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task(f"{label}: page", total=scan_pages)
            started = time.perf_counter()
            (result,) = parts.library.ingest(
                [path], on_page=lambda _, done, total: bar.update(task, completed=done)).files
            seconds = time.perf_counter() - started
        assert result.status == "added", result
        scanned = len(parts.catalog.get(result.doc_id).scanned_pages)
        rows.append([label, scan_pages, scanned, result.chunks, f"{seconds:.0f}",
                     f"{scan_pages / seconds:.2f}"])
        parts.indexer.remove(result.doc_id)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="pages read each way (part 1)")
    parser.add_argument("--scan-pages", type=int, default=50, help="pages of the scan ingested")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        publish("ocr-reading", f"OCR: {args.pages} scanned pages of an NHS England PDF, read "
                "four ways", ["way", "pages/s", "s/page", "words right"],
                reading_rows(args.pages, Path(scratch)),
                "Scan: each page a 150 dpi picture, no text layer. Words right: the page's own "
                "text-layer words found, in order, in what was read.")
        publish("ocr-ingest", f"Ingesting a {args.scan_pages}-page scan", [
            "run", "pages", "pages read by OCR", "chunks", "seconds", "pages/s"],
            scan_rows(args.scan_pages, Path(scratch)),
            "Through the library, as `assistant ingest` does: OCR, split, embed, Chroma, "
            "records; a progress bar per page. The second run finds every page in the OCR cache.")


if __name__ == "__main__":
    main()
