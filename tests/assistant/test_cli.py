"""The `assistant` command as scripts use it: exit codes and JSON shapes are contracts."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DOCUMENTS_DIR

ASSISTANT = Path(sys.executable).with_name("assistant")


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ASSISTANT), *args], capture_output=True, text=True, env=env, timeout=300
        )

    return run


def _listing(run) -> list[dict]:
    result = run("docs", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ingest_twice_gives_the_same_documents_and_chunk_counts(run):
    first = run("ingest", str(DOCUMENTS_DIR))
    assert first.returncode == 0, first.stderr
    listing = _listing(run)
    second = run("ingest", str(DOCUMENTS_DIR), "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["unchanged"] == 2
    assert _listing(run) == listing
    assert {d["author"] for d in listing} == {"Dave West", "Ben Clover"}
    for document in listing:
        assert {"id", "title", "author", "source", "chunks", "sha256"} <= set(document)
        assert document["chunks"] > 0


def test_a_corrupt_pdf_fails_by_name_while_the_note_beside_it_goes_in(run, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "board-paper.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Cat")
    (folder / "note.md").write_text("---\ntitle: Meeting note\n---\nThe ICS met in Barnet.\n")
    result = run("ingest", str(folder))
    assert result.returncode == 1
    assert "board-paper.pdf" in result.stdout and "not a readable PDF" in result.stdout
    assert [d["title"] for d in _listing(run)] == ["Meeting note"]

    as_json = run("ingest", str(folder), "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert (report["failed"], report["unchanged"]) == (1, 1)
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert failed[0]["path"].endswith("board-paper.pdf") and failed[0]["reason"]


def test_docs_remove_deletes_and_an_unknown_id_exits_1(run):
    run("ingest", str(DOCUMENTS_DIR))
    removed = run("docs", "remove", "clover-london-health-devolution")
    assert removed.returncode == 0, removed.stderr
    assert [d["id"] for d in _listing(run)] == ["west-london-strategic-nhs-function"]
    unknown = run("docs", "remove", "no-such-document")
    assert unknown.returncode == 1
    assert "No document with id 'no-such-document'" in unknown.stderr


def test_docs_edit_sets_publisher_and_date_and_an_unknown_id_exits_1(run):
    run("ingest", str(DOCUMENTS_DIR))
    edited = run("docs", "edit", "clover-london-health-devolution",
                 "--publisher", "Health Service Journal", "--date", "2017")
    assert edited.returncode == 0, edited.stderr
    listed = {d["id"]: d for d in _listing(run)}["clover-london-health-devolution"]
    assert (listed["publisher"], listed["date"]) == ("Health Service Journal", "2017")
    assert run("docs", "edit", "no-such-document", "--title", "X").returncode == 1
    assert run("docs", "edit", "clover-london-health-devolution").returncode == 2


def test_docs_remove_deletes_an_uploaded_file_as_the_library_tab_does(run, tmp_path):
    from assistant.settings import Settings
    from assistant.wiring import Parts

    note = tmp_path / "inbox" / "ealing.md"
    note.parent.mkdir()
    note.write_text("---\ntitle: Ealing pilot\n---\nThe Ealing pilot opened eleven clinics.\n")
    library = Parts(Settings(data_dir=tmp_path / "data", _env_file=None)).library
    (uploaded,) = library.add([("ealing-upload.md", note)])  # what the Library tab does
    stored = library.uploads_dir / "ealing-upload.md"
    assert uploaded.status == "added" and stored.exists()
    bundled = tmp_path / "papers" / "barnet.md"
    bundled.parent.mkdir()
    bundled.write_text("---\ntitle: Barnet note\n---\nThe Barnet board meets monthly.\n")
    assert run("ingest", str(bundled)).returncode == 0

    removed = run("docs", "remove", uploaded.doc_id)
    assert removed.returncode == 0, removed.stderr
    assert not stored.exists(), "the uploaded file must go, or the next ingest brings it back"
    assert run("docs", "remove", "barnet").returncode == 0
    assert bundled.exists(), "a file ingested where it lives is the user's, never deleted"
    assert _listing(run) == []


@pytest.mark.parametrize(
    "args",
    [("ingest",), ("ingest", "/no/such/path"), ("ingest", "--bogus", "x"), ("docs", "frobnicate")],
)
def test_usage_errors_exit_2(run, args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.strip()


def test_invalid_settings_exit_2_with_the_reason(run, tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path), "ASSISTANT_CHUNK_SIZE": "50"}
    result = subprocess.run(
        [str(ASSISTANT), "docs", "list"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 2
    assert "chunk_size" in result.stderr


def test_help_explains_every_command(run):
    for args in [(), ("ingest",), ("docs",), ("docs", "list"), ("docs", "remove"),
                 ("feedback",), ("feedback", "promote"), ("stats",)]:
        result = run(*args, "--help")
        assert result.returncode == 0
        assert "Usage" in result.stdout
    assert "--prune" in run("ingest", "--help").stdout


ASK_FIELDS = {"question", "answer", "refused", "citations", "generator", "verification", "timings",
              "scope", "kind"}
CITATION_FIELDS = {"marker", "doc_id", "title", "author", "text", "start", "end"}


def test_ask_json_answers_with_citations_into_the_documents(run):
    run("ingest", str(DOCUMENTS_DIR))
    result = run("ask", "Which services did NHS London redesign?", "--json", "-g", "extractive")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert ASK_FIELDS <= set(answer)
    assert {"retrieve_ms", "first_token_ms", "total_ms"} <= set(answer["timings"])
    assert answer["generator"] == "extractive" and answer["refused"] is False
    assert "stroke and trauma" in answer["answer"]
    documents = "".join(p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md"))
    for citation in answer["citations"]:
        assert CITATION_FIELDS <= set(citation)
        assert citation["text"] in documents
        assert f"[{citation['marker']}]" in answer["answer"]


def test_ask_plain_streams_the_answer_then_lists_sources(run):
    run("ingest", str(DOCUMENTS_DIR))
    result = run("ask", "Who chairs Lewisham CCG?", "--generator", "extractive")
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("Sources")
    assert "Marc Rowland" in answer and "[1]" in answer
    assert "Ben Clover" in sources and "clover-london-health-devolution" in sources


def test_ask_refuses_plainly(run):
    run("ingest", str(DOCUMENTS_DIR))
    result = run("ask", "What is the population of Birmingham?", "--json", "-g", "extractive")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["refused"] is True and answer["citations"] == []


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_an_empty_question_exits_2(run, question):
    result = run("ask", question, "-g", "extractive")
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_ask_a_one_megabyte_question_from_stdin_exits_2(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [str(ASSISTANT), "ask", "-", "-g", "extractive"], input="why " * 262_144,
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 2
    assert "1,048,575 characters" in result.stderr and "limit" in result.stderr


def test_ask_an_unknown_generator_exits_2(run):
    result = run("ask", "Who chairs Lewisham CCG?", "--generator", "oracle")
    assert result.returncode == 2 and "oracle" in result.stderr


def test_ask_doc_restricts_the_answer_and_an_unknown_doc_exits_2(run):
    run("ingest", str(DOCUMENTS_DIR))
    listed = json.loads(run("docs", "list", "--json").stdout)
    west = next(d["id"] for d in listed if d["author"] == "Dave West")
    result = run("ask", "Which services did NHS London redesign?", "--json", "-g", "extractive",
                 "--doc", west)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["scope"] == [west] and answer["citations"] and answer["kind"] == "list"
    assert {c["doc_id"] for c in answer["citations"]} == {west}
    unknown = run("ask", "Who chairs Lewisham CCG?", "-g", "extractive", "--doc", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr and "docs list" in unknown.stderr



def test_summarise_json_then_cached_then_plain_and_an_unknown_document_exits_1(run):
    run("ingest", str(DOCUMENTS_DIR))
    doc_id = "west-london-strategic-nhs-function"
    first = run("summarise", doc_id, "--json", "-g", "extractive")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert ASK_FIELDS | {"doc_id", "sections", "cached"} <= set(summary)
    assert summary["doc_id"] == doc_id and summary["kind"] == "summary"
    assert summary["cached"] is False and summary["sections"] >= 2
    text = (DOCUMENTS_DIR / f"{doc_id}.md").read_text(encoding="utf-8")
    assert len(summary["citations"]) >= 2
    assert all(c["doc_id"] == doc_id and c["text"] in text for c in summary["citations"])
    again = json.loads(run("summarise", doc_id, "--json", "-g", "extractive").stdout)
    assert again["cached"] is True and again["answer"] == summary["answer"]

    plain = run("summarise", "clover-london-health-devolution", "-g", "extractive")
    assert plain.returncode == 0, plain.stderr
    lines, _, sources = plain.stdout.partition("Sources")
    assert "[1]" in lines and "•" in lines and "Ben Clover" in sources
    assert "sections read" in plain.stderr
    missing = run("summarise", "no-such-doc")
    assert missing.returncode == 1 and "No document 'no-such-doc'" in missing.stderr


def test_asked_questions_are_counted_and_their_feedback_listed_exported_and_promoted(
    run, tmp_path
):
    run("ingest", str(DOCUMENTS_DIR))
    asked = json.loads(run("ask", "Which services did NHS London redesign?", "--json", "-g",
                           "extractive").stdout)
    run("ask", "What is the population of Birmingham?", "-g", "extractive")
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["questions"] == 2 and stats["refused"] == 1 and stats["refusal_rate"] == 0.5
    assert stats["by_channel"] == {"cli": 2} and stats["first_token_p50_ms"] > 0
    assert stats["most_cited"][0]["doc_id"] == asked["citations"][0]["doc_id"]
    assert json.loads(run("feedback", "list", "--json").stdout) == []

    # The chat rates answers; here, the same store on the same records database.
    from sqlalchemy import create_engine

    from assistant.feedback import FeedbackStore
    from assistant.usage_log import UsageLog

    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'records.sqlite'}")
    given = FeedbackStore(engine, UsageLog(engine)).give(
        asked["answer_id"], liked=False, comment="a, \"quoted\" comment", correction="Stroke")
    listed = json.loads(run("feedback", "list", "--json", "--since", "2026-01-01").stdout)
    assert [f["id"] for f in listed] == [given.feedback_id]
    assert listed[0]["answer"] == asked["answer"] and listed[0]["citations"]
    rows = list(csv.DictReader(io.StringIO(run("feedback", "export", "--format", "csv").stdout)))
    assert [(r["id"], r["answer"]) for r in rows] == [(given.feedback_id, asked["answer"])]
    assert json.loads(run("feedback", "export").stdout)["comment"] == 'a, "quoted" comment'
    assert run("feedback", "list", "--since", "yesterday").returncode == 2
    assert run("feedback", "promote", "no-such-id").returncode == 1
    promoted = run("feedback", "promote", given.feedback_id)
    assert promoted.returncode == 0 and "eval --dataset feedback" in promoted.stdout
    assert json.loads(run("stats", "--json").stdout)["thumbs_down"] == 1
