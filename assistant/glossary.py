"""The field's acronyms, both ways: retrieval expands queries with them, refusal accepts either form.

Read from ``glossary.toml``: ``[acronyms]`` short form = long form, both ways; ``[places]``
a place written another way ("French" = "France", "U.S." = "United States"), which counts as
a mention but never expands a search.

Example:
    >>> Glossary({"STP": "sustainability and transformation partnership"}).variants("STPs")
    ['STPs', 'sustainability and transformation partnership']
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from assistant.text import words

GLOSSARY_PATH = Path(__file__).with_name("glossary.toml")


class Glossary:
    """Expands acronyms to their long form and long forms to their acronym."""

    def __init__(self, acronyms: dict[str, str], places: dict[str, str] | None = None) -> None:
        self.acronyms = acronyms
        self.places = places or {}
        self._forms = {**acronyms, **self.places}  # every pair of forms that mean one thing

    @classmethod
    def load(cls, path: Path = GLOSSARY_PATH) -> Glossary:
        with path.open("rb") as handle:
            tables = tomllib.load(handle)
        return cls(tables.get("acronyms", {}), tables.get("places", {}))

    def expand(self, query: str) -> str:
        """The query with the other form of every term it uses appended once.

        >>> Glossary({"STP": "sustainability and transformation partnership"}).expand("How many STPs?")
        'How many STPs? (sustainability and transformation partnership)'
        """
        additions = []
        for short, long in self.acronyms.items():
            uses_short = _written(short, query, exact_case=True)
            uses_long = long.lower() in query.lower()
            if uses_short and not uses_long:
                additions.append(long)
            elif uses_long and not uses_short:
                additions.append(short)
        return f"{query} ({'; '.join(additions)})" if additions else query

    def variants(self, term: str) -> list[str]:
        """The term and its other form, if the glossary knows one (case-insensitive)."""
        for short, long in self._forms.items():
            if term.upper().rstrip("S") == short.upper() or term.upper() == short.upper():
                return [term, long]
            if term.lower() == long.lower():
                return [term, short]
        return [term]

    def covered(self, question: str, text: str) -> set[str]:
        """The question's words (lower case) that belong to a form the text writes the
        other way: "United States" when a passage says "U.S.", "French" when it says "France".

        >>> sorted(Glossary({}, {"U.S.": "United States"}).covered("Is it so in the United States?", "the U.S."))
        ['states', 'united']
        """
        found: set[str] = set()
        for short, long in self._forms.items():
            for asked, other in ((short, long), (long, short)):
                if _written(asked, question, asked is short) and _written(other, text, other is short):
                    found |= {w.lower() for w in words(asked)}
        return found


def _written(form: str, text: str, exact_case: bool) -> bool:
    """Whether the text uses the form: a short form as written ("US", not "us" or "using"),
    a long one in any case, with a plural allowed."""
    flags = 0 if exact_case else re.IGNORECASE
    return re.search(rf"(?<![\w/]){re.escape(form)}s?(?![\w/])", text, flags) is not None
