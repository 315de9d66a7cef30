"""One evaluation run: ours and the tutorial baseline, on the same questions, side by side.

Each dataset is ingested into its own folder under ``DATA_DIR/eval/<dataset>/`` (ours and
the baseline's apart, one pair per embedding model), never into the user's library; re-runs
skip unchanged documents.

Example:
    >>> run = run_eval(Settings(), "gold", generator="extractive")  # doctest: +SKIP
    >>> run.ours["fact_accuracy"], run.baseline["recall@5"]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from assistant.answering.chain import AnswerChain
from assistant.settings import Settings
from assistant.wiring import Parts
from evals.baseline import DONT_KNOW, TUTORIAL_K, TutorialBaseline
from evals.datasets import DATASETS, EvalQuestion, GoldSpan, locate_evidence
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

RETRIEVAL_DEPTH = 10
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class EvalRun:
    dataset: str
    generator: str
    questions: int
    started: str
    settings: dict
    ours: dict
    baseline: dict
    baseline_answers: bool
    results: list[QuestionResult] = field(default_factory=list, repr=False)
    baseline_results: list[QuestionResult] = field(default_factory=list, repr=False)
    # Ours again with the cross-encoder off (``run_eval(..., rerank_off=True)``), else None.
    ours_no_rerank: dict | None = None
    no_rerank_results: list[QuestionResult] = field(default_factory=list, repr=False)


def eval_dir(settings: Settings, dataset: str):
    return settings.data_dir / "eval" / dataset


def run_eval(
    settings: Settings, dataset_name: str, generator: str = "extractive", limit: int | None = None,
    full: bool = False, baseline_answers: bool | None = None, progress: Progress | None = None,
    rerank_off: bool = False, baseline: bool = True,
) -> EvalRun:
    """Ingests the dataset (ours and the baseline's way), asks every question of both,
    and scores them. The baseline answers only with a language model: by default when
    ``generator`` is ``llm``; its retrieval is always measured. With ``rerank_off``, ours
    also answers every question with the cross-encoder switched off, on the same store.
    Without ``baseline`` the tutorial recipe is neither built nor asked (a quicker gate)."""
    progress = progress or (lambda stage, done, total: None)
    folder = eval_dir(settings, dataset_name)
    dataset = DATASETS[dataset_name](folder, full, settings)
    questions = dataset.questions[:limit] if limit else dataset.questions
    # Its own collection and records: an eval never touches the library users chat with,
    # also when the vectors live on a shared Chroma server.
    # Per embedder: a store keeps the model that embedded it.
    ours_settings = settings.model_copy(update={
        "data_dir": folder / f"ours-{settings.embedder}", "models_dir": settings.resolved_models_dir,
        "collection": f"{settings.collection}-eval-{dataset_name}", "records_url": None,
    })
    parts = Parts(ours_settings)
    progress("ingest (ours)", 0, 1)
    parts.library.ingest([dataset.documents_dir], prune=True)
    if baseline:
        progress("ingest (baseline)", 0, 1)
        tutorial = TutorialBaseline.build(folder / f"baseline-{settings.embedder}", parts.embeddings)
        tutorial.ingest(dataset.documents_dir)
    texts = {r.doc_id: r.text for r in parts.catalog.all()}
    questions = [_located(q, texts) for q in questions]

    started = datetime.now(UTC).isoformat(timespec="seconds")
    results = []
    for done, question in enumerate(questions):
        progress("ours", done, len(questions))
        results.append(_ask_ours(parts.chain, question, generator, texts))
    no_rerank_results = []
    if rerank_off:
        unranked = Parts(ours_settings.model_copy(update={"rerank": False}))
        for done, question in enumerate(questions):
            progress("ours, reranking off", done, len(questions))
            no_rerank_results.append(_ask_ours(unranked.chain, question, generator, texts))
    answer_too = baseline and (generator == "llm" if baseline_answers is None else baseline_answers)
    chat_model = parts.chat_model if answer_too else None
    baseline_results = []
    for done, question in enumerate(questions if baseline else []):
        progress("baseline", done, len(questions))
        baseline_results.append(_ask_baseline(tutorial, question, chat_model))
    progress("done", len(questions), len(questions))
    return EvalRun(
        dataset=dataset_name, generator=generator, questions=len(questions), started=started,
        settings=ours_settings.answer_shaping(), ours=summarise(results),
        baseline=summarise(baseline_results), baseline_answers=answer_too,
        results=results, baseline_results=baseline_results,
        ours_no_rerank=summarise(no_rerank_results) if rerank_off else None,
        no_rerank_results=no_rerank_results,
    )


def _ask_ours(
    chain: AnswerChain, question: EvalQuestion, generator: str, texts: dict[str, str]
) -> QuestionResult:
    passages = chain.retriever.search(question.question, RETRIEVAL_DEPTH)
    rank = span_rank(question.span, [(p.span.doc_id, p.span.start, p.span.end) for p in passages])
    answer = chain.answer(question.question, generator=generator)
    valid = precise = 0
    for c in answer.citations:
        cited = c.span
        verbatim = texts.get(cited.doc_id, "")[cited.start : cited.end] == cited.text
        valid += verbatim and f"[{c.marker}]" in answer.answer
        precise += holds_fact(question, cited.doc_id, cited.start, cited.end, cited.text)
    result = QuestionResult(
        id=question.id, answerable=question.answerable, refused=answer.refused,
        fact_ok=_fact_ok(question, answer.refused, answer.answer),
        rank=rank, citations=len(answer.citations), citations_valid=valid,
        citations_precise=precise, first_token_ms=answer.timings.get("first_token_ms"),
        total_ms=answer.timings.get("total_ms"), answer=answer.answer,
        notes={"span_located": question.span is not None, "generator": answer.generator,
               "fallback": answer.fallback,
               "cited": [[c.span.doc_id, c.page] for c in answer.citations]},
    )
    if question.answerable:
        # A refusal cites nothing: no right document, none of the key points.
        _score_sources(result, question, [(c.span.doc_id, _pages_of(c)) for c in answer.citations])
        if question.key_points and not answer.refused:
            result.lines, result.lines_cited, result.line_markers, \
                result.line_markers_supported = line_citations(
                    answer.answer, {c.marker: c.span.text for c in answer.citations})
    result.furniture = quotes_furniture(answer.answer) if not answer.refused else False
    return result


def _fact_ok(question: EvalQuestion, refused: bool, answer: str) -> bool | None:
    """Whether the facts are in the answer; None where facts don't score the question."""
    if not question.answerable or question.scoring == "key_points":
        return None
    return not refused and fact_found(question, answer)


def _pages_of(citation) -> frozenset[int]:
    """The pages the cited sentences lie on (the whole span's when none is highlighted)."""
    span = citation.span
    if not span.pages:
        return frozenset()
    ranges = [(h["start"], h["end"]) for h in citation.highlights] or [(span.start, span.end)]
    pages = set()
    for start, end in ranges:
        first, last = span.page_of(start), span.page_of(max(start, end - 1))
        pages.update(range(first, last + 1))
    return frozenset(pages)


def _score_sources(result: QuestionResult, question: EvalQuestion, cited) -> None:
    result.doc_ok, result.page_ok, share = source_scores(question, cited)
    result.documents_cited = share if len(question.doc_ids) > 1 else None
    result.key_points = key_point_coverage(question, result.answer)


def _located(question: EvalQuestion, texts: dict[str, str]) -> EvalQuestion:
    """The question with its gold span found in the ingested text from its printed
    evidence, when it has some and the words stand there in order."""
    if question.span is not None or not question.evidence or len(question.doc_ids) != 1:
        return question
    doc_id = question.doc_ids[0]
    found = locate_evidence(texts.get(doc_id, ""), question.evidence)
    if found is None:
        return question
    start, end = found
    return replace(question, span=GoldSpan(doc_id, start, end, texts[doc_id][start:end]))


def _ask_baseline(baseline: TutorialBaseline, question: EvalQuestion, chat_model) -> QuestionResult:
    started = time.perf_counter()
    chunks = baseline.retrieve(question.question, RETRIEVAL_DEPTH)
    rank = span_rank(
        question.span, [(c.metadata["doc_id"], c.metadata["start"], c.metadata["end"]) for c in chunks]
    )
    result = QuestionResult(
        id=question.id, answerable=question.answerable, refused=False, fact_ok=None, rank=rank,
        notes={"span_located": question.span is not None},
    )
    result.doc_ok = source_scores(question, [(c.metadata["doc_id"], frozenset()) for c in
                                             chunks[:TUTORIAL_K]])[0] if question.answerable else None
    if chat_model is None:
        result.answered = False
        return result
    text, first = "", None
    for piece in baseline.stream(question.question, chat_model, chunks):
        if piece and first is None:
            first = (time.perf_counter() - started) * 1000
        text += piece
    result.answer = text
    result.refused = bool(DONT_KNOW.search(text))
    result.fact_ok = _fact_ok(question, result.refused, text)
    if question.answerable and not result.refused:
        result.key_points = key_point_coverage(question, text)
        if question.key_points:
            result.lines, result.lines_cited, _, _ = line_citations(text, {})
    result.furniture = quotes_furniture(text) if not result.refused else False
    result.first_token_ms = first
    result.total_ms = (time.perf_counter() - started) * 1000
    return result
