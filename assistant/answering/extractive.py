"""The generator without a language model: quotes the best-supported sentences, cited.

Fast and deterministic; also the fallback when the model server cannot be reached.

Example:
    >>> gen = ExtractiveGenerator(max_sentences=2, margin=0.1)
    >>> "".join(gen.generate("Who?", evidence, units))  # doctest: +SKIP
    'Her replacement as NHS England’s London director ... [1].'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.answering.answer import Evidence
from assistant.answering.citations import with_markers
from assistant.answering.evidence import ScoredUnit
from assistant.answering.question_kind import ENUMERATING
from assistant.text import Span, introduces_list, list_run, sentences, terms, without_bullet


class ExtractiveGenerator:
    """Answers with up to ``max_sentences`` verbatim sentences from the evidence, one per
    line, each with its marker; a sentence joins only if it scores within ``margin`` of the
    best. When the best sentence lacks what the question asks for (a name for "who", a
    number for "how many") and the sentence after it has it, both are quoted together.

    A question asking for a list, steps, a comparison or a summary gets the best sentence
    as its lead, then up to ``multipart_sentences`` − 1 more as bullets (a line that only
    introduces what follows, "… are:", takes no place of a point): steps numbered in
    document order, a comparison's bullets grouped by document."""

    name = "extractive"

    def __init__(
        self, max_sentences: int = 2, margin: float = 0.1, multipart_sentences: int = 10
    ) -> None:
        self.max_sentences = max_sentences
        self.margin = margin
        self.multipart_sentences = multipart_sentences

    def generate(
        self, question: str, evidence: list[Evidence], units: list[ScoredUnit],
        kind: str = "fact",
    ) -> Iterator[str]:
        quotes = self.quotes(evidence, units, kind)
        if kind != "fact" and len(quotes) > 1:
            yield _shaped(quotes, kind)
            return
        # In document order, so that quoted sentences read as they were written.
        quotes.sort(key=lambda pair: (pair[0].marker, pair[1].start))
        yield "\n".join(with_markers(span.text, [holder.marker]) for holder, span in quotes)

    def quotes(
        self, evidence: list[Evidence], units: list[ScoredUnit], kind: str = "fact"
    ) -> list[tuple[Evidence, Span]]:
        """The sentences to quote, best first, each with the evidence holding it."""
        multipart = kind != "fact"
        quotes: list[tuple[Evidence, Span]] = []
        most = self.multipart_sentences if multipart else self.max_sentences
        for unit in units:
            holder = next((e for e in evidence if e.contains(unit.span)), None)
            if holder is None or any(q.start <= unit.span.start < q.end for _, q in quotes):
                continue
            if multipart and unit.span.text.rstrip().endswith("?"):
                continue  # a question the document asks is not a point of the answer
            if quotes and not multipart and unit.score < units[0].score - self.margin:
                break
            quotes.append((holder, self._completed(unit, holder, units)))
            if kind in ENUMERATING:
                # A list asked for is quoted whole: its other items follow the one that
                # matched, beyond the usual number of lines (up to twice it).
                quotes.extend(
                    (holder, item) for item in _list_items(unit, holder)
                    if not any(q.start <= item.start < q.end for _, q in quotes)
                )
            if sum(not introduces_list(q) for _, q in quotes) >= most:
                del quotes[2 * most:]
                break
        return quotes

    def warm_up(self) -> None:
        """Nothing to load: the sentences are already scored."""

    def rewrite(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """Quoting can't rephrase a question."""
        return None

    def answers(self, question: str, evidence: list[Evidence], kind: str = "fact") -> bool | None:
        """Quoting can't judge whether a passage answers."""
        return None

    @staticmethod
    def _completed(unit: ScoredUnit, holder: Evidence, units: list[ScoredUnit]) -> Span:
        if unit.typed is not False:
            return unit.span
        following = next(
            (u for u in units if u.passage.span.doc_id == unit.passage.span.doc_id
             and u.span.start > unit.span.end and holder.contains(u.span)
             and not holder.span.text[unit.span.end - holder.span.start
                                      : u.span.start - holder.span.start].strip()),
            None,
        )
        if following is None or not following.typed:
            return unit.span
        start, end = unit.span.start - holder.span.start, following.span.end - holder.span.start
        return Span(holder.span.text[start:end], unit.span.start, following.span.end)


def _list_items(unit: ScoredUnit, holder: Evidence) -> list[Span]:
    """The other sentences of the list ``unit`` introduces or belongs to, in order, that
    ``holder`` holds (a bare "and" between items is no point)."""
    passage = unit.passage.span
    around = sentences(passage.text, passage.start)
    first, last = list_run(around, unit.position, passage.text, passage.start)
    return [around[i] for i in range(first, last + 1)
            if i != unit.position and holder.contains(around[i]) and terms(around[i].text)]


def _shaped(quotes: list[tuple[Evidence, Span]], kind: str) -> str:
    """The best quote as the lead line, the others as bullets: numbered in document order
    for steps, grouped by document (in the order they first appear) for a comparison, in
    document order otherwise."""
    (lead_holder, lead), rest = quotes[0], quotes[1:]
    documents = list(dict.fromkeys(holder.span.doc_id for holder, _ in quotes))
    rest.sort(key=lambda pair: (documents.index(pair[0].span.doc_id) if kind == "compare" else 0,
                                pair[0].span.doc_id, pair[1].start))
    bullets = [
        f"{f'{number}.' if kind == 'steps' else '•'} "
        f"{with_markers(without_bullet(span.text), [holder.marker])}"
        for number, (holder, span) in enumerate(rest, start=1)
    ]
    return "\n".join([with_markers(without_bullet(lead.text), [lead_holder.marker]), *bullets])
