"""Page breaks in text exports of paged documents, and the furniture that comes with them.

A PDF saved as Markdown or text keeps its pages as runs of blank lines (or form feeds), and
its furniture at each break: the page number ends the last line of a page ("…will transfer 2"),
the running header starts the first line of the next ("2025/26 priorities and operational
planning guidance a higher proportion of funding…"). Quoted, they read as part of the sentence.

:func:`without_page_furniture` finds such breaks — only where the furniture proves them:
page numbers that count up, or a header repeated at most breaks — and takes the furniture
out: a sentence cut by a break is joined again, a paragraph that ended there stays apart, and
the page starts are kept, so passages of an exported PDF cite their pages too. Text without
such breaks comes back unchanged.

Example:
    >>> gap = "\\n" * 6
    >>> pages = ["Wards are full and patients 1", "Winter beds guide 2025 wait on trolleys. Beds open 2",
    ...          "Winter beds guide 2025 in spring. 3", "Winter beds guide 2025 The end."]
    >>> read = without_page_furniture(StructuredText(gap.join(pages)))
    >>> read.text
    'Wards are full and patients wait on trolleys. Beds open in spring.\\n\\nThe end.'
    >>> [read.text[start:][:8] for start in read.page_starts]
    ['Wards ar', 'wait on ', 'in sprin', 'The end.']
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from dataclasses import replace

from ingest.structure import Section, StructuredText

# Three or more blank lines, or a form feed, between two lines of text. Four or more (or a
# form feed) may prove the breaks; a run of three is a break only where the furniture proven
# at the others marks it too, as exporters write some page breaks shorter.
_BREAK = re.compile(r"[ \t]*\n(?:[ \t]*\n){3,}[ \t]*|\s*\f\s*")
_PAGE_NUMBER = re.compile(r"(?:^|(?<=\s))(\d{1,4})[ \t]*$")
_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]$")
# A running header is at least this many words, seen after at least this share of the breaks.
_HEADER_WORDS = (3, 16)
_HEADER_SHARE = 0.5
_MIN_BREAKS = 3


def _running_header(first_lines: list[str]) -> str | None:
    """The longest word-aligned prefix that most pages' first lines share."""
    needed = max(_MIN_BREAKS, int(len(first_lines) * _HEADER_SHARE + 0.999))
    split = [line.split(" ") for line in first_lines]
    for length in range(_HEADER_WORDS[1], _HEADER_WORDS[0] - 1, -1):
        counts = Counter(" ".join(words[:length]) for words in split if len(words) > length)
        if counts:
            prefix, seen = counts.most_common(1)[0]
            if seen >= needed and len(prefix) >= 12:
                return prefix
    return None


def _numbers_count_up(numbers: list[int | None]) -> bool:
    """Most breaks end a page with a number, and each number is above the one before by no
    more than the breaks between them (a page may hold a break of its own)."""
    found = [(i, n) for i, n in enumerate(numbers) if n is not None]
    if len(found) < max(_MIN_BREAKS, len(numbers) * _HEADER_SHARE):
        return False
    steps = [0 < n2 - n1 <= i2 - i1 for (i1, n1), (i2, n2) in zip(found, found[1:])]
    return sum(steps) >= 0.7 * len(steps)


def _page_starts(starts: list[int], numbers: list[int | None]) -> list[int]:
    """Where each printed page starts, from where each piece starts and the number printed at
    its end (None: none). Pieces before the first number are the unnumbered cover, the page
    before it; a piece without a number belongs to the page after the previous one; a number
    skipped starts where the next one does."""
    first = next((n for n in numbers if n is not None), None)
    if first is None:
        return starts
    labels = []
    previous = max(1, first - 1)
    first_at = numbers.index(first)
    for index, number in enumerate(numbers):
        if number is None:
            number = previous if index < first_at else previous + 1
        labels.append(max(number, previous))
        previous = labels[-1]
    page_starts: list[int] = []
    for start, label in zip(starts, labels):
        while len(page_starts) < label:
            page_starts.append(start)
    return page_starts


def _edges(text: str, breaks: list[re.Match]) -> tuple[list[str], list[str], list[int | None]]:
    """The last line before each break, the first line after it, and the page number that
    ends the last line (None: none)."""
    tails = [text[text.rfind("\n", 0, b.start()) + 1 : b.start()] for b in breaks]
    heads = [text[b.end() : (text.find("\n", b.end()) + 1 or len(text) + 1) - 1] for b in breaks]
    numbers = [int(m.group(1)) if (m := _PAGE_NUMBER.search(t)) else None for t in tails]
    return tails, heads, numbers


def _marked(text: str, runs: list[re.Match], header: str | None,
            numbers: list[int | None] | None, breaks: list[re.Match]) -> list[re.Match]:
    """The ``runs`` that the proven furniture marks as page breaks: the running ``header``
    after one, or a page number that fits between those of the proven ``breaks`` before it
    (``numbers``, when they count up)."""
    _, heads, found = _edges(text, runs)
    numbered = [(b.start(), n) for b, n in zip(breaks, numbers or []) if n is not None]
    marked = []
    for run, head, number in zip(runs, heads, found):
        if header is not None and head.startswith(header):
            marked.append(run)
        elif numbers is not None and number is not None:
            before = [n for at, n in numbered if at < run.start()]
            after = [n for at, n in numbered if at > run.start()]
            if before and before[-1] < number < (after[0] if after else before[-1] + 2):
                marked.append(run)
    return marked


def without_page_furniture(read: StructuredText) -> StructuredText:
    """``read`` without the page numbers and running headers at its page breaks, with its
    page starts; unchanged if it has no such breaks (or already has pages)."""
    text = read.text
    runs = list(_BREAK.finditer(text))
    breaks = [run for run in runs if "\f" in run.group() or run.group().count("\n") > 4]
    if read.page_starts or len(breaks) < _MIN_BREAKS:
        return read
    tails, heads, numbers = _edges(text, breaks)
    counted = _numbers_count_up(numbers)
    header = _running_header(heads)
    if not counted and header is None:
        return read
    shorter = [run for run in runs if run not in breaks]
    if shorter:
        breaks = sorted(breaks + _marked(text, shorter, header, numbers if counted else None,
                                         breaks), key=lambda run: run.start())
        tails, heads, numbers = _edges(text, breaks)
    if not counted:
        numbers = [None] * len(breaks)

    # (offset in the old text, new text): a page's text, what joins it to the next page, …
    pieces: list[tuple[int, str]] = []
    printed: list[int | None] = []  # the number printed at the end of each page's text
    at = 0
    for found, tail, head, number in zip(breaks, tails, heads, numbers + [None]):
        end = found.start()
        if number is not None:
            end -= len(tail) - _PAGE_NUMBER.search(tail).start()
        before = text[at:end].rstrip()
        start = found.end()
        if header is not None and head.startswith(header):
            start += len(header)
            start += len(text[start:]) - len(text[start:].lstrip(" \t"))
        if before:
            after = text[start : start + 1]
            # A sentence cut by the page goes on; a paragraph that ended there stays apart.
            if not _SENTENCE_END.search(before) and (after.islower() or after.isdigit()):
                joint = "" if before.endswith("-") else " "
            else:
                joint = "\n\n"
            pieces += [(at, before), (end, joint)]
            printed.append(number)
        elif number is not None and printed:
            printed[-1] = number  # a page of furniture only: its number ends the page before
        at = start
    last = text[at:]
    # The last page's number ends the text.
    final = _PAGE_NUMBER.search(last.rstrip())
    known = [n for n in printed if n is not None]
    if counted and final and known and 0 < int(final.group(1)) - known[-1] <= 2:
        last = last.rstrip()[: final.start()].rstrip()
    pieces.append((at, last))
    printed.append(int(final.group(1)) if counted and final and last != text[at:] else None)

    olds = [old for old, _ in pieces]
    parts = [piece for _, piece in pieces]
    news = [0, *accumulate(len(p) for p in parts[:-1])]  # where each piece starts now

    def moved(offset: int) -> int:
        index = max(0, bisect_right(olds, offset) - 1)
        return min(news[index] + offset - olds[index], news[index] + len(parts[index]))

    return replace(
        read, text="".join(parts), page_starts=_page_starts(news[0::2], printed),
        sections=[Section(moved(s.start), s.heading, s.level) for s in read.sections],
    )
