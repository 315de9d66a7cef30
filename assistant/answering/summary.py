"""A cited summary of a whole document: map over its sections, then reduce.

Map: each section's sentences are embedded and the one nearest the section's centre (what the
section is mostly about) is its point; a long document has dozens of sections, and a model
reading each one on two CPU cores would take longer than a reader waits, so the map quotes.
Reduce: the sections that carry most of the document's prose and sit nearest its centre give
the bullets, in document order, after a lead sentence (the one nearest the document's centre in
its opening quarter, where a document says what it is for). The language model rewrites those
points as a lead and bullets (quoting lays them out as they are); either way every line is
verified against its passage, and a line no passage supports is dropped.

A summary is cached per document version (its bytes and the splitter) and recipe (generator,
model, settings): the second request reads it back; a changed document gets a new one.

Example:
    >>> summariser = parts.summariser  # assistant.wiring builds it  # doctest: +SKIP
    >>> summariser.summarise("nhse-ifr-standard-operating-procedures-v5-2023", "extractive").answer.answer  # doctest: +SKIP
    'This document sets out the standard operating procedures ... [1]\\n• ...'
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.answering.answer import (
    Answer,
    DoneEvent,
    Event,
    Evidence,
    ProgressEvent,
    QuestionError,
    SourcesEvent,
    TokenEvent,
    ms_since,
)
from assistant.answering.citations import verify, with_markers
from assistant.answering.generator import Generator
from assistant.catalog import Catalog, DocumentRecord
from assistant.spans import SourceSpan
from assistant.summary_cache import SummaryCache
from assistant.text import Span, coverage, is_byline, line_around, sentences, terms, words

# A sentence that reads as prose: enough words, mostly letters (not a form's field, a table
# row of figures or a heading).
_PROSE_WORDS = 8
_PROSE_LETTERS = 0.7
_PROSE_END = re.compile(r"[.!?…][\"”’)\]]*$")
# A document saying what it is for: the best lead a summary can have.
_PURPOSE = re.compile(
    r"\b(this|these|the)\s+(\w+\s+){0,3}?(document|guidance|policy|procedures?|report|chapter|"
    r"framework|plan|paper|sop|standard|guide|strategy|constitution|guideline|note|response)s?\b"
    r".{0,60}?\b(sets?|describes?|provides?|explains?|outlines?|aims?|summari[sz]es?|covers?|"
    r"gives?|is intended|is designed)\b", re.IGNORECASE)
_PURPOSE_BONUS = 0.2
# Appendices and annexes hold forms and templates more than what a document says.
_BACK_MATTER = re.compile(r"^\s*(appendix|annex|annexe)\b", re.IGNORECASE)
_BACK_MATTER_WEIGHT = 0.5
# Sections shorter than this join the one before them (a heading with a line under it).
_MIN_PART_CHARS = 600
# Words that ask for a summary rather than name a document.
_ASKING = frozenset(terms(
    "summarise summarize summary summaries sum up overview outline give provide brief briefly "
    "short main key points document file paper column article piece this it please"))
_DOC_ID_WORD = re.compile(r"[\w.-]+")

Progress = Callable[[int, int, str], None]


class DocumentBusy(QuestionError):
    """The document's stored passages don't match its catalog text: it is being ingested."""


@dataclass(frozen=True)
class Summary:
    """A document's summary: the checked answer, how many sections it read, whether cached."""

    doc_id: str
    answer: Answer
    sections: int
    cached: bool

    def to_dict(self) -> dict:
        """The ``assistant summarise --json`` shape: ``ask --json``'s fields and these."""
        return {**self.answer.to_dict(), "doc_id": self.doc_id, "sections": self.sections,
                "cached": self.cached}


@dataclass(frozen=True)
class _Part:
    start: int
    end: int
    heading: str


class StoredDocument:
    """A document's catalog text with the pages and sections its chunks record, so that any
    stretch of it becomes a :class:`SourceSpan` a citation can point at."""

    def __init__(self, record: DocumentRecord, chunks: Sequence[SourceSpan]) -> None:
        self.record = record
        self.chunks = sorted(chunks, key=lambda c: c.start)
        page_at: dict[int, int] = {}
        for chunk in self.chunks:
            for at, page in chunk.pages:
                page_at[page] = min(at, page_at.get(page, at))
        self._page_starts = sorted((at, page) for page, at in page_at.items())
        self._offsets = [at for at, _ in self._page_starts]

    @classmethod
    def read(cls, record: DocumentRecord, vector_store: Chroma) -> StoredDocument:
        """The document as stored; raises :class:`DocumentBusy` when its chunks and its
        catalog text disagree (a re-ingest is replacing them right now)."""
        got = vector_store.get(where={"doc_id": record.doc_id},
                               include=["documents", "metadatas"])
        chunks = [SourceSpan.of_chunk(Document(page_content=text, metadata=meta))
                  for text, meta in zip(got["documents"], got["metadatas"], strict=True)]
        if len(chunks) != record.chunks or any(
                record.text[c.start:c.end] != c.text for c in chunks):
            raise DocumentBusy(
                f"'{record.doc_id}' is being ingested again: its stored passages don't match "
                "its text yet. Ask for the summary when ingestion has finished (if none is "
                "running, `assistant docs check` repairs the store).")
        return cls(record, chunks)

    def span(self, start: int, end: int, section: str = "") -> SourceSpan:
        r = self.record
        pages: tuple[tuple[int, int], ...] = ()
        if self._page_starts:
            first = max(0, bisect_right(self._offsets, start) - 1)
            pages = ((start, self._page_starts[first][1]),) + tuple(
                (at, page) for at, page in self._page_starts[first + 1:] if at < end)
        return SourceSpan(r.doc_id, r.title, r.author, r.source, start, end,
                          r.text[start:end], section, pages)

    def parts(self, at_least: int) -> list[_Part]:
        """The document cut at its section headings (as its chunks record them), merging a
        heading with little under it into the section before; while there are fewer than
        ``at_least`` parts, the longest is halved at a sentence boundary."""
        starts: list[tuple[int, str]] = []
        previous = 0
        for chunk in self.chunks:
            if not starts or chunk.section != starts[-1][1]:
                # The heading sits between the previous chunk's start and this one's.
                found = self.record.text.rfind(chunk.section, previous,
                                               chunk.start + len(chunk.section))
                starts.append((found if chunk.section and found >= 0 else chunk.start,
                               chunk.section))
            previous = chunk.start
        starts[:1] = [(0, starts[0][1] if starts else "")]
        bounds = [at for at, _ in starts[1:]] + [len(self.record.text)]
        parts: list[_Part] = []
        for (start, heading), end in zip(starts, bounds, strict=True):
            if parts and parts[-1].end - parts[-1].start < _MIN_PART_CHARS:
                parts[-1] = _Part(parts[-1].start, end, parts[-1].heading or heading)
            elif end > start:
                parts.append(_Part(start, end, heading))
        while len(parts) < at_least:
            longest = max(parts, key=lambda p: p.end - p.start)
            inside = sentences(self.record.text[longest.start:longest.end], longest.start)
            if len(inside) < 2:
                break
            middle = inside[len(inside) // 2].start
            at = parts.index(longest)
            parts[at:at + 1] = [_Part(longest.start, middle, longest.heading),
                                _Part(middle, longest.end, longest.heading)]
        return parts


@dataclass
class _Point:
    part: _Part
    sentence: Span
    centre: np.ndarray  # the part's mean sentence vector
    prose: int  # how many prose sentences the part has


class DocumentSummariser:
    """Summarises one document of the library with verified citations, cached per version."""

    def __init__(
        self,
        vector_store: Chroma,
        catalog: Catalog,
        embeddings: Embeddings,
        generators: dict[str, Generator],
        cache: SummaryCache,
        recipe: str = "",
        points: int = 8,
        max_chars: int = 3000,
        min_support: float = 0.5,
    ) -> None:
        self.vector_store = vector_store
        self.catalog = catalog
        self.embeddings = embeddings
        self.generators = generators
        self.cache = cache
        self.recipe = recipe
        self.points = points
        self.max_chars = max_chars
        self.min_support = min_support

    # --- which document a question names ----------------------------------------------
    def named_in(self, question: str, scope: Sequence[str] | None = None) -> str | None:
        """The document a summary request names ("Summarise the IFR SOP"), or ``None`` when it
        names none, several equally, or asks about a topic instead. A request naming nothing
        ("Summarise this document") means the one document of its scope, or of the library."""
        records = [r for r in self.catalog.all() if scope is None or r.doc_id in scope]
        ids = {w.lower() for w in _DOC_ID_WORD.findall(question)}
        named = [r.doc_id for r in records if r.doc_id.lower() in ids]
        if len(named) == 1:
            return named[0]
        asked = terms(question) - _ASKING
        if not asked:
            return records[0].doc_id if len(records) == 1 else None
        best: list[tuple[float, float, str]] = []
        for record in records:
            held = terms(" ".join(filter(None, (record.title, record.author, record.publisher,
                                                record.doc_id.replace("-", " ")))))
            shared = len(asked & held)
            if shared and shared / len(asked) >= 0.75:
                best.append((shared / len(asked), shared / max(1, len(held)), record.doc_id))
        best.sort(reverse=True)
        if not best or (len(best) > 1 and best[0][:2] == best[1][:2]):
            return None
        return best[0][2]

    # --- summarising ------------------------------------------------------------------
    def summarise(
        self, doc_id: str, generator: str, progress: Progress | None = None,
        refresh: bool = False,
    ) -> Summary:
        """The document's summary; ``progress(done, total, section)`` follows the map step.
        Raises :class:`QuestionError` for a document the library doesn't hold and
        :class:`DocumentBusy` while it is being ingested again."""
        for event in self.stream(doc_id, generator, refresh=refresh):
            if isinstance(event, ProgressEvent) and progress:
                progress(event.done, event.total, event.label)
            elif isinstance(event, SummaryDoneEvent):
                return event.summary
        raise RuntimeError("the summary stream ended without a summary")

    def stream(
        self, doc_id: str, generator: str, question: str | None = None, refresh: bool = False,
    ) -> Iterator[Event]:
        """Progress while the sections are read, then the sources, the text, the checked
        summary (a :class:`SummaryDoneEvent`, which also carries the :class:`Summary`)."""
        started = time.perf_counter()
        record = self.catalog.get(doc_id)
        if record is None:
            raise QuestionError(f"No document '{doc_id}' in the library (removed?); "
                                "`assistant docs list` shows the ids of those it holds.")
        if generator not in self.generators:
            raise QuestionError(f"Unknown generator '{generator}'.")
        document = StoredDocument.read(record, self.vector_store)
        question = question or f"Summarise “{record.title}”."
        version = f"{record.sha256}|{record.splitter}"
        recipe = f"{generator}|{self.recipe}|{self.points}|{self.max_chars}"
        cached = None if refresh else self.cache.get(doc_id, version, recipe)
        if cached is not None:
            evidence = [Evidence(i, document.span(start, end, section), 0.0)
                        for i, (start, end, section) in enumerate(cached["evidence"], start=1)]
            yield SourcesEvent(evidence)
            result = self._checked(question, cached["text"], evidence, cached["generator"],
                                   doc_id, started, {})
            result.fallback = cached.get("fallback")
            yield TokenEvent(result.answer)
            yield _done(result, doc_id, cached["sections"], True)
            return

        parts = document.parts(self.points)
        points: list[_Point] = []
        vectors: list[np.ndarray] = []
        spans: list[Span] = []
        for done, part in enumerate(parts, start=1):
            prose = [s for s in sentences(record.text[part.start:part.end], part.start)
                     if _is_prose(s.text)
                     and not is_byline(line_around(record.text, s.start, s.end), record.author)]
            if prose:
                found = np.asarray(self.embeddings.embed_documents([s.text for s in prose]))
                centre = found.mean(axis=0)
                points.append(_Point(part, prose[int(np.argmax(found @ centre))], centre,
                                     len(prose)))
                vectors.append(found)
                spans.extend(prose)
            yield ProgressEvent(done, len(parts), part.heading or f"part {done}")
        map_ms = ms_since(started)
        if not points:
            raise QuestionError(
                f"'{record.title}' has no passages of prose to summarise (a form or a table "
                "only?); ask questions about it instead.")
        evidence, lead = self._evidence(
            document, self._reduce(points, np.vstack(vectors), spans, len(record.text)))
        yield SourcesEvent(evidence)
        name, fallback = generator, None
        timings = {"map_ms": map_ms}
        # Quoting lays the points out as they are; a model rewrites them.
        tokens = iter([_quoted(evidence, lead)]) if generator == "extractive" else \
            self.generators[generator].generate(question, evidence, [], "summary")
        text = ""
        try:
            for token in tokens:
                timings.setdefault("first_token_ms", ms_since(started))
                text += token
                yield TokenEvent(token)
        except Exception as error:  # a model server that can't be reached: quote instead
            if generator == "extractive":
                raise
            fallback = f"the language model could not be reached ({type(error).__name__})"
        result = self._checked(question, text, evidence, name, doc_id, started, timings)
        if not result.citations:
            name = "extractive"
            fallback = fallback or "the language model gave no summary the passages support"
            text = _quoted(evidence, lead)
            result = self._checked(question, text, evidence, name, doc_id, started, timings)
        elif missing := _uncovered(result, evidence, self.min_support):
            # A small model summarises a few of the sections; the others are quoted.
            yield TokenEvent(f"\n{missing}")
            text = f"{text}\n{missing}"
            result = self._checked(question, text, evidence, name, doc_id, started, timings)
        result.fallback = fallback and f"{fallback}; this summary quotes the document instead"
        self.cache.put(doc_id, version, recipe, {
            "text": text, "generator": name, "fallback": result.fallback, "sections": len(parts),
            "evidence": [[e.span.start, e.span.end, e.span.section] for e in evidence]})
        yield _done(result, doc_id, len(parts), False)

    def _reduce(
        self, points: list[_Point], vectors: np.ndarray, spans: list[Span], length: int,
    ) -> list[tuple[Span, _Part | None]]:
        """The lead sentence, then one point per chosen section, in document order."""
        centre = vectors.mean(axis=0)
        closeness = vectors @ centre
        opening = [i for i, s in enumerate(spans) if s.start < length / 4] or list(range(len(spans)))
        lead = spans[max(opening, key=lambda i: closeness[i]
                         + (_PURPOSE_BONUS if _PURPOSE.search(spans[i].text) else 0.0))]
        weight = [np.sqrt(p.prose) * (1 + float(p.centre @ centre)
                                      / (np.linalg.norm(p.centre) * np.linalg.norm(centre)))
                  * (_BACK_MATTER_WEIGHT if _BACK_MATTER.match(p.part.heading) else 1.0)
                  for p in points]
        ranked = sorted(range(len(points)), key=lambda i: -weight[i])
        chosen = sorted((points[i] for i in ranked[: self.points - 1]
                         if points[i].sentence.start != lead.start),
                        key=lambda p: p.sentence.start)
        return [(lead, None), *((p.sentence, p.part) for p in chosen)]

    def _evidence(
        self, document: StoredDocument, picked: list[tuple[Span, _Part | None]]
    ) -> tuple[list[Evidence], int]:
        """Each point with its neighbouring sentence each side, numbered in document order,
        within ``max_chars`` (the lead always), and the lead's marker."""
        evidence: list[Evidence] = []
        used, lead = 0, 1
        for sentence, part in sorted(picked, key=lambda pair: pair[0].start):
            start, end = (part.start, part.end) if part else (0, len(document.record.text))
            around = sentences(document.record.text[start:end], start)
            at = next((i for i, s in enumerate(around) if s.start >= sentence.start), 0)
            first, last = around[max(0, at - 1)], around[min(len(around) - 1, at + 1)]
            if part is not None and used + last.end - first.start > self.max_chars:
                continue
            used += last.end - first.start
            if part is None:
                lead = len(evidence) + 1
            evidence.append(Evidence(len(evidence) + 1, document.span(
                first.start, last.end, part.heading if part else ""), 0.0, [sentence]))
        return evidence, lead

    def _checked(
        self, question: str, text: str, evidence: list[Evidence], generator: str, doc_id: str,
        started: float, timings: dict,
    ) -> Answer:
        answer, citations, verification = verify(text, evidence, self.min_support,
                                                 keep_uncited=False)
        elapsed = ms_since(started)
        return Answer(
            question=question, answer=answer, refused=False, citations=citations,
            generator=generator, verification=verification.as_dict(),
            timings={"first_token_ms": elapsed, **timings, "total_ms": elapsed},
            standalone_question=question, evidence=evidence, scope=[doc_id], kind="summary")


@dataclass(frozen=True)
class SummaryDoneEvent(DoneEvent):
    """The last event of a summary's stream: the checked answer and the summary around it."""

    summary: Summary


def _done(answer: Answer, doc_id: str, sections: int, cached: bool) -> SummaryDoneEvent:
    return SummaryDoneEvent(answer, Summary(doc_id, answer, sections, cached))


def _quoted(evidence: list[Evidence], lead: int) -> str:
    """The points as quoted: the lead sentence, then one bullet per section in order."""
    line = {e.marker: with_markers(e.hits[0].text.strip(), [e.marker]) for e in evidence}
    return "\n".join([line[lead], *(f"• {line[e.marker]}" for e in evidence if e.marker != lead)])


def _uncovered(answer: Answer, evidence: list[Evidence], min_support: float) -> str:
    """Bullets quoting the points of the sections the answer neither cites nor restates."""
    backing = answer.backing
    return "\n".join(
        f"• {with_markers(e.hits[0].text.strip(), [e.marker])}" for e in evidence
        if (e.hits[0].start, e.hits[0].end) not in backing
        and coverage(e.hits[0].text, answer.answer) < min_support)


def _is_prose(text: str) -> bool:
    text = text.strip()
    letters = sum(c.isalpha() for c in text)
    return (len(words(text)) >= _PROSE_WORDS and letters >= _PROSE_LETTERS * len(text)
            and bool(_PROSE_END.search(text)) and " | " not in text  # a table row
            and text[:1].isupper())  # not a list item's tail or a bullet

