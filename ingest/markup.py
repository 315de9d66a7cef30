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

import re
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.html_blocks import block_names
from markdown_it.rules_inline import emphasis
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

from ingest.structure import Section, StructuredText, clean_cell, table_lines

# --------------------------------------------------------------------------- Markdown


def _emphasis_outside_words(state: StateInline, silent: bool) -> bool:
    """CommonMark's emphasis rule, except that "*", like "_", cannot open or close in a word.

    So 2*3*4 stays arithmetic rather than becoming 2, an italic 3, and 4.
    """
    start = state.pos
    if not emphasis.tokenize(state, silent):
        return False
    strict = state.scanDelims(start, False)
    for delimiter in state.delimiters[-strict.length :]:
        delimiter.open, delimiter.close = strict.can_open, strict.can_close
    return True


# "code": text indented by four spaces is prose in exported documents; fences still mark code.
# "text_join": escapes and entities stay tokens of their own ("text_special"), text as
# written that the clean-up of stray "**" below never touches.
_MARKDOWN = MarkdownIt("commonmark").enable("table").disable(["code", "text_join"])
_MARKDOWN.inline.ruler.at("emphasis", _emphasis_outside_words)

_NEWLINE = re.compile(r"\r\n?|\n")  # markdown-it's own line ends, so its line numbers hold
_QUOTE_MARKS = re.compile(r"^(?:[ ]{0,3}>[ ]?)+")
_STARS = re.compile(r"\*{2,}")
# PDF-to-Markdown exports italicise spaces ("model * * by", "position *. * NHS"); such a
# pair around blanks and at most one punctuation mark marks nothing.
_EMPTY_EM = re.compile(r"\*(\s+|\s*[^\w\s*]\s+)\*")
# Elements whose tags show nothing: CommonMark's block elements, the raw ones and the usual
# inline ones. Angle brackets around anything else ("Dear <name>") are text, as templates
# and careless exports write them.
_HTML_ELEMENTS = {*block_names, "pre", "script", "style", "textarea"} | {
    "a", "abbr", "b", "br", "cite", "code", "del", "em", "font", "i", "img", "ins", "kbd",
    "mark", "q", "s", "small", "span", "strong", "sub", "sup", "u",
}  # fmt: skip
_TAG_NAME = re.compile(r"[ ]{0,3}</?([A-Za-z][A-Za-z0-9-]*)")
_BOLD_ONLY = re.compile(r"(?:\s*(?:\*\*[^*]+?\*\*|__[^_]+?__))+\s*")
_LONGEST_BOLD_HEADING = 120


def _unless_exponent(match: re.Match) -> str:
    # "**" is bold, or half of a bold pair broken by a PDF export; only 2**10 is arithmetic.
    text, start, end = match.string, match.start(), match.end()
    if 0 < start and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
        return match[0]
    return ""


def _without_stray_stars(text: str) -> str:
    """``text`` without the "**" and "* *" that PDF exports leave unpaired ("**Costs **")."""
    return _EMPTY_EM.sub(r"\1", _STARS.sub(_unless_exponent, text))


def _shown(tokens: list[Token], soft_break: str) -> str:
    """What a reader sees of markdown-it's inline ``tokens``; a hard line break is "\\n".

    Emphasis and link tokens hold no text of their own (their text follows as text tokens);
    images show nothing.
    """
    parts: list[str] = []
    for token in tokens:
        if token.type == "text":
            parts.append(_without_stray_stars(token.content))
        elif token.type in ("text_special", "code_inline"):  # escapes, entities, code spans
            parts.append(token.content)
        elif token.type == "softbreak":
            parts.append(soft_break)
        elif token.type == "hardbreak":
            parts.append("\n")
        elif token.type == "html_inline":
            parts.append(_inline_html(token.content))
    return "".join(parts)


def _html_element(markup: str) -> str | None:
    """The element ``markup`` opens or closes (lower case); None for a comment or declaration."""
    tag = _TAG_NAME.match(markup)
    return tag[1].lower() if tag else None


def _inline_html(markup: str) -> str:
    """What inline HTML shows: a line break for ``<br>``, nothing for other tags or comments."""
    element = _html_element(markup)
    if element is not None and element not in _HTML_ELEMENTS:
        return markup
    return "\n" if element == "br" else ""


def _html_block(markup: str) -> str:
    """The visible text of an HTML block; "<insert name>" alone on its line is text."""
    element = _html_element(markup)
    if element is not None and element not in _HTML_ELEMENTS:
        return markup.strip()
    return html_to_text(markup)[0].text


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n")]


def _unmarked(inline: Token) -> bool:
    """Whether a paragraph shows its source as written (bar spacing at the ends of lines)."""
    return _stripped_lines(_shown(inline.children, "\n")) == _stripped_lines(inline.content)


@dataclass
class _Block:
    """What a reader sees of source lines ``first`` up to (not including) ``end``."""

    text: str
    first: int
    end: int
    runs_on: bool = False  # a paragraph or list item, which may follow another on the next line
    level: int = 0  # a heading's level
    bold_heading: bool = False


def _is_bold_heading(inline: Token, text: str) -> bool:
    """A short paragraph wholly in bold: the only sign of a heading in many PDF exports."""
    return (
        _BOLD_ONLY.fullmatch(inline.content) is not None
        and len(text) <= _LONGEST_BOLD_HEADING
        and (text[0].isupper() or text[0].isdigit())
        and not text.endswith((".", "!", "?"))
    )


def _paragraph(
    inline: Token, lines: list[str], quoted: bool, item: Token | None, depth: int
) -> _Block:
    """A paragraph, or the first paragraph of list ``item`` (inside ``depth`` other lists).

    Without markup it keeps its source lines, so plain text comes back unchanged; so does an
    item already marked "- " or "1. ". Otherwise it is rewritten: one line (more only at hard
    line breaks) with its spacing collapsed, an item's marker made "- " or "1. " and indented
    two spaces a level. A quoted paragraph is always rewritten: its lines start with "> ".
    """
    first, end = inline.map
    text = "\n".join(clean_cell(line) for line in _shown(inline.children, " ").split("\n"))
    if text and item is not None:
        text = f"{'  ' * depth}{item.info + '.' if item.info else '-'} {text}"
    if not quoted and (item is None or item.markup in ("-", ".")) and _unmarked(inline):
        text = "\n".join(lines[first:end])
    bold = item is None and bool(text) and _is_bold_heading(inline, text)
    return _Block(text, first, end, runs_on=True, bold_heading=bold)


def _table(stream: Iterator[Token], table_open: Token) -> _Block:
    """A table's rows as :func:`table_lines`, read from ``stream`` up to its end."""
    rows: list[list[str]] = []
    for token in stream:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            rows[-1].append(_shown(token.children, " "))
    return _Block("\n".join(table_lines(rows)), *table_open.map)


def _blocks(tokens: list[Token], lines: list[str]) -> Iterator[_Block]:
    """The blocks of markdown-it's ``tokens`` in reading order; one that shows nothing has "".

    A flat walk of the token stream: markdown-it nests emphasis hundreds deep, and a walk of
    its syntax tree would recurse past Python's limit.
    """
    quotes = 0  # block quotes open around the current token
    items: list[Token] = []  # list items open around it
    fresh_item: Token | None = None  # an item whose first paragraph is still to come
    stream = iter(tokens)
    for token in stream:
        kind = token.type
        if kind in ("blockquote_open", "blockquote_close"):
            quotes += token.nesting
        elif kind == "list_item_open":
            items.append(token)
            fresh_item = token
        elif kind == "list_item_close":
            items.pop()
        elif kind == "paragraph_open":
            yield _paragraph(next(stream), lines, quotes > 0, fresh_item, len(items) - 1)
        elif kind == "heading_open":
            text = clean_cell(_shown(next(stream).children, " "))
            yield _Block(text, *token.map, level=int(token.tag[1:]))
        elif kind == "table_open":
            yield _table(stream, token)
        elif kind == "fence":
            yield _Block(token.content.strip("\n"), *token.map)
        elif kind == "html_block":
            yield _Block(_html_block(token.content), *token.map)
        else:
            continue  # the end of a block, a list's start or end, a rule: nothing to read
        if kind != "list_item_open":
            fresh_item = None


def _blank_run(lines: list[str], before: bool, after: bool) -> str | None:
    """``lines`` as written if all are blank (a quote's ">" counts as blank), else None.

    ``before``/``after``: whether a block ends just before / starts just after the run, and so
    a newline of its own is part of the run's text.
    """
    between = [_QUOTE_MARKS.sub("", line) for line in lines]
    if any(line.strip() for line in between):
        return None
    return "\n".join([""] * before + between + [""] * after)


def _gap(lines: list[str], previous: _Block | None, block: _Block) -> str:
    """What separates ``block`` from the one shown before it.

    The blank lines written between them; a paragraph break where something unseen (a rule,
    a comment) stood there; a newline between lines of running text that follow each other,
    where a heading, table or code block is still a paragraph of its own.
    """
    if previous is None:
        return _blank_run(lines[: block.first], before=False, after=True) or ""
    if block.first == previous.end:
        return "\n" if previous.runs_on and block.runs_on else "\n\n"
    return _blank_run(lines[previous.end : block.first], before=True, after=True) or "\n\n"


def markdown_to_text(markdown: str) -> StructuredText:
    """The body of a Markdown file (front matter removed) as a reader sees it.

    Parsed by markdown-it (CommonMark and GFM tables). Headings become their own paragraph
    and a :class:`Section`; emphasis, code backticks, backslash escapes, link targets, HTML
    tags and comments go; images and rules vanish; list items keep a plain ``- `` or ``1. ``;
    tables become :func:`table_lines` rows; fenced code is kept as written. A paragraph with
    markup is rewritten on one line; one without keeps its exact lines and the blank lines
    around it, so plain text comes back unchanged. A document with no Markdown heading takes
    its sections from short paragraphs set wholly in bold, as PDF-to-Markdown exports write
    headings.

    Example:
        >>> read = markdown_to_text("Intro\\n\\n## Costs\\n| Item | £ |\\n|---|---|\\n| Beds | 5 |")
        >>> read.text
        'Intro\\n\\nCosts\\n\\nItem: Beds | £: 5'
        >>> read.sections
        [Section(start=7, heading='Costs', level=2)]
    """
    lines = _NEWLINE.split(markdown)
    parts: list[str] = []
    length = 0
    headings: list[Section] = []
    bold_headings: list[Section] = []
    previous: _Block | None = None
    for block in _blocks(_MARKDOWN.parse(markdown), lines):
        if not block.text:
            continue
        gap = _gap(lines, previous, block)
        parts += [gap, block.text]
        if block.level:
            headings.append(Section(length + len(gap), block.text, block.level))
        elif block.bold_heading:
            bold_headings.append(Section(length + len(gap), block.text, 1))
        length += len(gap) + len(block.text)
        previous = block
    if previous is not None:
        trailing = _blank_run(lines[previous.end :], before=True, after=False)
        # After unseen blocks, the text still ends as the file did: with a newline or not.
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

_SPACES = re.compile(r"\s+")
# A table cell spans at most this many columns (HTML's own limit); more is a damaged file.
_MAX_SPAN = 1000
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
