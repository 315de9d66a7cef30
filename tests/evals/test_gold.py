"""The gold questions are well formed and their supporting spans are real."""

from __future__ import annotations

import json

import pytest

from ingest.loaders import FileLoader
from tests.conftest import DOCUMENTS_DIR

GOLD = [json.loads(line) for line in (DOCUMENTS_DIR.parent / "evals" / "gold.jsonl").open()]
TEXTS = {p.stem: FileLoader(10_000_000, 100).load(p).page_content for p in DOCUMENTS_DIR.glob("*.md")}


def test_the_set_has_answerable_and_unanswerable_questions():
    assert len({row["id"] for row in GOLD}) == len(GOLD)
    assert sum(row["answerable"] for row in GOLD) >= 60
    assert sum(not row["answerable"] for row in GOLD) >= 20


@pytest.mark.parametrize("row", [r for r in GOLD if r["answerable"]], ids=lambda r: r["id"])
def test_each_answer_span_is_the_quoted_text_and_holds_a_fact(row):
    text = TEXTS[row["doc_id"]]
    span = row["span"]
    assert text[span["start"] : span["end"]] == span["text"]
    assert row["all_of"] or row["any_of"]
    facts = row["all_of"] + row["any_of"]
    assert any(fact.lower() in text.lower() for fact in facts)
