"""Scoring rules: facts, spans, ranks, and the summary's rates."""

from __future__ import annotations

from evals.datasets import EvalQuestion, GoldSpan
from evals.metrics import (
    QuestionResult,
    fact_found,
    holds_fact,
    key_point_coverage,
    line_citations,
    quotes_furniture,
    source_scores,
    span_rank,
    summarise,
)

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


def test_facts_match_however_the_document_typeset_quotes_dashes_and_spaces():
    q = EvalQuestion("t", "?", True, all_of=("patient's GP", "2024-25"))
    assert fact_found(q, "The patient’s  GP, for 2024–25 [1].")
    assert not fact_found(q, "The patient’s consultant, for 2024–25 [1].")
    # A number and its scale or unit, written together or apart.
    money = EvalQuestion("m", "?", True, all_of=("£1billion", "52 %"))
    assert fact_found(money, "£1 billion has been paid; 52% developed it [1].")
    assert not fact_found(money, "£1 has been paid; 52% developed it [1].")


def test_key_points_count_any_listed_phrasing():
    q = EvalQuestion("m", "?", True, scoring="key_points",
                     key_points=(("exceptional",), ("clinically effective", "effective"), ("value",)))
    assert key_point_coverage(q, "Exceptional circumstances [1]; it must be effective [2].") == 2 / 3
    assert key_point_coverage(EvalQuestion("f", "?", True), "anything") is None


def test_sources_score_the_document_and_the_page_of_the_cited_sentence():
    q = EvalQuestion("p", "?", True, all_of=("x",), doc_ids=("sop",), pages=(11,))
    assert source_scores(q, [("sop", frozenset({11}))]) == (True, True, 1.0)
    assert source_scores(q, [("sop", frozenset({10})), ("policy", frozenset({11}))]) == \
        (True, False, 1.0)
    assert source_scores(q, [("policy", frozenset())]) == (False, None, 0.0)
    cross = EvalQuestion("c", "?", True, scoring="key_points", doc_ids=("a", "b"), pages=(3,))
    assert source_scores(cross, [("a", frozenset({3}))]) == (True, None, 0.5)


def test_furniture_in_an_answer_is_a_url_a_print_time_or_a_page_number_line():
    assert quotes_furniture("See https://www.gov.uk/guidance [1].")
    assert quotes_furniture("Printed 18/02/2026, 12:48 [1].")
    assert quotes_furniture("The form is on page 3.\n12 [1]")
    assert not quotes_furniture("Within 12 working days [1].\nIn 2023/24, 40.3% [2].")


def test_the_summary_reports_policy_metrics_only_when_measured():
    results = [
        QuestionResult("a", True, False, True, doc_ok=True, page_ok=True),
        QuestionResult("b", True, False, False, doc_ok=False, page_ok=None),
        QuestionResult("m", True, False, None, doc_ok=True, key_points=0.5, documents_cited=0.5),
        QuestionResult("u", False, True, None, furniture=False),
    ]
    summary = summarise(results)
    assert summary["right_document"] == round(2 / 3, 4) and summary["right_page"] == 1.0
    assert summary["key_point_coverage"] == 0.5 and summary["documents_cited"] == 0.5
    assert summary["fact_accuracy"] == 0.5 and summary["furniture_quoted"] == 0
    assert summarise([QuestionResult("g", True, False, True)])["right_page"] is None


def test_each_line_of_a_multi_part_answer_is_checked_for_a_marker_and_its_passage():
    answer = ("Three boroughs run evening clinics [1].\n"
              "• Barnet opens its podiatry clinic on Tuesdays [1][2].\n"
              "• Harrow offers wound care near home\n"
              "[2]")  # a marker alone on a line is no claim
    passages = {1: "Three boroughs run evening clinics, Barnet among them.",
                2: "Barnet opens its podiatry clinic on Tuesdays."}
    assert line_citations(answer, passages) == (3, 2, 3, 2)
    summary = summarise([QuestionResult("m", True, False, None, lines=3, lines_cited=2,
                                        line_markers=3, line_markers_supported=2),
                         QuestionResult("f", True, False, True)])
    assert summary["line_citation_recall"] == round(2 / 3, 4)
    assert summary["line_citation_precision"] == round(2 / 3, 4)
    assert summarise([QuestionResult("f", True, False, True)])["line_citation_recall"] is None
