"""Decides, before any generation, whether the documents can answer at all.

Five checks, in this order; the second to fourth calibrated on ``evals/gold.jsonl``:

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
5. A question that passes all four may still ask about what the passages don't hold:
   "What dementia diagnosis rate must ICBs achieve?" retrieves the planning guidance's
   targets, none of them on dementia. Its *doubtful* words — rare in the library (held by
   at most ``rare_chunks`` chunks and at most 1 % of them: in a library of two columns no
   word is rare) and in none of the retrieved passages — are reported
   with the check; a generator that can judge (the language model) is then asked whether
   the evidence answers, and :meth:`RefusalPolicy.unanswered` refuses when it says no.
   Neither signal refuses alone: rare words missing from the passages are often
   paraphrased ("kept" for "stored"), and the small model says "no" to some answerable
   questions.

Example:
    >>> policy = RefusalPolicy(Glossary.load(), min_score=0.35)
    >>> policy.check("What is the population of Birmingham?", passages, units).reason  # doctest: +SKIP
    'the documents never mention “Birmingham”'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    terms,
    words,
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


# A word is rare in the library when at most this share of its chunks hold it (rule 5).
_RARE_SHARE = 0.01

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
    # Rare question words no retrieved passage holds (rule 5): ask a judge before answering.
    doubtful: tuple[str, ...] = ()


class RefusalPolicy:
    """Refuses questions the retrieved passages cannot answer."""

    def __init__(
        self, glossary: Glossary, min_score: float, typed_hits: int = 4,
        library: Callable[[], LibraryTerms] = lambda: EMPTY_LIBRARY,
        min_rerank_score: float = float("-inf"), rare_chunks: int = 12,
    ) -> None:
        self.glossary = glossary
        self.rare_chunks = rare_chunks
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
        return RefusalCheck(False, None, best, self._doubtful(question, haystack))

    def unanswered(self, check: RefusalCheck) -> RefusalCheck:
        """The refusal of a question whose doubtful words made a judge read the evidence,
        and the judge found no answer there (rule 5)."""
        return RefusalCheck(
            True, f"no passage about this question mentions {_named(check.doubtful)}, and "
            "the language model found no answer in the passages that were found",
            check.best_score, check.doubtful)

    def _doubtful(self, question: str, passages_text: str) -> tuple[str, ...]:
        """The question's words that at most ``rare_chunks`` chunks of the library hold and
        no retrieved passage does (rule 5)."""
        library = self.library()
        rare = min(self.rare_chunks, library.chunks * _RARE_SHARE)
        if rare < 1:  # a small library, or the check off: no word can be rare
            return ()
        held = terms(passages_text)
        covered = self.glossary.covered(question, passages_text)
        doubtful = []
        for word in words(question):
            stems = terms(word)
            if not stems or word.lower() in covered or not stems.isdisjoint(held):
                continue
            if 0 < library.chunks_holding(next(iter(stems))) <= rare:
                doubtful.append(word)
        return tuple(dict.fromkeys(doubtful))

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
    reasons = []
    if absent:
        reasons.append(f"the documents never mention {_named(absent)}")
    if elsewhere:
        reasons.append(f"no passage about this question mentions {_named(elsewhere)}")
    return "; ".join(reasons)


def _named(found: Sequence[str]) -> str:
    return ", ".join(f"“{t}”" for t in dict.fromkeys(found))
