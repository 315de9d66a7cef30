"""Evaluation datasets: the gold questions about documents/, COVID-QA, PubMedQA and published
policy documents (the last three in evals/data/).

A dataset is a folder of documents to ingest plus questions; an answerable question knows
the facts a correct answer holds and, when it can be located, the supporting span in the
ingested text (document id and ``start``/``end`` in the text citations point into).

Example:
    >>> gold = DATASETS["gold"](Path("data/eval/gold"), False, Settings())
    >>> len(gold.questions) > 50, gold.documents_dir.name
    (True, 'documents')
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.settings import REPO_ROOT, Settings
from assistant.text import sentences

GOLD_PATH = REPO_ROOT / "evals" / "gold.jsonl"
POLICY_PATH = REPO_ROOT / "evals" / "policy.jsonl"
POLICY_DOCUMENTS = REPO_ROOT / "evals" / "data" / "policy" / "documents"
SYNTHESIS_PATH = REPO_ROOT / "evals" / "synthesis.jsonl"
COVID_QA_PATH = REPO_ROOT / "evals" / "data" / "covid-qa" / "200423_covidQA.json"
# The fixed sample CI and a plain run use; --full asks all 1,380.
COVID_QA_SAMPLE = 150
COVID_QA_SEED = 20261125
PUBMEDQA_PATH = REPO_ROOT / "evals" / "data" / "pubmedqa" / "ori_pqal.json"
# 100 questions over all 1,000 abstracts; --full asks all 1,000.
PUBMEDQA_SAMPLE = 100
PUBMEDQA_SEED = 20261130
# A citation's title: an abstract's first sentence, cut at a word to about this length.
_TITLE_CHARS = 120


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
    # Where a correct answer comes from (policy set): the documents it should cite, the
    # pages (counted as a PDF viewer counts) its fact is printed on, and the words printed
    # there, located in the ingested text at run time.
    doc_ids: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    evidence: str = ""
    # Multi-part questions: each key point as alternative phrasings, any one of which counts.
    key_points: tuple[tuple[str, ...], ...] = ()


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


def load_policy(
    path: Path = POLICY_PATH, documents_dir: Path = POLICY_DOCUMENTS, name: str = "policy"
) -> Dataset:
    """Questions on 12 published documents: single facts (``all_of``/``any_of`` on a given
    ``page``), multi-part and cross-document questions scored by ``key_points``, and
    questions the documents don't answer. See ``evals/data/policy/SOURCES.md``."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc_ids = tuple(row.get("doc_ids") or ([row["doc_id"]] if row.get("doc_id") else []))
        pages = [row["page"]] if row.get("page") else [
            page for listed in (row.get("pages") or {}).values() for page in listed]
        key_points = tuple(tuple(point) for point in row.get("key_points", ()))
        questions.append(EvalQuestion(
            id=row["id"], question=row["question"], answerable=row["answerable"],
            all_of=tuple(row.get("all_of", ())), any_of=tuple(row.get("any_of", ())),
            kind=row.get("kind", ""), scoring="key_points" if key_points else "facts",
            doc_ids=doc_ids, pages=tuple(pages), evidence=row.get("evidence", ""),
            key_points=key_points,
        ))
    return Dataset(name, documents_dir, questions)


def load_synthesis(work_dir: Path, path: Path = SYNTHESIS_PATH) -> Dataset:
    """Lists, steps, comparisons and summaries over the seed columns and the policy
    documents together (``evals/data/synthesis/README.md``), scored by key points. Both
    corpora are linked into ``work_dir`` so one library holds them, under the same ids."""
    work_dir.mkdir(parents=True, exist_ok=True)
    sources = [*sorted((REPO_ROOT / "documents").glob("*.md")), *sorted(POLICY_DOCUMENTS.iterdir())]
    wanted = {source.name for source in sources}
    for stale in work_dir.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for source in sources:
        link = work_dir / source.name
        if not link.exists():
            link.symlink_to(source.resolve())
    return load_policy(path, work_dir, name="synthesis")


def evidence_pattern(evidence: str) -> re.Pattern[str] | None:
    """Matches ``evidence``'s words in order, whatever lies between them (spacing, line
    breaks, punctuation the reader changed); None for text without words."""
    words = re.findall(r"\w+", evidence)
    if not words:
        return None
    # No closing word boundary: a footnote mark may follow the last word ("vaccine3").
    return re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words), re.IGNORECASE)


def locate_evidence(text: str, evidence: str) -> tuple[int, int] | None:
    """Where ``evidence`` first stands in ``text`` (see :func:`evidence_pattern`), or None."""
    pattern = evidence_pattern(evidence)
    found = pattern.search(text) if pattern else None
    return (found.start(), found.end()) if found else None


def load_covid_qa(
    work_dir: Path, path: Path = COVID_QA_PATH, sample: int | None = COVID_QA_SAMPLE,
    seed: int = COVID_QA_SEED,
) -> Dataset:
    """Writes the 98 papers as text files under ``work_dir`` (title and authors as front
    matter, the paper's text verbatim as the body, so answer offsets stay valid: ``.txt``,
    because a ``.md`` file is read as Markdown, whose markup is taken out) and
    returns a seeded sample of the questions (all 1,380 with ``sample=None``)."""
    papers = _read_json(path, "COVID-QA")["data"]
    work_dir.mkdir(parents=True, exist_ok=True)
    for markdown in work_dir.glob("*.md"):  # written by earlier versions; the .txt replace them
        markdown.unlink()
    questions = []
    for paper in papers:
        for paragraph in paper["paragraphs"]:
            context = paragraph["context"]
            doc_id = f"covid-qa-{paragraph['document_id']}"
            _write_if_changed(work_dir / f"{doc_id}.txt",
                              _with_front_matter(_covid_header(context), context))
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
    return Dataset("covid-qa", work_dir, _sampled(questions, sample, seed))


def load_pubmedqa(
    work_dir: Path, path: Path = PUBMEDQA_PATH, sample: int | None = PUBMEDQA_SAMPLE,
    seed: int = PUBMEDQA_SEED,
) -> Dataset:
    """Writes PubMedQA's 1,000 labelled abstracts as ``pubmedqa-<pmid>.txt`` under
    ``work_dir`` and returns a seeded sample of their questions (all 1,000 with
    ``sample=None``), one per abstract and each answerable.

    A file holds the abstract as published: its paragraphs (background, methods,
    results…), a blank line apart, then its conclusion (``LONG_ANSWER``). The front matter
    gives as title the abstract's first sentence (PubMedQA's only title is the question
    itself, the paper's title, which would give the answer away) and the year, when
    known, as date. A
    question's gold span is the conclusion, scored as COVID-QA's spans are; an answer is
    from the right document when it cites ``pubmedqa-<pmid>``."""
    abstracts = _read_json(path, "PubMedQA")
    work_dir.mkdir(parents=True, exist_ok=True)
    questions = []
    for pmid, entry in abstracts.items():
        doc_id = f"pubmedqa-{pmid}"
        opening = "\n\n".join(paragraph.strip() for paragraph in entry["CONTEXTS"])
        conclusion = entry["LONG_ANSWER"].strip()
        start = len(opening) + 2
        header = {"title": _first_sentence(entry["CONTEXTS"][0])}
        if entry.get("YEAR"):  # 58 of the 1,000 have none
            header["date"] = str(entry["YEAR"])
        _write_if_changed(work_dir / f"{doc_id}.txt",
                          _with_front_matter(header, f"{opening}\n\n{conclusion}\n"))
        questions.append(EvalQuestion(
            id=doc_id, question=entry["QUESTION"].strip(), answerable=True,
            span=GoldSpan(doc_id, start, start + len(conclusion), conclusion), scoring="span",
            all_of=(conclusion,), doc_ids=(doc_id,),
        ))
    return Dataset("pubmedqa", work_dir, _sampled(questions, sample, seed))


def _read_json(path: Path, name: str):
    if not path.exists():
        raise FileNotFoundError(f"{name} is not at {path}; restore it with `git checkout evals/data`")
    return json.loads(path.read_text(encoding="utf-8"))


def _sampled(questions: list[EvalQuestion], sample: int | None, seed: int) -> list[EvalQuestion]:
    """A seeded sample of ``sample`` questions; all of them when ``sample`` is None."""
    if sample is not None and sample < len(questions):
        return random.Random(seed).sample(questions, sample)
    return questions


def _first_sentence(text: str) -> str:
    """The text's first sentence, cut at a word to about ``_TITLE_CHARS`` characters."""
    found = sentences(text.strip())
    first = found[0].text.strip() if found else text.strip()
    if len(first) <= _TITLE_CHARS:
        return first
    return first[:_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


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


def _covid_header(context: str) -> dict[str, str]:
    lines = context.split("\n")
    header = {"title": lines[0].strip() or "COVID-QA paper"}
    # The papers open with title, URL, authors and date, one per line (blank lines between).
    filled = [line.strip() for line in lines[1:8] if line.strip()]
    if len(filled) >= 2:
        header["author"] = filled[1][:300]
    return header


def _with_front_matter(header: dict[str, str], body: str) -> str:
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n{body}"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def load_feedback(documents_dir: Path, settings: Settings) -> Dataset:
    """The questions readers marked wrong and an editor promoted (``assistant feedback
    promote``), over a copy of the library they were asked of: each answer must restate
    most of the reader's correction's content words, or refuse where the reader said the
    documents don't answer."""
    from assistant.wiring import Parts

    parts = Parts(settings)
    documents_dir.mkdir(parents=True, exist_ok=True)
    kept = set()
    for record in parts.catalog.all():
        source = Path(record.source)
        if source.is_file():
            # Named by its id, so that the copy is ingested under the same id.
            copy = documents_dir / f"{record.doc_id}{source.suffix.lower()}"
            if not copy.exists() or copy.read_bytes() != source.read_bytes():
                shutil.copyfile(source, copy)
            kept.add(copy.name)
    for stale in documents_dir.iterdir():
        if stale.name not in kept:
            stale.unlink()
    questions = [
        EvalQuestion(
            id=f"feedback-{f.feedback_id}", question=f.answer.question,
            answerable=not f.should_refuse, all_of=(f.correction,) if f.correction else (),
            scoring="span",
        )
        for f in parts.feedback.promoted()
    ]
    return Dataset("feedback", documents_dir, questions)


# Each dataset by name: (the eval's own folder, --full, the settings) → the dataset.
DATASETS: dict[str, Callable[[Path, bool, Settings], Dataset]] = {
    "gold": lambda folder, full, settings: load_gold(),
    "covid-qa": lambda folder, full, settings: load_covid_qa(
        folder / "papers", sample=None if full else COVID_QA_SAMPLE),
    "policy": lambda folder, full, settings: load_policy(),
    "synthesis": lambda folder, full, settings: load_synthesis(folder / "documents"),
    "pubmedqa": lambda folder, full, settings: load_pubmedqa(
        folder / "abstracts", sample=None if full else PUBMEDQA_SAMPLE),
    "feedback": lambda folder, full, settings: load_feedback(folder / "documents", settings),
}
