"""PubMedQA: 1,000 abstracts written as the assistant reads them, a fixed sample of questions,
each pointing at its abstract and its conclusion; no model is run."""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.settings import REPO_ROOT, Settings
from evals.datasets import DATASETS, PUBMEDQA_PATH, PUBMEDQA_SAMPLE, load_pubmedqa
from evals.metrics import QuestionResult, summarise
from evals.report import load_thresholds, markdown
from evals.runner import EvalRun
from ingest.loaders import FileLoader

RAW = json.loads(PUBMEDQA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return load_pubmedqa(tmp_path_factory.mktemp("pubmedqa") / "abstracts", sample=None)


def test_pubmedqa_ships_in_the_repository_with_its_licence():
    assert PUBMEDQA_PATH.is_relative_to(REPO_ROOT)
    assert "MIT License" in (PUBMEDQA_PATH.parent / "LICENSE").read_text()
    readme = (PUBMEDQA_PATH.parent / "README.md").read_text()
    digest = hashlib.sha256(PUBMEDQA_PATH.read_bytes()).hexdigest()
    assert "github.com/pubmedqa/pubmedqa" in readme and "1cbae8e" in readme and digest in readme


def test_every_abstract_is_written_once_and_each_question_names_its_own(full):
    files = sorted(full.documents_dir.glob("*.txt"))
    assert len(files) == len(full.questions) == len(RAW) == 1000
    assert {p.stem for p in files} == {f"pubmedqa-{pmid}" for pmid in RAW}
    assert len({q.id for q in full.questions}) == 1000
    for q in full.questions:
        assert q.answerable and q.scoring == "span"
        assert q.doc_ids == (q.span.doc_id,) == (q.id,)
        assert q.question == RAW[q.id.removeprefix("pubmedqa-")]["QUESTION"]


def test_each_span_is_the_conclusion_where_the_assistant_reads_it(full):
    loader = FileLoader(100_000_000, 5000)
    for q in full.questions:
        entry = RAW[q.id.removeprefix("pubmedqa-")]
        path = full.documents_dir / f"{q.span.doc_id}.txt"
        text = loader.load(path).page_content
        assert text[q.span.start : q.span.end] == q.span.text == entry["LONG_ANSWER"].strip()
        assert q.all_of == (q.span.text,)
        # The written body is the text the loader returns: the front matter is all it takes out.
        assert path.read_text(encoding="utf-8").endswith(text)
        # The abstract's paragraphs, a blank line apart, then its conclusion.
        assert text.split("\n\n")[:-1] == [c.strip() for c in entry["CONTEXTS"]]


def test_the_title_is_the_opening_sentence_not_the_question(full):
    loader = FileLoader(100_000_000, 5000)
    for q in full.questions:
        meta = loader.load(full.documents_dir / f"{q.id}.txt").metadata
        entry = RAW[q.id.removeprefix("pubmedqa-")]
        assert 0 < len(meta["title"]) <= 121 and meta.get("date") == entry["YEAR"]
        assert entry["CONTEXTS"][0].startswith(meta["title"].removesuffix("…"))
        assert meta["title"] != q.question


def test_the_sample_is_seeded_and_stable(tmp_path, full):
    first = load_pubmedqa(tmp_path / "a")
    again = load_pubmedqa(tmp_path / "b")
    other = load_pubmedqa(tmp_path / "c", seed=7)
    assert len(first.questions) == PUBMEDQA_SAMPLE == 100
    assert [q.id for q in first.questions] == [q.id for q in again.questions]
    assert [q.id for q in other.questions] != [q.id for q in first.questions]
    assert len({q.id for q in first.questions}) == 100
    assert {q.id for q in first.questions} <= {q.id for q in full.questions}
    # A sample still writes all 1,000 abstracts: the questions are asked over all of them.
    assert len(list((tmp_path / "a").glob("*.txt"))) == 1000


def test_the_registered_dataset_samples_100_and_full_asks_1000(tmp_path):
    sampled = DATASETS["pubmedqa"](tmp_path, False, Settings(_env_file=None))
    everything = DATASETS["pubmedqa"](tmp_path, True, Settings(_env_file=None))
    assert sampled.name == everything.name == "pubmedqa"
    assert sampled.documents_dir == everything.documents_dir == tmp_path / "abstracts"
    assert len(sampled.questions) == 100 and len(everything.questions) == 1000
    assert [q.id for q in sampled.questions] == [q.id for q in load_pubmedqa(tmp_path / "x").questions]


def test_rewriting_leaves_unchanged_abstracts_alone(tmp_path):
    load_pubmedqa(tmp_path, sample=0)
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.txt")}
    load_pubmedqa(tmp_path, sample=0)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.txt")} == stamps


def test_the_report_shows_right_document_refusals_recall_and_the_goals():
    def result(n: int, refused: bool, doc_ok: bool, rank: int | None) -> QuestionResult:
        return QuestionResult(f"pubmedqa-{n}", True, refused, not refused, rank,
                              notes={"span_located": True}, doc_ok=doc_ok, total_ms=100.0)

    ours = [result(1, False, True, 1), result(2, True, False, None), result(3, False, True, 4)]
    baseline = [result(n, False, ok, rank)
                for n, ok, rank in ((1, True, 1), (2, True, 2), (3, False, None))]
    for r in baseline:
        r.answered, r.fact_ok, r.total_ms = False, None, None
    run = EvalRun("pubmedqa", "extractive", 3, "2026-11-30T00:00:00+00:00", {},
                  summarise(ours), summarise(baseline), False, ours, baseline)
    assert run.ours["right_document"] == round(2 / 3, 4) and run.ours["wrong_refusals"] == 1
    assert run.baseline["right_document"] == run.baseline["recall@5"] == round(2 / 3, 4)
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ")
            for line in markdown(run, load_thresholds(), None, "chart.png").splitlines()
            if line.startswith("| ")}
    # ours, baseline, floor (none: a goal only), goal
    assert rows["right_document"][1:] == ["66.7%", "66.7%", "", "95.0% |"]
    assert rows["wrong_refusals"][1:] == ["1", "–", "", "3 |"]
    assert {"recall@1", "recall@5", "recall@10", "mrr"} <= rows.keys()
