"""The ``assistant`` command: parses, builds the settings once, calls the services, prints.

Exit codes: 0 success; 1 the work ran but something failed (a file that could not be
ingested, an unknown document id); 2 a usage error (bad option, missing path).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TextColumn

from assistant import terminal
from assistant.settings import GENERATORS, MAX_TOP_K
from assistant.terminal import JsonFlag, err, out, parts_or_exit, settings_or_exit
from assistant.feedback_cli import feedback_app, stats
from assistant.history_cli import history_app
from assistant.users_cli import users_app

app = typer.Typer(
    help="The policy assistant: answers questions about health-policy documents with "
    "citations, and manages the document library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
docs_app = typer.Typer(help="List, edit, remove or check the documents in the library.",
                       no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(users_app, name="users")
app.add_typer(feedback_app, name="feedback")
app.add_typer(history_app, name="history")
app.command("stats")(stats)


@contextmanager
def _unless_locked(doing: str) -> Iterator[None]:
    """Another ingest holds the library: say so and exit 1."""
    from ingest.indexer import IngestLocked

    try:
        yield
    except IngestLocked as error:
        err.print(f"[red]Cannot {doing} now:[/red] {error}")
        raise typer.Exit(1) from None


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        exists=True, help="Files and folders to ingest (folders recursively).")],
    prune: Annotated[bool, typer.Option(
        "--prune", help="Also remove documents that were ingested from these folders "
        "but whose files are gone.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add or update documents: .md, .txt, .html, .pdf, .docx, and pictures of pages
    (.png, .jpg, .tiff).

    Scanned pages and pictures are read by OCR, offline (about 3 s a page; each page once:
    its reading is kept). ASSISTANT_OCR=false turns that off.

    Unchanged files are skipped, changed ones replaced, identical copies recognised.
    Exits 1 if any file failed (each is named with its reason); the others still go in.
    """
    parts = parts_or_exit()
    with terminal.progress(TextColumn("[bold]Ingesting"), TextColumn("{task.description}")) as bar, \
            _unless_locked("ingest"):
        task = bar.add_task("", total=None)
        # A store embedded by another model is re-embedded first: never two models' vectors.
        if reembedded := parts.reembed_if_needed(lambda done, total: bar.update(
                task, completed=done, total=total,
                description=f"re-embedding the library with {parts.settings.embedder}")):
            err.print(f"Re-embedded {reembedded:,} chunks with {parts.settings.embedder}.")
        bar.update(task, description="", completed=0, total=None)
        # A second bar for the pages of the file being read: a scan's pages take seconds each.
        pages = bar.add_task("", total=None, visible=False)
        library = parts.library
        report = library.ingest(
            paths, prune=prune, on_start=lambda total: bar.update(task, total=total),
            on_file=lambda result: bar.update(task, advance=1, description=Path(result.path).name),
            on_page=lambda path, done, total: bar.update(
                pages, completed=done, total=total, visible=done < total,
                description=f"  {path.name}: page"),
        )
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        terminal.print_ingest_report(report)
    if report.failed:
        raise typer.Exit(1)


@docs_app.command("list")
def docs_list(as_json: JsonFlag = False) -> None:
    """Show every document in the library, with its id, title, author and chunk count."""
    records = parts_or_exit().catalog.all()
    if as_json:
        print(json.dumps([r.summary() for r in records], indent=2, ensure_ascii=False))
    else:
        terminal.print_documents(records)


@docs_app.command("remove")
def docs_remove(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="The id shown by `docs list`.")],
) -> None:
    """Remove a document: its passages, vectors and records are all deleted, and the file
    too if it was uploaded in the chat (a bundled file stays where it is)."""
    with _unless_locked("remove"):
        removed = parts_or_exit().library.remove(doc_id)
    if removed is None:
        err.print(f"[red]No document with id '{doc_id}'.[/red] See the ids with: assistant docs list")
        raise typer.Exit(1)
    out.print(f"Removed '{removed.doc_id}' ({removed.title}, {removed.chunks} chunks).")


@docs_app.command("edit")
def docs_edit(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="The id shown by `docs list`.")],
    title: Annotated[str | None, typer.Option(help="The title citations show.")] = None,
    publisher: Annotated[str | None, typer.Option(help="Who published it.")] = None,
    date: Annotated[str | None, typer.Option(help="Its publication or version date.")] = None,
) -> None:
    """Set a document's title, publisher or date where what it says of itself is wrong.

    They win over the document's own (also after a new version of the file is ingested);
    an empty value ("") goes back to what the document says. The document is read again,
    so citations show the change. Exits 1 for an unknown id or a missing file.
    """
    fields = {k: v for k, v in (("title", title), ("publisher", publisher), ("date", date))
              if v is not None}
    if not fields:
        err.print("[red]Nothing to change.[/red] Give --title, --publisher or --date.")
        raise typer.Exit(2)
    with _unless_locked("edit"):
        try:
            parts_or_exit().library.edit(doc_id, **fields)
        except LookupError as error:
            err.print(f"[red]Can't edit '{doc_id}': {error}.[/red] See the ids with: assistant docs list")
            raise typer.Exit(1) from None
    out.print(f"Updated '{doc_id}': " + ", ".join(f"{k} “{v}”" for k, v in fields.items()) + ".")


@docs_app.command("check")
def docs_check(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Delete strays and re-ingest incomplete documents.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check that the catalog, the ingestion records and the vectors agree.

    Finds vectors or records left by an interrupted ingest or removal, and listed documents
    whose passages are incomplete. Exits 0 when they agree (or were repaired), 1 when
    something disagrees and --repair was not given.
    """
    with _unless_locked("check"):
        report = parts_or_exit().library.check(repair)
    sound = report.ok_after_repair if repair else report.ok
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        terminal.print_check_report(report, sound, repair)
    if not sound:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(
        help="The question, in quotes; `-` reads it from standard input.")],
    as_json: JsonFlag = False,
    generator: Annotated[str | None, typer.Option(
        "--generator", "-g", help="llm: the language model (default; the embedded one unless "
        "ASSISTANT_LLM_URL is set). extractive: quote the documents, no model.")] = None,
    k: Annotated[int | None, typer.Option(
        "--k", min=1, max=MAX_TOP_K, help="Passages to retrieve.")] = None,
    docs: Annotated[list[str] | None, typer.Option(
        "--doc", help="Ask only this document (its id from `assistant docs list`); "
        "repeat for several. Default: the whole library.")] = None,
) -> None:
    """Answer a question from the documents, with numbered citations, or say they don't cover it.

    Plain mode streams the answer, then lists each cited passage. Exits 2 for an empty or
    over-long question, or a --doc the library doesn't hold.
    """
    from assistant.answering.answer import DoneEvent, QuestionError, TokenEvent

    _known_generator(generator)
    if question == "-":
        question = sys.stdin.read()
    parts = parts_or_exit()
    try:
        if as_json:
            answer = parts.chain.answer(question, generator=generator, k=k, docs=docs)
            answer_id = parts.usage_log.record(answer, channel="cli")
            print(json.dumps(answer.to_dict() | {"answer_id": answer_id}, indent=2,
                             ensure_ascii=False))
            return
        streamed = ""
        for event in parts.chain.stream(question, generator=generator, k=k, docs=docs):
            if isinstance(event, TokenEvent):
                streamed += event.text
                out.print(event.text, end="", markup=False, highlight=False)
            elif isinstance(event, DoneEvent):
                parts.usage_log.record(event.answer, channel="cli")
                terminal.print_answer_end(event.answer, streamed)
    except QuestionError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command()
def summarise(
    doc_id: Annotated[str, typer.Argument(help="The document's id (`assistant docs list`).")],
    as_json: JsonFlag = False,
    generator: Annotated[str | None, typer.Option(
        "--generator", "-g", help="llm: the language model writes the points (default). "
        "extractive: quote them.")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Make it again even if a summary of this version is cached.")] = False,
) -> None:
    """Summarise a whole document with numbered citations: a lead, then its main points.

    Reads every section (a progress bar shows which), keeps the point each is mostly about,
    and cites every line. Cached per document version: asking again is instant; a changed
    document gets a new summary. Exits 1 for an unknown document or one being ingested.
    """
    from assistant.answering.answer import ProgressEvent, QuestionError, TokenEvent
    from assistant.answering.summary import SummaryDoneEvent

    _known_generator(generator)
    parts = parts_or_exit()
    name = generator or parts.settings.generator
    summary = None
    try:
        with terminal.progress(TextColumn("[bold]{task.description}")) as bar:
            task = bar.add_task("reading the document", total=None)
            events = parts.summariser.stream(doc_id, name, refresh=refresh)
            for event in events:  # the sections being read, until the sources
                if not isinstance(event, ProgressEvent):
                    break
                bar.update(task, description=f"reading “{event.label[:40]}”",
                           completed=event.done, total=event.total)
        streamed = ""
        for event in itertools.chain([event], events):
            if isinstance(event, TokenEvent) and not as_json:
                streamed += event.text
                out.print(event.text, end="", markup=False, highlight=False)
            elif isinstance(event, SummaryDoneEvent):
                summary = event.summary
    except QuestionError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    if summary is None:
        raise RuntimeError("the summary stream ended without a summary")
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        return
    terminal.print_answer_end(summary.answer, streamed)
    err.print(f"{summary.sections} sections read"
              f"{'; from the cache (--refresh makes it again)' if summary.cached else ''}.")


@app.command("eval")
def evaluate(
    dataset: Annotated[str, typer.Option(
        help="gold: evals/gold.jsonl on documents/. covid-qa: the external benchmark "
        "(evals/data/covid-qa/). policy: evals/policy.jsonl on 12 published policy documents "
        "(evals/data/policy/). pubmedqa: 100 questions over 1,000 PubMed abstracts, scored on "
        "citing the right one (evals/data/pubmedqa/). synthesis: evals/synthesis.jsonl, lists, "
        "steps, comparisons and summaries over the seed columns and the policy documents, "
        "scored by key points. feedback: the answers readers marked wrong and an editor "
        "promoted (`assistant feedback promote`), asked again of the library.")] = "gold",
    generator: Annotated[str, typer.Option(
        "--generator", "-g", help="extractive (no model) or llm.")] = "extractive",
    limit: Annotated[int | None, typer.Option(min=1, help="Ask only the first N questions.")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="covid-qa: all 1,380 questions, not the fixed sample of 150; "
        "pubmedqa: all 1,000, not 100.")] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if a metric falls below evals/thresholds.toml.")] = False,
    baseline_answers: Annotated[bool | None, typer.Option(
        "--baseline-answers/--no-baseline-answers",
        help="Also generate the tutorial baseline's answers (default: with llm).")] = None,
    with_baseline: Annotated[bool, typer.Option(
        "--baseline/--no-baseline", help="Also run the tutorial baseline (off: a quicker "
        "gate; its column stays empty).")] = True,
    rerank_off: Annotated[bool, typer.Option(
        "--rerank-off", help="Also answer every question with the cross-encoder switched off, "
        "reported in a column beside ours.")] = False,
    thresholds_path: Annotated[Path | None, typer.Option(
        "--thresholds", exists=True, dir_okay=False,
        help="Floors and goals (default evals/thresholds.toml).")] = None,
    reports_dir: Annotated[Path | None, typer.Option(
        "--reports", file_okay=False, help="Where reports go (default evals/reports).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Score answers and retrieval on a dataset, beside the LangChain tutorial baseline.

    Writes evals/reports/<dataset>-<generator>-<date>.{md,json,png} and latest-<dataset>.md.
    Exit codes: 0 done (and, with --check, every floor held); 1 a floor was missed; 2 usage.
    """
    from evals.datasets import DATASETS
    from evals.evaluate import evaluate as run_evaluation
    from evals.report import REPORTS_DIR, THRESHOLDS_PATH

    if dataset not in DATASETS:
        err.print(f"[red]Unknown dataset '{dataset}'.[/red] Choose one of: {', '.join(DATASETS)}.")
        raise typer.Exit(2)
    _known_generator(generator)
    settings = settings_or_exit()
    with terminal.progress(TextColumn("[bold]{task.description}")) as bar:
        task = bar.add_task("preparing", total=None)
        try:
            outcome = run_evaluation(
                settings, dataset, generator, limit=limit, full=full,
                baseline_answers=baseline_answers, check=check, rerank_off=rerank_off,
                baseline=with_baseline,
                thresholds_path=thresholds_path or THRESHOLDS_PATH,
                reports_dir=reports_dir or REPORTS_DIR,
                progress=lambda stage, done, total: bar.update(
                    task, description=stage, completed=done, total=total))
        except FileNotFoundError as error:
            err.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        terminal.print_evaluation(outcome)
    if outcome.failures:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(
        help="Address to listen on (default 127.0.0.1: this machine only).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 7860).")] = None,
) -> None:
    """Serve the chat in the browser: ask questions, open each cited passage, manage the library.

    Answers come from the same chain as `assistant ask`; uploads go through the same
    ingestion as `assistant ingest`. Stop with Ctrl+C.
    """
    from assistant.app import serve_chat

    parts = parts_or_exit(**{k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    parts.vector_store  # a store embedded by another model stops here, saying what to run
    try:
        serve_chat(parts, say=out.print, warn=lambda text: err.print(f"[yellow]{text}[/yellow]"))
    except OSError as error:
        err.print(f"[red]Cannot serve on {parts.settings.host}:{parts.settings.port}:[/red] "
                  f"{error}. Choose another port with --port.")
        raise typer.Exit(1) from None


def _known_generator(generator: str | None) -> None:
    if generator is not None and generator not in GENERATORS:
        err.print(f"[red]Unknown generator '{generator}'.[/red] Choose one of: {', '.join(GENERATORS)}.")
        raise typer.Exit(2)


def main() -> None:
    try:
        app(prog_name="assistant")
    except Exception as error:
        from assistant.store import EmbedderMismatch

        if not isinstance(error, EmbedderMismatch):
            raise
        err.print(f"[red]Cannot use the library:[/red] {error}")
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
