"""What an answer is made of: evidence, citations, the answer, the stream's events.

Plain data with no model or store behind it, so the chat's HTML renderer and any script
can use it without loading the answering stack. ``Answer.to_dict()`` is the
``assistant ask --json`` shape.

Example:
    >>> span = SourceSpan("west", "T", "Dave West", "west.md", 0, 5, "Jane.")
    >>> Citation(1, span).as_dict()["doc_id"]
    'west'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from assistant.spans import SourceSpan
from assistant.text import Span

# What every refusal starts with; the reason follows it.
REFUSAL = "The documents don't cover this."
# The same, when the question was asked of chosen documents only.
SCOPED_REFUSAL = "The chosen documents don't cover this."


def ms_since(start: float) -> int:
    """Milliseconds since ``start`` (a ``time.perf_counter()``), for an answer's timings."""
    return round((time.perf_counter() - start) * 1000)


class QuestionError(ValueError):
    """A question that can't be asked as it is; the message says what to do instead."""


@dataclass
class Evidence:
    """A numbered span of a source document handed to a generator and cited as ``[marker]``."""

    marker: int
    span: SourceSpan
    score: float
    hits: list[Span] = field(default_factory=list)  # the best-matching sentences inside it

    def contains(self, sentence: Span) -> bool:
        return self.span.covers(sentence.start, sentence.end)

    def as_dict(self) -> dict:
        """The ``sources`` entry of ``ask --json``."""
        return {"marker": self.marker, **self.span.as_dict(), "score": self.score}


@dataclass(frozen=True)
class Citation:
    """What a marker points at: an exact span of a source document."""

    marker: int
    span: SourceSpan
    # The sentences of the span that back the answer's claims citing this marker, as
    # ``{"start", "end", "text"}`` in source offsets: what a reader sees highlighted.
    highlights: tuple[dict, ...] = ()

    @classmethod
    def of(cls, evidence: Evidence, backing: list[Span] = ()) -> Citation:
        return cls(
            evidence.marker, evidence.span,
            tuple({"start": s.start, "end": s.end, "text": s.text} for s in dict.fromkeys(backing)),
        )

    @property
    def page(self) -> int | None:
        """The page of the cited sentence (of the span's start when none is highlighted)."""
        at = self.highlights[0]["start"] if self.highlights else self.span.start
        return self.span.page_of(at)

    def as_dict(self) -> dict:
        """A ``citations`` entry of ``ask --json``."""
        return {"marker": self.marker, **self.span.as_dict(), "page": self.page,
                "scanned": self.span.scanned(self.page), "highlights": list(self.highlights)}


@dataclass
class Answer:
    """The chain's result; ``to_dict()`` is the ``ask --json`` shape."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    generator: str
    verification: dict
    timings: dict
    standalone_question: str = ""
    refusal_reason: str | None = None
    fallback: str | None = None
    evidence: list[Evidence] = field(default_factory=list, repr=False)
    scope: list[str] | None = None  # the documents asked, when not the whole library
    kind: str = "fact"  # the shape of answer asked for: fact, list, steps, compare, summary

    @property
    def backing(self) -> set[tuple[int, int]]:
        """The (start, end) of every sentence the answer's citations rest on."""
        return {(h["start"], h["end"]) for c in self.citations for h in c.highlights}

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.answer, "refused": self.refused,
            "citations": [c.as_dict() for c in self.citations], "generator": self.generator,
            "verification": self.verification, "timings": self.timings,
            "standalone_question": self.standalone_question,
            "refusal_reason": self.refusal_reason, "fallback": self.fallback,
            "sources": [e.as_dict() for e in self.evidence], "scope": self.scope,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class SourcesEvent:
    """The evidence the answer will rest on; sent before any of the answer's text. Sent
    again, empty, when the question is refused after its sources were shown (the language
    model, asked to judge them, found no answer there)."""

    evidence: list[Evidence]


@dataclass(frozen=True)
class TokenEvent:
    """A piece of the answer's text as it is written."""

    text: str


@dataclass(frozen=True)
class ProgressEvent:
    """Long work under way before any text (a summary reading a document's sections)."""

    done: int
    total: int
    label: str


@dataclass(frozen=True)
class DoneEvent:
    """The checked answer; the last event of a stream."""

    answer: Answer


Event = ProgressEvent | SourcesEvent | TokenEvent | DoneEvent
