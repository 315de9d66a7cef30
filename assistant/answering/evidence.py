"""Passages → compact, numbered evidence: the sentences that best answer, with their neighbours.

A language model on two CPU cores reads about 40 tokens a second, so the model is handed
the few sentences around the best hits rather than whole chunks. Each piece of evidence
is an exact span of its source document (``source[start:end] == text``), which is what a
citation marker ``[n]`` points at.

Example:
    >>> selector = EvidenceSelector(embeddings)  # doctest: +SKIP
    >>> evidence, units = selector.select("Who replaced Anne Rainsberry?", passages)  # doctest: +SKIP
    >>> evidence[0].marker, evidence[0].span.text[:40]  # doctest: +SKIP
    (1, 'Her replacement as NHS England’s London')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.answer import Evidence
from assistant.retrieval import Passage
from assistant.spans import SourceSpan
from assistant.text import Span, answer_type, coverage, sentences


@dataclass(frozen=True)
class ScoredUnit:
    """One sentence (or clause) of a retrieved passage and how well it matches the question."""

    passage: Passage
    span: Span
    position: int  # index among the passage's sentences
    similarity: float  # cosine similarity to the question
    lexical: float  # share of the question's content terms it contains
    typed: bool | None  # holds what the question asks for (a number, a time, a name), if known
    score: float


class EvidenceSelector:
    """Scores every sentence of the retrieved passages and keeps the best few, in context."""

    def __init__(
        self,
        embeddings: Embeddings,
        hits: int = 4,
        window: int = 1,
        max_chars: int = 1500,
        lexical_weight: float = 0.3,
        type_weight: float = 0.15,
        rerank_weight: float = 0.3,
    ) -> None:
        self.embeddings = embeddings
        self.hits = hits
        self.window = window
        self.max_chars = max_chars
        self.lexical_weight = lexical_weight
        self.type_weight = type_weight
        self.rerank_weight = rerank_weight

    def score_units(self, question: str, passages: list[Passage]) -> list[ScoredUnit]:
        """Every distinct sentence of the passages, best first."""
        seen: set[tuple[str, int, int]] = set()
        candidates: list[tuple[Passage, Span, int]] = []
        for passage in passages:
            for position, span in enumerate(sentences(passage.span.text, passage.span.start)):
                key = (passage.span.doc_id, span.start, span.end)
                if key not in seen:
                    seen.add(key)
                    candidates.append((passage, span, position))
        if not candidates:
            return []
        query = np.asarray(self.embeddings.embed_query(question))
        vectors = np.asarray(self.embeddings.embed_documents([s.text for _, s, _ in candidates]))
        similarities = vectors @ query  # the model's vectors are normalised
        wanted = answer_type(question)
        units = []
        for (passage, span, position), similarity in zip(candidates, similarities, strict=True):
            lexical = coverage(question, span.text)
            typed = wanted(span.text) if wanted else None
            score = float(similarity) + self.lexical_weight * lexical
            if passage.rerank_score is not None:
                # The cross-encoder read the whole passage with the question: a sentence in a
                # passage it judged to answer counts for more (squashed to 0–1).
                score += self.rerank_weight / (1.0 + math.exp(-passage.rerank_score))
            units.append(
                ScoredUnit(
                    passage, span, position, float(similarity), lexical, typed,
                    score + (self.type_weight if typed else 0.0),
                )
            )
        return sorted(units, key=lambda u: -u.score)

    def _window(self, unit: ScoredUnit) -> SourceSpan:
        """The unit's sentence with ``window`` neighbours each side, within its passage."""
        passage = unit.passage.span
        around = sentences(passage.text, passage.start)
        first = around[max(0, unit.position - self.window)]
        last = around[min(len(around) - 1, unit.position + self.window)]
        return passage.narrowed(first.start, last.end)

    def select(
        self, question: str, passages: list[Passage]
    ) -> tuple[list[Evidence], list[ScoredUnit]]:
        """The evidence, numbered from 1 in order of relevance, and all scored sentences."""
        units = self.score_units(question, passages)
        evidence: list[Evidence] = []
        for unit in units[: self.hits]:
            span = self._window(unit)
            merged = next(
                (e for e in evidence if e.span.doc_id == span.doc_id
                 and span.start <= e.span.end and e.span.start <= span.end),
                None,
            )
            if merged is not None:
                merged.span = _union(merged.span, span)
                merged.hits.append(unit.span)
                continue
            if evidence and sum(len(e.span.text) for e in evidence) + len(span.text) > self.max_chars:
                continue
            evidence.append(Evidence(len(evidence) + 1, span, unit.score, [unit.span]))
        return evidence, units


def _union(one: SourceSpan, other: SourceSpan) -> SourceSpan:
    """The span covering two overlapping spans of one document; both are exact substrings."""
    first, second = sorted((one, other), key=lambda s: s.start)
    text = first.text + second.text[first.end - second.start :]
    page_starts: dict[int, int] = {}
    for at, page in (*first.pages, *second.pages):
        page_starts[page] = min(at, page_starts.get(page, at))
    pages = tuple(sorted((at, page) for page, at in page_starts.items()))
    return replace(first, text=text, end=first.start + len(text), pages=pages)
