"""A whole document's cited summary: real ingestion, real Chroma, the real embedder, quoting."""

from __future__ import annotations

import threading

import pytest

from assistant.answering.answer import QuestionError
from assistant.answering.citations import MARKER
from assistant.answering.summary import DocumentBusy
from assistant.wiring import Parts
from tests.conftest import SOP_ID, store_snapshot


def _sections(body: list[tuple[str, str]]) -> str:
    return "\n\n".join(f"## {heading}\n\n{text}" for heading, text in body)


GUIDE = [
    ("Purpose", "This guidance sets out how Barnet ICB commissions community podiatry for "
                "adults with diabetes. It replaces the interim arrangements agreed in 2022."),
    ("Eligibility", "Adults registered with a Barnet practice are eligible when their foot "
                    "risk is moderate or high. Children are referred to the paediatric "
                    "service instead of this one."),
    ("Referral", "A referral must come from a GP or a diabetes nurse specialist. Referrals "
                 "are triaged within five working days of receipt by the podiatry lead."),
    ("Review", "The ICB reviews the service every two years against waiting times and "
               "amputation rates. The next review is due in March 2026."),
]


@pytest.fixture
def guide_parts(settings, files):
    path = files.text("podiatry.md", "---\ntitle: Community podiatry guidance\n---\n\n"
                      + _sections(GUIDE) + "\n")
    parts = Parts(settings)
    parts.library.ingest([path])
    return parts, path


def _lines(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.strip()]


def test_a_long_pdf_is_summarised_section_by_section_and_every_line_is_cited(sop_parts):
    seen: list[tuple[int, int]] = []
    summary = sop_parts.summariser.summarise(
        SOP_ID, "extractive", progress=lambda done, total, label: seen.append((done, total)),
        refresh=True)
    answer = summary.answer
    text = sop_parts.catalog.get(SOP_ID).text
    assert summary.sections >= 10 and not summary.cached
    assert seen == [(n, summary.sections) for n in range(1, summary.sections + 1)]
    assert answer.kind == "summary" and answer.verification["passed"]
    assert len(answer.citations) >= 5
    assert all(MARKER.search(line) for line in _lines(answer.answer))
    for citation in answer.citations:
        assert citation.span.doc_id == SOP_ID
        assert text[citation.span.start:citation.span.end] == citation.span.text
        assert citation.page and 1 <= citation.page <= 67
    # One point per section at most: the cited passages come from different sections.
    sections = [c.span.section for c in answer.citations if c.span.section]
    assert len(sections) == len(set(sections))
    # The lead is what the document says it is for.
    assert "sets out" in _lines(answer.answer)[0]


def test_the_second_request_is_read_back_from_the_cache(sop_parts):
    first = sop_parts.summariser.summarise(SOP_ID, "extractive")
    again = sop_parts.summariser.summarise(SOP_ID, "extractive")
    assert again.cached
    assert again.answer.answer == first.answer.answer
    assert [c.as_dict() for c in again.answer.citations] == \
        [c.as_dict() for c in first.answer.citations]


def test_a_changed_document_gets_a_new_summary(guide_parts):
    parts, path = guide_parts
    doc_id = parts.catalog.all()[0].doc_id
    before = parts.summariser.summarise(doc_id, "extractive")
    assert "Barnet ICB commissions" in before.answer.answer
    path.write_text(path.read_text().replace("Barnet", "Harrow"))
    parts.library.ingest([path])
    after = parts.summariser.summarise(doc_id, "extractive")
    assert not after.cached
    assert "Harrow ICB commissions" in after.answer.answer
    assert "Barnet" not in after.answer.answer


def test_summarising_a_removed_document_says_so_and_changes_nothing(guide_parts):
    parts, _ = guide_parts
    doc_id = parts.catalog.all()[0].doc_id
    parts.library.remove(doc_id)
    before = store_snapshot(parts.indexer)
    with pytest.raises(QuestionError, match=f"No document '{doc_id}'.*docs list"):
        parts.summariser.summarise(doc_id, "extractive")
    assert store_snapshot(parts.indexer) == before


def test_a_summary_asked_for_while_the_document_is_re_ingested_waits_for_it(guide_parts):
    parts, path = guide_parts
    doc_id = parts.catalog.all()[0].doc_id
    # Pause a real re-ingest after its new chunks are stored, before its catalog row is.
    stored, resume = threading.Event(), threading.Event()
    put = parts.catalog.put

    def paused_put(record):
        stored.set()
        resume.wait(60)
        put(record)

    parts.catalog.put = paused_put
    path.write_text(path.read_text().replace("Barnet ICB", "Harrow ICB"))
    ingest = threading.Thread(target=parts.library.ingest, args=([path],))
    ingest.start()
    try:
        assert stored.wait(60)
        before = store_snapshot(parts.indexer)
        with pytest.raises(DocumentBusy, match="being ingested again"):
            parts.summariser.summarise(doc_id, "extractive")
        assert store_snapshot(parts.indexer) == before
    finally:
        resume.set()
        ingest.join(60)
    assert "Harrow ICB" in parts.summariser.summarise(doc_id, "extractive").answer.answer


@pytest.mark.parametrize("question,named", [
    ("Summarise the standard operating procedures for individual funding requests", SOP_ID),
    ("Give me an overview of the IFR standard operating procedures", SOP_ID),
    (f"Summarise {SOP_ID}", SOP_ID),
    ("Summarise what the documents say about devolution in London", None),
    ("Summarise this document", None),  # three documents: which one?
])
def test_the_document_a_summary_request_names(sop_parts, question, named):
    assert sop_parts.summariser.named_in(question) == named


def test_summarise_this_document_means_the_one_in_scope(sop_parts):
    assert sop_parts.summariser.named_in("Summarise this document", [SOP_ID]) == SOP_ID


def test_asking_the_chain_to_summarise_a_document_summarises_all_of_it(sop_parts):
    answer = sop_parts.chain.answer("Summarise the IFR standard operating procedures",
                                    generator="extractive")
    assert answer.kind == "summary" and not answer.refused
    assert {c.span.doc_id for c in answer.citations} == {SOP_ID}
    pages = {c.page for c in answer.citations}
    assert max(pages) - min(pages) >= 20  # from across the document, not one passage


def test_a_document_without_headings_is_read_in_parts(settings, files):
    body = " ".join(f"Clinic {n} in Harrow opens on weekday evenings for adults needing "
                    f"wound care and dressing changes near home." for n in range(1, 120))
    path = files.text("harrow.txt", body)
    parts = Parts(settings.model_copy(update={"chunk_size": 500}))
    parts.library.ingest([path])
    summary = parts.summariser.summarise(parts.catalog.all()[0].doc_id, "extractive")
    assert summary.sections > 1 and summary.answer.citations


def test_a_summary_of_an_unknown_generator_is_refused(sop_parts):
    with pytest.raises(QuestionError, match="Unknown generator"):
        sop_parts.summariser.summarise(SOP_ID, "oracle")


def test_settings_bound_the_points(sop_parts):
    few = Parts(sop_parts.settings.model_copy(update={"summary_points": 3}))
    summary = few.summariser.summarise(SOP_ID, "extractive", refresh=True)
    assert 1 <= len(summary.answer.citations) <= 3


def test_sections_a_model_leaves_out_are_quoted(sop_parts):
    """The model here is scripted: what is tested is the summariser around it."""
    from assistant.answering.summary import DocumentSummariser
    from assistant.summary_cache import SummaryCache

    class OnePoint:
        def generate(self, question, evidence, units, kind="fact"):
            yield f"- {evidence[0].hits[0].text.strip()} [{evidence[0].marker}]"

    summariser = sop_parts.summariser
    scripted = DocumentSummariser(
        summariser.vector_store, summariser.catalog, summariser.embeddings,
        {"llm": OnePoint()}, SummaryCache(sop_parts.records_engine), recipe="one-point")
    answer = scripted.summarise(SOP_ID, "llm", refresh=True).answer
    lines = answer.answer.splitlines()
    assert answer.generator == "llm" and lines[0].startswith("- ") and len(lines) >= 5
    assert all(line.startswith("• ") for line in lines[1:])
    assert len({c.marker for c in answer.citations}) == len(lines)
    assert answer.verification["passed"], answer.verification
