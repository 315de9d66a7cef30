"""Evaluation runs for real: the gold set and COVID-QA, ours beside the tutorial baseline."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT
from evals.datasets import COVID_QA_PATH, load_covid_qa
from evals.report import check_floors, load_thresholds, write_reports
from evals.runner import run_eval

ASSISTANT = Path(sys.executable).with_name("assistant")


@pytest.fixture(scope="module")
def gold_run(tmp_path_factory):
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("eval") / "data", _env_file=None)
    return run_eval(settings, "gold", "extractive", limit=12, rerank_off=True)


def test_a_gold_run_scores_ours_and_the_baseline_on_the_same_questions(gold_run):
    assert gold_run.questions == 12 == len(gold_run.results) == len(gold_run.baseline_results)
    assert [r.id for r in gold_run.results] == [r.id for r in gold_run.baseline_results]
    assert gold_run.ours["citation_validity"] == 1.0
    assert 0 < gold_run.ours["fact_accuracy"] <= 1
    # The baseline's retrieval is measured even without a language model; its answers are not.
    assert gold_run.baseline["recall@5"] is not None
    assert gold_run.baseline["fact_accuracy"] is None and not gold_run.baseline_answers


def test_reports_are_written_with_a_chart_and_a_latest_copy(gold_run, tmp_path):
    paths = write_reports(gold_run, tmp_path, [], load_thresholds())
    assert {p.suffix for p in paths} == {".md", ".json", ".png"}
    latest = (tmp_path / "latest-gold.md").read_text()
    assert "| recall@5 |" in latest and "baseline" in latest
    # Reranking off has its own column, filled from its own run of the same questions.
    header = next(line for line in latest.splitlines() if line.startswith("| metric |"))
    assert header.split(" | ")[1:3] == ["ours", "ours, reranking off"]
    recall = next(line for line in latest.splitlines() if line.startswith("| recall@5 |"))
    assert recall.count("|") == header.count("|") and "–" not in recall.split(" | ")[2]
    assert [r.id for r in gold_run.no_rerank_results] == [r.id for r in gold_run.results]
    assert (tmp_path / "latest-gold.png").read_bytes().startswith(b"\x89PNG")
    data = json.loads(next(p for p in paths if p.suffix == ".json").read_text())
    assert data["ours"] == gold_run.ours and len(data["results"]) == 12
    assert data["ours_no_rerank"] == gold_run.ours_no_rerank


def test_check_names_every_floor_a_run_misses(gold_run):
    floors = {"floors": {"gold": {"extractive": {
        "fact_accuracy": 1.01, "citation_validity": 1.0, "recall@5_over_baseline": 0.5,
    }}}}
    failures = check_floors(gold_run, floors)
    assert any(f.startswith("fact_accuracy") for f in failures)
    assert any(f.startswith("recall@5") for f in failures)
    assert not any(f.startswith("citation_validity") for f in failures)


def test_the_cli_exits_1_below_a_floor_and_0_above(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    strict, lenient = tmp_path / "strict.toml", tmp_path / "lenient.toml"
    strict.write_text('[floors.gold.extractive]\nfact_accuracy = 1.01\n')
    lenient.write_text('[floors.gold.extractive]\ncitation_validity = 1.0\n')

    def run(thresholds: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ASSISTANT), "eval", "--dataset", "gold", "--limit", "4", "--check", "--json",
             "--thresholds", str(thresholds), "--reports", str(tmp_path / "reports")],
            capture_output=True, text=True, env=env, timeout=600,
        )

    failed = run(strict)
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["check_failures"]
    passed = run(lenient)
    assert passed.returncode == 0, passed.stderr
    assert (tmp_path / "reports" / "latest-gold.md").exists()


def test_an_unknown_dataset_is_a_usage_error(tmp_path):
    result = subprocess.run([str(ASSISTANT), "eval", "--dataset", "squad"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "covid-qa" in result.stderr


def test_covid_qa_ships_in_the_repository_with_its_licence():
    assert COVID_QA_PATH.is_relative_to(REPO_ROOT)
    assert "Apache License" in (COVID_QA_PATH.parent / "LICENSE").read_text()
    readme = (COVID_QA_PATH.parent / "README.md").read_text()
    digest = hashlib.sha256(COVID_QA_PATH.read_bytes()).hexdigest()
    assert "deepset-ai/COVID-QA" in readme and digest in readme


def test_covid_qa_papers_keep_their_answer_offsets_and_the_sample_is_fixed(tmp_path):
    from ingest.loaders import FileLoader

    first = load_covid_qa(tmp_path / "papers", sample=20)
    again = load_covid_qa(tmp_path / "papers", sample=20)
    assert [q.id for q in first.questions] == [q.id for q in again.questions]
    assert len(list((tmp_path / "papers").glob("*.txt"))) == 98
    loader = FileLoader(100_000_000, 5000)
    for q in first.questions:
        text = loader.load(tmp_path / "papers" / f"{q.span.doc_id}.txt").page_content
        assert text[q.span.start : q.span.end] == q.span.text


@pytest.mark.slow
def test_on_covid_qa_our_retrieval_is_measured_beside_the_baseline(tmp_path, monkeypatch):
    from assistant.settings import Settings
    from evals import datasets

    # The runner on COVID-QA, not the benchmark: three of its papers (embedding all 98, ours
    # and the baseline's, took six minutes of every CI run), MiniLM (1.8x faster than bge).
    whole = json.loads(COVID_QA_PATH.read_text(encoding="utf-8"))
    three = tmp_path / "covid-qa-three-papers.json"
    three.write_text(json.dumps({"data": whole["data"][:3]}), encoding="utf-8")
    monkeypatch.setitem(datasets.DATASETS, "covid-qa", lambda folder, full, settings:
                        datasets.load_covid_qa(folder / "papers", path=three, sample=15))
    run = run_eval(Settings(data_dir=tmp_path / "data", embedder="all-MiniLM-L6-v2",
                            _env_file=None), "covid-qa", "extractive")
    assert run.questions == 15
    assert run.ours["recall@5"] is not None and run.baseline["recall@5"] is not None
    assert run.ours["citation_validity"] == 1.0


def test_without_the_baseline_a_run_scores_ours_alone(tmp_path):
    from assistant.settings import Settings

    run = run_eval(Settings(data_dir=tmp_path / "data", _env_file=None), "gold", "extractive",
                   limit=3, baseline=False)
    assert len(run.results) == 3 and run.ours["recall@5"] is not None
    assert run.baseline_results == [] and run.baseline["recall@5"] is None
    assert not (tmp_path / "data" / "eval" / "gold" / f"baseline-{Settings().embedder}").exists()
