"""The policy set: published documents and commissioners' questions, well formed and findable."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.datasets import POLICY_DOCUMENTS, evidence_pattern, load_policy, locate_evidence
from ingest.loaders import FileLoader
from ingest.structure import StructuredText

POLICY = load_policy()
SINGLE = [q for q in POLICY.questions if q.scoring == "facts" and q.answerable]


def test_the_set_has_the_kinds_of_question_a_commissioner_asks():
    kinds = Counter(q.kind for q in POLICY.questions)
    assert len(POLICY.questions) >= 60 and len({q.id for q in POLICY.questions}) == len(POLICY.questions)
    assert kinds["table"] >= 10 and kinds["deep"] >= 10
    assert sum(not q.answerable for q in POLICY.questions) >= 15
    multi = [q for q in POLICY.questions if q.key_points]
    assert len(multi) >= 15 and sum(len(q.doc_ids) > 1 for q in multi) >= 5
    assert all(q.pages and q.pages[0] > 20 for q in POLICY.questions if q.kind == "deep")


def test_every_expected_document_is_in_the_folder():
    stems = {p.stem for p in POLICY_DOCUMENTS.iterdir()}
    assert {doc for q in POLICY.questions for doc in q.doc_ids} <= stems
    assert sum(p.suffix == ".pdf" for p in POLICY_DOCUMENTS.iterdir()) >= 6


@pytest.fixture(scope="module")
def read() -> dict[str, tuple[str, StructuredText | None]]:
    """Each document as the assistant reads it: (text, its page layout for PDFs)."""
    loader = FileLoader(50 * 1024 * 1024, 2000)
    documents = {}
    for path in POLICY_DOCUMENTS.iterdir():
        document = loader.load(path)
        layout = document.metadata.get("layout") or {}
        documents[path.stem] = (document.page_content, StructuredText(
            document.page_content, layout.get("page_starts", [])) if layout else None)
    return documents


@pytest.mark.slow
def test_each_fact_is_on_its_page_in_the_text_the_assistant_reads(read):
    """Every single-fact answer stands, as the reader produces it, on the page the question
    names: so a citation can name that page."""
    misplaced = []
    for q in SINGLE:
        text, layout = read[q.doc_ids[0]]
        for fact in q.all_of:
            found = list(evidence_pattern(fact).finditer(text))
            if not found:
                misplaced.append(f"{q.id}: “{fact}” not in the text")
            elif q.pages and layout is not None and layout.page_starts and not any(
                    layout.page_at(m.start()) in q.pages for m in found):
                misplaced.append(f"{q.id}: “{fact}” on p. {[layout.page_at(m.start()) for m in found]}"
                                 f", not p. {q.pages}")
    assert not misplaced, misplaced


def test_evidence_is_located_word_by_word_whatever_the_spacing():
    text = "Requests must be made\nwithin 20 working days of the\u00a0decision."
    start, end = locate_evidence(text, "made within 20 working days of the decision")
    assert text[start:end].startswith("made") and text[start:end].endswith("decision")
    assert locate_evidence(text, "within 30 working days") is None
