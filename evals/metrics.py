"""Scoring one answer and summarising a run: the numbers the reports and ``--check`` use.

Example:
    >>> q = EvalQuestion("a1", "Who?", True, all_of=("Cummings",))
    >>> fact_found(q, "Jane Cummings is interim director [1].")
    True
    >>> summarise([QuestionResult("a1", True, False, True, 1)])["fact_accuracy"]
    1.0
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.text import coverage, terms
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
    # Policy set: an expected document among those cited (the baseline: among its 4 sources);
    # the cited sentence on an expected page (None when no citation names a page); the
    # share of key points the answer holds; the share of expected documents cited (only
    # for questions that span several).
    doc_ok: bool | None = None
    page_ok: bool | None = None
    key_points: float | None = None
    documents_cited: float | None = None
    furniture: bool = False  # the answer quotes a URL, print time or page-number line
    # Multi-part answers, line by line (the lead and each bullet): lines making a claim,
    # those with a marker, their markers, and the markers whose passage holds the line.
    lines: int = 0
    lines_cited: int = 0
    line_markers: int = 0
    line_markers_supported: int = 0


# What page furniture looks like inside an answer: a URL, a browser's print time, a line
# that is only a page number.
_FURNITURE = re.compile(
    r"https?://|\bwww\.\S|\b\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}\b|"
    r"^\s*(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*(\[\d+\])*\s*$",
    re.IGNORECASE | re.MULTILINE)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‛": "'", "“": '"', "”": '"', "„": '"',
                         "–": "-", "—": "-"})


# The space some write between a number and its unit or scale.
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=%|(?:bn|m|k|billion|million|thousand|trillion)\b)")


def normalised(text: str) -> str:
    """Lower case, compatibility forms, straight quotes and dashes, single spaces, none
    between a number and its unit ("£1 billion" is "£1billion"): so a fact matches however
    the document or the answer typeset it.

    >>> normalised("£1 Billion,  ‘5 %’") == normalised("£1billion, '5%'")
    True
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _NUMBER_UNIT.sub("", re.sub(r"\s+", " ", text).lower())


def quotes_furniture(answer: str) -> bool:
    return bool(_FURNITURE.search(answer))


_LINE_MARKER = re.compile(r"\[(\d+)\]")
# A cited passage supports a line holding this share of the line's content words (the
# answering chain's own citation check uses the same measure).
LINE_SUPPORT = 0.5


def line_citations(answer: str, passages: dict[int, str]) -> tuple[int, int, int, int]:
    """For an answer laid out a line per point: (lines making a claim, lines with a marker,
    markers, markers whose passage in ``passages`` holds the line's content words).

    >>> line_citations("Barnet runs clinics [1].\\n• Harrow pilots evening hours [2].\\n• Ealing opens",
    ...                {1: "Barnet runs clinics daily.", 2: "Ealing opens a clinic."})
    (3, 2, 2, 1)
    """
    lines = cited = markers = supported = 0
    for line in answer.splitlines():
        claim = _LINE_MARKER.sub("", line)
        if len(terms(claim)) < 2:
            continue
        lines += 1
        numbers = [int(n) for n in _LINE_MARKER.findall(line)]
        cited += bool(numbers)
        markers += len(numbers)
        supported += sum(coverage(claim, passages.get(n, "")) >= LINE_SUPPORT for n in numbers)
    return lines, cited, markers, supported


def key_point_coverage(question: EvalQuestion, answer: str) -> float | None:
    """The share of the question's key points that the answer states (any phrasing listed)."""
    if not question.key_points:
        return None
    text = normalised(answer)
    held = sum(any(normalised(p) in text for p in point) for point in question.key_points)
    return held / len(question.key_points)


def source_scores(
    question: EvalQuestion, cited: Iterable[tuple[str, frozenset[int]]]
) -> tuple[bool | None, bool | None, float | None]:
    """(right document, right page, share of expected documents cited) for the cited
    (doc_id, pages of the cited sentence) pairs; None where the question or the
    citations give nothing to judge by."""
    if not question.doc_ids:
        return None, None, None
    cited = list(cited)
    documents = {doc for doc, _ in cited}
    expected = set(question.doc_ids)
    paged = [(doc, pages) for doc, pages in cited if pages]
    page_ok = None
    if question.pages and question.scoring == "facts" and paged:
        page_ok = any(doc in expected and bool(pages & set(question.pages)) for doc, pages in paged)
    return bool(documents & expected), page_ok, len(documents & expected) / len(expected)


def fact_found(question: EvalQuestion, answer: str) -> bool:
    if question.scoring == "span":
        return coverage(question.all_of[0], answer) >= SPAN_RECALL
    text = normalised(answer)
    return all(normalised(f) in text for f in question.all_of) and (
        not question.any_of or any(normalised(f) in text for f in question.any_of)
    )


def holds_fact(question: EvalQuestion, doc_id: str, start: int, end: int, text: str) -> bool:
    """Whether a passage holds what the question needs: the gold span (overlapping most of
    it), or, for a fact-scored question, one of its facts."""
    span = question.span
    if span is not None and doc_id == span.doc_id:
        overlap = min(end, span.end) - max(start, span.start)
        if overlap >= 0.5 * (span.end - span.start):
            return True
    wanted = (*question.all_of, *question.any_of) if question.scoring == "facts" else (
        tuple(p for point in question.key_points for p in point))
    lowered = normalised(text)
    return any(normalised(f) in lowered for f in wanted)


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
    # The baseline's sources are judged even when it wrote no answer.
    sourced = [r.doc_ok for r in results if r.answerable and r.doc_ok is not None]
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
    for name, values in (
        ("right_document", sourced),
        ("right_page", [r.page_ok for r in answerable if r.page_ok is not None]),
        ("key_point_coverage", [r.key_points for r in answerable if r.key_points is not None]),
        ("documents_cited", [r.documents_cited for r in answerable if r.documents_cited is not None]),
    ):
        metrics[name] = round(sum(values) / len(values), 4) if values else None
    # Every line of a multi-part answer cited (recall); each marker's passage holding its
    # line (precision).
    metrics["line_citation_recall"] = _ratio(sum(r.lines_cited for r in results),
                                             sum(r.lines for r in results))
    metrics["line_citation_precision"] = _ratio(sum(r.line_markers_supported for r in results),
                                                sum(r.line_markers for r in results))
    metrics["furniture_quoted"] = sum(r.furniture for r in results) if results else None
    totals = [r.total_ms for r in results if r.total_ms is not None]
    firsts = [r.first_token_ms for r in results if r.first_token_ms is not None]
    metrics.update(
        latency_p50_ms=_ms(totals, 0.5), latency_p95_ms=_ms(totals, 0.95),
        first_token_p50_ms=_ms(firsts, 0.5), first_token_p95_ms=_ms(firsts, 0.95),
    )
    return metrics
