"""The field's acronyms, both ways: retrieval expands queries with them, refusal accepts either form.

Read from ``glossary.toml`` (``[acronyms]`` short form = long form).

Example:
    >>> Glossary({"STP": "sustainability and transformation partnership"}).variants("STPs")
    ['STPs', 'sustainability and transformation partnership']
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary.toml")


class Glossary:
    """Expands acronyms to their long form and long forms to their acronym."""

    def __init__(self, acronyms: dict[str, str]) -> None:
        self.acronyms = acronyms

    @classmethod
    def load(cls, path: Path = GLOSSARY_PATH) -> Glossary:
        with path.open("rb") as handle:
            return cls(tomllib.load(handle).get("acronyms", {}))

    def expand(self, query: str) -> str:
        """The query with the other form of every term it uses appended once.

        >>> Glossary({"STP": "sustainability and transformation partnership"}).expand("How many STPs?")
        'How many STPs? (sustainability and transformation partnership)'
        """
        additions = []
        for short, long in self.acronyms.items():
            uses_short = re.search(rf"(?<![\w/]){re.escape(short)}s?(?![\w/])", query)
            uses_long = long.lower() in query.lower()
            if uses_short and not uses_long:
                additions.append(long)
            elif uses_long and not uses_short:
                additions.append(short)
        return f"{query} ({'; '.join(additions)})" if additions else query

    def variants(self, term: str) -> list[str]:
        """The term and its other form, if the glossary knows one (case-insensitive)."""
        for short, long in self.acronyms.items():
            if term.upper().rstrip("S") == short.upper() or term.upper() == short.upper():
                return [term, long]
            if term.lower() == long.lower():
                return [term, short]
        return [term]
