"""What a reader makes of any format: plain text, where its pages and sections start, its tables.

Every format's reader (PDF, DOCX, Markdown, HTML) produces a :class:`StructuredText`: the text
users will see quoted (plain: no markup, no page furniture), the offset where each page
begins (paged formats) and where each section begins with its heading. Chunk offsets point
into ``text``, so a citation's page and section follow from its offsets.

A table becomes one line per row in which every cell keeps its column's header, so a figure
stays with its row and column when a passage is cut out of it.

Example:
    >>> table_lines([["Staff group", "Share"], ["Analysts", "34%"], ["Nurses", "51%"]])
    ['Staff group: Analysts | Share: 34%', 'Staff group: Nurses | Share: 51%']
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from operator import attrgetter

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Section:
    """A heading and the offset in the text where its section starts (level 1 is the top)."""

    start: int
    heading: str
    level: int = 1


@dataclass
class StructuredText:
    """Plain text with its page starts (empty for unpaged formats) and sections."""

    text: str
    page_starts: list[int] = field(default_factory=list)  # offset where page i + 1 begins
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be read, one line each
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text OCR read (scans)

    def page_at(self, offset: int) -> int | None:
        """The page (counted from 1, as a PDF viewer counts) holding ``offset``."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    def section_at(self, offset: int) -> str:
        """The heading of the section holding ``offset`` ("" before the first heading)."""
        # Bisected in place (sections are in order): no list of starts is built per call.
        index = bisect_right(self.sections, offset, key=attrgetter("start")) - 1
        return self.sections[index].heading if index >= 0 else ""


def clean_cell(text: str | None) -> str:
    """A table cell on one line, without the spacing of its layout."""
    return _SPACE.sub(" ", text or "").strip()


def table_lines(rows: list[list[str | None]]) -> list[str]:
    """One line per body row, each cell as ``header: value``; the first row is the header.

    Cells without a header keep their value alone; empty cells are left out; a table of
    one row (no body) is written as that row.
    """
    cleaned = [[clean_cell(cell) for cell in row] for row in rows if any(clean_cell(c) for c in row)]
    if not cleaned:
        return []
    header, body = cleaned[0], cleaned[1:]
    if not body:
        return [" | ".join(cell for cell in header if cell)]
    lines = []
    for row in body:
        cells = []
        for column, value in enumerate(row):
            if not value:
                continue
            name = header[column] if column < len(header) else ""
            cells.append(f"{name}: {value}" if name and name != value else value)
        if cells:
            lines.append(" | ".join(cells))
    return lines
