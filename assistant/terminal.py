"""How the CLI shows results on a terminal (rich): reports, tables, answers, progress bars.

The CLI parses and calls; these functions print what came back. JSON output does not
pass through here: it is the results' own ``as_dict()``.

Example:
    >>> print_ingest_report(library.ingest([Path("documents")]))  # doctest: +SKIP
    Done: 2 added, 0 updated, 0 unchanged, 0 duplicate, 0 failed, 0 removed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from assistant.settings import Settings
from assistant.spans import cited_page

# One line per message even when piped: scripts grep for file names.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


def settings_or_exit(**overrides) -> Settings:
    """The settings from the environment (and ``.env``); invalid ones exit 2 with the reason."""
    try:
        return Settings().model_copy(update=overrides)
    except ValidationError as error:
        err.print(f"[red]Invalid ASSISTANT_ settings:[/red]\n{error}")
        raise typer.Exit(2) from None


def parts_or_exit(**overrides):
    """Every part of the assistant for the settings (see :func:`settings_or_exit`); imported
    here so that ``--help`` answers without loading torch and Chroma."""
    from assistant.wiring import Parts

    return Parts(settings_or_exit(**overrides))


def progress(*columns) -> Progress:
    """A bar on the terminal's stderr; nothing when piped."""
    return Progress(*columns, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, disable=not err.is_terminal, transient=True)


def print_ingest_report(report) -> None:
    """Every file that failed, was a duplicate or was removed, with why; then the counts."""
    for result in report.files:
        if result.status in ("failed", "duplicate", "removed"):
            colour = "red" if result.status == "failed" else "yellow"
            out.print(f"[{colour}]{result.status}[/{colour}] {result.path}: {result.reason}")
        for note in result.notes:
            out.print(f"[yellow]note[/yellow] {result.path}: {note}")
    out.print(f"Done: {', '.join(f'{n} {status}' for status, n in report.counts.items())}.")


def print_documents(records) -> None:
    if not records:
        out.print("The library is empty. Add documents with: assistant ingest PATH")
        return
    table = Table("id", "title", "author", "chunks", "ingested", "source")
    table.columns[0].no_wrap = True
    for r in records:
        table.add_row(r.doc_id, r.title, r.author, str(r.chunks), r.ingested_at, r.source)
    out.print(table)


def print_check_report(report, sound: bool, repair: bool) -> None:
    """The counts, each kind of disagreement (five examples), what was repaired, the verdict."""
    out.print(f"{report.documents} documents, {report.records} records, {report.vectors} vectors.")
    problems = {
        "vectors with no record": report.orphan_vectors,
        "records with no vector": report.orphan_records,
        "documents with vectors but not listed": report.unlisted_documents,
        "listed documents with missing passages": report.incomplete_documents,
    }
    for label, items in problems.items():
        if items:
            more = f" and {len(items) - 5} more" if len(items) > 5 else ""
            out.print(f"[yellow]{len(items)} {label}:[/yellow] {', '.join(items[:5])}{more}")
    for line in report.repaired:
        out.print(f"[green]repaired:[/green] {line}")
    if sound:
        out.print("[green]Everything agrees.[/green]")
    elif repair:
        err.print("[red]Still disagrees after the repair;[/red] run it again, or re-ingest.")
    else:
        out.print("Run `assistant docs check --repair` to mend this.")


def print_answer_end(answer, streamed: str) -> None:
    """After the streamed answer: the checked text if it differs, notes, then each source."""
    if answer.answer.strip() != streamed.strip():  # citation checks or a fallback changed it
        out.print("\n\n[bold]Checked answer[/bold]")
        out.print(answer.answer, markup=False, highlight=False, end="")
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
        span = citation.span
        by = f", {span.author}" if span.author else ""
        where = (cited_page(citation.page, span.scanned(citation.page)) if citation.page
                 else f"characters {span.start}–{span.end}")
        if span.section:
            where += f", “{span.section}”"
        out.print(f"[{citation.marker}] [bold]{span.title}[/bold]{by} ({where} of {span.doc_id})",
                  highlight=False)
        out.print(f"    “{span.text}”", markup=False, highlight=False)


def print_evaluation(outcome) -> None:
    """Ours beside the baseline, metric by metric; where the reports went; floors missed."""
    table = Table("metric", "ours", "baseline")
    for metric, value in outcome.run.ours.items():
        table.add_row(metric, str(value), str(outcome.run.baseline.get(metric)))
    out.print(table)
    out.print(f"Reports: {', '.join(str(p) for p in outcome.reports)}")
    for failure in outcome.failures:
        err.print(f"[red]Below the floor:[/red] {failure}")
