"""Re-verifies evals/policy.jsonl against the documents in this folder.

Standard library + pypdf + python-docx only. Run from anywhere:

    .venv/bin/python evals/data/policy/check_questions.py [--questions evals/policy.jsonl]

Checks, for every question:
  * answerable single-fact rows (kinds fact/table/deep): the document exists; every
    ``all_of`` string and at least one ``any_of`` string (when given) occur in the text of
    the named 1-based ``page`` (whole text for .docx/.md, where ``page`` is null); the
    ``evidence`` occurs there too.
  * multi / cross-document rows: every document in ``doc_ids`` exists; for every key
    point at least one of its alternatives occurs in one of the documents (on the listed
    pages when ``pages`` gives them); cross-document rows name two or more documents.
  * not-covered rows: optional ``absent`` strings occur in none of the documents.
Matching is case-insensitive after Unicode NFKC normalisation, straight quotes,
collapsed whitespace, and with line-break hyphenation both joined and kept; Markdown
emphasis (``*``) and backslash escapes are ignored.
Prints a summary and exits non-zero when anything fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

logging.getLogger("pypdf").setLevel(logging.ERROR)  # silence "Ignoring wrong pointing object"
HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE / "documents"
DEFAULT_QUESTIONS = HERE.parents[1] / "policy.jsonl"
SINGLE_KINDS = {"fact", "table", "deep"}
MULTI_KINDS = {"multi", "cross-document"}


def norm(text: str) -> list[str]:
    """Normalised variants of ``text`` (hyphenation at line ends joined, and kept)."""
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("\u00ad", "")
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2013", "-"), ("\u2014", "-"), ("\u2212", "-"), ("\u00a0", " ")):
        t = t.replace(a, b)
    t = t.replace("**", "").replace("\\", "")
    joined = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", t)
    kept = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", t)
    out = []
    for v in (t, joined, kept):
        v = re.sub(r"\s+", " ", v).strip().lower()
        if v not in out:
            out.append(v)
    return out


def needle(s: str) -> str:
    return norm(s)[0]


@lru_cache(maxsize=None)
def pages_of(path: Path) -> tuple[str, ...]:
    """Page texts (PDF) or a single text (DOCX, Markdown)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdf

        reader = pypdf.PdfReader(str(path))
        return tuple((p.extract_text() or "") for p in reader.pages)
    if suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        parts = [p.text for p in d.paragraphs]
        for table in d.tables:
            for row in table.rows:
                parts.append(" | ".join(c.text for c in row.cells))
        return ("\n".join(parts),)
    return (path.read_text(encoding="utf-8"),)


@lru_cache(maxsize=None)
def normed_pages(path: Path) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(norm(p)) for p in pages_of(path))


def doc_path(doc_id: str) -> Path | None:
    hits = [p for p in DOCUMENTS.iterdir() if p.stem == doc_id and p.suffix.lower() in (".pdf", ".docx", ".md")]
    return hits[0] if len(hits) == 1 else None


def found(s: str, variants) -> bool:
    n = needle(s)
    return any(n in v for v in variants)


def region(path: Path, page: int | None) -> list[str]:
    pages = normed_pages(path)
    if page is None or path.suffix.lower() != ".pdf":
        return [v for p in pages for v in p]
    if not 1 <= page <= len(pages):
        raise ValueError(f"page {page} outside 1..{len(pages)}")
    return list(pages[page - 1])


def check_single(q: dict) -> list[str]:
    errs = []
    path = doc_path(q.get("doc_id", ""))
    if path is None:
        return [f"no document {q.get('doc_id')!r}"]
    page = q.get("page")
    if path.suffix.lower() == ".pdf" and not isinstance(page, int):
        errs.append("PDF question without an integer page")
        return errs
    try:
        text = region(path, page)
    except ValueError as e:
        return [str(e)]
    if not q.get("all_of") and not q.get("any_of"):
        errs.append("no all_of/any_of strings")
    for s in q.get("all_of", []):
        if not found(s, text):
            errs.append(f"all_of {s!r} not on page {page}")
    if q.get("any_of") and not any(found(s, text) for s in q["any_of"]):
        errs.append(f"none of any_of {q['any_of']} on page {page}")
    ev = q.get("evidence", "")
    if not ev:
        errs.append("no evidence")
    elif not found(ev, text):
        errs.append(f"evidence not found on page {page}: {ev[:80]!r}")
    return errs


def check_multi(q: dict) -> list[str]:
    errs = []
    ids = q.get("doc_ids") or []
    paths = {}
    for d in ids:
        p = doc_path(d)
        if p is None:
            errs.append(f"no document {d!r}")
        else:
            paths[d] = p
    if q["kind"] == "cross-document" and len(set(ids)) < 2:
        errs.append("cross-document question names fewer than two documents")
    if not q.get("key_points"):
        errs.append("no key_points")
    pages = q.get("pages") or {}
    texts = []
    for d, p in paths.items():
        wanted = pages.get(d)
        if wanted:
            for n in wanted:
                texts.extend(region(p, n))
        else:
            texts.extend(region(p, None))
    for i, alts in enumerate(q.get("key_points", []), 1):
        if not any(found(a, texts) for a in alts):
            errs.append(f"key point {i} {alts} not found")
    return errs


def check_absent(q: dict) -> list[str]:
    errs = []
    everything = [v for p in DOCUMENTS.iterdir() if p.suffix.lower() in (".pdf", ".docx", ".md") 
                  for v in region(p, None)]
    for s in q.get("absent", []):
        if found(s, everything):
            errs.append(f"'absent' string {s!r} does occur in the documents")
    return errs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = collections.Counter()
    failures = 0
    ids = set()
    for q in rows:
        kind = q.get("kind", "")
        kinds[kind] += 1
        errs = []
        if q["id"] in ids:
            errs.append("duplicate id")
        ids.add(q["id"])
        if q["answerable"] and kind in SINGLE_KINDS:
            errs += check_single(q)
        elif q["answerable"] and kind in MULTI_KINDS:
            errs += check_multi(q)
        elif not q["answerable"] and kind == "not-covered":
            errs += check_absent(q)
        else:
            errs.append(f"unexpected answerable/kind combination {q['answerable']}/{kind}")
        if errs:
            failures += 1
            print(f"FAIL {q['id']}: " + "; ".join(errs))
    docs = sorted(p.name for p in DOCUMENTS.iterdir() if p.suffix.lower() in (".pdf", ".docx", ".md") )
    used = {q.get("doc_id") for q in rows} | {d for q in rows for d in q.get("doc_ids", [])}
    unused = [d for d in docs if Path(d).stem not in used]
    cross = sum(1 for q in rows if q.get("kind") == "cross-document")
    print(f"{len(rows)} questions over {len(docs)} documents; by kind: "
          + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print(f"cross-document questions: {cross}; documents with no question: {unused or 'none'}")
    print("OK" if failures == 0 else f"{failures} question(s) failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
