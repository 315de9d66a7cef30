"""Evaluation datasets: the gold questions about documents/, and COVID-QA (in evals/data/).

A dataset is a folder of documents to ingest plus questions; an answerable question knows
the facts a correct answer holds and, when it can be located, the supporting span in the
ingested text (document id and ``start``/``end`` in the text citations point into).

Example:
    >>> gold = DATASETS["gold"](Path("data/eval/gold"), False)
    >>> len(gold.questions) > 50, gold.documents_dir.name
    (True, 'documents')
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.settings import REPO_ROOT

GOLD_PATH = REPO_ROOT / "evals" / "gold.jsonl"
COVID_QA_PATH = REPO_ROOT / "evals" / "data" / "covid-qa" / "200423_covidQA.json"
# The fixed sample CI and a plain run use; --full asks all 1,380.
COVID_QA_SAMPLE = 150
COVID_QA_SEED = 20261125


@dataclass(frozen=True)
class GoldSpan:
    """Where the answer is: ``text == document_text[start:end]`` of document ``doc_id``."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answerable: bool
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    span: GoldSpan | None = None
    kind: str = ""  # for unanswerable ones: other-city, injection, …
    # "facts": every all_of and one any_of must appear; "span": the answer must restate
    # most of the gold span's content words (COVID-QA's answers are long spans).
    scoring: str = "facts"


@dataclass(frozen=True)
class Dataset:
    name: str
    documents_dir: Path
    questions: list[EvalQuestion]


def load_gold(path: Path = GOLD_PATH, documents_dir: Path = REPO_ROOT / "documents") -> Dataset:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        span = row.get("span")
        questions.append(
            EvalQuestion(
                id=row["id"], question=row["question"], answerable=row["answerable"],
                all_of=tuple(row.get("all_of", ())), any_of=tuple(row.get("any_of", ())),
                span=GoldSpan(row["doc_id"], span["start"], span["end"], span["text"]) if span else None,
                kind=row.get("kind", ""),
            )
        )
    return Dataset("gold", documents_dir, questions)


def load_covid_qa(
    work_dir: Path, path: Path = COVID_QA_PATH, sample: int | None = COVID_QA_SAMPLE,
    seed: int = COVID_QA_SEED,
) -> Dataset:
    """Writes the 98 papers as text files under ``work_dir`` (title and authors as front
    matter, the paper's text verbatim as the body, so answer offsets stay valid: ``.txt``,
    because a ``.md`` file is read as Markdown, whose markup is taken out) and
    returns a seeded sample of the questions (all 1,380 with ``sample=None``)."""
    if not path.exists():
        raise FileNotFoundError(f"COVID-QA is not at {path}; restore it with `git checkout evals/data`")
    papers = json.loads(path.read_text(encoding="utf-8"))["data"]
    work_dir.mkdir(parents=True, exist_ok=True)
    for markdown in work_dir.glob("*.md"):  # written by earlier versions; the .txt replace them
        markdown.unlink()
    questions = []
    for paper in papers:
        for paragraph in paper["paragraphs"]:
            context = paragraph["context"]
            doc_id = f"covid-qa-{paragraph['document_id']}"
            _write_if_changed(work_dir / f"{doc_id}.txt", _with_front_matter(context))
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                text = answer["text"]
                start = _locate(context, text, answer["answer_start"])
                span = GoldSpan(doc_id, start, start + len(text), text) if start >= 0 else None
                questions.append(
                    EvalQuestion(
                        id=f"covid-{qa['id']}", question=qa["question"].strip(), answerable=True,
                        span=span, scoring="span",
                        all_of=(text.strip(),),
                    )
                )
    if sample is not None and sample < len(questions):
        questions = random.Random(seed).sample(questions, sample)
    return Dataset("covid-qa", work_dir, questions)


def _locate(context: str, text: str, hint: int) -> int:
    """The answer's offset: the published one when it holds the text (in 1,146 of 1,380
    it does), else the occurrence nearest to it, else -1."""
    if context[hint : hint + len(text)] == text:
        return hint
    found, at = [], context.find(text)
    while at >= 0:
        found.append(at)
        at = context.find(text, at + 1)
    return min(found, key=lambda offset: abs(offset - hint)) if found else -1


def _with_front_matter(context: str) -> str:
    lines = context.split("\n")
    header = {"title": lines[0].strip() or "COVID-QA paper"}
    # The papers open with title, URL, authors and date, one per line (blank lines between).
    filled = [line.strip() for line in lines[1:8] if line.strip()]
    if len(filled) >= 2:
        header["author"] = filled[1][:300]
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n{context}"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# Each dataset by name: (the eval's own folder, --full) → the dataset.
DATASETS: dict[str, Callable[[Path, bool], Dataset]] = {
    "gold": lambda folder, full: load_gold(),
    "covid-qa": lambda folder, full: load_covid_qa(
        folder / "papers", sample=None if full else COVID_QA_SAMPLE),
}
