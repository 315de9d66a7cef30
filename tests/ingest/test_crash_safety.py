"""kill -9 during real ingests, and two ingests at once: the store ends as a clean ingest's.

24 COVID-QA papers (from evals/data/covid-qa, written as text files) take long enough to
ingest that a kill lands in the middle: while the model loads, and while later files are
loaded, embedded and written (vectors, then records, then the catalog row).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import chromadb
import pytest

from assistant.harness import ASSISTANT, REPO_ROOT, run_assistant

pytestmark = pytest.mark.slow

PAPERS = 24


@pytest.fixture(scope="module")
def papers(tmp_path_factory) -> Path:
    from evals.datasets import load_covid_qa

    root = tmp_path_factory.mktemp("covid")
    chosen = root / "papers"
    chosen.mkdir()
    for path in sorted(load_covid_qa(root / "all", sample=0).documents_dir.glob("*.txt"))[:PAPERS]:
        (chosen / path.name).write_bytes(path.read_bytes())
    return chosen


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), **extra}


def _start_ingest(env: dict[str, str], papers: Path) -> subprocess.Popen:
    return subprocess.Popen([str(ASSISTANT), "ingest", str(papers), "--json"], env=env,
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _catalogued(data_dir: Path) -> int:
    """Documents the catalog holds, read as another process would, without waiting on locks."""
    path = data_dir / "records.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2) as db:
            return db.execute("SELECT count(*) FROM assistant_documents").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy for a moment
        return 0


def _wait_for(data_dir: Path, documents: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while _catalogued(data_dir) < documents:
        assert process.poll() is None, f"ingest ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "ingest made no progress in 5 minutes"
        time.sleep(0.05)


def _store(data_dir: Path) -> dict:
    """What a reader of the store sees: listing, chunk ids per document, and the check."""
    listing = json.loads(run_assistant(_env(data_dir), "docs", "list", "--json").stdout)
    check = json.loads(run_assistant(_env(data_dir), "docs", "check", "--json").stdout)
    collection = chromadb.PersistentClient(path=str(data_dir / "chroma")).get_collection("policy")
    stored = collection.get(include=["metadatas"])
    chunks: dict[str, list[str]] = {}
    for chunk_id, meta in zip(stored["ids"], stored["metadatas"]):
        chunks.setdefault(meta["doc_id"], []).append(chunk_id)
    return {
        "documents": sorted((d["id"], d["sha256"], d["chunks"]) for d in listing),
        "chunk_ids": {doc_id: sorted(ids) for doc_id, ids in chunks.items()},
        "vectors": len(stored["ids"]),
        "check_ok": check["ok"],
        "records": check["records"],
    }


@pytest.fixture(scope="module")
def clean(papers, tmp_path_factory) -> dict:
    data_dir = tmp_path_factory.mktemp("clean")
    run_assistant(_env(data_dir), "ingest", str(papers), "--json")
    return _store(data_dir)


def test_three_kills_then_a_plain_ingest_equal_a_clean_ingest(papers, clean, tmp_path):
    data_dir = tmp_path / "crashed"
    env = _env(data_dir)
    # (documents catalogued before the kill, then seconds more): the first lands while the
    # model loads or the first file is written, the others in the middle of later files.
    for documents, delay in ((0, 4.0), (5, 1.1), (14, 1.5)):
        process = _start_ingest(env, papers)
        _wait_for(data_dir, documents, process)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the ingest finished before the kill"
    assert _catalogued(data_dir) < PAPERS

    finished = run_assistant(env, "ingest", str(papers), "--json")
    assert json.loads(finished.stdout)["failed"] == 0
    crashed = _store(data_dir)
    assert clean["check_ok"] and crashed["check_ok"]
    assert len(clean["documents"]) == PAPERS
    assert crashed["documents"] == clean["documents"]
    assert crashed["chunk_ids"] == clean["chunk_ids"]  # ids are content hashes: no duplicates
    assert crashed["vectors"] == crashed["records"] == clean["vectors"]


def test_two_ingests_at_once_take_turns_file_by_file_and_nothing_is_corrupted(
        papers, clean, tmp_path):
    data_dir = tmp_path / "shared"
    first = _start_ingest(_env(data_dir), papers)
    _wait_for(data_dir, 1, first)
    # Waiting at most 10 ms for the lock the first holds while it writes each file: it is
    # refused saying why (or, rarely, slips in between two of the first's writes).
    impatient = run_assistant(_env(data_dir, ASSISTANT_LOCK_TIMEOUT_S="0.01"), "ingest",
                              str(papers), check=False)
    assert impatient.returncode == 0 or (
        "Cannot ingest now" in impatient.stderr and "another ingest holds" in impatient.stderr)
    # Reading is done outside the lock, writing under it: both go on, file by file.
    second = _start_ingest(_env(data_dir), papers)
    reports = []
    for process in (first, second):
        out, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors
        reports.append(json.loads(out))
    for report in reports:
        assert {f["status"] for f in report["files"]} <= {"added", "unchanged"}
    assert _catalogued(data_dir) == PAPERS
    assert _store(data_dir) == clean
