"""Fusion and glossary units, then hybrid retrieval over a real store."""

from __future__ import annotations

import pytest

from assistant.retrieval import Glossary, HybridRetriever, reciprocal_rank_fusion
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
def retriever(settings, indexer):
    indexer.ingest([DOCUMENTS_DIR])
    return HybridRetriever.from_settings(settings, indexer.vector_store), indexer


def test_dense_and_keyword_results_are_fused_with_exact_offsets(retriever):
    retriever, indexer = retriever
    passages = retriever.search("Which services did NHS London redesign?", k=4)
    assert passages[0].doc_id == "west-london-strategic-nhs-function"
    assert "stroke and trauma" in passages[0].text
    assert passages[0].dense_rank is not None and passages[0].keyword_rank is not None
    for passage in passages:
        source = indexer.catalog.get(passage.doc_id).text
        assert source[passage.start : passage.end] == passage.text
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_an_acronym_finds_the_spelled_out_text(retriever):
    retriever, _ = retriever
    expanded = retriever.search("Which AHSN count is given?", k=3)
    assert any("academic health science networks" in p.text for p in expanded)


def test_keyword_index_follows_ingestion_without_a_restart(retriever, files):
    retriever, indexer = retriever
    assert not any("Quixotic" in p.text for p in retriever.search("Quixotic zebra crossings"))
    note = files.text("zebra.md", "The Quixotic zebra crossings were funded by Barnet council.")
    indexer.ingest([note])
    found = retriever.search("Quixotic zebra crossings", k=3)
    assert found[0].doc_id == "zebra" and found[0].keyword_rank == 1
    indexer.remove("zebra")
    assert all(p.doc_id != "zebra" for p in retriever.search("Quixotic zebra crossings"))


def test_a_langchain_retriever_returns_documents(retriever):
    retriever, _ = retriever
    documents = retriever.invoke("London devolution")
    assert documents and all(d.metadata["doc_id"] for d in documents)


def test_an_empty_store_returns_nothing(settings):
    assert HybridRetriever.from_settings(settings).search("anything") == []
