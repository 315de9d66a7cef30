"""Text helpers shared by evidence selection, refusal and citation checks.

Sentences keep their character offsets; terms are lower-cased, stemmed content words.

Example:
    >>> [s.text for s in sentences("One fact. Another fact!\\n\\nA third")]
    ['One fact.', 'Another fact!', 'A third']
    >>> sorted(terms("The trusts are falling"))
    ['fall', 'trust']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"\w+(?:['’&]\w+)*")
# A sentence ends at a line break, or within a line at . ! ? (and closing quotes or brackets)
# followed by space.
_LINE_BREAK = re.compile(r"\n+")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*[ \t]+")
# A body row of a table as ingest/structure.table_lines writes it: "header: value | …".
_TABLE_ROW = re.compile(r"[^|\n.!?]{1,120}?: .*? \| ")
# Long list-like sentences are cut at semicolons so that one clause can be cited alone.
_LONG_SENTENCE = 300
_CLAUSE = re.compile(r"(?<=;)[ \t]+")
# Question words and modal verbs carry no topic: a passage need not contain them.
_STOPWORDS = frozenset(STOPWORDS_EN) | {
    "s", "t", "also", "would", "could", "many", "much", "who", "whom", "whose", "what", "which",
    "how", "why", "when", "where", "does", "did", "do", "should", "must", "might", "may", "can",
    "according", "say", "said", "tell", "me", "us", "please",
}


@dataclass(frozen=True)
class Span:
    """A piece of a text and where it sits: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


def _pieces(text: str, boundary: re.Pattern[str], offset: int) -> list[Span]:
    spans, position = [], 0
    for match in [*boundary.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[position:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            start = offset + position + lead
            spans.append(Span(stripped, start, start + len(stripped)))
        if match:
            position = match.end()
    return spans


def sentences(text: str, offset: int = 0) -> list[Span]:
    """The sentences of ``text`` (long ones cut into clauses), offsets shifted by ``offset``.
    A table row as ingestion writes it ("Age: 12 months | Vaccines: • Two doses of MenB.")
    stays one sentence, so each figure keeps its row.

    >>> [s.text for s in sentences("Age: 1 | Dose: One. Two.\\nSee above. Then")]
    ['Age: 1 | Dose: One. Two.', 'See above.', 'Then']
    """
    result = []
    for line in _pieces(text, _LINE_BREAK, offset):
        pieces = [line] if _TABLE_ROW.match(line.text) else _pieces(line.text, _BOUNDARY, line.start)
        for sentence in pieces:
            if len(sentence.text) > _LONG_SENTENCE:
                result.extend(_pieces(sentence.text, _CLAUSE, sentence.start))
            else:
                result.append(sentence)
    return result


# A list item: a bullet or an enumerator ("1.", "a)", "(iv)") first, or a clause ending a
# semicolon list ("…groups;", "…outcomes; or"); a bare "and"/"or" between items belongs too.
_LIST_ITEM = re.compile(r"^(?:[•●○◦▪■□–—*·-]\s*|\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s)")
_BULLET = re.compile(r"^[•●○◦▪■□–—*·-]\s*")
_ITEM_END = re.compile(r";(?:\s*(?:and|or|and/or))?$", re.IGNORECASE)
_CONNECTORS = {"and", "or", "and/or"}
_LONGEST_LIST = 16


def _in_list(span: Span) -> bool:
    text = span.text.strip()
    return bool(_LIST_ITEM.match(text) or _ITEM_END.search(text)) or text.lower() in _CONNECTORS


def without_bullet(text: str) -> str:
    """A list item's text without its bullet glyph (a reader's bullet replaces it).

    >>> without_bullet("• the plausibility of the argument")
    'the plausibility of the argument'
    """
    return _BULLET.sub("", text.strip())


def introduces_list(span: Span) -> bool:
    """Whether the sentence ends with a colon, as one introducing a list does ("…the
    application should make clear:"): quoted alone it says nothing."""
    return span.text.rstrip().endswith(":")


# A table's caption: "Table 19.3 Influenza vaccine uptake…", "Table 2: Budget".
_CAPTION = re.compile(r"^\s*Table\s+[A-Z]?\d+(?:\.\d+)*\b")


def in_table(span: Span) -> bool:
    """Whether the sentence is a table's caption or one of its rows ("Year: 2023/24 | …"),
    so that the table's rows may follow it.

    >>> in_table(Span("Table 19.3 Influenza vaccine uptake in the UK.", 0, 46))
    True
    >>> in_table(Span("Year: 2023/24 | England (%): 32.1", 0, 33))
    True
    >>> in_table(Span("See table 4 for the figures.", 0, 28))
    False
    """
    return bool(_CAPTION.match(span.text) or _TABLE_ROW.match(span.text))


def captions(spans: list[Span]) -> list[str]:
    """For each sentence that is a table's row, the caption of its table when the passage
    holds it (else ""), so that "Year: 2023/24 | England (%): 32.1" is read as a row of
    "Table 19.3 Influenza vaccine uptake … for pregnant women".

    >>> rows = [Span("Table 2 Staff by group.", 0, 23), Span("Group: Analysts | Share: 34%", 24, 52)]
    >>> captions(rows)
    ['', 'Table 2 Staff by group.']
    """
    found, caption = [], ""
    for span in spans:
        if _CAPTION.match(span.text):
            caption = span.text
        found.append(caption if _TABLE_ROW.match(span.text) else "")
    return found


def list_run(spans: list[Span], position: int, text: str = "", offset: int = 0) -> tuple[int, int]:
    """The first and last index of the list that the sentence at ``position`` belongs to —
    its introducing sentence ("…the Panel will consider:") and its items — or
    ``(position, position)`` when it is not part of one. A question asking for a list wants
    the whole of it, not the one item nearest its words. Given the ``text`` the spans were
    cut from (starting at ``offset``), an item's later sentences on its line belong to it.

    >>> parts = sentences("24.\\nIt will consider:\\n• fit\\n• plausibility\\n• comorbidities\\n25. Next.")
    >>> first, last = list_run(parts, 3)
    >>> [part.text for part in parts[first : last + 1]]
    ['It will consider:', '• fit', '• plausibility', '• comorbidities']
    """

    def member(index: int) -> bool:
        if _in_list(spans[index]):
            return True
        # A later sentence of a bulleted or numbered item: no line break since its start.
        while index > 0 and text and "\n" not in text[spans[index - 1].end - offset
                                                     : spans[index].start - offset]:
            index -= 1
            if _LIST_ITEM.match(spans[index].text.strip()):
                return True
        return False

    opens = introduces_list(spans[position])
    if not (opens or member(position)):
        return position, position
    first = position
    if not opens:
        while first > 0 and member(first - 1) and position - first < _LONGEST_LIST:
            first -= 1
        if first > 0 and introduces_list(spans[first - 1]):
            first -= 1
    last = position
    while last + 1 < len(spans) and member(last + 1) and last - first < _LONGEST_LIST:
        last += 1
    if _ITEM_END.search(spans[last].text.strip()) and last + 1 < len(spans):
        last += 1  # a semicolon list's last item ends with a full stop
    return (position, position) if last == first else (first, last)


# How much of a list is read with the sentence introducing it.
_ITEMS_READ_CHARS = 400


def items_after(spans: list[Span], position: int, text: str = "", offset: int = 0) -> str:
    """The first items (up to about 400 characters) of the list the sentence at ``position``
    introduces, or "" when it introduces none: "All systems must:" says what its list is
    about only with its items.

    >>> parts = sentences("All systems must:\\n• validate waiting lists\\n• cut referrals\\nNext.")
    >>> items_after(parts, 0)
    '• validate waiting lists • cut referrals'
    """
    if not introduces_list(spans[position]):
        return ""
    _, last = list_run(spans, position, text, offset)
    read = ""
    for span in spans[position + 1 : last + 1]:
        if len(read) >= _ITEMS_READ_CHARS:
            break
        read = f"{read} {span.text.strip()}".strip()
    return read[:_ITEMS_READ_CHARS]


_DOCUMENT_NOUNS = r"(?:columns?|documents?|reports?|papers?|articles?|pieces?|sources?|texts?|" \
    r"publications?|guidances?|policies|polic(?:y|ies) documents?|files?)"
# "in each of the two columns", "both documents", "these three reports", "the columns": the
# question pointing at the documents, not at what they say.
_DOCUMENT_REFERENCE = re.compile(
    r"\s*\b(?:(?:in|across|from|of|by|between)\s+)?(?:(?:each|both|all|either|any)\s+of\s+)?"
    r"(?:(?:the|these|those)\s+(?:two|three|four|2|3|4)|both(?:\s+the)?|each|all(?:\s+the)?"
    r"(?:\s+(?:two|three|four|2|3|4))?|(?:the|these|those)(?=\s+(?:columns|documents|articles|"
    r"pieces|sources)\b))\s+" + _DOCUMENT_NOUNS + r"\b",
    re.IGNORECASE,
)


def without_document_references(question: str) -> str:
    """The question without the words that point at the documents themselves: they name
    no topic, and a search or a cross-encoder reading "the two columns" looks for columns.
    Kept whole when fewer than two content terms would remain.

    >>> without_document_references("What part does the mayor play in each of the two columns?")
    'What part does the mayor play?'
    >>> without_document_references("Both columns mention stroke services. What does each say?")
    'mention stroke services. What does each say?'
    """
    stripped = _DOCUMENT_REFERENCE.sub("", question).strip()
    stripped = re.sub(r"\s+([?.,;:!])", r"\1", stripped)
    return stripped if len(terms(stripped)) >= 2 else question


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def terms(text: str) -> set[str]:
    """Stemmed, lower-cased content words (no stop words, no one-letter tokens)."""
    lowered = [w.lower().replace("’", "'") for w in words(text)]
    kept = [w.removesuffix("'s") for w in lowered if w not in _STOPWORDS and len(w) > 1]
    return set(_stemmer().stemWords(kept))


_NUMBER = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|billion|dozen|several|few)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b((19|20)\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|spring|summer|autumn|winter|last year|next year|this year|ago|"
    r"months?|weeks?|years?|days?|hours?|minutes?)\b",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(
    r"\b(daily|weekly|fortnightly|monthly|quarterly|annually|yearly|every|once|twice|"
    r"times (a|an|each|per|every)|(a|each|per) (day|week|month|year)|per (hundred|thousand|"
    r"million|\d[\d,]*))\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"[£$€%]|\b(million|billion|pounds?|pence|per ?cent)\b", re.IGNORECASE)
# Two or more capitalised words, the first not possessive: "Jane Cummings", not "England’s London".
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z’']+)+")
# Words that make a capitalised run an organisation or a place, not a person.
_NOT_A_PERSON = {
    "board", "care", "health", "forum", "office", "commission", "network", "networks",
    "programme", "trust", "trusts", "group", "groups", "council", "councils", "committee",
    "partnership", "improvement", "england", "london", "manchester", "greater", "quality",
    "audit", "national", "devolution", "government", "nhs", "service", "services", "unit",
}
_ASKS = [
    # An amount asked for, not a money word in a name: "individual funding request" and
    # "save them money" ask for no sum.
    ("money", re.compile(
        r"\bhow much\b(?!.*\bhow many\b)[^?]*\b(money|funding|cash|cost|costs|pay|paid|spend|"
        r"spent|save|saved|charge|worth)\b|\bwhat (is|was|were|are|will be) (the|its|their|"
        r"his|her) (cost|price|salary|fee|charge|budget|tariff|value)\b|\b(salary|salaries)\b|"
        r"\bwhat was the budget\b", re.IGNORECASE)),
    ("duration", re.compile(r"\bhow long\b|\bwaiting times?\b|\bwaits?\b", re.IGNORECASE)),
    ("number", re.compile(
        r"\bhow (many|much|big|large)\b|\bwhat (number|share|percentage)", re.IGNORECASE)),
    ("frequency", re.compile(r"\bhow often\b|\bhow frequently\b", re.IGNORECASE)),
    ("time", re.compile(r"^\s*when\b|\bwhat (year|month|date|time)\b", re.IGNORECASE)),
    ("person", re.compile(
        r"\bname of\b|\bwhat is (his|her|their) name\b|\bwhich (person|people|official)",
        re.IGNORECASE)),
    # "Who" may be answered by an organisation ("the mayor's office"): a hint, not a demand.
    ("who", re.compile(r"^\s*(who|whom|whose)\b", re.IGNORECASE)),
]
# The kinds a passage must hold before the question counts as answered.
REQUIRED_KINDS = {"money", "duration", "number", "frequency", "time", "person"}


_PLURAL_OR_POSSESSIVE = re.compile(r"(['’]s|['’]|s)$")


def _names(text: str) -> list[str]:
    return [
        name for name in _NAME.findall(text)
        if not {_PLURAL_OR_POSSESSIVE.sub("", w.lower()) for w in name.split()} & _NOT_A_PERSON
    ]


# Words that end the counted thing in "how many <thing> …": a verb or preposition follows it.
_COUNT_ENDS = {
    "are", "is", "was", "were", "do", "does", "did", "has", "have", "had", "will", "would",
    "can", "could", "must", "should", "may", "might", "in", "of", "per", "on", "at", "for",
    "from", "to", "by", "with", "there", "been", "be", "took", "take", "make", "made",
}
_HOW_MANY = re.compile(r"\bhow many\s+(.*)", re.IGNORECASE)
# How far apart, in words, a number and the thing it counts may sit beyond the words the
# question names it with: "five pilots", "8 out of 42 local resilience forums", "members … three".
_COUNT_SLACK = 2


def _counted(question: str) -> tuple[str, int] | None:
    """The stem of what a "how many" question counts, and how near a number must be to it:
    "How many GP federations are there" → ("feder", 4)."""
    if not (found := _HOW_MANY.search(question)):
        return None
    thing = []
    for word in words(found.group(1)):
        if word.lower() in _COUNT_ENDS:
            break
        thing.append(word)
    if not thing:
        return None
    return _stemmer().stemWord(thing[-1].lower()), len(thing) + _COUNT_SLACK


# Words that qualify a count without separating it from its noun: "three or more items".
_COUNT_QUALIFIERS = {"or", "more", "fewer", "less", "than", "at", "least", "most", "up", "to",
                     "over", "under", "around", "about", "approximately", "nearly", "almost"}


def _counts(text: str, counted: str, reach: int) -> bool:
    """A number within ``reach`` words of the counted thing (qualifiers not counted)."""
    tokens = [t for t in words(text) if t.lower() not in _COUNT_QUALIFIERS]
    stems = _stemmer().stemWords([t.lower() for t in tokens])
    numbers = [i for i, t in enumerate(tokens) if _NUMBER.fullmatch(t)]
    return any(abs(i - j) < reach for j, st in enumerate(stems) if st == counted for i in numbers)


def answer_type(question: str) -> Callable[[str], bool] | None:
    """A test that a sentence holds what the question asks for, if its type is clear:
    an amount for "how much money", a number of the thing counted for "how many", a time for "when", a
    duration for "how long", a person's name the question doesn't give for "who".

    >>> holds = answer_type("Who replaced Anne Rainsberry?")
    >>> holds("Anne Rainsberry left."), holds("Jane Cummings took over.")
    (False, True)
    """
    kind = answer_kind(question)
    if kind == "money":
        return lambda text: bool(_MONEY.search(text))
    if kind == "duration":
        return lambda text: bool(_TIME.search(text) and _NUMBER.search(text))
    if kind == "frequency":
        return lambda text: bool(_FREQUENCY.search(text))
    if kind == "number":
        if counted := _counted(question):
            return lambda text: _counts(text, *counted)
        return lambda text: bool(_NUMBER.search(text))
    if kind == "time":
        return lambda text: bool(_TIME.search(text))
    if kind in ("person", "who"):
        asked = {w.lower() for w in words(question)}
        role = _role(question) if kind == "person" else set()

        def names_one(text: str) -> bool:
            return any(
                not {w.lower() for w in words(name)} <= asked for name in _names(text)
            ) and (not role or role <= terms(text))

        return names_one
    return None


_NAME_OF = re.compile(r"\bname of\s+(.*?)(?:\s+(?:of|at|for|in|on|who|that)\s+.*)?\??\s*$",
                      re.IGNORECASE)


def _role(question: str) -> set[str]:
    """The stemmed words of the post whose holder "the name of …" asks for, which the
    sentence naming someone must also hold: "the name of Lewisham CCG's chief officer" →
    {"chief", "offic"}; a chair named elsewhere is not its chief officer."""
    if not (found := _NAME_OF.search(question)):
        return set()
    post = re.split(r"['’]s?\s+", found.group(1))[-1]  # after the organisation's possessive
    return terms(" ".join(w for w in words(post) if w.islower())) - _ROLE_GENERIC


# Words after "the name of" that ask for a name without naming a post.
_ROLE_GENERIC = {"person", "peopl", "individu", "offici", "author", "writer", "someon"}


def answer_kind(question: str) -> str | None:
    """The kind of answer the question asks for ("money", "duration", "number", "frequency",
    "time", "person" or "who"), if it is clear."""
    return next((kind for kind, asks in _ASKS if asks.search(question)), None)


# Capitalised words that name nothing specific when they open a clause or are common here.
_GENERIC = {
    "what", "who", "whom", "whose", "which", "when", "where", "why", "how", "is", "are", "was",
    "were", "do", "does", "did", "can", "could", "should", "would", "will", "has", "have", "had",
    "the", "a", "an", "in", "on", "of", "for", "to", "and", "or", "but", "if", "according",
    "tell", "me", "give", "list", "name", "explain", "describe", "summarise", "summarize", "i",
    "please", "about", "there", "this", "that", "these", "those", "it", "its",
    "mr", "mrs", "ms", "dr", "article", "articles", "document", "documents", "column", "author",
}


# Numbers written as one term: "2023/24", "2023–24", "31-day", "12-month".
NUMBER_RUN = re.compile(r"\d+(?:[/–-]\d+)+|\d+[–-][a-z]+", re.IGNORECASE)
_TERM = re.compile(rf"{NUMBER_RUN.pattern}|{_WORD.pattern}", re.IGNORECASE)


def key_terms(text: str) -> list[str]:
    """Proper names, acronyms and numbers in a question or claim, in order.

    >>> key_terms("Did Jane Cummings leave NHS England in 2019?")
    ['Jane', 'Cummings', 'NHS', 'England', '2019']
    >>> key_terms("What was uptake in 2023/24 against the 31-day target?")
    ['2023/24', '31-day']
    """
    found = []
    for position, word in enumerate(_TERM.findall(text)):
        bare = re.sub(r"['’]s$", "", word)
        if bare.lower() in _GENERIC or len(bare) < 2:
            continue
        is_number = any(ch.isdigit() for ch in bare)
        is_name = bare[:1].isupper() and (position > 0 or bare.isupper() or len(bare) > 1
                                          and not bare[1:].islower())
        if is_number or is_name:
            found.append(bare)
    return found


# A year, or a run of years ("2019", "2024/25", "2023–2024"): the period a figure is for.
_PERIOD = re.compile(r"(?:19|20)\d\d(?:[/–-](?:19|20)?\d\d)?")


def is_period(term: str) -> bool:
    """Whether a key term names a year or a run of years.

    >>> is_period("2024/25"), is_period("1996"), is_period("31-day"), is_period("12")
    (True, True, False, False)
    """
    return _PERIOD.fullmatch(term) is not None


def mentions(text: str, term: str) -> bool:
    """Whether ``text`` contains ``term`` as a word start, ignoring case and a plural "s";
    a run of numbers matches however it is joined ("2023/24", "2023–24"), and a run of
    years however its second year is written ("2024/25", "2024 to 2025").

    >>> mentions("Five STPs were formed", "STP"), mentions("Five STPs", "Leeds")
    (True, False)
    >>> mentions("uptake in 2023–24", "2023/24"), mentions("a 31 day wait", "31-day")
    (True, True)
    >>> mentions("from April 2024 to March 2025", "2024/25"), mentions("in 2024-2025", "2024/25")
    (False, True)
    """
    normalised = text.lower().replace("’", "'")
    if NUMBER_RUN.fullmatch(term):
        parts = [re.escape(part) for part in re.split(r"[/–-]", term.lower())]
        if is_period(term) and len(parts) == 2:
            parts[1] = f"(?:{parts[0][:4 - len(parts[1])]})?{parts[1]}"
        pattern = r"(?:[\s/–-]|\s+to\s+)".join(parts)
        return re.search(rf"(?<![\w/–-]){pattern}(?![\w/–-]*\d)", normalised) is not None
    stem = (term.lower().rstrip("s") if len(term) > 3 else term.lower()).replace("’", "'")
    return re.search(rf"(?<!\w){re.escape(stem)}", normalised) is not None


# Words this long, one letter off a word the documents hold, are that word misspelt
# ("Zanamavir", "Influenze"); shorter ones are too often other words ("Leeds", "needs").
MIN_MISSPELT = 7
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit(word: str) -> set[str]:
    """Every string one deletion, substitution, insertion or transposition from ``word``.

    >>> "zanamivir" in one_edit("zanamavir"), "needs" in one_edit("leeds")
    (True, True)
    """
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


def mentions_misspelt(text: str, term: str) -> bool:
    """Whether ``text`` holds ``term`` with one letter wrong (only for long terms).

    >>> mentions_misspelt("oral zanamivir was given", "Zanamavir")
    True
    """
    if len(term) < MIN_MISSPELT:
        return False
    near = one_edit(term.lower())
    return any(word in near for word in _WORD.findall(text.lower()))


_URL = re.compile(r"(\s*\b(at|from|see|via|on)\b)?\s*[(<]?\b(https?://\s?|www\.)\S*[^\s.,;:)>][)>]?",
                  re.IGNORECASE)


def without_urls(text: str) -> str:
    """The text with its web addresses taken out: an answer names its source by citation,
    and a URL quoted from a page's margin or a footnote is furniture to a reader.

    >>> without_urls("Ethical framework (2013), https://www.england.nhs.uk/cp-01.pdf")
    'Ethical framework (2013)'
    >>> without_urls("It is available at www.gov.uk/dhsc.")
    'It is available.'
    """
    stripped = _URL.sub("", text)
    if stripped == text:
        return text
    return re.sub(r"[\s,;:]+([.!?]?)$", r"\1", stripped).strip()


def coverage(claim: str, evidence: str) -> float:
    """Share of the claim's content terms that the evidence contains (1.0 if it has none)."""
    claimed = terms(claim)
    if not claimed:
        return 1.0
    return len(claimed & terms(evidence)) / len(claimed)


_ATTRIBUTION = r"(?:\baccording to\s+|\bby\s+)?{name}(?:['’]s?\b)?\s*,?\s*"
_SURNAME_FIRST = re.compile(r"^\s*([A-Z][a-z’'-]+),\s*([A-Z][a-z’'-]+)\s*$")


def without_attribution(question: str, authors: set[str]) -> str:
    """The question without the name of a person who wrote the documents it is asked about:
    "According to Dave West, what is the hard bit?" asks about his article's content, so his
    name picks the document, not the sentence (it would pick his byline). Organisations stay
    ("What does NHS England expect?"), and so does a name whose removal would leave fewer
    than two content terms ("Who is Dave West?").

    >>> without_attribution("What kind of devolution does Dave West dismiss?", {"Dave West"})
    'What kind of devolution does dismiss?'
    >>> without_attribution("What does Helen Smith's guidance cover?", {"Smith, Helen"})
    'What does guidance cover?'
    >>> without_attribution("Who is Dave West?", {"Dave West"})
    'Who is Dave West?'
    """
    stripped = question
    for author in sorted(authors):
        author = _SURNAME_FIRST.sub(r"\2 \1", author)
        for name in _names(author):
            pattern = r"\s+".join(re.escape(part) for part in name.split())
            stripped = re.sub(_ATTRIBUTION.format(name=pattern), "", stripped, flags=re.IGNORECASE)
    return stripped if len(terms(stripped)) >= 2 else question


# A byline or standfirst: a short paragraph crediting the document's writer ("Essential
# insight into England's biggest health economy, by Ben Clover.", "By senior bureau chief
# Dave West").
_BYLINE_WORDS = 30


def line_around(text: str, start: int, end: int) -> str:
    """The line (a paragraph, in the stored text) of ``text`` holding ``text[start:end]``.

    >>> line_around("A standfirst. By Dave West.\\nThe column.", 0, 13)
    'A standfirst. By Dave West.'
    """
    stop = text.find("\n", end)  # never a copy of the text: it is called per sentence
    return text[text.rfind("\n", 0, start) + 1: stop if stop >= 0 else len(text)]


def is_byline(text: str, author: str) -> bool:
    """Whether ``text`` is a short paragraph crediting ``author`` ("…, by Ben Clover.").

    >>> is_byline("Essential insight into England’s biggest health economy, by Ben Clover.", "Ben Clover")
    True
    >>> is_byline("Ben Clover lists the bodies that crowd London.", "Ben Clover")
    False
    """
    if not author or len(words(text)) > _BYLINE_WORDS:
        return False
    author = _SURNAME_FIRST.sub(r"\2 \1", author)
    return any(
        re.search(r"(^|\W)by\s+([\w’'-]+\s+){0,4}?" + r"\s+".join(re.escape(p) for p in name.split())
                  + r"\b", text, re.IGNORECASE)
        for name in _names(author))
