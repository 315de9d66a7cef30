"""The chat's HTML: markers link to known passages, and nothing from outside is markup."""

from __future__ import annotations

from assistant.answering.answer import Answer, Citation, Evidence
from assistant.chat_view import (
    render_answer,
    render_error,
    render_question,
    render_result,
    render_sources,
)
from assistant.spans import SourceSpan
from assistant.text import Span

SOURCE = "Intro. Jane Cummings is interim director. She is <b>busy</b>."


def evidence(marker: int = 1, author: str = "Dave West") -> Evidence:
    start = SOURCE.index("Jane")
    text = SOURCE[start:]
    hit = Span("Jane Cummings is interim director.", start, start + 34)
    return Evidence(marker, SourceSpan("doc", "Title <i>", author, "s.md", start, len(SOURCE), text),
                    1.0, [hit])


def answer(**changes) -> Answer:
    base = dict(question="q", answer="Jane Cummings is interim director [1].", refused=False,
                citations=[], generator="llm", verification={}, timings={})
    return Answer(**{**base, **changes})


def test_known_markers_become_links_to_their_passage_and_unknown_ones_vanish():
    html = render_answer("A [1]. B [3].", "k9", {1})
    assert 'class="pa-cite pa-k-k9-1"' in html
    assert "[3]" not in html


def test_answer_text_is_escaped():
    html = render_answer("<script>alert(1)</script> fact [1].", "k", {1})
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_questions_are_escaped_and_a_huge_one_is_shortened():
    assert "&lt;img" in render_question("<img src=x onerror=alert(1)>")
    shown = render_question("x" * 1_000_000)
    assert len(shown) < 1000 and "1,000,000 characters" in shown


def test_sources_escape_document_text_and_highlight_the_best_hit_before_checking():
    html = render_sources([evidence()], "k")
    assert "<b>busy</b>" not in html and "&lt;b&gt;busy&lt;/b&gt;" in html
    assert "Title &lt;i&gt;" in html
    assert "<mark>Jane Cummings is interim director.</mark>" in html
    assert 'class="pa-passage pa-k-k-1 "' in html


def test_after_checking_the_cited_sentence_is_highlighted_and_unused_passages_dimmed():
    start = SOURCE.index("She")
    backing = {"start": start, "end": len(SOURCE), "text": SOURCE[start:]}
    cited = Citation(1, SourceSpan("doc", "T", "A", "s.md", 0, 0, ""), (backing,))
    html = render_sources([evidence(1), evidence(2)], "k", [cited])
    first, second = html.split('class="pa-passage')[1:]
    assert "<mark>She is &lt;b&gt;busy&lt;/b&gt;.</mark>" in first and " cited" in first
    assert " unused" in second


def test_a_refusal_looks_different_from_an_answer_and_says_why():
    refused = render_result(answer(refused=True, refusal_reason="Bristol is not in them"), "k")
    assert "pa-refusal" in refused and "Bristol is not in them" in refused
    assert "pa-refusal" not in render_result(answer(), "k")


def test_a_fallback_is_announced_above_the_answer():
    html = render_result(answer(fallback="the language model could not be reached"), "k")
    assert html.index("pa-notice") < html.index("pa-answer")


def test_errors_are_escaped():
    assert "&lt;b&gt;" in render_error("<b>bad</b>")


def test_the_renderer_loads_without_the_model_stack():
    import subprocess
    import sys

    heavy = ["torch", "sentence_transformers", "chromadb", "langchain_openai",
             "assistant.answering.chain", "assistant.retrieval", "assistant.store"]
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, assistant.chat_view; "
         f"print([m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"


def test_a_pdf_passage_names_its_page_and_links_its_picture_with_the_cited_sentence():
    text = "First page ends here. Second page: the cited sentence. Another one."
    start = text.index("the cited")
    cited_end = text.index(" Another")
    pages = ((0, 4), (text.index("Second"), 5))
    span = SourceSpan("sop", 'Title "quoted" <i>', "", "sop.pdf", 0, len(text), text, pages=pages)
    hit = Span("First page ends here.", 0, 21)
    backing = {"start": start, "end": cited_end, "text": text[start:cited_end]}
    html = render_sources([Evidence(1, span, 1.0, [hit])], "k", [Citation(1, span, (backing,))])
    assert '<span class="pa-page-n">p. 5</span>' in html  # the cited sentence's page
    assert (f'<a class="pa-page-link" href="page-image/sop/5.png?highlight={start}-{cited_end}" '
            'title="Page 5 of Title &quot;quoted&quot; &lt;i&gt;, cited sentence highlighted">'
            in html)
    # Before the answer is checked: the best sentence's page, and only its offsets.
    before = render_sources([Evidence(1, span, 1.0, [hit])], "k")
    assert "p. 4</span>" in before and "page-image/sop/4.png?highlight=0-21" in before


def test_an_unpaged_passage_has_no_page_picture():
    html = render_sources([evidence()], "k")
    assert "pa-page-link" not in html and "pa-page-n" not in html
