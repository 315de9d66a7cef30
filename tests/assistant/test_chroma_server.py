"""Client/server mode against a real `chroma run` server on loopback (slow-marked)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from assistant.harness import ChromaServer, run_assistant
from tests.conftest import DOCUMENTS_DIR

pytestmark = pytest.mark.slow

@pytest.fixture
def server(tmp_path):
    running = ChromaServer(tmp_path / "chroma-server").start()
    yield running
    running.stop()


def assistant(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_assistant({**os.environ, **env}, *args, check=False)


def listing(env: dict) -> list[dict]:
    result = assistant(env, "docs", "list", "--json")
    assert result.returncode == 0, result.stderr
    return sorted(json.loads(result.stdout), key=lambda d: d["id"])


def test_every_command_works_against_the_server_and_survives_its_restart(server, tmp_path):
    env = {"ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_DATA_DIR": str(tmp_path / "app")}
    ingested = assistant(env, "ingest", str(DOCUMENTS_DIR), "--json")
    assert ingested.returncode == 0, ingested.stderr
    before = listing(env)
    assert len(before) == 2
    # The vectors live in the server, not in the app's data dir.
    assert not (tmp_path / "app" / "chroma").exists()

    server.stop()
    server.start()
    assert listing(env) == before
    again = assistant(env, "ingest", str(DOCUMENTS_DIR), "--json")
    assert json.loads(again.stdout)["unchanged"] == 2

    asked = assistant(env, "ask", "Who is NHS England's interim London director?", "--json",
                      "-g", "extractive")
    answer = json.loads(asked.stdout)
    assert "Cummings" in answer["answer"] and answer["citations"]
    documents = "".join(p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md"))
    assert all(c["text"] in documents for c in answer["citations"])

    removed = assistant(env, "docs", "remove", before[0]["id"])
    assert removed.returncode == 0, removed.stderr
    assert [d["id"] for d in listing(env)] == [before[1]["id"]]


def test_two_replicas_share_documents_without_a_restart(server, tmp_path, files, postgres_url):
    from assistant.settings import Settings
    from assistant.wiring import Parts

    records = postgres_url  # replicas on different machines share a real database
    replica_a = {"ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_RECORDS_URL": records,
                 "ASSISTANT_DATA_DIR": str(tmp_path / "a")}
    assert assistant(replica_a, "ingest", str(DOCUMENTS_DIR)).returncode == 0
    # Replica B: another process's view (own data dir), built before the new document exists.
    replica_b = Parts(Settings(chroma_url=server.url, records_url=records,
                               data_dir=tmp_path / "b", _env_file=None)).chain
    question = "Who leads the Ealing dental access pilot?"
    assert "Okonkwo" not in replica_b.answer(question, generator="extractive").answer

    pilot = files.text("ealing-dental.md", "---\ntitle: Ealing dental access pilot\n---\n\n"
                       "The Ealing dental access pilot is led by Priya Okonkwo.\n")
    assert assistant(replica_a, "ingest", str(pilot)).returncode == 0
    answer = replica_b.answer(question, generator="extractive")
    assert "Priya Okonkwo" in answer.answer
    assert any(c.span.doc_id == "ealing-dental" for c in answer.citations)
    keyword_hits = replica_b.retriever._keyword_index.search("Okonkwo", 5)
    assert keyword_hits, "replica B's BM25 index did not pick up the new document"
    assert listing(replica_a) == listing({**replica_a, "ASSISTANT_DATA_DIR": str(tmp_path / "b")})

    assert assistant(replica_a, "docs", "remove", "ealing-dental").returncode == 0
    assert "Okonkwo" not in replica_b.answer(question, generator="extractive").answer


def test_a_server_store_embedded_by_another_model_is_refused_then_reembedded(server, tmp_path):
    env = {"ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_DATA_DIR": str(tmp_path / "app"),
           "ASSISTANT_EMBEDDER": "all-MiniLM-L6-v2"}
    assert assistant(env, "ingest", str(DOCUMENTS_DIR)).returncode == 0
    env["ASSISTANT_EMBEDDER"] = "bge-small-en-v1.5"
    question = ("ask", "Who is NHS England's interim London director?", "--json", "-g", "extractive")
    refused = assistant(env, *question)
    assert refused.returncode == 1 and f"at {server.url} was embedded with all-MiniLM-L6-v2" in refused.stderr
    again = assistant(env, "ingest", str(DOCUMENTS_DIR), "--json")
    assert again.returncode == 0 and "Re-embedded" in again.stderr
    assert json.loads(again.stdout)["unchanged"] == 2
    asked = assistant(env, *question)
    assert asked.returncode == 0 and "Cummings" in json.loads(asked.stdout)["answer"]
