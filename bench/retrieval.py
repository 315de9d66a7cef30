"""Fused retrieval latency (dense + BM25, RRF) at growing sizes, embedded and server mode.

The chunks are synthetic (random words from a 30,000-word vocabulary, random unit vectors
of the model's 384 dimensions): the point is size, not relevance. Queries are real
sentences embedded by the real model, so each timing includes the query embedding, the
Chroma search, the BM25 search and the fusion — what `HybridRetriever.search` does.

    .venv/bin/python bench/retrieval.py [--sizes 10000 100000 1000000] [--queries 200] [--modes server embedded]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
import numpy as np
from common import publish

from evals.metrics import percentile

QUERIES = [
    "Who leads London's strategic NHS function?", "What did the devolution pilots achieve?",
    "How are stroke services organised across the capital?", "Which trusts are struggling?",
    "What is the role of the mayor in health?", "How many clinical commissioning groups are there?",
]
BATCH = 5000


def _fill(collection, size: int, rng: np.random.Generator) -> float:
    """Adds ``size`` synthetic chunks; returns the seconds it took."""
    vocabulary = np.array([f"w{i}" for i in range(30_000)])
    started = time.perf_counter()
    for offset in range(0, size, BATCH):
        n = min(BATCH, size - offset)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        words = vocabulary[rng.integers(0, len(vocabulary), (n, 60))]
        collection.add(
            ids=[f"c{offset + i}" for i in range(n)],
            embeddings=vectors,
            documents=[" ".join(row) for row in words],
            metadatas=[{"doc_id": f"d{(offset + i) // 20}", "start": 0, "end": 400}
                       for i in range(n)],
        )
        print(f"  {offset + n:,}/{size:,} chunks", end="\r", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _fill_store(chroma_dir: Path, size: int) -> float:
    """Writes the synthetic store with the embedded client in a child process, which exits
    and lets go of the files, so the same store can then be served by `chroma run`
    (loading a million chunks over HTTP would measure the network, not the search)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--fill", str(chroma_dir), str(size)], check=True)
    return time.perf_counter() - started


def _fill_child(chroma_dir: Path, size: int) -> None:
    import chromadb

    from assistant.settings import Settings

    client = chromadb.PersistentClient(path=str(chroma_dir))
    collection = client.get_or_create_collection(Settings(_env_file=None).collection,
                                                  metadata={"hnsw:space": "cosine"})
    _fill(collection, size, np.random.default_rng(size))


def measure(mode: str, size: int, queries: int, data_dir: Path, fill_s: float) -> list:
    from assistant.harness import ChromaServer
    from assistant.settings import Settings
    from assistant.wiring import Parts

    server = None
    settings = Settings(data_dir=data_dir, _env_file=None)
    if mode == "server":
        server = ChromaServer(settings.chroma_dir).start()
        settings = settings.model_copy(update={"chroma_url": server.url})
    try:
        retriever = Parts(settings).retriever
        started = time.perf_counter()
        retriever.search("warm up", 6)  # builds the BM25 index once
        bm25_build_s = time.perf_counter() - started
        timings = []
        for i in range(queries):
            started = time.perf_counter()
            retriever.search(QUERIES[i % len(QUERIES)] + f" {i}", 6)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        if server:
            server.stop()
    return [mode, f"{size:,}", f"{percentile(timings, 0.5):.1f}", f"{percentile(timings, 0.95):.1f}",
            f"{fill_s:.0f}", f"{bm25_build_s:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"],
                        choices=["embedded", "server"])
    parser.add_argument("--fill", nargs=2, metavar=("CHROMA_DIR", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        _fill_child(Path(args.fill[0]), int(args.fill[1]))
        return
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            data_dir = Path(scratch) / str(size)
            fill_s = _fill_store(data_dir / "chroma", size)
            # Server first: the embedded client keeps its files open until the process ends.
            for mode in sorted(args.modes, reverse=True):
                rows.append(measure(mode, size, args.queries, data_dir, fill_s))
                print(rows[-1], file=sys.stderr)
    publish("retrieval", "Fused retrieval latency (synthetic chunks)",
            ["mode", "chunks", "p50 ms", "p95 ms", "load s", "BM25 build s"], rows,
            notes=f"{args.queries} queries each, top 6 after fusing 20 dense + 20 BM25 candidates; "
                  "query embedding included. Synthetic text and vectors (sizes, not relevance). "
                  "Each store is written once by the embedded client (load s), then searched "
                  "through `chroma run` on loopback (server) and in-process (embedded); the "
                  "server's BM25 build reads every chunk over HTTP in pages. "
                  "Goal: p95 <= 100 ms at 1M.")


if __name__ == "__main__":
    main()
