"""Ingestion throughput: the whole pipeline vs the bare embedding model, side by side.

Loads N COVID-QA papers (read from evals/data/covid-qa, written as text files into a
scratch folder), ingests them into a fresh data dir (load, split, embed, write to Chroma,
records and catalog), then encodes the very same chunk texts with a bare
``SentenceTransformer.encode``. Goal: the pipeline keeps >= 85 % of the bare throughput.

    .venv/bin/python bench/ingest.py [--papers 40]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=40, help="COVID-QA papers to ingest (max 98)")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from assistant.settings import Settings
    from assistant.wiring import Parts
    from evals.datasets import load_covid_qa

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        papers = load_covid_qa(root / "all", sample=0).documents_dir
        chosen = root / "papers"
        chosen.mkdir()
        for path in sorted(papers.glob("*.txt"))[: args.papers]:
            shutil.copy(path, chosen / path.name)
        settings = Settings(data_dir=root / "data", _env_file=None)
        parts = Parts(settings)
        parts.embeddings.embed_query("warm up")  # model load is not throughput

        started = time.perf_counter()
        report = parts.library.ingest([chosen])
        pipeline_s = time.perf_counter() - started
        texts = parts.vector_store.get(include=["documents"])["documents"]

        bare = SentenceTransformer(str(parts.embeddings.model_path), device="cpu")
        bare.encode(["warm up"])
        started = time.perf_counter()
        bare.encode(texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True)
        bare_s = time.perf_counter() - started

    chunks = sum(f.chunks for f in report.files)
    share = (chunks / pipeline_s) / (len(texts) / bare_s)
    publish(
        "ingest", f"Ingestion: {args.papers} COVID-QA papers, {chunks} chunks",
        ["path", "seconds", "chunks/s", "share of bare"],
        [["whole pipeline (load, split, embed, Chroma, records)", f"{pipeline_s:.1f}",
          f"{chunks / pipeline_s:.1f}", f"{share:.0%}"],
         ["bare SentenceTransformer.encode", f"{bare_s:.1f}", f"{len(texts) / bare_s:.1f}", "100%"]],
        notes=f"Goal: >= 85 % of bare. Measured: {share:.0%}.",
    )


if __name__ == "__main__":
    main()
