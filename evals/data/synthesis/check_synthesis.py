"""Re-verifies evals/synthesis.jsonl against the text the assistant stores for each document.

Run from the repository root (it needs the project's own loader, so use its virtualenv):

    .venv/bin/python evals/data/synthesis/check_synthesis.py [--questions evals/synthesis.jsonl] [--show]

Every document is read with ``ingest.loaders.FileLoader`` -- the function ``assistant ingest``
uses -- so the text checked is the text chunks and citations point into. Doc ids are file
names without extension, looked up in ``documents/`` (the two seed columns) and
``evals/data/policy/documents/`` (the 12 policy documents).

Checks, for every question:
  * fields: ``id`` (sNNN, unique, not an id of evals/policy.jsonl), ``question`` (not a
    question of evals/policy.jsonl), ``answerable`` true, ``kind`` one of list / steps /
    compare / summary, ``doc_ids`` (known documents, no repeats), 3-6 ``key_points``, each a
    list of 1-3 alternative phrases of 2-8 words;
  * every alternative phrase occurs in the stored text of one of the question's documents
    (case, whitespace, curly quotes, dashes and Unicode compatibility forms normalised);
  * ``pages`` (PDF-viewer page numbers, 1-based): given for every PDF among ``doc_ids`` and
    for nothing else; every alternative phrase must then be printed on a listed page of a
    listed PDF (or occur in a non-PDF document of the question), and every listed page must
    hold at least one of the question's phrases. A phrase's page is the page its first
    character falls on, from the loader's ``page_starts``;
  * ``steps`` questions on one document: the points can be found in the listed order.
Then prints counts (total, by kind, by corpus, spanning two or more documents) and checks
the set's floor: >= 34 questions, >= 10 on the seed columns, >= 20 on the policy documents,
>= 10 spanning, every kind used. Exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from ingest.loaders import FileLoader  # noqa: E402

DEFAULT_QUESTIONS = REPO / "evals" / "synthesis.jsonl"
POLICY_QUESTIONS = REPO / "evals" / "policy.jsonl"
CORPORA = {"seed": REPO / "documents", "policy": REPO / "evals" / "data" / "policy" / "documents"}
SUFFIXES = {".pdf", ".docx", ".md"}
KINDS = ("list", "steps", "compare", "summary")
MINIMA = {"total": 34, "seed": 10, "policy": 20, "spanning": 10}
_ID = re.compile(r"^s\d{3}$")
_SWAPS = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
          "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u00ad": ""}


def _normal_char(char: str) -> str:
    char = _SWAPS.get(char, char)
    return unicodedata.normalize("NFKC", char).lower()


def normalised(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased, NFKC, straight quotes and hyphens, whitespace runs as one space;
    with, for each character of the result, the index in ``text`` it came from."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for piece in _normal_char(char):
            if piece.isspace():
                if not out or out[-1] == " ":
                    continue
                piece = " "
            out.append(piece)
            where.append(index)
    return "".join(out), where


def needle(phrase: str) -> str:
    return normalised(phrase)[0].strip()


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    corpus: str
    path: Path
    paged: bool
    text: str  # normalised stored text
    where: tuple[int, ...]  # normalised index -> stored-text index
    page_starts: tuple[int, ...]  # stored-text offsets where PDF pages start

    def hits(self, phrase: str) -> list[int]:
        """Normalised offsets where ``phrase`` occurs."""
        wanted, found, start = needle(phrase), [], 0
        while wanted and (at := self.text.find(wanted, start)) != -1:
            found.append(at)
            start = at + 1
        return found

    def page_of(self, normalised_offset: int) -> int:
        return bisect.bisect_right(self.page_starts, self.where[normalised_offset])

    def pages_of(self, phrase: str) -> list[int]:
        return sorted({self.page_of(at) for at in self.hits(phrase)})


def find_path(doc_id: str) -> tuple[str, Path] | None:
    hits = [(corpus, p) for corpus, folder in CORPORA.items() for p in sorted(folder.iterdir())
            if p.stem == doc_id and p.suffix.lower() in SUFFIXES]
    return hits[0] if len(hits) == 1 else None


@lru_cache(maxsize=None)
def stored(doc_id: str) -> StoredDocument | None:
    located = find_path(doc_id)
    if located is None:
        return None
    corpus, path = located
    doc = FileLoader(max_bytes=100_000_000, max_pdf_pages=5000).load(path)
    paged = doc.metadata.get("format") == "pdf"
    starts = tuple(doc.metadata.get("layout", {}).get("page_starts") or ()) if paged else ()
    text, where = normalised(doc.page_content)
    return StoredDocument(doc_id, corpus, path, paged, text, tuple(where), starts)


def _words(phrase: str) -> int:
    return len(phrase.split())


def check_fields(q: dict, seen: set[str], policy_ids: set[str], policy_texts: set[str]) -> list[str]:
    errors = []
    qid = q.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        errors.append(f"id {qid!r} is not sNNN")
    elif qid in seen:
        errors.append("duplicate id")
    elif qid in policy_ids:
        errors.append("id already used in evals/policy.jsonl")
    if not isinstance(q.get("question"), str) or len(q["question"].split()) < 4:
        errors.append("question missing or too short")
    elif " ".join(q["question"].lower().split()) in policy_texts:
        errors.append("same question as one in evals/policy.jsonl")
    if q.get("answerable") is not True:
        errors.append("answerable must be true")
    if q.get("kind") not in KINDS:
        errors.append(f"kind {q.get('kind')!r} not one of {KINDS}")
    ids = q.get("doc_ids")
    if not isinstance(ids, list) or not ids or len(set(ids)) != len(ids):
        errors.append("doc_ids must be a non-empty list without repeats")
    points = q.get("key_points")
    if not isinstance(points, list) or not 3 <= len(points) <= 6:
        errors.append("key_points must be a list of 3-6 points")
        points = points if isinstance(points, list) else []
    for n, alts in enumerate(points, 1):
        if not isinstance(alts, list) or not 1 <= len(alts) <= 3 or not all(isinstance(a, str) for a in alts):
            errors.append(f"key point {n} must be a list of 1-3 phrases")
            continue
        for alt in alts:
            if not 2 <= _words(alt) <= 8:
                errors.append(f"key point {n} phrase {alt!r} has {_words(alt)} words (2-8)")
    unknown = set(q) - {"id", "question", "answerable", "kind", "doc_ids", "key_points", "pages"}
    if unknown:
        errors.append(f"unexpected fields {sorted(unknown)}")
    return errors


def check_text(q: dict, show: bool) -> list[str]:
    errors = []
    docs = {}
    for doc_id in q["doc_ids"]:
        doc = stored(doc_id)
        if doc is None:
            errors.append(f"no document {doc_id!r} in documents/ or evals/data/policy/documents/")
        else:
            docs[doc_id] = doc
    if errors:
        return errors
    pages = q.get("pages")
    if pages is None:
        pages = {}
    if not isinstance(pages, dict):
        return ["pages must be an object {doc_id: [page, ...]}"]
    for doc_id, listed in pages.items():
        doc = docs.get(doc_id)
        if doc is None:
            errors.append(f"pages names {doc_id!r}, not one of the question's documents")
        elif not doc.paged:
            errors.append(f"pages given for {doc_id!r}, which is not a PDF")
        elif not isinstance(listed, list) or not listed or not all(
                isinstance(p, int) and 1 <= p <= len(doc.page_starts) for p in listed):
            errors.append(f"pages for {doc_id!r} must be a non-empty list of 1..{len(doc.page_starts)}")
    for doc_id, doc in docs.items():
        if doc.paged and doc_id not in pages:
            errors.append(f"{doc_id!r} is a PDF but the question lists no pages for it")
    if errors:
        return errors

    used_pages: dict[str, set[int]] = {d: set() for d in pages}
    positions: list[list[tuple[str, int]]] = []  # per point: (doc, offset) hits in region
    for n, alts in enumerate(q["key_points"], 1):
        point_hits: list[tuple[str, int]] = []
        for alt in alts:
            anywhere, in_region, where_seen = False, False, []
            for doc_id, doc in docs.items():
                hits = doc.hits(alt)
                if not hits:
                    continue
                anywhere = True
                for at in hits:
                    if doc.paged:
                        page = doc.page_of(at)
                        where_seen.append(f"{doc_id} p{page}")
                        if page in pages[doc_id]:
                            in_region = True
                            used_pages[doc_id].add(page)
                            point_hits.append((doc_id, at))
                    else:
                        where_seen.append(doc_id)
                        in_region = True
                        point_hits.append((doc_id, at))
            if not anywhere:
                errors.append(f"key point {n}: {alt!r} is in none of {list(docs)}")
            elif not in_region:
                errors.append(f"key point {n}: {alt!r} is not on the listed pages "
                              f"(found: {', '.join(sorted(set(where_seen))[:6])})")
            if show:
                print(f"    {q['id']} point {n} {alt!r}: {', '.join(dict.fromkeys(where_seen)) or 'NOT FOUND'}")
        positions.append(point_hits)
    for doc_id, listed in pages.items():
        idle = sorted(set(listed) - used_pages[doc_id])
        if idle:
            errors.append(f"listed page(s) {idle} of {doc_id!r} hold none of the key-point phrases")
    if q["kind"] == "steps" and len(docs) == 1 and not errors:
        last = -1
        for n, hits in enumerate(positions, 1):
            later = [at for _, at in hits if at > last]
            if not later:
                errors.append(f"steps: key point {n} cannot be found after key point {n - 1}")
                break
            last = min(later)
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--show", action="store_true", help="print where each phrase was found")
    args = parser.parse_args()

    rows = []
    for number, line in enumerate(args.questions.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                print(f"FAIL line {number}: not JSON ({error})")
                return 1
    policy_rows = [json.loads(line) for line in POLICY_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    policy_ids = {r["id"] for r in policy_rows}
    policy_texts = {" ".join(r["question"].lower().split()) for r in policy_rows}

    failures, seen = 0, set()
    kinds: collections.Counter = collections.Counter()
    corpora: collections.Counter = collections.Counter()
    spanning: collections.Counter = collections.Counter()
    used_docs: collections.Counter = collections.Counter()
    for q in rows:
        errors = check_fields(q, seen, policy_ids, policy_texts)
        seen.add(q.get("id"))
        if not errors:
            errors = check_text(q, args.show)
        if errors:
            failures += 1
            print(f"FAIL {q.get('id')}: " + "; ".join(errors))
            continue
        kinds[q["kind"]] += 1
        corpus = {stored(d).corpus for d in q["doc_ids"]}
        corpora["+".join(sorted(corpus))] += 1
        if len(q["doc_ids"]) > 1:
            spanning["+".join(sorted(corpus))] += 1
        used_docs.update(q["doc_ids"])

    print(f"{len(rows)} questions, {failures} failed")
    print("by kind: " + ", ".join(f"{k}={kinds[k]}" for k in KINDS))
    print("by corpus: " + ", ".join(f"{k}={v}" for k, v in sorted(corpora.items())))
    print(f"spanning two or more documents: {sum(spanning.values())} ("
          + ", ".join(f"{k}={v}" for k, v in sorted(spanning.items())) + ")")
    print("questions per document: " + ", ".join(f"{d}={n}" for d, n in sorted(used_docs.items())))
    all_docs = sorted(p.stem for folder in CORPORA.values() for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    unused = [d for d in all_docs if d not in used_docs]
    if unused:
        print(f"documents with no question: {unused}")
    floor = {"total": len(rows) - failures, "seed": corpora["seed"],
             "policy": corpora["policy"], "spanning": sum(spanning.values())}
    short = [f"{k} {floor[k]} < {m}" for k, m in MINIMA.items() if floor[k] < m]
    short += [f"no {k} question" for k in KINDS if not kinds[k]]
    if short:
        print("FAIL set: " + "; ".join(short))
    ok = failures == 0 and not short
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
