"""Citations that name the page: a real PDF through ingestion, retrieval and answering."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SOP, SOP_ID


@pytest.fixture
def parts(sop_parts):
    return sop_parts


def test_a_pdf_is_listed_with_its_real_title_publisher_date_and_pages(parts):
    (record,) = [r for r in parts.library.documents() if r.source == str(SOP)]
    summary = record.summary()
    assert summary["title"] == "Standard operating procedures: Individual funding requests"
    assert (summary["publisher"], summary["date"], summary["pages"]) == \
        ("NHS England", "8 February 2023", 67)


def test_chunks_carry_their_pages_and_section(parts):
    stored = parts.vector_store.get(where={"doc_id": SOP_ID},
                                    include=["metadatas"])["metadatas"]
    assert stored and all(1 <= m["page_start"] <= m["page_end"] <= 67 for m in stored)
    assert all(json.loads(m["pages"])[0][1] == m["page_start"] for m in stored)
    assert any(m["section"] for m in stored)


def test_a_citation_names_the_page_of_the_cited_sentence(parts):
    answer = parts.chain.answer(
        "Within how many working days will a completed IFR form normally be screened?",
        generator="extractive")
    assert not answer.refused and "12 working days" in answer.answer
    cited = [c for c in answer.citations if "12 working days" in c.span.text]
    assert cited and cited[0].page == 11  # counted as a PDF viewer counts; printed "10"
    data = answer.to_dict()["citations"][0]
    assert {"page", "section", "page_start", "page_end"} <= set(data)


def test_an_unpaged_document_cites_no_page(parts):
    answer = parts.chain.answer("Which services did NHS London redesign?", generator="extractive")
    assert "stroke and trauma" in answer.answer
    # The columns are Markdown: no pages (a list answer may also quote the PDF beside them).
    unpaged = [c for c in answer.citations if c.span.source.endswith(".md")]
    assert unpaged and all(c.page is None for c in unpaged)
