"""Markdown, HTML and DOCX read as a reader sees them: plain text, sections, tables as rows."""

from __future__ import annotations

import io
import time

import docx
import pytest
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from ingest.loaders import _load_text
from ingest.markup import docx_to_text, html_to_text, markdown_to_text
from ingest.structure import Section, StructuredText
from tests.conftest import DOCUMENTS_DIR, REPO_ROOT

NHSE_EXPORT = (
    REPO_ROOT / "evals/data/policy/documents/nhse-2025-26-priorities-operational-planning-guidance.md"
)


def _assert_sections_point_at_headings(read: StructuredText) -> None:
    starts = [section.start for section in read.sections]
    assert starts == sorted(starts)
    for section in read.sections:
        assert read.text[section.start :].startswith(section.heading), section


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("path", sorted(DOCUMENTS_DIR.glob("*.md")), ids=lambda p: p.name)
def test_bundled_plain_documents_come_back_byte_for_byte(path):
    body, _ = _load_text(path.read_bytes())
    read = markdown_to_text(body)
    assert read.text == body
    assert read.sections == []


def test_text_without_markup_keeps_its_line_breaks_and_blank_lines():
    text = "Classification: Official \n\n\n\nLine one of a paragraph\nline two, 5% - 3 = 2.\n\n  Indented.\n"
    assert markdown_to_text(text).text == text


def test_atx_and_setext_headings_become_their_own_paragraphs_and_sections():
    read = markdown_to_text(
        "# Plan for 2025/26 #\nIntro line\nstays as written.\n\nWorkforce\n=========\n\n"
        "Agency spend\n---\nFalls by *30%*.\n\n###### Deep\n\n####### not a heading\n"
    )
    assert read.text == (
        "Plan for 2025/26\n\nIntro line\nstays as written.\n\nWorkforce\n\nAgency spend\n\n"
        "Falls by 30%.\n\nDeep\n\n####### not a heading\n"
    )
    assert read.sections == [
        Section(0, "Plan for 2025/26", 1),
        Section(48, "Workforce", 1),
        Section(59, "Agency spend", 2),
        Section(88, "Deep", 6),
    ]
    _assert_sections_point_at_headings(read)


def test_emphasis_goes_but_snake_case_and_arithmetic_stay():
    read = markdown_to_text(
        "**Bold** and __bold__, *italic* and _italic_, ***both***; snake_case_name, "
        "__init__ aside, 2 * 3 * 4, 2*3*4 and 2**10.\nA second line."
    )
    assert read.text == (
        "Bold and bold, italic and italic, both; snake_case_name, init aside, "
        "2 * 3 * 4, 2*3*4 and 2**10. A second line."
    )


def test_links_images_code_escapes_entities_and_comments_are_read_as_text():
    read = markdown_to_text(
        'See [the guidance](https://example.org/a_b_(c) "title") and [the plan][p].'
        "![chart](chart.png) Run `rate **x**` then \\(ICBs\\) \\* \\_ \\# \\. \\[1\\]. "
        "A&amp;E <https://nhs.uk/a_b_c><!-- a note -->.\n\n[p]: https://example.org/plan 'Plan'\n\n"
        "[Editor's note]: this piece was updated.\n"
    )
    assert read.text == (
        "See the guidance and the plan. Run rate **x** then (ICBs) * _ # . [1]. "
        "A&E https://nhs.uk/a_b_c.\n\n[Editor's note]: this piece was updated.\n"
    )
    assert "**" in read.text  # the code span's content is text, not markup


def test_comment_lines_rules_and_images_leave_nothing_behind():
    text = "First.\n\n<!--\na comment\nover lines\n-->\n\n---\n\n* * *\n\n![only an image](x.png)\n\nLast.\n"
    assert markdown_to_text(text).text == "First.\n\nLast.\n"


def test_lists_keep_plain_markers_and_quotes_lose_theirs():
    read = markdown_to_text(
        "Steps:\n- first\n* second **now**\n+ third\n  continued\n1. one\n2) two\n\n"
        "> Quoted *text*\n> over two lines.\n>\n> Second quoted paragraph.\n"
    )
    assert read.text == (
        "Steps:\n- first\n- second now\n- third continued\n1. one\n2. two\n\n"
        "Quoted text over two lines.\n\nSecond quoted paragraph.\n"
    )


def test_nested_list_items_are_indented_two_spaces_a_level():
    read = markdown_to_text("- a\n    - **b**\n      1) **c**\n- d\n")
    assert read.text == "- a\n  - b\n    1. c\n- d\n"


def test_hard_line_breaks_stay_line_breaks():
    read = markdown_to_text(
        "Plan **A**  \nPlan B\\\nPlan C<br>Plan D\n\nPlain  \nlines stay as written.\n"
    )
    assert read.text == "Plan A\nPlan B\nPlan C\nPlan D\n\nPlain  \nlines stay as written.\n"


def test_html_shows_its_visible_text_and_unknown_tags_are_text():
    read = markdown_to_text(
        "<div>\n<p>Visible <b>text</b></p>\n<script>hidden()</script>\n</div>\n\n"
        "Dear <name>, see <span>this</span>.\n\n<insert trust name>\n"
    )
    assert read.text == "Visible text\n\nDear <name>, see this.\n\n<insert trust name>\n"


def test_indented_text_is_prose_not_code():
    assert markdown_to_text("Para\n\n    **Indented** text.\n").text == "Para\n\nIndented text.\n"


def test_pipe_tables_become_rows_that_keep_their_headers():
    read = markdown_to_text(
        "Shares:\n\n| Staff group | **Share** |\n|:---|---:|\n| Analysts | 34% |\n"
        "| Nurses | 51% \\| rising |\n|  |  |\n\nAfter."
    )
    assert read.text == (
        "Shares:\n\nStaff group: Analysts | Share: 34%\n"
        "Staff group: Nurses | Share: 51% | rising\n\nAfter."
    )


def test_fenced_code_is_kept_as_written():
    read = markdown_to_text(
        "Before:\n```python\nrate = a_b * c  # **not bold**\n\nmore()\n```\nAfter."
    )
    assert read.text == "Before:\n\nrate = a_b * c  # **not bold**\n\nmore()\n\nAfter."


def test_wholly_bold_short_paragraphs_are_headings_only_without_markdown_headings():
    text = (
        "**Next steps **\n\nBody **text**.\n\n**This whole sentence is bold.**\n\n**lower case**\n"
    )
    read = markdown_to_text(text)
    assert read.text == "Next steps\n\nBody text.\n\nThis whole sentence is bold.\n\nlower case\n"
    assert read.sections == [Section(0, "Next steps", 1)]
    with_heading = markdown_to_text("# Real heading\n\n" + text)
    assert with_heading.sections == [Section(0, "Real heading", 1)]


def test_markdown_output_is_deterministic():
    body, _ = _load_text(NHSE_EXPORT.read_bytes())
    assert markdown_to_text(body) == markdown_to_text(body)


def test_the_nhse_pdf_export_reads_as_plain_text_with_sections():
    body, _ = _load_text(NHSE_EXPORT.read_bytes())
    read = markdown_to_text(body)
    assert "**" in body and "\\(" in body  # the export really is marked up
    assert "**" not in read.text
    assert "\\(" not in read.text and "\\" not in read.text
    assert (
        "We are asking integrated care boards (ICBs) and providers to take a forensic look at "
        "their workforce and what they spend money on; NHS England is doing the same."
    ) in read.text
    assert "Changes at NHS England have already generated nearly £500 million" in read.text
    headings = [section.heading for section in read.sections]
    assert len(headings) >= 5
    assert "Our national priorities for 2025/26" in headings
    assert "Making the shift from analogue to digital" in headings
    assert "Next steps and plan submission" in headings
    _assert_sections_point_at_headings(read)


def test_unclosed_emphasis_and_long_headings_are_read_in_linear_time():
    started = time.monotonic()
    for text in ["_a " * 20_000, "*a " * 20_000, "# a" + " " * 50_000 + "b"]:
        markdown_to_text(text)
    assert time.monotonic() - started < 5  # a regex rescanning per opener took 20 s each


def test_deeply_nested_emphasis_is_read_without_recursion():
    # markdown-it nests these 1,500 deep; a walk of its syntax tree would pass Python's limit.
    assert markdown_to_text("*" * 3000 + "a" + "*" * 3000).text == "a"


# --------------------------------------------------------------------------- HTML


def test_html_keeps_visible_text_only_with_title_and_author():
    read, found = html_to_text(
        "<html><head><title>Board paper</title><meta name='author' content='A Writer'>"
        "<style>p {color: red}</style></head><body><h1>Heading</h1>"
        "<p>Visible paragraph.</p><script>alert('hidden')</script>"
        "<noscript>no script</noscript><template><p>later</p></template></body></html>"
    )
    assert read.text == "Heading\n\nVisible paragraph."
    assert read.sections == [Section(0, "Heading", 1)]
    assert found == {"title": "Board paper", "author": "A Writer"}


def test_html_inline_elements_stay_in_their_paragraph():
    read, found = html_to_text(
        "<h1>Plan <small>v2</small></h1><p>Waits <b>fell</b> in\n <a href='#'>March</a>"
        "<br>New line.</p><!-- note --><div>Div text<p>Inner paragraph.</p>Tail</div>"
    )
    assert (
        read.text
        == "Plan v2\n\nWaits fell in March\nNew line.\n\nDiv text\n\nInner paragraph.\n\nTail"
    )
    assert found == {"title": "Plan v2"}  # no <title>: the first h1


def test_html_headings_are_sections_of_their_level():
    read, found = html_to_text("<p>Lead.</p><h2>Costs</h2><p>Rose.</p><h4>Beds</h4><h3> </h3>")
    assert read.text == "Lead.\n\nCosts\n\nRose.\n\nBeds"
    assert read.sections == [Section(7, "Costs", 2), Section(21, "Beds", 4)]
    assert found == {}
    _assert_sections_point_at_headings(read)


def test_html_table_header_is_the_th_row():
    read, _ = html_to_text(
        "<table><caption>Staff</caption><tr><td>Note</td><td>2024</td></tr>"
        "<tr><th>Group</th><th colspan='2'>Share</th></tr>"
        "<tr><td>Analysts</td><td>34%</td><td>35%</td></tr></table>"
    )
    assert (
        read.text == "Staff\n\nGroup: Note | Share: 2024\nGroup: Analysts | Share: 34% | Share: 35%"
    )


def test_html_table_without_th_takes_its_first_row_as_header():
    read, _ = html_to_text(
        "<table><tr><td>Group</td><td>Share</td></tr><tr><td>Nurses</td><td><b>51</b>%</td></tr></table>"
    )
    assert read.text == "Group: Nurses | Share: 51%"


def test_html_layout_table_is_read_as_blocks():
    read, _ = html_to_text(
        "<table><tr><td><h2>Menu</h2><p>Para.</p><table><tr><td>Inner</td></tr></table></td></tr></table>"
    )
    assert read.text == "Menu\n\nPara.\n\nInner"
    assert read.sections == [Section(0, "Menu", 2)]


def test_html_lists_are_item_lines():
    read, _ = html_to_text(
        "<p>Do:</p><ul><li>One</li><li>Two<ul><li>Two <i>a</i></li></ul></li></ul>"
        "<ol start='3'><li>Three</li><li><p>Four</p></li></ol>"
    )
    assert read.text == "Do:\n\n- One\n- Two\n  - Two a\n\n3. Three\n4. Four"


def test_html_nested_deeper_than_the_recursion_limit():
    read, _ = html_to_text("<div>" * 5000 + "deep <b>text</b>" + "</div>" * 5000)
    assert read.text == "deep text"


# --------------------------------------------------------------------------- DOCX


def _reloaded(document) -> docx.Document:
    """The document as a file would give it (saved and opened again)."""
    buffer = io.BytesIO()
    document.save(buffer)
    return docx.Document(io.BytesIO(buffer.getvalue()))


def _fill(table, rows: list[list[str]]) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value


def test_docx_reads_paragraphs_and_tables_in_document_order():
    document = docx.Document()
    document.add_heading("Annual report", 0)
    document.add_paragraph("Before the tables.")
    document.add_paragraph("   ")
    document.add_heading("Staffing", 1)
    _fill(document.add_table(rows=2, cols=2), [["Group", "Share"], ["Analysts", "34%"]])
    document.add_paragraph("Between the tables.")
    _fill(document.add_table(rows=2, cols=2), [["Band", "Count"], ["5", "12"]])
    document.add_heading("Detail  of\tpay", 2)
    document.add_paragraph("After.")
    read = docx_to_text(_reloaded(document))
    assert read.text == (
        "Annual report\n\nBefore the tables.\n\nStaffing\n\nGroup: Analysts | Share: 34%\n\n"
        "Between the tables.\n\nBand: 5 | Count: 12\n\nDetail of pay\n\nAfter."
    )
    assert read.sections == [
        Section(0, "Annual report", 1),
        Section(35, "Staffing", 1),
        Section(117, "Detail of pay", 2),
    ]
    _assert_sections_point_at_headings(read)


def test_docx_nested_table_rows_follow_their_outer_row():
    document = docx.Document()
    outer = document.add_table(rows=3, cols=2)
    _fill(outer, [["Group", "Share"], ["Analysts", "34%"], ["Nurses", "51%"]])
    inner = outer.cell(1, 1).add_table(rows=2, cols=2)
    _fill(inner, [["Band", "Count"], ["5", "12"]])
    in_header = outer.cell(0, 0).add_table(rows=1, cols=1)
    in_header.cell(0, 0).text = "Header note"
    read = docx_to_text(_reloaded(document))
    assert read.text == (
        "Header note\nGroup: Analysts | Share: 34%\nBand: 5 | Count: 12\nGroup: Nurses | Share: 51%"
    )


def _merge_header_and_first_column(document) -> None:
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Measure"
    table.cell(0, 2).text = "Target"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Waits"
    _fill(table, [[], ["Waits", "RTT", "65%"], ["Waits", "Cancer", "75%"]])


def _continue_a_merge_from_no_row(document) -> None:
    table = document.add_table(rows=2, cols=2)
    _fill(table, [["Group", "Share"], ["Nurses", "51%"]])
    # Continuing a vertical merge from a row that is not there: python-docx's row.cells raises.
    table.cell(0, 0)._tc.get_or_add_tcPr().append(OxmlElement("w:vMerge"))


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        (
            _merge_header_and_first_column,
            "Measure: Waits | Measure: RTT | Target: 65%\n"
            "Measure: Waits | Measure: Cancer | Target: 75%",
        ),
        (_continue_a_merge_from_no_row, "Nurses | Share: 51%"),  # the header cell reads as empty
    ],
    ids=["header-and-column", "continued-from-no-row"],
)
def test_docx_merged_cells_keep_their_columns(merge, expected):
    document = docx.Document()
    merge(document)
    assert docx_to_text(_reloaded(document)).text == expected


def test_docx_one_row_table_and_content_controls_are_read():
    document = docx.Document()
    _fill(document.add_table(rows=1, cols=2), [["Only", "row"]])
    wrapped = document.add_paragraph("Inside a content control.")
    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    wrapped._p.addprevious(control)
    control.append(content)
    content.append(wrapped._p)
    document.add_paragraph("After it.")
    assert document.element.body.find(qn("w:sdt")) is not None
    read = docx_to_text(_reloaded(document))
    assert read.text == "Only | row\n\nInside a content control.\n\nAfter it."
