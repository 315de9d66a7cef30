"""Markdown, HTML and DOCX → :class:`StructuredText`: the text a reader sees, with its sections.

Each function is pure (no files, no logging): it takes what the format's parser gives and
returns plain text in which paragraphs are separated by a blank line, headings open
:class:`Section` s at their offset in that text, and tables are written with
:func:`table_lines`, one line per row.

Example:
    >>> read = markdown_to_text("# Beds\\n\\nOccupancy is **94%**.\\n")
    >>> read.text, read.sections
    ('Beds\\n\\nOccupancy is 94%.\\n', [Section(start=0, heading='Beds', level=1)])
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass

from ingest.structure import Section, StructuredText, clean_cell, table_lines

# --------------------------------------------------------------------------- Markdown

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# A removed comment leaves this mark, so the line that held it counts as markup and is rewritten.
_REMOVED_COMMENT = "\ue000"
_QUOTE = re.compile(r"(?:[ ]{0,3}>[ ]?)+")
_FENCE = re.compile(r"[ ]{0,3}(?:(`{3,})[^`]*|(~{3,}).*)$")
_ATX = re.compile(r"[ ]{0,3}(#{1,6})(?:[ \t]+(.*))?$")
_SETEXT = re.compile(r"[ ]{0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"[ ]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_RULE = re.compile(r"[ ]{0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# "[id]: url 'title'" defines a link target; "[^1]: ..." is a footnote, which is text.
_REFERENCE = re.compile(
    r"[ ]{0,3}\[(?!\^)[^\]]+\]:[ \t]*(?:<[^<>]*>|\S+)"
    r"(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*$"
)
_ITEM = re.compile(r"(\s*)([-+*]|\d{1,9}[.)])[ \t]+(\S.*)$")
_PLAIN_MARKERS = re.compile(r"-|\d{1,9}\.")

# Text that must reach the reader as written, so is set aside before emphasis is looked for:
# backslash escapes, code spans, entities, autolinks; inline HTML tags and comments go.
_LITERAL = re.compile(
    r"\\(?P<escape>[!-/:-@\[-`{-~])"
    r"|(?P<ticks>`+)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|<(?P<autolink>(?:https?|ftp|mailto):[^\s<>]*)>"
    r"|(?P<tag></?(?i:a|abbr|b|br|cite|code|del|div|em|font|i|img|ins|kbd|mark|p|q|s|small"
    r"|span|strong|sub|sup|u)(?=[\s/>])[^<>]*>)"
    r"|" + _REMOVED_COMMENT,
    re.DOTALL,
)
# Set-aside text waits in the paragraph as "\ue001<its number>\ue002" (private-use marks).
_KEPT = re.compile(r"\ue001(\d+)\ue002")
_DESTINATION = (
    r"(?:\(\s*(?:<[^<>]*>|(?:[^()\s]|\([^()\s]*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)|\[[^\[\]]*\])"
)
_IMAGE = re.compile(r"!\[[^\[\]]*\]" + _DESTINATION)
_LINK = re.compile(r"\[([^\[\]]*)\]" + _DESTINATION)
_STARS = re.compile(r"\*{2,}")
# PDF-to-Markdown exports italicise spaces ("model * * by", "position *. * NHS"); such a
# pair around blanks and at most one punctuation mark marks nothing.
_EMPTY_EM = re.compile(r"\*(\s+|\s*[^\w\s*]\s+)\*")
_BOLD_ONLY = re.compile(r"(?:\s*(?:\*\*[^*]+?\*\*|__[^_]+?__))+\s*")
_SPACES = re.compile(r"\s+")
_LONGEST_BOLD_HEADING = 120
# A table cell spans at most this many columns (HTML's own limit); more is a damaged file.
_MAX_SPAN = 1000


def _inline(text: str) -> str:
    """``text`` without inline markup; text that has none comes back unchanged."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        if match["escape"] is not None:
            literal = match["escape"]
        elif match["code"] is not None:
            literal = match["code"].strip()
        elif match["entity"] is not None:
            literal = html_entities.unescape(match["entity"])
        elif match["autolink"] is not None:
            literal = match["autolink"]
        elif match["tag"] is not None:
            literal = " " if match["tag"][1:3].lower() == "br" else ""
        else:
            literal = ""
        kept.append(literal)
        return f"\ue001{len(kept) - 1}\ue002"

    text = _LITERAL.sub(keep, text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _STARS.sub(_unless_exponent, text)
    text = _unwrap(_unwrap(text, "_"), "*")
    text = _EMPTY_EM.sub(r"\1", text)
    return _KEPT.sub(lambda match: kept[int(match[1])], text)


def _unless_exponent(match: re.Match) -> str:
    # "**" is bold, or half of a bold pair broken by a PDF export; only 2**10 is arithmetic.
    text, start, end = match.string, match.start(), match.end()
    if 0 < start and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
        return match[0]
    return ""


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _unwrap(text: str, mark: str) -> str:
    """``text`` without the runs of ``mark`` (1 to 3 long) that pair up as emphasis.

    A run opens after a non-word character and before a non-blank, and closes the open run
    of its length after a non-blank and before a non-word character (CommonMark's rule for
    "_"), so snake_case, 2*3*4 and "2 * 3" stay as written. Paired in one pass: a regex
    would scan to the end of the paragraph again for every run that never closes.
    """
    open_runs: dict[int, tuple[int, int]] = {}  # run length → the run waiting for its closer
    removed: list[tuple[int, int]] = []
    for run in re.finditer(re.escape(mark) + "{1,3}(?!" + re.escape(mark) + ")", text):
        start, end = run.span()
        if start and text[start - 1] == mark:  # part of a longer run: a rule or a blank to fill
            continue
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        opener = open_runs.get(end - start)
        if opener and not before.isspace() and not _is_word(after):
            removed += [opener, (start, end)]
            del open_runs[end - start]
        elif not _is_word(before) and not after.isspace():
            open_runs.setdefault(end - start, (start, end))
    kept, last = [], 0
    for start, end in sorted(removed):
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", _inline(text)).strip()


@dataclass
class _Block:
    """Source lines ``first``..``last`` (inclusive) read as one kind of block."""

    kind: str  # para, item, heading, table, code, drop
    first: int
    last: int
    content: list[str]
    level: int = 0
    indent: str = ""
    marker: str = ""


def _blocks(lines: list[str]) -> list[_Block]:
    """The block structure of Markdown ``lines`` (block quote markers already removed)."""
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        previous = blocks[-1] if blocks else None
        # An open paragraph or list item is one that the previous line belongs to.
        open_block = (
            previous
            if previous and previous.last == i - 1 and previous.kind in ("para", "item")
            else None
        )
        fence = _FENCE.match(line)
        heading = _ATX.match(line)
        item = _ITEM.match(line)
        if not line.strip():
            i += 1
        elif fence:
            mark = fence[1] or fence[2]
            closing = re.compile(rf"[ ]{{0,3}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
            end = i + 1
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            blocks.append(_Block("code", i, min(end, len(lines) - 1), lines[i + 1 : end]))
            i = end + 1
        elif heading:
            content = (heading[2] or "").strip()
            unclosed = content.rstrip("#")  # "## Costs ##" may close with hashes; "C#" does not
            if not unclosed or unclosed[-1] in " \t":
                content = unclosed.rstrip()
            blocks.append(_Block("heading", i, i, [content], level=len(heading[1])))
            i += 1
        elif open_block and open_block.kind == "para" and _SETEXT.match(line):
            open_block.kind, open_block.last = "heading", i
            open_block.level = 1 if line.strip().startswith("=") else 2
            i += 1
        elif _RULE.match(line):
            blocks.append(_Block("drop", i, i, []))
            i += 1
        elif (
            "|" in line
            and i + 1 < len(lines)
            and "|" in lines[i + 1]
            and _TABLE_RULE.match(lines[i + 1])
        ):
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            blocks.append(_Block("table", i, end - 1, [lines[i], *lines[i + 2 : end]]))
            i = end
        elif open_block is None and _REFERENCE.match(line):
            blocks.append(_Block("drop", i, i, []))
            i += 1
        elif item:
            blocks.append(_Block("item", i, i, [item[3]], indent=item[1], marker=item[2]))
            i += 1
        elif open_block:
            open_block.content.append(line)
            open_block.last = i
            i += 1
        else:
            blocks.append(_Block("para", i, i, [line]))
            i += 1
    return blocks


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row.removeprefix("|")
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [_one_line(cell) for cell in _CELL_SPLIT.split(row)]


def _as_written(block: _Block, lines: list[str], quoted: set[int]) -> str | None:
    """The lines of ``block`` exactly as written, if none of them holds any markup."""
    if quoted.intersection(range(block.first, block.last + 1)):
        return None
    source = "\n".join(lines[block.first : block.last + 1])
    return source if _inline(source) == source else None


def _render(block: _Block, lines: list[str], quoted: set[int]) -> str:
    """What a reader sees of ``block`` ("" for a block that shows nothing)."""
    joined = " ".join(line.strip() for line in block.content)
    if block.kind == "para":
        return _as_written(block, lines, quoted) or _one_line(joined)
    if block.kind == "heading":
        return _one_line(joined)
    if block.kind == "item":
        if _PLAIN_MARKERS.fullmatch(block.marker):
            written = _as_written(block, lines, quoted)
            if written:
                return written
        marker = block.marker.replace(")", ".") if block.marker[0].isdigit() else "-"
        return f"{block.indent}{marker} {_one_line(joined)}"
    if block.kind == "table":
        return "\n".join(table_lines([_cells(row) for row in block.content]))
    if block.kind == "code":
        return "\n".join(block.content).strip("\n")
    return ""


def _blank_run(lines: list[str], start: int, end: int, before: bool, after: bool) -> str | None:
    """Lines ``start``..``end`` as written if all are blank (None if a dropped block is there).

    ``before``/``after``: whether a block ends just before / starts just after the run, and so
    a newline of its own is part of the run's text.
    """
    between = lines[start:end]
    if any(line.strip() for line in between):
        return None
    return "\n".join([""] * before + between + [""] * after)


def _is_bold_heading(block: _Block, text: str) -> bool:
    """A short paragraph wholly in bold: the only sign of a heading in many PDF exports."""
    return (
        block.kind == "para"
        and _BOLD_ONLY.fullmatch(" ".join(block.content)) is not None
        and len(text) <= _LONGEST_BOLD_HEADING
        and (text[0].isupper() or text[0].isdigit())
        and not text.endswith((".", "!", "?"))
    )


def markdown_to_text(markdown: str) -> StructuredText:
    """The body of a Markdown file (front matter removed) as a reader sees it.

    Headings (``#`` and underlined) become their own paragraph and a :class:`Section`;
    emphasis, code backticks, backslash escapes, comments and link targets go; images and
    rules vanish; list items keep a plain ``- `` or ``1. ``; pipe tables become
    :func:`table_lines` rows. A paragraph with markup is rewritten on one line; a paragraph
    without any keeps its exact lines and the blank lines around it, so plain text comes back
    unchanged. A document with no Markdown heading takes its sections from short paragraphs
    set wholly in bold, as PDF-to-Markdown exports write headings.

    Example:
        >>> read = markdown_to_text("Intro\\n\\n## Costs\\n| Item | £ |\\n|---|---|\\n| Beds | 5 |")
        >>> read.text
        'Intro\\n\\nCosts\\n\\nItem: Beds | £: 5'
        >>> read.sections
        [Section(start=7, heading='Costs', level=2)]
    """
    lines = _COMMENT.sub(_REMOVED_COMMENT, markdown).split("\n")
    quoted: set[int] = set()
    for number, line in enumerate(lines):
        marker = _QUOTE.match(line)
        if marker:
            lines[number] = line[marker.end() :]
            quoted.add(number)

    parts: list[str] = []
    length = 0
    headings: list[Section] = []
    bold_headings: list[Section] = []
    previous: _Block | None = None
    for block in _blocks(lines):
        text = _render(block, lines, quoted)
        if not text:
            continue
        if previous is None:
            gap = _blank_run(lines, 0, block.first, before=False, after=True) or ""
        elif block.first == previous.last + 1:
            # Lines of running text may follow each other; a heading, table or code block
            # is a paragraph of its own.
            gap = "\n" if {previous.kind, block.kind} <= {"para", "item"} else "\n\n"
        else:
            gap = _blank_run(lines, previous.last + 1, block.first, True, True) or "\n\n"
        parts.append(gap)
        length += len(gap)
        if block.kind == "heading":
            headings.append(Section(length, text, block.level))
        elif _is_bold_heading(block, text):
            bold_headings.append(Section(length, text, 1))
        parts.append(text)
        length += len(text)
        previous = block
    if previous is not None:
        trailing = _blank_run(lines, previous.last + 1, len(lines), True, False)
        # After dropped blocks, the text still ends as the file did: with a newline or not.
        parts.append(trailing if trailing is not None else "\n" * (lines[-1] == ""))
    return StructuredText("".join(parts), sections=headings or bold_headings)


def _joined(blocks: list[tuple[str, int]]) -> StructuredText:
    """Blocks of text (with their heading level, 0 for none) one paragraph each."""
    parts: list[str] = []
    sections: list[Section] = []
    length = 0
    for text, level in blocks:
        if parts:
            parts.append("\n\n")
            length += 2
        if level:
            sections.append(Section(length, text, level))
        parts.append(text)
        length += len(text)
    return StructuredText("".join(parts), sections=sections)


# --------------------------------------------------------------------------- HTML

# A <title> outside <head> (html.parser keeps it where it is written) is not shown either.
_HIDDEN_TAGS = ["script", "style", "noscript", "template", "head", "title"]
_HEADING_TAGS = {f"h{n}" for n in range(1, 7)}
_LIST_TAGS = ["ul", "ol"]
_BLOCK_TAGS = _HEADING_TAGS | set(_LIST_TAGS) | {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
    "hgroup", "hr", "html", "legend", "li", "main", "nav", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr",
}  # fmt: skip
_END_OF_BLOCK = object()  # put on the walk's stack after a block element's children


def _flat(node, skip: tuple[str, ...] = ()) -> str:
    """All visible text inside ``node`` on one line, block elements kept apart by a space."""
    from bs4.element import PreformattedString, Tag

    parts: list[str] = []
    # A stack rather than recursion: HTML can nest deeper than Python's recursion limit.
    # Plain " " strings on it are the gaps that close block elements.
    stack = list(reversed(node.contents))
    while stack:
        child = stack.pop()
        if isinstance(child, Tag):
            if child.name in skip:
                continue
            if child.name in _BLOCK_TAGS or child.name == "br":
                parts.append(" ")
                stack.append(" ")
            stack.extend(reversed(child.contents))
        elif not isinstance(child, PreformattedString):  # comments, doctype, CDATA
            parts.append(child)
    return clean_cell("".join(parts))


def _html_list(top) -> list[str]:
    """One line per item ("- " for bullets, "1. " for numbers), nested items indented."""
    lines: list[str] = []
    pending: list[tuple] = [(top, 0, "")]  # (ul/ol or li, depth, li's marker)
    while pending:
        node, depth, marker = pending.pop()
        if node.name == "li":
            text = _flat(node, skip=tuple(_LIST_TAGS))
            if text:
                lines.append(f"{'  ' * depth}{marker} {text}")
            nested = [sub for sub in node.find_all(_LIST_TAGS) if sub.find_parent("li") is node]
            pending.extend((sub, depth + 1, "") for sub in reversed(nested))
            continue
        start = str(node.get("start", "1")).strip()
        first = int(start) if node.name == "ol" and start.isdigit() else 1
        items = node.find_all("li", recursive=False)
        markers = [f"{first + n}." if node.name == "ol" else "-" for n in range(len(items))]
        pending.extend((item, depth, mark) for item, mark in reversed(list(zip(items, markers))))
    return lines


def _html_table(table) -> list[str]:
    """:func:`table_lines` of a table; its header is its first row of ``th`` cells, else row 1."""
    rows = [row.find_all(["td", "th"], recursive=False) for row in table.find_all("tr")]
    rows = [row for row in rows if row]
    if not rows:
        return []
    header_at = next((n for n, row in enumerate(rows) if all(c.name == "th" for c in row)), 0)

    def spread(row, is_header: bool) -> list[str]:
        # A header spanning columns names each of them; a body value is written once.
        cells: list[str] = []
        for cell in row:
            span = str(cell.get("colspan", "1")).strip()
            span = min(max(int(span), 1), _MAX_SPAN) if span.isdigit() else 1
            text = _flat(cell)
            cells += [text] * span if is_header else [text] + [""] * (span - 1)
        return cells

    header = spread(rows[header_at], True)
    body = [spread(row, False) for n, row in enumerate(rows) if n != header_at]
    return table_lines([header, *body])


def html_to_text(html: str) -> tuple[StructuredText, dict]:
    """The visible text of an HTML page, and its ``title`` and ``author`` when it names them.

    One paragraph per block element (a ``<br>`` starts a new line within it); headings
    ``h1``–``h6`` open sections of that level; data tables become :func:`table_lines` rows
    (a table holding another table is layout, read as ordinary blocks); list items become
    "- item" (or "1. item") lines. Script, style, noscript, template, head and title are not
    read as text.

    Example:
        >>> read, found = html_to_text("<title>Plan</title><h2>Aims</h2><p>Cut <b>waits</b>.</p>")
        >>> read.text, read.sections, found
        ('Aims\\n\\nCut waits.', [Section(start=0, heading='Aims', level=2)], {'title': 'Plan'})
    """
    from bs4 import BeautifulSoup
    from bs4.element import PreformattedString, Tag

    soup = BeautifulSoup(html, "html.parser")
    title = clean_cell(soup.title.get_text()) if soup.title else ""
    author_meta = soup.find("meta", attrs={"name": re.compile(r"^author$", re.IGNORECASE)})
    author = clean_cell(author_meta.get("content")) if author_meta else ""
    for hidden in soup(_HIDDEN_TAGS):
        hidden.decompose()
    first_h1 = soup.find("h1")
    if not title and first_h1:
        title = _flat(first_h1)
    found = {key: value for key, value in (("title", title), ("author", author)) if value}

    blocks: list[tuple[str, int]] = []
    buffer: list[str] = []  # the running text of the current block; "\n" marks a <br>

    def end_paragraph() -> None:
        lines = (clean_cell(line) for line in "".join(buffer).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text:
            blocks.append((text, 0))
        buffer.clear()

    stack = list(reversed(soup.contents))
    while stack:
        node = stack.pop()
        if node is _END_OF_BLOCK:
            end_paragraph()
        elif not isinstance(node, Tag):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                buffer.append(_SPACES.sub(" ", node))
        elif node.name == "br":
            buffer.append("\n")
        elif node.name not in _BLOCK_TAGS:
            stack.extend(reversed(node.contents))
        else:
            end_paragraph()
            if node.name in _HEADING_TAGS:
                blocks.append((_flat(node), int(node.name[1])))
            elif node.name in _LIST_TAGS:
                blocks.append(("\n".join(_html_list(node)), 0))
            elif node.name == "table" and node.find("table") is None:
                caption = node.find("caption")
                blocks.append((_flat(caption) if caption else "", 0))
                blocks.append(("\n".join(_html_table(node)), 0))
            elif node.name == "pre":
                blocks.append((node.get_text().strip("\n"), 0))
            else:
                stack.append(_END_OF_BLOCK)
                stack.extend(reversed(node.contents))
    end_paragraph()
    return _joined([(text, level) for text, level in blocks if text.strip()]), found


# --------------------------------------------------------------------------- DOCX

_HEADING_STYLE = re.compile(r"heading ?([1-9])", re.IGNORECASE)


def _body_elements(container):
    """The paragraphs and tables in ``container``, in document order."""
    from docx.oxml.ns import qn

    for child in container.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):  # a content control (cover page, contents) wraps a few
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_elements(content)


def _heading_level(paragraph) -> int:
    """1–9 for a paragraph in Word's Title or Heading N style, else 0."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 1
    match = _HEADING_STYLE.fullmatch(name)
    return int(match[1]) if match else 0


def _docx_table(tbl, document) -> list[str]:
    """:func:`table_lines` of a Word table, each row followed by the rows of tables inside it.

    Read from the XML rather than with python-docx's ``row.cells``, which raises on a cell
    that continues a vertical merge from no row above. A value merged down a column is
    repeated in each row it spans.
    """
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    header: list[str] | None = None
    header_at = 0  # where the header's own line goes if the table has no other row
    body_rows = 0
    above: dict[int, str] = {}  # each grid column's value in the row above
    for tr in tbl.tr_lst:
        cells = [""] * min(tr.grid_before, _MAX_SPAN)
        nested: list[str] = []
        for tc in tr.tc_lst:
            column = len(cells)
            if tc.vMerge == "continue":
                text = above.get(column, "")
            else:
                text = "\n".join(Paragraph(p, document).text for p in tc.p_lst)
                nested += [line for inner in tc.tbl_lst for line in _docx_table(inner, document)]
            # A header spanning columns names each of them; a body value is written once.
            span = min(max(tc.grid_span, 1), _MAX_SPAN)
            cells += [text] * span if header is None else [text] + [""] * (span - 1)
            above.update((column + n, value) for n, value in enumerate(cells[column:]))
        if any(clean_cell(cell) for cell in cells):
            if header is None:
                header, header_at = cells, len(lines)
            else:
                lines += table_lines([header, cells])
                body_rows += 1
        lines += nested
    if header is not None and not body_rows:
        lines[header_at:header_at] = table_lines([header])
    return lines


def docx_to_text(document) -> StructuredText:
    """The body of a python-docx ``Document``: paragraphs and tables in the order they appear.

    Paragraphs in the Title or "Heading N" styles open sections (Title at level 1); tables
    become :func:`table_lines` rows, a table inside a cell following its row; empty
    paragraphs are left out.

    Example:
        >>> import docx
        >>> document = docx.Document()
        >>> _ = document.add_heading("Findings", 1), document.add_paragraph("Waits fell.")
        >>> read = docx_to_text(document)
        >>> read.text, read.sections
        ('Findings\\n\\nWaits fell.', [Section(start=0, heading='Findings', level=1)])
    """
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[str, int]] = []
    for element in _body_elements(document.element.body):
        if element.tag == qn("w:p"):
            paragraph = Paragraph(element, document)
            level = _heading_level(paragraph)
            text = clean_cell(paragraph.text) if level else paragraph.text.strip()
            blocks.append((text, level))
        else:
            blocks.append(("\n".join(_docx_table(element, document)), 0))
    return _joined([(text, level) for text, level in blocks if text])
