"""A whole document's summary: cold and cached, ours beside the tutorial's "stuff" summary.

Ours (assistant/answering/summary.py): every section read (map), then a lead and one point
per chosen section (reduce), written by the local model or quoted, every line verified;
then the same request again, read back from the cache. Baseline: the LangChain tutorial's
"stuff" summary, the model handed the document's opening 3,500 characters (what fits its
budget) and asked to summarise. Both on the same model server, in one run, per document:
time to the whole summary, to the first token, the pages its citations span.

    .venv/bin/python bench/summary.py [--documents SOP,infected-blood] [--cached-reads 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish

from evals.metrics import percentile

POLICY_DIR = Path(__file__).resolve().parent.parent / "evals" / "data" / "policy" / "documents"
DOCUMENTS = {
    "sop": "nhse-ifr-standard-operating-procedures-v5-2023.pdf",
    "infected-blood": "govt-response-infected-blood-inquiry-2024.pdf",
    "planning": "nhse-2025-26-priorities-operational-planning-guidance.md",
}
BASELINE_CHARS = 3500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", default="sop,infected-blood",
                        help=f"comma-separated, from: {', '.join(DOCUMENTS)}")
    parser.add_argument("--cached-reads", type=int, default=5, help="cached requests timed")
    args = parser.parse_args()

    from langchain_core.messages import HumanMessage

    from assistant.answering.answer import TokenEvent
    from assistant.answering.summary import SummaryDoneEvent
    from assistant.settings import Settings
    from assistant.wiring import Parts

    chosen = [POLICY_DIR / DOCUMENTS[name] for name in args.documents.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", _env_file=None,
                            models_dir=Settings().resolved_models_dir)
        parts = Parts(settings)
        parts.library.ingest(chosen)
        parts.chain.warm_up("llm")  # warm model server: the numbers are the summary's own
        for path in chosen:
            record = parts.catalog.by_source(str(path))
            for generator in ("llm", "extractive"):
                started = time.perf_counter()
                first = None
                for event in parts.summariser.stream(record.doc_id, generator, refresh=True):
                    if isinstance(event, TokenEvent) and first is None:
                        first = time.perf_counter() - started
                    if isinstance(event, SummaryDoneEvent):
                        summary = event.summary
                cold = time.perf_counter() - started
                reads = []
                for _ in range(args.cached_reads):
                    started = time.perf_counter()
                    assert parts.summariser.summarise(record.doc_id, generator).cached
                    reads.append(time.perf_counter() - started)
                pages = sorted({c.page for c in summary.answer.citations if c.page})
                rows.append([
                    record.doc_id, record.pages or "–", f"ours, {summary.answer.generator}",
                    f"{cold:.1f}", f"{summary.answer.timings['map_ms'] / 1000:.1f}",
                    f"{first:.1f}", f"{percentile(reads, 0.95):.2f}",
                    len(summary.answer.citations),
                    f"{pages[0]}–{pages[-1]}" if pages else "–"])
            started = time.perf_counter()
            first = None
            prompt = ("Write a concise summary of the following:\n\n"
                      f"{record.text[:BASELINE_CHARS]}\n\nCONCISE SUMMARY:")
            for chunk in parts.chat_model.stream([HumanMessage(prompt)]):
                if chunk.content and first is None:
                    first = time.perf_counter() - started
            rows.append([record.doc_id, record.pages or "–", "baseline (stuff, opening)",
                         f"{time.perf_counter() - started:.1f}", "–", f"{first:.1f}", "–",
                         0, "–"])
    publish("summary", "Whole-document summary: cold, cached, beside the tutorial's stuff summary",
            ["document", "pages", "recipe", "cold s", "map s", "first token s", "cached p95 s",
             "points cited", "pages cited"], rows,
            notes="Warm model server. Cold: every section read and the summary written; "
                  "cached: the same request again (read back and its citations checked). "
                  f"Baseline: the model given the opening {BASELINE_CHARS:,} characters "
                  "(LangChain's stuff summary), no citations.")


if __name__ == "__main__":
    main()
