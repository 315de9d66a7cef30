"""Scoring rules: facts, spans, ranks, and the summary's rates."""

from __future__ import annotations

from evals.datasets import EvalQuestion, GoldSpan
from evals.metrics import QuestionResult, fact_found, holds_fact, span_rank, summarise

SPAN = GoldSpan("doc", 100, 150, "x" * 50)


def test_facts_need_every_all_of_and_one_any_of():
    q = EvalQuestion("a", "?", True, all_of=("stroke",), any_of=("trauma", "cancer"))
    assert fact_found(q, "Stroke and trauma services [1].")
    assert not fact_found(q, "Stroke services [1].")
    assert not fact_found(q, "Trauma services [1].")


def test_a_span_answer_must_restate_most_of_the_gold_span():
    q = EvalQuestion("c", "?", True, all_of=("Mother-to-child transmission is the main cause",),
                     scoring="span")
    assert fact_found(q, "The main cause is mother-to-child transmission [1].")
    assert not fact_found(q, "Blood transfusion [1].")


def test_the_rank_is_the_first_passage_that_contains_the_whole_span():
    passages = [("doc", 0, 120), ("other", 0, 500), ("doc", 90, 200), ("doc", 100, 150)]
    assert span_rank(SPAN, passages) == 3
    assert span_rank(SPAN, passages[:2]) is None
    assert span_rank(None, passages) is None


def test_a_cited_passage_holds_the_fact_by_span_overlap_or_by_fact_text():
    q = EvalQuestion("a", "?", True, all_of=("Cummings",), span=SPAN)
    assert holds_fact(q, "doc", 120, 400, "…")  # overlaps 30 of 50 characters
    assert not holds_fact(q, "doc", 140, 400, "…")
    assert holds_fact(q, "elsewhere", 0, 10, "Jane Cummings")


def test_the_summary_counts_refusals_citations_ranks_and_latency():
    results = [
        QuestionResult("a1", True, False, True, 1, 2, 2, 1, 100, 200, notes={"span_located": True}),
        QuestionResult("a2", True, True, False, None, notes={"span_located": True}, total_ms=50),
        QuestionResult("a3", True, False, False, 7, 1, 0, 0, total_ms=400,
                       notes={"span_located": True}),
        QuestionResult("u1", False, True, None, total_ms=10),
        QuestionResult("u2", False, False, None, citations=1, citations_valid=1, total_ms=300),
    ]
    m = summarise(results)
    assert m["fact_accuracy"] == round(1 / 3, 4)
    assert m["refusal_recall"] == 0.5 and m["refusal_precision"] == 0.5
    assert m["wrong_refusals"] == 1
    assert m["citation_validity"] == 0.75 and m["citation_precision"] == round(1 / 3, 4)
    assert (m["recall@1"], m["recall@5"], m["recall@10"]) == (round(1 / 3, 4), round(1 / 3, 4),
                                                             round(2 / 3, 4))
    assert m["mrr"] == round((1 + 1 / 7) / 3, 4)
    assert m["latency_p50_ms"] == 200 and m["latency_p95_ms"] == 400


def test_a_run_that_only_retrieved_has_no_answer_metrics():
    retrieval_only = [
        QuestionResult("a1", True, False, None, 2, answered=False, notes={"span_located": True}),
        QuestionResult("u1", False, False, None, answered=False),
    ]
    m = summarise(retrieval_only)
    assert m["recall@5"] == 1.0
    assert m["fact_accuracy"] is m["refusal_recall"] is m["refusal_precision"] is None
