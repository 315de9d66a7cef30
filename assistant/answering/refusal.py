"""Decides, before any generation, whether the documents can answer at all.

Four checks, in this order; the last three calibrated on ``evals/gold.jsonl``:

1. A question that tries to give the assistant instructions ("ignore your rules…") is
   refused as such: instructions are text to read, never to follow.
2. Every specific thing the question names — a proper name, an acronym, a number or
   year — must occur in the retrieved passages (or their titles and authors), allowing
   the glossary's other form. "What did the mayor of Birmingham say?" is refused because
   no passage says "Birmingham", however close the rest of the question is.
3. A question asking for a kind of answer — a person, a number, an amount of money, a
   time, a duration — needs one of the best sentences to hold one: "What is Jane
   Cummings' salary?" is refused when no sentence near her name gives an amount.
4. The best-matching sentence must score at least ``min_score`` (similarity plus lexical
   overlap): below it nothing retrieved is about the question.

Example:
    >>> policy = RefusalPolicy(Glossary.load(), min_score=0.35)
    >>> policy.check("What is the population of Birmingham?", passages, units).reason  # doctest: +SKIP
    'the documents never mention “Birmingham”'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.evidence import ScoredUnit
from assistant.glossary import Glossary
from assistant.retrieval import Passage
from assistant.text import REQUIRED_KINDS, answer_kind, key_terms, mentions

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompt|"
    r"documents?|above|previous|guidelines?)\b|\b(system|hidden|initial) prompt\b|"
    r"\byou are now\b|\bpretend (to be|you are)\b|\bact as\b|\bjailbreak\b",
    re.IGNORECASE,
)

def _mentions(haystack: str, term: str, glossary: Glossary) -> bool:
    return any(mentions(haystack, variant) for variant in glossary.variants(term))


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

    def __init__(self, glossary: Glossary, min_score: float, typed_hits: int = 4) -> None:
        self.glossary = glossary
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
        missing = [t for t in key_terms(question) if not _mentions(haystack, t, self.glossary)]
        if missing:
            named = ", ".join(f"“{t}”" for t in dict.fromkeys(missing))
            return RefusalCheck(True, f"the documents never mention {named}", best)
        kind = answer_kind(question)
        if kind in REQUIRED_KINDS and not any(unit.typed for unit in units[: self.typed_hits]):
            return RefusalCheck(True, f"no passage gives the {_KIND_NAMES[kind]} asked for", best)
        if best < self.min_score:
            return RefusalCheck(True, "no passage in the documents is about this question", best)
        return RefusalCheck(False, None, best)
