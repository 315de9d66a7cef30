"""The ``assistant`` command: parses, builds the settings once, calls the services, prints.

Exit codes: 0 success; 1 the work ran but something failed (a file that could not be
ingested, an unknown document id); 2 a usage error (bad option, missing path).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.settings import MAX_TOP_K, Settings

app = typer.Typer(
    help="The policy assistant: answers questions about health-policy documents with "
    "citations, and manages the document library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
docs_app = typer.Typer(help="List, remove or check the documents in the library.",
                       no_args_is_help=True)
app.add_typer(docs_app, name="docs")
users_app = typer.Typer(
    help="Who may sign in to the chat (no users: no sign-in). Editors may add and remove "
    "documents; readers only ask.", no_args_is_help=True)
app.add_typer(users_app, name="users")

# One line per message even when piped: scripts grep for file names.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        err.print(f"[red]Invalid ASSISTANT_ settings:[/red]\n{error}")
        raise typer.Exit(2) from None


def _indexer(settings: Settings):
    # Imported here so that `--help` answers without loading torch and Chroma.
    from ingest.indexer import Indexer

    return Indexer.from_settings(settings)


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(exists=True, help="Files and folders to ingest (folders recursively)."),
    ],
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Also remove documents that were ingested from these folders "
            "but whose files are gone.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add or update documents: .md, .txt, .html, .pdf, .docx.

    Unchanged files are skipped, changed ones replaced, identical copies recognised.
    Exits 1 if any file failed (each is named with its reason); the others still go in.
    """
    from ingest.indexer import IngestLocked

    settings = _settings()
    show_bar = not as_json and err.is_terminal
    with Progress(
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        disable=not show_bar,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)
        try:
            report = _indexer(settings).ingest(
                paths,
                prune=prune,
                on_start=lambda total: progress.update(task, total=total),
                on_file=lambda result: progress.update(
                    task, advance=1, description=Path(result.path).name
                ),
            )
        except IngestLocked as error:
            err.print(f"[red]Cannot ingest now:[/red] {error}")
            raise typer.Exit(1) from None

    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for result in report.files:
            if result.status in ("failed", "duplicate", "removed"):
                colour = "red" if result.status == "failed" else "yellow"
                out.print(f"[{colour}]{result.status}[/{colour}] {result.path}: {result.reason}")
        counts = ", ".join(f"{n} {status}" for status, n in report.counts.items())
        out.print(f"Done: {counts}.")
    if report.failed:
        raise typer.Exit(1)


@docs_app.command("list")
def docs_list(as_json: JsonFlag = False) -> None:
    """Show every document in the library, with its id, title, author and chunk count."""
    from ingest.catalog import Catalog

    settings = _settings()
    shared = settings.records_url is not None
    records = Catalog(settings.records_db_url).all() if shared or settings.data_dir.exists() else []
    if as_json:
        print(json.dumps([r.summary() for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        out.print("The library is empty. Add documents with: assistant ingest PATH")
        return
    table = Table("id", "title", "author", "chunks", "ingested", "source")
    table.columns[0].no_wrap = True
    for r in records:
        table.add_row(r.doc_id, r.title, r.author, str(r.chunks), r.ingested_at, r.source)
    out.print(table)


@docs_app.command("remove")
def docs_remove(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="The id shown by `docs list`.")],
) -> None:
    """Remove a document: its passages, vectors and records are all deleted."""
    from ingest.indexer import IngestLocked

    settings = _settings()
    try:
        removed = _indexer(settings).remove(doc_id)
    except IngestLocked as error:
        err.print(f"[red]Cannot remove now:[/red] {error}")
        raise typer.Exit(1) from None
    if removed is None:
        err.print(f"[red]No document with id '{doc_id}'.[/red] See the ids with: assistant docs list")
        raise typer.Exit(1)
    out.print(f"Removed '{removed.doc_id}' ({removed.title}, {removed.chunks} chunks).")


@docs_app.command("check")
def docs_check(
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Delete strays and re-ingest incomplete documents."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check that the catalog, the ingestion records and the vectors agree.

    Finds vectors or records left by an interrupted ingest or removal, and listed documents
    whose passages are incomplete. Exits 0 when they agree (or were repaired), 1 when
    something disagrees and --repair was not given.
    """
    from ingest.check import StoreChecker
    from ingest.indexer import IngestLocked

    checker = StoreChecker(_indexer(_settings()))
    try:
        report = checker.repair() if repair else checker.check()
        sound = checker.check().ok if repair else report.ok
    except IngestLocked as error:
        err.print(f"[red]Cannot check now:[/red] {error}")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps({**report.as_dict(), "ok_after_repair": sound if repair else None},
                         indent=2))
    else:
        out.print(f"{report.documents} documents, {report.records} records, "
                  f"{report.vectors} vectors.")
        problems = {
            "vectors with no record": report.orphan_vectors,
            "records with no vector": report.orphan_records,
            "documents with vectors but not listed": report.unlisted_documents,
            "listed documents with missing passages": report.incomplete_documents,
        }
        for label, items in problems.items():
            if items:
                shown = ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
                out.print(f"[yellow]{len(items)} {label}:[/yellow] {shown}")
        for line in report.repaired:
            out.print(f"[green]repaired:[/green] {line}")
        if sound:
            out.print("[green]Everything agrees.[/green]")
        elif repair:
            err.print("[red]Still disagrees after the repair;[/red] run it again, or re-ingest.")
        else:
            out.print("Run `assistant docs check --repair` to mend this.")
    if not sound:
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help="reader (asks questions) or editor (also changes "
                                      "the library).")] = "reader",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input instead of asking.")] = False,
) -> None:
    """Create a user, or give an existing one a new password and role.

    The users file keeps salted Argon2id hashes only. `assistant serve` asks for sign-in
    once it holds a user (restart it after adding the first).
    """
    from assistant.users import UserError, UserStore

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    users = UserStore(_settings().resolved_users_file)
    try:
        new = users.add(name, password, role)  # type: ignore[arg-type]
    except UserError as error:
        err.print(f"[red]Cannot add '{name}':[/red] {error}.")
        raise typer.Exit(2) from None
    out.print(f"{'Added' if new else 'Updated'} {role} '{name}' in {users.path}.")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Show the users and their roles (never their passwords)."""
    from assistant.users import UserStore

    names = UserStore(_settings().resolved_users_file).names()
    if as_json:
        print(json.dumps(names, indent=2))
    elif not names:
        out.print("No users: the chat is open to anyone who can reach it.")
    else:
        for name, role in names.items():
            out.print(f"{name}\t{role}")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The sign-in name.")]) -> None:
    """Delete a user; they can no longer sign in."""
    from assistant.users import UserStore

    if not UserStore(_settings().resolved_users_file).remove(name):
        err.print(f"[red]No user '{name}'.[/red] See them with: assistant users list")
        raise typer.Exit(1)
    out.print(f"Removed '{name}'.")


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, in quotes; `-` reads it from standard input.")
    ],
    as_json: JsonFlag = False,
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator", "-g",
            help="llm: the language model (default; the embedded one unless ASSISTANT_LLM_URL "
            "is set). extractive: quote the documents, no model.",
        ),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, max=MAX_TOP_K, help="Passages to retrieve.")
    ] = None,
) -> None:
    """Answer a question from the documents, with numbered citations, or say they don't cover it.

    Plain mode streams the answer, then lists each cited passage. Exits 2 for an empty or
    over-long question.
    """
    from assistant.answering.chain import GENERATORS, DoneEvent, QuestionError, TokenEvent, build_chain

    if generator is not None and generator not in GENERATORS:
        err.print(f"[red]Unknown generator '{generator}'.[/red] Choose one of: {', '.join(GENERATORS)}.")
        raise typer.Exit(2)
    if question == "-":
        question = sys.stdin.read()
    settings = _settings()
    chain = build_chain(settings)
    try:
        if as_json:
            print(json.dumps(chain.answer(question, generator=generator, k=k).to_dict(),
                             indent=2, ensure_ascii=False))
            return
        streamed = ""
        for event in chain.stream(question, generator=generator, k=k):
            if isinstance(event, TokenEvent):
                streamed += event.text
                out.print(event.text, end="", markup=False, highlight=False)
            elif isinstance(event, DoneEvent):
                if event.answer.answer.strip() != streamed.strip():
                    # Citation checks or a fallback changed what was streamed.
                    out.print("\n\n[bold]Checked answer[/bold]")
                    out.print(event.answer.answer, markup=False, highlight=False, end="")
                _print_answer_footer(event.answer)
    except QuestionError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command("eval")
def evaluate(
    dataset: Annotated[
        str, typer.Option(help="gold: evals/gold.jsonl on documents/. covid-qa: the external "
                               "benchmark, read from ../shared/data/covid-qa/.")
    ] = "gold",
    generator: Annotated[
        str, typer.Option("--generator", "-g", help="extractive (no model) or llm.")
    ] = "extractive",
    limit: Annotated[
        int | None, typer.Option(min=1, help="Ask only the first N questions.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="covid-qa: all 1,380 questions, not the fixed sample of 150.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if a metric falls below evals/thresholds.toml.")
    ] = False,
    baseline_answers: Annotated[
        bool | None,
        typer.Option("--baseline-answers/--no-baseline-answers",
                     help="Also generate the tutorial baseline's answers (default: with llm)."),
    ] = None,
    thresholds_path: Annotated[
        Path | None, typer.Option("--thresholds", exists=True, dir_okay=False,
                                  help="Floors and goals (default evals/thresholds.toml).")
    ] = None,
    reports_dir: Annotated[
        Path | None, typer.Option("--reports", file_okay=False,
                                  help="Where reports go (default evals/reports).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Score answers and retrieval on a dataset, beside the LangChain tutorial baseline.

    Writes evals/reports/<dataset>-<generator>-<date>.{md,json,png} and latest-<dataset>.md.
    Exit codes: 0 done (and, with --check, every floor held); 1 a floor was missed; 2 usage.
    """
    from evals.datasets import DATASETS
    from evals.report import check as check_floors
    from evals.report import REPORTS_DIR, THRESHOLDS_PATH, load_thresholds, write_reports
    from evals.runner import run_eval

    if dataset not in DATASETS:
        err.print(f"[red]Unknown dataset '{dataset}'.[/red] Choose one of: {', '.join(DATASETS)}.")
        raise typer.Exit(2)
    if generator not in ("extractive", "llm"):
        err.print(f"[red]Unknown generator '{generator}'.[/red] Choose extractive or llm.")
        raise typer.Exit(2)
    settings = _settings()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, disable=not err.is_terminal, transient=True,
    ) as bar:
        task = bar.add_task("preparing", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            run = run_eval(settings, dataset, generator, limit, full, baseline_answers, progress)
        except FileNotFoundError as error:
            err.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
    thresholds = load_thresholds(thresholds_path or THRESHOLDS_PATH)
    failures = check_floors(run, thresholds) if check else None
    paths = write_reports(run, reports_dir or REPORTS_DIR, failures, thresholds)
    failures = failures or []
    if as_json:
        print(json.dumps({"dataset": dataset, "generator": generator, "ours": run.ours,
                          "baseline": run.baseline, "check_failures": failures,
                          "reports": [str(p) for p in paths]}, indent=2))
    else:
        table = Table("metric", "ours", "baseline")
        for metric, value in run.ours.items():
            table.add_row(metric, str(value), str(run.baseline.get(metric)))
        out.print(table)
        out.print(f"Reports: {', '.join(str(p) for p in paths)}")
        for failure in failures:
            err.print(f"[red]Below the floor:[/red] {failure}")
    if failures:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1: this machine only).")
    ] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 7860).")] = None,
) -> None:
    """Serve the chat in the browser: ask questions, open each cited passage, manage the library.

    Answers come from the same chain as `assistant ask`; uploads go through the same
    ingestion as `assistant ingest`. Stop with Ctrl+C.
    """
    import threading

    from assistant.answering.chain import build_chain
    from assistant.app import ChatApp, launch
    from ingest.library import Library

    settings = _settings()
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    indexer = _indexer(settings)
    chain = build_chain(settings, indexer.vector_store)
    page = ChatApp(settings, chain, Library(indexer, settings.uploads_dir)).build()
    # The model loads while the page comes up; a question asked meanwhile simply waits.
    threading.Thread(target=_warm_up, args=(chain,), daemon=True).start()
    from assistant.users import UserStore, exposure_warning

    users = UserStore(settings.resolved_users_file)
    if users.enabled:
        out.print(f"Sign-in required: {len(users.names())} users in {users.path}.")
    if warning := exposure_warning(settings.host, users):
        err.print(f"[yellow]Warning:[/yellow] {warning}")
    try:
        launch(page, settings, prevent_thread_lock=True)
    except OSError as error:
        err.print(f"[red]Cannot serve on {settings.host}:{settings.port}:[/red] {error}. "
                  "Choose another port with --port.")
        raise typer.Exit(1) from None
    out.print(f"Chat ready at [bold]http://{settings.host}:{settings.port}/[/bold]  "
              "(Ctrl+C to stop)")
    try:
        page.block_thread()
    except KeyboardInterrupt:
        pass


def _warm_up(chain) -> None:
    try:
        chain.warm_up()
    except Exception as error:  # the chat still answers by quoting; each answer says why
        err.print(f"[yellow]The language model did not start:[/yellow] {error}")


def _print_answer_footer(answer) -> None:
    out.print()
    if answer.fallback:
        err.print(f"[yellow]Note:[/yellow] {answer.fallback}.")
    if answer.refused:
        return
    checked = answer.verification
    if not checked.get("passed", True):
        problems = len(checked["unresolved_markers"]) + len(checked["unsupported"])
        err.print(f"[yellow]Citation check:[/yellow] {problems} marker(s) removed, "
                  f"{len(checked['uncited_sentences'])} sentence(s) without a source.")
    out.print("\n[bold]Sources[/bold]")
    for citation in answer.citations:
        by = f", {citation.author}" if citation.author else ""
        out.print(f"[{citation.marker}] [bold]{citation.title}[/bold]{by} "
                  f"(characters {citation.start}–{citation.end} of {citation.doc_id})",
                  highlight=False, markup=True)
        out.print(f"    “{citation.text}”", markup=False, highlight=False)


def main() -> None:
    app(prog_name="assistant")


if __name__ == "__main__":
    sys.exit(main())
