"""The one answering chain behind the CLI, the chat and the evals.

``answer(question, history)`` → :class:`Answer`; ``stream(...)`` yields the same work as
events — the sources first, then the answer's text as it grows, then the checked answer.

Steps: clean and bound the question → rewrite a follow-up into a standalone question →
retrieve (dense + BM25, fused) → pick compact evidence → refuse if the documents can't
answer → generate (language model, or extractive quoting) → verify every citation.

Example:
    >>> chain = Parts(Settings()).chain  # assistant.wiring builds it  # doctest: +SKIP
    >>> chain.answer("Who is NHS England's interim London director?", generator="extractive").answer  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence

from assistant.answering.answer import (
    REFUSAL,
    SCOPED_REFUSAL,
    Answer,
    DoneEvent,
    Event,
    Evidence,
    QuestionError,
    SourcesEvent,
    TokenEvent,
    ms_since,
)
from assistant.answering.citations import (
    MARKER,
    MarkerFilter,
    support,
    verify,
    vouched_text,
    with_markers,
)
from assistant.answering.evidence import EvidenceSelector, ScoredUnit, stops_inside
from assistant.answering.follow_up import FollowUpRewriter
from assistant.answering.generator import Generator
from assistant.answering.question_kind import ENUMERATING, question_kind
from assistant.answering.refusal import RefusalPolicy
from assistant.answering.summary import DocumentSummariser
from assistant.glossary import Glossary
from assistant.retrieval import HybridRetriever, Passage
from assistant.settings import GENERATORS, MAX_TOP_K
from assistant.text import (
    coverage,
    introduces_list,
    without_bullet,
    without_document_references,
)

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LLM_REFUSAL = re.compile(
    r"(do(es)?n['’]?t|do(es)? not|cannot|can['’]t) (cover|answer|mention|say|contain|provide|"
    r"state|specify)|not (covered|mentioned|stated|specified)|no information",
    re.IGNORECASE,
)


def clean_question(question: str, max_chars: int) -> str:
    """The question without control characters; raises :class:`QuestionError` if unusable."""
    cleaned = _CONTROL.sub(" ", question or "").strip()
    if not cleaned:
        raise QuestionError("The question is empty. Type a question about the documents.")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,}. "
            "Ask a shorter question (paste a passage into the library instead of the question)."
        )
    return cleaned


# Chunks a passage stopping inside a list or a table may run on into: a 16-item list fills
# about 3, a table of 25 yearly rows with 4 columns about 5.
_LIST_CHUNKS = 3
_TABLE_CHUNKS = 6


class AnswerChain:
    """Answers questions from the library with verified citations, or refuses plainly."""

    def __init__(
        self,
        retriever: HybridRetriever,
        glossary: Glossary,
        selector: EvidenceSelector,
        refusal: RefusalPolicy,
        generators: dict[str, Generator],
        default_generator: str,
        follow_up: FollowUpRewriter | None = None,
        max_question_chars: int = 2000,
        min_support: float = 0.5,
        summariser: DocumentSummariser | None = None,
        multipart_top_k: int | None = None,
    ) -> None:
        self.retriever = retriever
        self.glossary = glossary
        self.selector = selector
        self.refusal = refusal
        self.generators = generators
        self.default_generator = default_generator
        self.follow_up = follow_up or FollowUpRewriter()
        self.max_question_chars = max_question_chars
        self.min_support = min_support
        self.summariser = summariser
        self.multipart_top_k = multipart_top_k

    def _run_on(self, passages: list[Passage], lists: bool) -> list[Passage]:
        """Passages that stop inside a table (at its caption or among its rows) or, with
        ``lists``, inside a list run on into the chunks after them (up to ``_TABLE_CHUNKS``
        or ``_LIST_CHUNKS`` more), so that the rows of a table and a list asked for come
        whole where the splitter cut them."""
        whole = []
        for passage in passages:
            for added in range(_TABLE_CHUNKS):
                if not stops_inside(passage, lists=lists and added < _LIST_CHUNKS):
                    break
                if (longer := self.retriever.continued(passage)) is passage:
                    break
                passage = longer
            whole.append(passage)
        return whole

    def stream(
        self,
        question: str,
        history: Sequence = (),
        generator: str | None = None,
        k: int | None = None,
        docs: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        question = clean_question(question, self.max_question_chars)
        name = generator or self.default_generator
        if name not in self.generators:
            raise QuestionError(f"Unknown generator '{name}'; choose one of {', '.join(GENERATORS)}.")
        if k is not None and not 1 <= k <= MAX_TOP_K:
            raise QuestionError(
                f"Passages to search must be between 1 and {MAX_TOP_K}, not {k}.")
        scope = self._scope(docs)
        standalone = self.follow_up.standalone(question, history, self.generators[name])
        kind = question_kind(standalone)
        if kind == "summary" and self.summariser is not None:
            # "Summarise <a document>" reads the whole document, not the passages nearest
            # the words; a summary of a topic goes on to retrieval.
            if (doc_id := self.summariser.named_in(standalone, scope)) is not None:
                yield from self.summariser.stream(doc_id, name, question=question)
                return
        if k is None and kind != "fact":
            k = self.multipart_top_k
        topic = without_document_references(standalone)
        passages = self.retriever.search(topic, k, scope)
        searched = self.glossary.expand(topic)
        passages = self._run_on(passages, lists=kind in ENUMERATING)
        evidence, units = self.selector.select(searched, passages, kind)
        if kind == "fact" and units and introduces_list(units[0].span):
            # The best answer introduces a list ("…the application should make clear:"):
            # its items are the answer, so it is answered as a list.
            kind = "list"
            passages = self._run_on(passages, lists=True)
            evidence, units = self.selector.select(searched, passages, kind)
        timings = {"retrieve_ms": ms_since(started)}
        check = self.refusal.check(standalone, passages, units)
        if check.doubtful:
            # The reader sees the sources while the model judges them (a second or more);
            # an empty SourcesEvent takes them back if it then refuses.
            yield SourcesEvent(evidence)
            if self._judged_unanswered(name, standalone, evidence, kind):
                check = self.refusal.unanswered(check)
        result = Answer(
            question=question, answer="", refused=check.refused, citations=[], generator=name,
            verification={}, timings=timings, standalone_question=standalone,
            refusal_reason=check.reason, scope=scope, kind=kind,
        )
        if check.refused:
            result.answer = f"{SCOPED_REFUSAL if scope else REFUSAL} (Why: {check.reason}.)"
            timings.update(first_token_ms=ms_since(started), total_ms=ms_since(started))
            yield SourcesEvent([])
            yield TokenEvent(result.answer)
            yield DoneEvent(result)
            return

        if not check.doubtful:
            yield SourcesEvent(evidence)
        result.evidence = evidence
        text = ""
        for token in self._generate(name, standalone, evidence, units, result, kind):
            if "first_token_ms" not in timings:
                timings["first_token_ms"] = ms_since(started)
            text += token
            yield TokenEvent(token)
        timings.setdefault("first_token_ms", ms_since(started))

        model_refused = result.generator == "llm" and not MARKER.search(text) and bool(
            _LLM_REFUSAL.search(text)
        )
        if not model_refused:
            self._verify_into(result, text, evidence, keep_uncited=kind == "fact")
            if result.generator == "llm" and result.citations:
                quote = self._key_quote(result, evidence, units) if kind == "fact" else \
                    self._more_quotes(result, evidence, units, kind)
                if quote:
                    yield TokenEvent(f"\n{quote}")
                    self._verify_into(result, f"{result.answer}\n{quote}", evidence,
                                      keep_uncited=kind == "fact")
        if model_refused or not result.citations:
            # The refusal policy found evidence, yet the model answered nothing a passage
            # supports: small models often miss what is there, so quote the evidence instead.
            result.generator = "extractive"
            result.fallback = (
                "the language model gave no answer the evidence supports; "
                "this answer quotes the passages that best match the question"
            )
            quoted = "".join(
                self.generators["extractive"].generate(standalone, evidence, units, kind))
            result.verification = {}  # the quotes replace the model's answer
            self._verify_into(result, quoted, evidence)
        timings["total_ms"] = ms_since(started)
        yield DoneEvent(result)

    def _judged_unanswered(
        self, name: str, question: str, evidence: list[Evidence], kind: str
    ) -> bool:
        """Whether the generator, asked, says its evidence doesn't answer (refusal rule 5).
        A model that can't be reached judges nothing: answering goes on, and falls back to
        quotes if the model still can't be reached."""
        try:
            return self.generators[name].answers(question, evidence, kind) is False
        except Exception as error:  # any server failure: the judge is an extra check
            log.warning("the model could not judge the evidence (%s); answering without "
                        "its verdict", type(error).__name__)
            return False

    def _scope(self, docs: Sequence[str] | None) -> list[str] | None:
        """The documents a question is restricted to, checked; None: the whole library."""
        if docs is None:
            return None
        chosen = list(dict.fromkeys(d.strip() for d in docs if d.strip()))
        if not chosen:
            raise QuestionError(
                "The scope names no documents. Choose at least one, or leave the scope out "
                "to ask the whole library.")
        unknown = [d for d in chosen if self.retriever.catalog.get(d) is None]
        if unknown:
            raise QuestionError(
                f"No document {', '.join(repr(d) for d in unknown)} in the library; "
                "`assistant docs list` shows the ids of those it holds.")
        return chosen

    def _key_quote(
        self, result: Answer, evidence: list[Evidence], units: list[ScoredUnit]
    ) -> str | None:
        """The best-matching sentence, quoted and cited, when the model's answer neither
        rests on it nor restates it. A small model sometimes answers from a neighbouring
        sentence; the reader then still sees the one most likely to answer."""
        best = next((u for u in units if any(e.contains(u.span) for e in evidence)), None)
        if best is None:
            return None
        if (best.span.start, best.span.end) in result.backing:
            return None
        if coverage(best.span.text, result.answer) >= self.min_support:
            return None
        holder = next(e for e in evidence if e.contains(best.span))
        return f"The documents say: “{best.span.text.strip().rstrip('.;:')}” [{holder.marker}]."

    def _more_quotes(
        self, result: Answer, evidence: list[Evidence], units: list[ScoredUnit], kind: str
    ) -> str | None:
        """Bullets quoting what quoting alone would have answered (the best evidence
        sentences, a list asked for whole) that the model's list left out, a document it
        cited nothing from first. A small model writes three or four points from the best
        1,200 characters and cites one side of a comparison; the reader still sees all that
        the quotes would have shown. (Capped at as many lines as the quotes, and skipping
        what the model's lines cited or said between them, the model's answers held 46 % of
        the synthesis set's key points where quotes alone held 52 %.)"""
        cited = {c.span.doc_id for c in result.citations}
        said = [line for line in result.answer.splitlines() if line.strip()]
        quotable = self.generators["extractive"].quotes(evidence, units, kind)
        # A quote is already said when one line says most of it, its numbers and names
        # included: words scattered over the model's lines ("live", "same day", "vaccines")
        # don't say "LAIV can also be given with…", a line citing a table row may give one
        # of its two recommendations, and "planning at the level of its sustainability and
        # transformation partnerships" doesn't say there are five.
        left = [
            (span, holder) for holder, span in quotable
            if all(support(span.text, line) < self.min_support for line in said)
            and support(f"• {span.text}", vouched_text(holder)) >= self.min_support
        ]
        left.sort(key=lambda pair: pair[1].span.doc_id in cited)  # stable: best first within
        quotes = [f"• {with_markers(without_bullet(span.text), [holder.marker])}"
                  for span, holder in left]
        return "\n".join(quotes) or None

    def _verify_into(
        self, result: Answer, text: str, evidence: list[Evidence], keep_uncited: bool = True
    ) -> None:
        """Checks ``text`` into ``result``; what an earlier check of the same answer removed
        or found unsupported stays on record (quotes added after it are checked again)."""
        result.answer, result.citations, verification = verify(
            text, evidence, self.min_support, keep_uncited)
        for finding in ("unresolved_markers", "unsupported", "removed_sentences"):
            getattr(verification, finding)[:0] = result.verification.get(finding, [])
        result.verification = verification.as_dict()

    def _generate(
        self, name: str, question: str, evidence: list[Evidence], units: list[ScoredUnit],
        result: Answer, kind: str = "fact",
    ) -> Iterator[str]:
        markers = MarkerFilter({e.marker for e in evidence})
        produced = False
        try:
            for token in self.generators[name].generate(question, evidence, units, kind):
                if shown := markers.feed(token):
                    produced = True
                    yield shown
        except Exception as error:
            if produced or name == "extractive":
                raise
            # The model server is unreachable or failed before answering: quote instead.
            result.generator = "extractive"
            result.fallback = f"the language model could not be reached ({type(error).__name__}); " \
                              "this answer quotes the documents instead"
            yield from self._generate("extractive", question, evidence, units, result, kind)
            return
        if rest := markers.flush():
            yield rest

    def warm_up(self, generator: str | None = None) -> None:
        """Loads the models an answer will need; the chat calls it while the page starts."""
        self.retriever.search("warm up", 1)
        self.generators[generator or self.default_generator].warm_up()

    def answer(
        self, question: str, history: Sequence = (), generator: str | None = None,
        k: int | None = None, docs: Sequence[str] | None = None,
    ) -> Answer:
        for event in self.stream(question, history, generator, k, docs):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("the answering stream ended without an answer")
