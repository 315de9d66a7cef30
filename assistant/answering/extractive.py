"""The generator without a language model: quotes the best-supported sentences, cited.

Fast and deterministic; also the fallback when the model server cannot be reached.

Example:
    >>> gen = ExtractiveGenerator(max_sentences=2, margin=0.1)
    >>> "".join(gen.generate("Who?", evidence, units))  # doctest: +SKIP
    'Her replacement as NHS England’s London director ... [1].'
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answering.citations import with_markers
from assistant.answering.evidence import Evidence, ScoredUnit
from assistant.text import Span


class ExtractiveGenerator:
    """Answers with up to ``max_sentences`` verbatim sentences from the evidence, one per
    line, each with its marker; a sentence joins only if it scores within ``margin`` of the
    best. When the best sentence lacks what the question asks for (a name for "who", a
    number for "how many") and the sentence after it has it, both are quoted together."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2, margin: float = 0.1) -> None:
        self.max_sentences = max_sentences
        self.margin = margin

    def generate(
        self, question: str, evidence: list[Evidence], units: list[ScoredUnit]
    ) -> Iterator[str]:
        quotes: list[tuple[Evidence, Span]] = []
        for unit in units:
            holder = next((e for e in evidence if e.contains(unit.span)), None)
            if holder is None or any(q.start <= unit.span.start < q.end for _, q in quotes):
                continue
            if quotes and unit.score < units[0].score - self.margin:
                break
            quotes.append((holder, self._completed(unit, holder, units)))
            if len(quotes) == self.max_sentences:
                break
        # In document order, so that quoted sentences read as they were written.
        quotes.sort(key=lambda pair: (pair[0].marker, pair[1].start))
        yield "\n".join(with_markers(span.text, [holder.marker]) for holder, span in quotes)

    @staticmethod
    def _completed(unit: ScoredUnit, holder: Evidence, units: list[ScoredUnit]) -> Span:
        if unit.typed is not False:
            return unit.span
        following = next(
            (u for u in units if u.passage.doc_id == unit.passage.doc_id
             and u.span.start > unit.span.end and holder.contains(u.span)
             and not holder.text[unit.span.end - holder.start : u.span.start - holder.start].strip()),
            None,
        )
        if following is None or not following.typed:
            return unit.span
        start, end = unit.span.start - holder.start, following.span.end - holder.start
        return Span(holder.text[start:end], unit.span.start, following.span.end)
