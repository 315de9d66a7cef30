"""Citation markers: checked after generation, so an answer never shows one that lies.

For every sentence of an answer: each ``[n]`` must name evidence that was supplied
(otherwise it is removed and listed as unresolved), and the sentence must be supported by
that evidence: most of its content words occur there, and every number, year and name it
states does (otherwise the marker is removed and listed as unsupported). A claim left
without a marker gets the evidence that supports it, if any does (listed as added). A claim
stating a number or name that no evidence contains is removed (a model's invention);
any other claim left without support stays, listed as uncited.

Example:
    >>> from assistant.spans import SourceSpan
    >>> ev = [Evidence(1, SourceSpan("d", "T", "A", "s", 0, 34, "Jane Cummings is interim director."), 1.0)]
    >>> text, cited, check = verify("Jane Cummings is the interim director [1][7].", ev, 0.5)
    >>> text, [c.marker for c in cited], check.unresolved_markers
    ('Jane Cummings is the interim director [1].', [1], [7])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from assistant.answering.answer import Citation, Evidence
from assistant.text import (
    Span,
    coverage,
    key_terms,
    mentions,
    sentences,
    terms,
    without_urls,
    words,
)

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Markers written after a full stop open the next piece of text but cite the one before.
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)[.,;:!?]*\s*")
_TRAILING_PUNCTUATION = re.compile(r"[.!?;:,]+$")
# A sentence needs this many content words before it is a claim that needs a source.
_CLAIM_TERMS = 2


@dataclass
class Verification:
    """What the post-hoc check found; ``passed`` when nothing had to be removed or was uncited."""

    sentences: int = 0
    unresolved_markers: list[int] = field(default_factory=list)
    unsupported: list[dict] = field(default_factory=list)
    added_markers: list[dict] = field(default_factory=list)
    uncited_sentences: list[str] = field(default_factory=list)
    removed_sentences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (
            self.unresolved_markers or self.unsupported or self.uncited_sentences
            or self.removed_sentences
        )

    def as_dict(self) -> dict:
        return {"passed": self.passed, **asdict(self)}


def _markers(text: str) -> list[int]:
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def _claims(line: str) -> list[tuple[str, list[int]]]:
    """The line's sentences without markers, each with the markers that follow it."""
    claims: list[tuple[str, list[int]]] = []
    for span in sentences(line):
        text = span.text
        leading = _LEADING_MARKERS.match(text)
        if leading and claims:
            claims[-1][1].extend(_markers(leading.group(1)))
            text = text[leading.end() :]
        if text.strip():
            claims.append((MARKER.sub("", text).strip(), _markers(text)))
    return claims


def with_markers(claim: str, markers: list[int]) -> str:
    """The claim with its markers placed before its closing punctuation: ``Fact [1].``"""
    if not markers:
        return claim
    tags = "".join(f"[{m}]" for m in markers)
    punctuation = _TRAILING_PUNCTUATION.search(claim)
    if punctuation:
        return f"{claim[: punctuation.start()].rstrip()} {tags}{punctuation.group()}"
    return f"{claim} {tags}"


def support(claim: str, evidence_text: str) -> float:
    """How well the evidence supports the claim: the share of its content words found
    there, or 0 when it states a number or name the evidence lacks."""
    if not all(mentions(evidence_text, term) for term in key_terms(claim)):
        return 0.0
    return coverage(claim, evidence_text)


def vouched_text(evidence: Evidence) -> str:
    """What a marker vouches for: the passage, and who wrote it under what title, so that
    "According to Dave West, …" is supported by a passage of his."""
    span = evidence.span
    return f"{span.text}\n{span.title}\n{span.author}"


def backing_sentence(claim: str, evidence: Evidence) -> Span:
    """The sentence of the evidence that best supports the claim."""
    span = evidence.span
    return max(sentences(span.text, span.start), key=lambda s: coverage(claim, s.text))


def verify(
    answer: str, evidence: list[Evidence], min_support: float, keep_uncited: bool = True
) -> tuple[str, list[Citation], Verification]:
    """The checked answer text, the citations it keeps (by marker), and the findings.

    With ``keep_uncited`` off (answers laid out as one point per line), a claim no evidence
    supports is removed rather than left without a marker."""
    by_marker = {e.marker: e for e in evidence}
    backing_of: dict[int, list[Span]] = {}
    check = Verification()
    lines = []
    said: set[tuple[str, ...]] = set()
    for line in answer.strip().split("\n"):
        rebuilt = []
        for quoted, markers in _claims(line):
            claim = without_urls(quoted)
            if not words(claim):
                continue
            check.sentences += 1
            # A small model sometimes writes the same point again and again.
            if (key := tuple(words(claim.lower()))) in said:
                check.removed_sentences.append(claim)
                continue
            said.add(key)
            kept: list[int] = []
            for marker in dict.fromkeys(markers):
                if marker not in by_marker:
                    check.unresolved_markers.append(marker)
                    continue
                backing = support(claim, vouched_text(by_marker[marker]))
                if backing >= min_support:
                    kept.append(marker)
                else:
                    check.unsupported.append(
                        {"sentence": claim, "marker": marker, "support": round(backing, 2)}
                    )
            if not kept and len(terms(claim)) >= _CLAIM_TERMS and evidence:
                best = max(evidence, key=lambda e: support(claim, vouched_text(e)))
                backing = support(claim, vouched_text(best))
                if backing >= min_support:
                    kept.append(best.marker)
                    check.added_markers.append(
                        {"sentence": claim, "marker": best.marker, "support": round(backing, 2)}
                    )
                elif not keep_uncited or not all(
                    any(mentions(vouched_text(e), t) for e in evidence) for t in key_terms(claim)
                ):
                    check.removed_sentences.append(claim)
                    continue
                else:
                    check.uncited_sentences.append(claim)
            for marker in kept:
                backing_of.setdefault(marker, []).append(backing_sentence(claim, by_marker[marker]))
            rebuilt.append(with_markers(claim, kept))
        if rebuilt:
            lines.append(" ".join(rebuilt))
    text = "\n".join(lines).strip()
    cited = sorted(set(_markers(text)))
    return text, [Citation.of(by_marker[m], backing_of.get(m, [])) for m in cited], check


class MarkerFilter:
    """Passes streamed text through, holding back an open ``[`` until it closes, and
    dropping markers that name no supplied evidence, so a stream never shows one."""

    def __init__(self, valid_markers: set[int]) -> None:
        self.valid = valid_markers
        self._held = ""

    def feed(self, text: str) -> str:
        self._held += text
        cut = self._held.rfind("[")
        if cut != -1 and "]" not in self._held[cut:] and len(self._held) - cut < 12:
            ready, self._held = self._held[:cut], self._held[cut:]
        else:
            ready, self._held = self._held, ""
        return self._clean(ready)

    def flush(self) -> str:
        ready, self._held = self._held, ""
        return self._clean(ready)

    def _clean(self, text: str) -> str:
        def keep(match: re.Match[str]) -> str:
            numbers = re.split(r"\s*[,;]\s*", match.group(1))
            return match.group(0) if all(int(n) in self.valid for n in numbers) else ""

        return MARKER.sub(keep, text)
