"""Scoring one answer and summarising a run: the numbers the reports and ``--check`` use.

Example:
    >>> q = EvalQuestion("a1", "Who?", True, all_of=("Cummings",))
    >>> fact_found(q, "Jane Cummings is interim director [1].")
    True
    >>> summarise([QuestionResult("a1", True, False, True, 1)])["fact_accuracy"]
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.text import coverage
from evals.datasets import EvalQuestion, GoldSpan

# A COVID-QA answer counts as correct when it restates this share of the gold span's
# content words (the spans are whole sentences; exact match would score paraphrase as 0).
SPAN_RECALL = 0.5
RANKS = (1, 5, 10)


@dataclass
class QuestionResult:
    """What one system did with one question."""

    id: str
    answerable: bool
    refused: bool
    fact_ok: bool | None  # None: not scored (unanswerable, or no answer was generated)
    rank: int | None = None  # 1-based rank of the first retrieved passage holding the span
    citations: int = 0
    citations_valid: int = 0  # marker in the answer, text verbatim in the source
    citations_precise: int = 0  # the cited passage holds the fact or the gold span
    first_token_ms: float | None = None
    total_ms: float | None = None
    answer: str = ""
    notes: dict = field(default_factory=dict)
    answered: bool = True  # False: only retrieval was measured (the baseline without a model)


def fact_found(question: EvalQuestion, answer: str) -> bool:
    if question.scoring == "span":
        return coverage(question.all_of[0], answer) >= SPAN_RECALL
    text = answer.lower()
    return all(f.lower() in text for f in question.all_of) and (
        not question.any_of or any(f.lower() in text for f in question.any_of)
    )


def holds_fact(question: EvalQuestion, doc_id: str, start: int, end: int, text: str) -> bool:
    """Whether a passage holds what the question needs: the gold span (overlapping most of
    it), or, for a fact-scored question, one of its facts."""
    span = question.span
    if span is not None and doc_id == span.doc_id:
        overlap = min(end, span.end) - max(start, span.start)
        if overlap >= 0.5 * (span.end - span.start):
            return True
    if question.scoring == "facts":
        lowered = text.lower()
        return any(f.lower() in lowered for f in (*question.all_of, *question.any_of))
    return False


def span_rank(span: GoldSpan | None, passages: Sequence[tuple[str, int, int]]) -> int | None:
    """The rank of the first (doc_id, start, end) passage containing the whole span."""
    if span is None:
        return None
    for rank, (doc_id, start, end) in enumerate(passages, 1):
        if doc_id == span.doc_id and start <= span.start and span.end <= end:
            return rank
    return None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The value below which ``share`` of the values lie (nearest rank); ``None`` for none.

    >>> percentile([30, 10, 20, 40], 0.5)
    30
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _ms(values: Sequence[float], share: float) -> float | None:
    value = percentile(values, share)
    return None if value is None else round(value, 1)


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """Every metric of a run; ``None`` where the run has nothing to measure it on."""
    located = [r for r in results if r.answerable and r.notes.get("span_located")]
    results = [r for r in results if r.answered]
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    scored = [r for r in answerable if r.fact_ok is not None]
    refused = [r for r in results if r.refused]
    metrics: dict[str, float | int | None] = {
        "questions": len(results),
        "fact_accuracy": _ratio(sum(bool(r.fact_ok) for r in scored), len(scored)),
        "refusal_recall": _ratio(sum(r.refused for r in unanswerable), len(unanswerable)),
        "refusal_precision": _ratio(sum(not r.answerable for r in refused), len(refused))
        if unanswerable else None,
        "wrong_refusals": sum(r.refused for r in answerable) if scored else None,
        "citation_validity": _ratio(sum(r.citations_valid for r in results),
                                    sum(r.citations for r in results)),
        "citation_precision": _ratio(sum(r.citations_precise for r in answerable),
                                     sum(r.citations for r in answerable)),
    }
    for k in RANKS:
        metrics[f"recall@{k}"] = _ratio(
            sum(r.rank is not None and r.rank <= k for r in located), len(located)
        )
    metrics["mrr"] = (
        round(sum(1 / r.rank for r in located if r.rank) / len(located), 4) if located else None
    )
    totals = [r.total_ms for r in results if r.total_ms is not None]
    firsts = [r.first_token_ms for r in results if r.first_token_ms is not None]
    metrics.update(
        latency_p50_ms=_ms(totals, 0.5), latency_p95_ms=_ms(totals, 0.95),
        first_token_p50_ms=_ms(firsts, 0.5), first_token_p95_ms=_ms(firsts, 0.95),
    )
    return metrics
