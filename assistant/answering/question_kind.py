"""What shape of answer a question asks for: a fact, a list, steps, a comparison or a summary.

Decided by rules on the wording, in a microsecond and the same every time; what they don't
recognise is a fact question, the shape answers had before kinds existed.

Example:
    >>> question_kind("What criteria must an individual funding request meet?")
    'list'
    >>> question_kind("How does the IFR policy differ from the SOP on reviews?")
    'compare'
"""

from __future__ import annotations

import re
from typing import Literal

QuestionKind = Literal["fact", "list", "steps", "compare", "summary"]
# The kinds whose answer is an enumeration: a list in the documents is wanted whole.
ENUMERATING: frozenset[str] = frozenset({"list", "steps"})

_SUMMARY = re.compile(
    r"^\s*(please\s+)?(summari[sz]e|sum up|give (me )?(a |an )?(short |brief )?(summary|overview)"
    r"|(a |an )?(summary|overview) of)\b"
    r"|\bwhat (is|are|were) the (main|key|headline) (points|messages|findings|themes|flaws|"
    r"failings|conclusions|lessons)\b"
    r"|\bwhat is (this|the) (document|guidance|report|policy|column|article) about\b",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    r"\b(compare[sd]?|comparison|compared (with|to)|differ(s|ence|ences)?|different from|versus|"
    r"vs\.?|contrast|agree)\b|\bhow do .+ and .+ (each )?(say|treat|describe|handle)\b|"
    r"\bwhat do .+ and .+ (each )?say\b|\b(each|both) say\b|\b(the|both) two (columns|documents|reports|chapters|inquiries|policies|guides)\b|\beach of the\b|"
    r"\b(the|both) (columns|articles|reports|inquiries|chapters)\b|"
    # a recommendation and the answer to it: "…, and how has the Government responded?"
    r"\band (how|what) (has|have|is|are|did|does|will) (the )?(government|governments|nhs england)"
    r"\b|\bhow far (do|does)\b|\b(instead|in each)\b|\baccording to .+ and (to )?\b",
    re.IGNORECASE,
)
_STEPS = re.compile(
    r"\b(steps?|stages?|process|procedure|sequence|in what order|timeline)\b|"
    r"\bin order\b|\bover time\b|\bhow (has|have) .+ (grown|changed|developed|evolved)\b|"
    r"\bwhat (do|does) .+ each have to do\b|"
    r"\bwhat happens (after|when|next|once)\b|\bhow (do|does|should|can|must|is|are) .+ "
    r"(apply|submit|request|appeal|escalate|refer|made|handled|processed|reviewed)\b",
    re.IGNORECASE,
)
# A plural the answer enumerates: "what criteria…", "which vaccines…", "who are the members…";
# a question in two parts ("which does it cover, and which not?"); reasons ("why…?").
_LIST = re.compile(
    r"(?:^|[.?!]\s+)(what|which|who)\s+(are|were|is)?\s*(the\s+)?([\w'’/-]+\s+){0,3}?"
    r"(criteria|options|problems|reasons|requirements|priorities|outcomes|categories|types|kinds|"
    r"ways|bodies|members|recommendations|conditions|circumstances|factors|groups|components|"
    r"elements|decisions|improvements|vaccines|services|roles|responsibilities|principles|"
    r"exclusions|exceptions|risks|actions|measures|changes|targets|duties|functions|obstacles|"
    r"issues|challenges|benefits|documents|organisations|networks)\b"
    r"|^\s*(list|name|set out|outline)\b|\bwhat (\w+ )?(must|should) .+ (include|contain|cover)\b"
    r"|\bin (which|what) circumstances\b"
    # what a document asks of someone: "What does the guidance expect ICBs to do?"
    r"|(?:^|,)\s*what (does|do|did|must|should|will) .+ (say|require|expect|recommend|advise|ask|set|"
    r"offer|cover|need|weigh|show|demonstrate|include|contain|provide|consider)\b"
    r"|^\s*what (must|should|are) .+ (to )?do\b"
    # how a decision is made or a group is looked after: the criteria or the measures
    r"|^\s*how (should|must|do|does|did|can|will|would) .+ (decide|determine|assess|judge|"
    r"manage|vaccinate|immunise|treat|support|approach|protect|ensure)\b"
    r"|^\s*how (has|have) .+ been (involved|affected|supported)\b"
    # the conditions under which something holds: "When would a certificate save money?"
    r"|^\s*when (would|should|could|can|must|might)\b"
    r"|^\s*(who|which \w+) (should|sits?|counts?|are|is eligible|qualif)"
    r"|(?:^|[.?!,]\s+)(what|which)\s+(\w+\s+){0,2}?\w{2,}[^su\W]s\s+(do|does|did|are|were|should|"
    r"must|can|could|will|would|have|has|had)\b"
    r"|,?\s+and\s+(what|which|how|who|when|where|whether)\b|^\s*why\b",
    re.IGNORECASE,
)


# A number or a duration asked for is one fact, whatever else the question says, unless it
# asks for a second one or for it from two documents.
_ONE_FIGURE = re.compile(
    r"^\s*(how (many|much|long|often)|what (share|proportion|percentage|number|amount|fraction))\b",
    re.IGNORECASE)
_SECOND_PART = re.compile(r"\band (how|what|which|who|when)\b|\baccording to .+ and\b",
                          re.IGNORECASE)


def question_kind(question: str) -> QuestionKind:
    """The kind of answer ``question`` asks for (see the module's docstring)."""
    if _ONE_FIGURE.search(question) and not _SECOND_PART.search(question):
        return "fact"
    for kind, pattern in (("summary", _SUMMARY), ("compare", _COMPARE), ("steps", _STEPS),
                          ("list", _LIST)):
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return "fact"
