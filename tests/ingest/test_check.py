"""The store check: each kind of disagreement is found, repaired, and the store ends sound."""

from __future__ import annotations

import json
import os

import pytest

from assistant.harness import run_assistant
from tests.conftest import DOCUMENTS_DIR, store_snapshot


@pytest.fixture
def ingested(indexer):
    indexer.ingest([DOCUMENTS_DIR])
    return indexer


def _checker(indexer):
    from ingest.check import StoreChecker

    return StoreChecker(indexer)


def _a_document(indexer):
    return indexer.catalog.all()[0]


def test_a_clean_ingest_is_sound_and_checking_changes_nothing(ingested):
    before = store_snapshot(ingested)
    report = _checker(ingested).check()
    assert report.ok and report.documents == 2
    assert report.vectors == report.records == sum(r.chunks for r in ingested.catalog.all())
    assert store_snapshot(ingested) == before


def test_vectors_of_an_interrupted_removal_are_found_and_deleted(ingested):
    record = _a_document(ingested)
    ingested.catalog.delete(record.doc_id)  # what a removal killed after its first step leaves
    report = _checker(ingested).check()
    assert report.unlisted_documents == [record.doc_id] and not report.ok
    _checker(ingested).repair()
    assert _checker(ingested).check().ok
    assert not ingested.vector_store.get(where={"doc_id": record.doc_id})["ids"]
    assert not ingested.record_manager.list_keys(group_ids=[record.doc_id])


def test_a_vector_without_a_record_is_an_orphan(ingested):
    ingested.vector_store.add_texts(["A stray passage."], metadatas=[{"doc_id": "ghost"}],
                                    ids=["stray-1"])
    report = _checker(ingested).check()
    assert report.orphan_vectors == ["stray-1"] and report.unlisted_documents == ["ghost"]
    _checker(ingested).repair()
    assert _checker(ingested).check().ok
    assert not ingested.vector_store.get(ids=["stray-1"])["ids"]


def test_a_document_with_a_lost_vector_is_ingested_again(ingested):
    record = _a_document(ingested)
    lost = ingested.vector_store.get(where={"doc_id": record.doc_id})["ids"][0]
    ingested.vector_store.delete([lost])
    report = _checker(ingested).check()
    assert report.orphan_records == [lost] and report.incomplete_documents == [record.doc_id]
    repaired = _checker(ingested).repair()
    assert any("re-ingested" in line for line in repaired.repaired)
    assert _checker(ingested).check().ok
    stored = ingested.vector_store.get(where={"doc_id": record.doc_id})["ids"]
    assert lost in stored and len(stored) == record.chunks


def test_a_listed_document_whose_file_is_gone_is_removed(ingested, files):
    path = files.text("gone.md", "---\ntitle: Gone\n---\nA short note about Croydon.\n")
    ingested.ingest([path])
    doc_id = ingested.catalog.by_source(str(path.resolve())).doc_id
    ingested.vector_store.delete(ingested.vector_store.get(where={"doc_id": doc_id})["ids"])
    path.unlink()
    repaired = _checker(ingested).repair()
    assert f"removed '{doc_id}': incomplete and its file is gone" in repaired.repaired
    assert ingested.catalog.get(doc_id) is None and _checker(ingested).check().ok


def test_cli_check_exit_codes_and_json(settings, ingested):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(settings.data_dir)}
    clean = run_assistant(env, "docs", "check", "--json")
    assert json.loads(clean.stdout)["ok"] is True
    ingested.catalog.delete(_a_document(ingested).doc_id)
    found = run_assistant(env, "docs", "check", check=False)
    assert found.returncode == 1 and "documents with vectors but not listed" in found.stdout
    assert "--repair" in found.stdout
    repaired = json.loads(run_assistant(env, "docs", "check", "--repair", "--json").stdout)
    assert repaired["ok"] is False and repaired["ok_after_repair"] is True and repaired["repaired"]
    assert run_assistant(env, "docs", "check").returncode == 0
