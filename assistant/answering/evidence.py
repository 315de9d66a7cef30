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
import re
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.answer import Evidence
from assistant.answering.question_kind import ENUMERATING
from assistant.rerank import CrossEncoderReranker
from assistant.retrieval import Passage
from assistant.spans import SourceSpan
from assistant.text import (
    Span,
    answer_type,
    captions,
    in_table,
    introduces_list,
    is_byline,
    items_after,
    line_around,
    list_run,
    sentences,
    terms,
    without_attribution,
)


# A document's front matter: its licence, copyright and where it is published; such a
# sentence shares the title's words with every question about the document, and is never a
# point of a list or a summary.
_FRONT_MATTER = re.compile(
    r"\b(licen[cs]ed? under|open government licen[cs]e|crown copyright|all rights reserved|"
    r"this (publication|document|guidance) is available|third[- ]party copyright|"
    r"nationalarchives)\b|©|^(first |last )?(published|updated|last updated)\b",
    re.IGNORECASE,
)

# Words a title line adds to the title itself ("Guidance Physical activity for women…").
_DOCUMENT_WORDS = terms("guidance report policy publication document")


@dataclass(frozen=True)
class ScoredUnit:
    """One sentence (or clause) of a retrieved passage and how well it matches the question."""

    passage: Passage
    span: Span
    position: int  # index among the passage's sentences
    similarity: float  # cosine similarity to the question
    lexical: float  # share of the question's content terms it contains, weighted by rarity
    typed: bool | None  # holds what the question asks for (a number, a time, a name), if known
    score: float
    # The cross-encoder's logit for the sentence with its neighbours, when it read it.
    rerank_score: float | None = None
    # A table row's caption: the row is read (embedded, matched, reranked) after it.
    caption: str = ""
    # A sentence introducing a list, for a question asking for one: its first items, read
    # after it.
    items: str = ""

    def read(self, text: str | None = None) -> str:
        """The sentence (or ``text`` around it) as it is embedded, matched and reranked: with
        its table's caption before it, or the list it introduces after it."""
        return f"{self.caption} {self.span.text if text is None else text} {self.items}".strip()


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
        reranker: CrossEncoderReranker | None = None,
        sentence_candidates: int = 8,
        sentence_rerank_weight: float = 1.0,
        multipart_hits: int = 12,
        multipart_max_chars: int = 3000,
    ) -> None:
        self.embeddings = embeddings
        self.hits = hits
        self.window = window
        self.max_chars = max_chars
        self.lexical_weight = lexical_weight
        self.type_weight = type_weight
        self.rerank_weight = rerank_weight
        self.reranker = reranker
        self.sentence_candidates = sentence_candidates
        self.sentence_rerank_weight = sentence_rerank_weight
        self.multipart_hits = multipart_hits
        self.multipart_max_chars = multipart_max_chars

    def score_units(
        self, question: str, passages: list[Passage], lists: bool = False
    ) -> list[ScoredUnit]:
        """Every distinct sentence of the passages, best first; with ``lists`` (a question
        asking for one), a sentence introducing a list is read with its first items."""
        question = without_attribution(question, {p.span.author for p in passages})
        seen: set[tuple[str, int, int]] = set()
        candidates: list[ScoredUnit] = []
        for passage in passages:
            text, start = passage.span.text, passage.span.start
            around = sentences(text, start)
            for position, (span, caption) in enumerate(zip(around, captions(around), strict=True)):
                key = (passage.span.doc_id, span.start, span.end)
                if key not in seen:
                    seen.add(key)
                    candidates.append(ScoredUnit(
                        passage, span, position, 0.0, 0.0, None, 0.0, caption=caption,
                        items=items_after(around, position, text, start) if lists else ""))
        if not candidates:
            return []
        read = [c.read() for c in candidates]
        query = np.asarray(self.embeddings.embed_query(question))
        vectors = np.asarray(self.embeddings.embed_documents(read))
        similarities = vectors @ query  # the model's vectors are normalised
        wanted = answer_type(question)
        held = [terms(text) for text in read]
        weight = _rarity(terms(question), held)
        asked = sum(weight.values())
        units = []
        for unit, similarity, has in zip(candidates, similarities, held, strict=True):
            lexical = sum(w for t, w in weight.items() if t in has) / asked if asked else 1.0
            typed = wanted(unit.span.text) if wanted else None
            score = float(similarity) + self.lexical_weight * lexical
            if unit.passage.rerank_score is not None:
                # The cross-encoder read the whole passage with the question: a sentence in a
                # passage it judged to answer counts for more (squashed to 0–1).
                score += self.rerank_weight * _squashed(unit.passage.rerank_score)
            units.append(replace(
                unit, similarity=float(similarity), lexical=lexical, typed=typed,
                score=score + (self.type_weight if typed else 0.0)))
        units.sort(key=lambda u: -u.score)
        return self._reranked(question, units)

    def _reranked(self, question: str, units: list[ScoredUnit]) -> list[ScoredUnit]:
        """The best few sentences, each read with its neighbours by the cross-encoder: a
        sentence that merely shares the question's names (a byline, a title) loses to the one
        that answers it."""
        if self.reranker is None or not self.sentence_candidates or not units:
            return units
        head = units[: self.sentence_candidates]
        logits = self.reranker.score(
            question, [u.read(self._window(u).text) for u in head])
        rescored = [
            replace(u, rerank_score=logit,
                    score=u.score + self.sentence_rerank_weight * _squashed(logit))
            for u, logit in zip(head, logits, strict=True)
        ]
        return sorted(rescored, key=lambda u: -u.score) + units[self.sentence_candidates :]

    def _window(self, unit: ScoredUnit, whole_lists: bool = False) -> SourceSpan:
        """The unit's sentence with ``window`` neighbours each side, within its passage;
        with ``whole_lists``, also the rest of the list it introduces or belongs to."""
        passage = unit.passage.span
        around = sentences(passage.text, passage.start)
        first = max(0, unit.position - self.window)
        last = min(len(around) - 1, unit.position + self.window)
        if whole_lists:
            run_first, run_last = list_run(around, unit.position, passage.text, passage.start)
            first, last = min(first, run_first), max(last, run_last)
        return passage.narrowed(around[first].start, around[last].end)

    def select(
        self, question: str, passages: list[Passage], kind: str = "fact"
    ) -> tuple[list[Evidence], list[ScoredUnit]]:
        """The evidence, numbered from 1 in order of relevance, and all scored sentences.

        A question asking for a list, steps, a comparison or a summary (``kind``) gets more
        sentences and a larger budget (a list or steps: whole lists around them); a
        comparison takes its documents' best sentences in turn, so each side is present."""
        units = self.score_units(question, passages, lists=kind in ENUMERATING)
        multipart = kind != "fact"
        if multipart:
            units = [u for u in units if not _front_matter(u)]
        hits, budget = (self.multipart_hits, self.multipart_max_chars) if multipart else (
            self.hits, self.max_chars)
        chosen = _by_document_in_turn(units, passages) if kind == "compare" else units
        evidence: list[Evidence] = []
        for unit in chosen[:hits]:
            span = self._window(unit, whole_lists=kind in ENUMERATING)
            merged = next(
                (e for e in evidence if e.span.doc_id == span.doc_id
                 and span.start <= e.span.end and e.span.start <= span.end),
                None,
            )
            if merged is not None:
                merged.span = _union(merged.span, span)
                merged.hits.append(unit.span)
                continue
            if evidence and sum(len(e.span.text) for e in evidence) + len(span.text) > budget:
                continue
            evidence.append(Evidence(len(evidence) + 1, span, unit.score, [unit.span]))
        return evidence, units


def _by_document_in_turn(
    units: list[ScoredUnit], passages: list[Passage], sides: int = 3, reach: float = 0.5
) -> list[ScoredUnit]:
    """The units reordered so that the documents a comparison is about give their next best
    in turn, then the rest by score: each side is present in the first few. The sides (at
    most ``sides``) are the documents of the first two passages retrieval ranked (one
    document's sentence can outscore every sentence of the other side, whose passage still
    ranks high); when both are of one document, the document of the best sentence of any
    other (a comparison has two sides), and a third whose best sentence scores within
    ``reach`` of the best."""
    if not units:
        return units
    ranked = list(dict.fromkeys(p.span.doc_id for p in passages[:2]))
    queues: dict[str, list[ScoredUnit]] = {d: [] for d in ranked}
    for unit in units:
        doc_id = unit.passage.span.doc_id
        if doc_id in queues:
            queues[doc_id].append(unit)
        elif len(ranked) == 1 and len(queues) < sides and (
                len(queues) < 2 or unit.score >= units[0].score - reach):
            queues[doc_id] = [unit]
    ordered: list[ScoredUnit] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    taken = {id(u) for u in ordered}
    return ordered + [u for u in units if id(u) not in taken]


def _front_matter(unit: ScoredUnit) -> bool:
    """Whether the unit is the document's licence or publication note, its byline, or a
    line holding nothing but its title's or publisher's words."""
    text = unit.span.text
    if _FRONT_MATTER.search(text) or is_byline(
            line_around(unit.passage.span.text, unit.span.start - unit.passage.span.start,
                        unit.span.end - unit.passage.span.start), unit.passage.span.author):
        return True
    header = terms(f"{unit.passage.span.title} {unit.passage.span.author}")
    return terms(text) <= header | _DOCUMENT_WORDS if header else False


def _squashed(logit: float) -> float:
    """A cross-encoder logit as a 0–1 share."""
    return 1.0 / (1.0 + math.exp(-logit))


def _rarity(asked: set[str], held: list[set[str]]) -> dict[str, float]:
    """Each question term's weight: rarer among the candidate sentences, more telling (a
    library about London says "London" everywhere; "hard bit" picks one sentence out)."""
    return {t: math.log(1 + len(held) / (1 + sum(t in h for h in held))) for t in asked}


def stops_inside(passage: Passage, lists: bool) -> bool:
    """Whether the passage stops at a table's caption (of one or two sentences) or among its
    rows, or, with ``lists``, inside a list (its last sentence introduces one, "…will
    consider:", or is an item of one): the rows or items may go on in the chunk after it."""
    around = sentences(passage.span.text, passage.span.start)
    if any(in_table(span) for span in around[-2:]):
        return True
    if not lists or not around:
        return False
    last = len(around) - 1
    first, end = list_run(around, last, passage.span.text, passage.span.start)
    return introduces_list(around[last]) or (end == last and first < last)


def _union(one: SourceSpan, other: SourceSpan) -> SourceSpan:
    """The span covering two overlapping spans of one document; both are exact substrings."""
    first, second = sorted((one, other), key=lambda s: s.start)
    return first.through(second, first.text + second.text[first.end - second.start :])
