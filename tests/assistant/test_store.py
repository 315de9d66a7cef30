"""The store keeps the embedder that wrote it: never two models' vectors, never a silent mix."""

from __future__ import annotations

import json
import os

import pytest

from assistant.embedders import load_embeddings
from assistant.harness import run_assistant
from assistant.settings import Settings
from assistant.store import EmbedderMismatch, open_client, open_vector_store, reembed
from assistant.wiring import Parts
from tests.conftest import DOCUMENTS_DIR

MINILM, BGE = "all-MiniLM-L6-v2", "bge-small-en-v1.5"
QUESTION = "Who is NHS England's interim London director?"


def _settings(tmp_path, embedder: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedder=embedder, _env_file=None)


@pytest.fixture
def minilm_store(tmp_path) -> Settings:
    """The seed columns ingested with MiniLM."""
    Parts(_settings(tmp_path, MINILM)).library.ingest([DOCUMENTS_DIR])
    return _settings(tmp_path, MINILM)


def _stored(settings: Settings) -> dict:
    collection = open_client(settings).get_collection(settings.collection)
    return collection.get(include=["documents", "metadatas", "embeddings"])


def test_a_store_opened_with_another_embedder_is_refused_with_what_to_run(minilm_store, tmp_path):
    before = _stored(minilm_store)
    with pytest.raises(EmbedderMismatch) as raised:
        Parts(_settings(tmp_path, BGE)).vector_store
    message = str(raised.value)
    assert MINILM in message and BGE in message and "assistant ingest" in message
    assert f"{len(before['ids'])} chunks" in message
    after = _stored(minilm_store)
    assert after["ids"] == before["ids"]
    assert (after["embeddings"] == before["embeddings"]).all()


def test_reembedding_rewrites_every_vector_and_keeps_chunks_records_and_answers(minilm_store, tmp_path):
    before = _stored(minilm_store)
    parts = Parts(_settings(tmp_path, BGE))
    seen = []
    assert parts.reembed_if_needed(lambda done, total: seen.append((done, total))) == len(before["ids"])
    assert seen[0] == (0, len(before["ids"])) and seen[-1] == (len(before["ids"]),) * 2

    after = _stored(_settings(tmp_path, BGE))
    assert sorted(after["ids"]) == sorted(before["ids"])
    by_id = dict(zip(after["ids"], after["embeddings"]))
    bge = load_embeddings(_settings(tmp_path, BGE))
    for chunk_id, text in zip(before["ids"], before["documents"]):
        # int8 outputs move slightly with a batch's padding: the same vector, not the same bits.
        assert by_id[chunk_id] @ bge.embed_documents([text])[0] > 0.99
    assert parts.reembed_if_needed() == 0  # now it matches
    # Records still match the chunks: an unchanged re-ingest writes nothing.
    assert parts.library.ingest([DOCUMENTS_DIR]).counts["unchanged"] == 2
    answer = parts.chain.answer(QUESTION, generator="extractive")
    assert "Cummings" in answer.answer and answer.citations
    with pytest.raises(EmbedderMismatch):
        Parts(minilm_store).vector_store  # and back the other way is refused too


def test_a_reembedding_stopped_halfway_leaves_the_store_as_it_was(minilm_store, tmp_path):
    before = _stored(minilm_store)
    bge = _settings(tmp_path, BGE)

    def crash(done, total):
        if done:
            raise KeyboardInterrupt  # as if stopped after the first page of chunks

    with pytest.raises(KeyboardInterrupt):
        reembed(bge, load_embeddings(bge), crash)
    after = _stored(minilm_store)
    assert after["ids"] == before["ids"] and (after["embeddings"] == before["embeddings"]).all()
    with pytest.raises(EmbedderMismatch):
        open_vector_store(bge, load_embeddings(bge))
    # The next re-embedding discards the half-written copy and finishes.
    assert reembed(bge, load_embeddings(bge)) == len(before["ids"])
    assert [c.name for c in open_client(bge).list_collections()] == [bge.collection]


def test_a_finished_copy_stopped_before_the_swap_takes_the_original_place(minilm_store, tmp_path):
    bge = _settings(tmp_path, BGE)
    client = open_client(bge)
    original = client.get_collection(bge.collection)
    stored = original.get(include=["documents", "metadatas"])
    copy = client.create_collection(f"{bge.collection}-reembedding",
                                    metadata={"embedder": BGE, "complete": True})
    copy.add(ids=stored["ids"], documents=stored["documents"], metadatas=stored["metadatas"],
             embeddings=load_embeddings(bge).embed_documents(stored["documents"]))
    del client, original, copy

    store = open_vector_store(bge, load_embeddings(bge))
    assert store.similarity_search(QUESTION, k=1)[0].metadata["doc_id"]
    assert [c.name for c in open_client(bge).list_collections()] == [bge.collection]


@pytest.mark.slow
def test_the_cli_refuses_to_answer_from_a_mismatched_store_and_ingest_reembeds_it(minilm_store):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(minilm_store.data_dir),
           "ASSISTANT_EMBEDDER": BGE}
    asked = run_assistant(env, "ask", QUESTION, "--json", "-g", "extractive", check=False)
    assert asked.returncode == 1
    assert "embedded with all-MiniLM-L6-v2" in asked.stderr and "assistant ingest" in asked.stderr
    ingested = run_assistant(env, "ingest", str(DOCUMENTS_DIR), "--json")
    assert json.loads(ingested.stdout)["unchanged"] == 2
    assert "Re-embedded" in ingested.stderr
    answer = json.loads(run_assistant(env, "ask", QUESTION, "--json", "-g", "extractive").stdout)
    assert "Cummings" in answer["answer"]


def test_a_store_from_before_embedders_were_recorded_counts_as_minilm(tmp_path):
    bge = _settings(tmp_path, BGE)
    legacy = open_client(bge).create_collection(bge.collection, metadata={"hnsw:space": "cosine"})
    legacy.add(ids=["a"], documents=["text"], embeddings=[[0.1] * 384])
    with pytest.raises(EmbedderMismatch, match="embedded with all-MiniLM-L6-v2"):
        open_vector_store(bge, load_embeddings(bge))
    # An empty one takes the embedder that opens it.
    empty = _settings(tmp_path, BGE).model_copy(update={"collection": "empty-one"})
    open_vector_store(empty, load_embeddings(empty))
    assert open_client(empty).get_collection("empty-one").metadata["embedder"] == BGE
