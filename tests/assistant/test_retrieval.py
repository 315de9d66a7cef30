"""Fusion and glossary units, then hybrid retrieval over a real store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.glossary import Glossary
from assistant.retrieval import reciprocal_rank_fusion
from tests.conftest import DOCUMENTS_DIR


def test_rrf_rewards_agreement_between_rankers():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "d"]], k=60))
    assert fused["b"] > fused["a"] and fused["b"] > fused["d"]
    assert fused["b"] == pytest.approx(2 / 62)
    assert fused["a"] == pytest.approx(1 / 61)


def test_rrf_weights_tilt_towards_a_ranker():
    rankings = [["dense"], ["keyword"]]
    assert reciprocal_rank_fusion(rankings, [2.0, 1.0])[0][0] == "dense"
    assert reciprocal_rank_fusion(rankings, [1.0, 2.0])[0][0] == "keyword"


def test_rrf_of_nothing_is_nothing():
    assert reciprocal_rank_fusion([[], []]) == []


def test_glossary_expands_acronyms_and_long_forms():
    glossary = Glossary.load()
    assert "sustainability and transformation partnership" in glossary.expand("How many STPs?")
    assert "(CCG)" in glossary.expand("Which clinical commissioning group?")
    assert glossary.expand("What did NHSE/I decide?").endswith("(NHS England and NHS Improvement)")
    assert glossary.expand("Nothing to expand") == "Nothing to expand"
    assert glossary.variants("STPs") == ["STPs", "sustainability and transformation partnership"]
    assert glossary.variants("clinical commissioning group") == ["clinical commissioning group", "CCG"]


@pytest.fixture
def retriever(parts):
    parts.indexer.ingest([DOCUMENTS_DIR])
    return parts.retriever, parts.indexer


def test_dense_and_keyword_results_are_fused_with_exact_offsets(retriever):
    retriever, indexer = retriever
    passages = retriever.search("Which services did NHS London redesign?", k=4)
    assert passages[0].span.doc_id == "west-london-strategic-nhs-function"
    assert "stroke and trauma" in passages[0].span.text
    assert passages[0].dense_rank is not None and passages[0].keyword_rank is not None
    for passage in passages:
        source = indexer.catalog.get(passage.span.doc_id).text
        assert source[passage.span.start : passage.span.end] == passage.span.text
    # The cross-encoder reorders the fused shortlist: its scores come out best first.
    judged = [p.rerank_score for p in passages]
    assert None not in judged and judged == sorted(judged, reverse=True)


def test_the_cross_encoder_reads_each_passage_after_its_documents_title(retriever, parts):
    retriever, _ = retriever
    read: list[str] = []
    real = parts.reranker

    class Reading:  # the real cross-encoder, noting what it is handed
        def score(self, question, texts):
            read.extend(texts)
            return real.score(question, texts)

    question = "Which services did NHS London redesign?"
    titled = retriever.model_copy(update={"reranker": Reading()}).search(question, k=3)
    assert titled[0].span.title and len(read) >= 3
    assert f"{titled[0].span.title}\n{titled[0].span.text}" in read
    read.clear()
    bare = retriever.model_copy(update={"reranker": Reading(), "rerank_context": "none"})
    passages = bare.search(question, k=3)
    assert passages[0].span.text in read and not any(t.startswith(passages[0].span.title) for t in read)


def test_without_reranking_the_fused_order_stands(retriever, settings):
    from assistant.wiring import Parts

    _, indexer = retriever
    plain = Parts(settings.model_copy(update={"rerank": False})).retriever
    passages = plain.search("Which services did NHS London redesign?", k=4)
    assert "stroke and trauma" in passages[0].span.text
    assert all(p.rerank_score is None for p in passages)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_an_acronym_finds_the_spelled_out_text(retriever):
    retriever, _ = retriever
    expanded = retriever.search("Which AHSN count is given?", k=3)
    assert any("academic health science networks" in p.span.text for p in expanded)


def test_keyword_index_follows_ingestion_without_a_restart(retriever, files):
    retriever, indexer = retriever
    assert not any("Quixotic" in p.span.text for p in retriever.search("Quixotic zebra crossings"))
    note = files.text("zebra.md", "The Quixotic zebra crossings were funded by Barnet council.")
    indexer.ingest([note])
    found = retriever.search("Quixotic zebra crossings", k=3)
    assert found[0].span.doc_id == "zebra" and found[0].keyword_rank == 1
    indexer.remove("zebra")
    assert all(p.span.doc_id != "zebra" for p in retriever.search("Quixotic zebra crossings"))


def test_a_langchain_retriever_returns_documents(retriever):
    retriever, _ = retriever
    documents = retriever.invoke("London devolution")
    assert documents and all(d.metadata["doc_id"] for d in documents)


def test_an_empty_store_returns_nothing(parts):
    assert parts.retriever.search("anything") == []


def test_the_store_is_read_in_pages(retriever, monkeypatch):
    from assistant import store

    _, indexer = retriever
    pages = []
    original = indexer.vector_store.get

    def counting_get(**kwargs):
        pages.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(indexer.vector_store, "get", counting_get)
    read = list(store.read_all(indexer.vector_store, "documents", page_size=5))
    assert len(read) == len({chunk_id for chunk_id, _ in read}) == 14  # 8 + 6 chunks
    assert [p["offset"] for p in pages] == [0, 5, 10]


def test_a_large_keyword_index_is_rebuilt_beside_the_old_one(retriever, files):
    from assistant.retrieval import KeywordIndex

    _, indexer = retriever
    index = KeywordIndex(indexer.vector_store, indexer.catalog, inline_rebuild_max_chunks=0)
    assert index.search("stroke and trauma", 3)  # the first build happens inline
    note = files.text("quokka.md", "The quokka ward opened at Barnet hospital.")
    searcher = ThreadPoolExecutor(1)
    index._build_lock.acquire()  # a rebuild that takes a while, as at a million chunks
    try:
        indexer.ingest([note])
        # Answered at once, from the old index (an inline rebuild would wait for the lock).
        old = searcher.submit(index.search, "quokka ward", 3).result(timeout=30)
    finally:
        index._build_lock.release()
        searcher.shutdown()
    quokka = indexer.record_manager.list_keys(group_ids=["quokka"])
    assert quokka and not any(chunk_id in quokka for chunk_id, _ in old)
    index.wait_for_rebuild()
    assert index.search("quokka ward", 3)[0][0] in quokka
