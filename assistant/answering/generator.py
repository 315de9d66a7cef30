"""What every generator does: write an answer from numbered evidence, and two optional abilities.

The chain and the follow-up rewriter talk to generators only through :class:`Generator`,
so a new one (a remote model, a rules engine) needs no change to them. Abilities a
generator lacks are still methods: ``warm_up`` may do nothing, and ``rewrite`` and
``answers`` may answer ``None`` ("I can't"); the callers then carry on without.

Example:
    >>> from assistant.answering.extractive import ExtractiveGenerator
    >>> generator: Generator = ExtractiveGenerator()
    >>> generator.rewrite("And her other job?", [("user", "Who is Jane Cummings?")]) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answering.answer import Evidence
from assistant.answering.evidence import ScoredUnit


class Generator(Protocol):
    name: str

    def generate(
        self, question: str, evidence: list[Evidence], units: list[ScoredUnit],
        kind: str = "fact",
    ) -> Iterator[str]:
        """The answer's text in pieces; claims carry ``[marker]`` of the evidence they use.
        ``kind`` (fact, list, steps, compare, summary) is the shape the question asks for."""
        ...

    def warm_up(self) -> None:
        """Loads whatever the first answer would otherwise wait for."""
        ...

    def rewrite(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """The follow-up ``question`` made standalone from ``(role, text)`` turns, or
        ``None`` when this generator can't (or produced nothing usable)."""
        ...

    def answers(self, question: str, evidence: list[Evidence], kind: str = "fact") -> bool | None:
        """Whether the evidence ``generate`` would read answers the question; ``None`` when
        this generator can't judge."""
        ...
