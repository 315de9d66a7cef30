"""Decides, before any generation, whether the documents can answer at all.

Four checks, in this order; the last three calibrated on ``evals/gold.jsonl``:

1. A question that tries to give the assistant instructions ("ignore your rules…") is
   refused as such: instructions are text to read, never to follow.
2. Every specific thing the question names — a proper name, an acronym, a number or
   year — must occur in the library, allowing the glossary's other form and a plural or
   possessive ending: "What did the mayor of Birmingham say?" is refused because no
   document says "Birmingham". A *name* (a capitalised word the library never writes in
   lower case: a place, a person) must also occur in the retrieved passages: "Manchester"
   named once in an unrelated chapter doesn't make "Manchester's IFR policy" covered. So
   must a *period* (a year, "2024/25"): a table's 2023/24 row is not the 2024/25 figure
   asked for. Acronyms, other numbers and common words found elsewhere in the library don't
   refuse: retrieval may have missed their passage, and a wrong refusal hides an answer.
   Nor does a question's spelling: "COVID19" for "COVID-19", "5th" for "5", a long word
   one letter off. The reason says which terms the documents never mention and which they
   mention only away from the passages about the question: a refusal never claims a word
   absent that the documents hold.
3. A question asking for a kind of answer — a person, a number, an amount of money, a
   time, a duration — needs one of the best sentences to hold one: "What is Jane
   Cummings' salary?" is refused when no sentence near her name gives an amount.
4. The best-matching sentence must score at least ``min_score`` (similarity plus lexical
   overlap), and, when the cross-encoder reranked the passages, the best passage at least
   ``min_rerank_score``: below either, nothing retrieved is about the question.

Example:
    >>> policy = RefusalPolicy(Glossary.load(), min_score=0.35)
    >>> policy.check("What is the population of Birmingham?", passages, units).reason  # doctest: +SKIP
    'the documents never mention “Birmingham”'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answering.evidence import ScoredUnit
from assistant.glossary import Glossary
from assistant.retrieval import EMPTY_LIBRARY, LibraryTerms, Passage
from assistant.text import (
    REQUIRED_KINDS,
    answer_kind,
    is_period,
    key_terms,
    mentions,
    mentions_misspelt,
)

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompt|"
    r"documents?|above|previous|guidelines?)\b|\b(system|hidden|initial) prompt\b|"
    r"\byou are now\b|\bpretend (to be|you are)\b|\bact as\b|\bjailbreak\b",
    re.IGNORECASE,
)

_CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august",
             "september", "october", "november", "december", "monday", "tuesday", "wednesday",
             "thursday", "friday", "saturday", "sunday"}


def _is_name(term: str, library: LibraryTerms) -> bool:
    """A capitalised word that isn't an acronym, a number, a date word or a common word."""
    return (term[:1].isupper() and not term.isupper() and not any(c.isdigit() for c in term)
            and term.lower() not in _CALENDAR and not library.common(term))


_KIND_NAMES = {
    "money": "amount of money", "duration": "length of time", "number": "number",
    "frequency": "frequency",
    "time": "date or time", "person": "name",
}


@dataclass(frozen=True)
class RefusalCheck:
    refused: bool
    reason: str | None = None
    best_score: float = 0.0


class RefusalPolicy:
    """Refuses questions the retrieved passages cannot answer."""

    def __init__(
        self, glossary: Glossary, min_score: float, typed_hits: int = 4,
        library: Callable[[], LibraryTerms] = lambda: EMPTY_LIBRARY,
        min_rerank_score: float = float("-inf"),
    ) -> None:
        self.glossary = glossary
        self.min_rerank_score = min_rerank_score
        self.library = library  # the words the whole library holds, as it is now
        self.min_score = min_score
        self.typed_hits = typed_hits

    def check(
        self, question: str, passages: list[Passage], units: list[ScoredUnit]
    ) -> RefusalCheck:
        best = units[0].score if units else 0.0
        if _INSTRUCTION.search(question):
            return RefusalCheck(
                True, "the question gives instructions; I only answer questions about the "
                "documents", best,
            )
        if not passages:
            return RefusalCheck(True, "the library holds no documents yet", best)
        haystack = " ".join(f"{p.span.title} {p.span.author} {p.span.text}" for p in passages)
        absent, elsewhere = self._missing(question, haystack)
        if absent or elsewhere:
            return RefusalCheck(True, _missing_reason(absent, elsewhere), best)
        kind = answer_kind(question)
        if kind in REQUIRED_KINDS and not any(unit.typed for unit in units[: self.typed_hits]):
            return RefusalCheck(True, f"no passage gives the {_KIND_NAMES[kind]} asked for", best)
        reranked = [p.rerank_score for p in passages if p.rerank_score is not None]
        if best < self.min_score or (reranked and max(reranked) < self.min_rerank_score):
            return RefusalCheck(True, "no passage in the documents is about this question", best)
        return RefusalCheck(False, None, best)

    def _missing(self, question: str, passages_text: str) -> tuple[list[str], list[str]]:
        """The question's key terms the library never mentions, and those it mentions only
        away from the retrieved passages (see rule 2)."""
        library = self.library()
        covered = self.glossary.covered(question, passages_text)
        absent, elsewhere = [], []
        for term in key_terms(question):
            if term.lower() in covered:
                continue
            variants = self.glossary.variants(term)
            if any(mentions(passages_text, v) for v in variants):
                continue
            if not any(library.holds(v) for v in variants):
                absent.append(term)
            elif is_period(term) or _is_name(term, library) and not mentions_misspelt(
                    passages_text, term):
                elsewhere.append(term)
        return absent, elsewhere


def _missing_reason(absent: list[str], elsewhere: list[str]) -> str:
    """Says which terms the documents never mention, and which only elsewhere: a refusal
    never claims a word absent that the documents hold."""
    def named(found: list[str]) -> str:
        return ", ".join(f"“{t}”" for t in dict.fromkeys(found))

    reasons = []
    if absent:
        reasons.append(f"the documents never mention {named(absent)}")
    if elsewhere:
        reasons.append(f"no passage about this question mentions {named(elsewhere)}")
    return "; ".join(reasons)
