"""``assistant feedback`` and ``assistant stats``: what readers said about answers, the
corrections that become eval questions, and how the assistant is doing.

Example (shell)::

    assistant feedback list --json --since 2026-11-01
    assistant feedback promote 3f9c2a1b7e
    assistant eval --dataset feedback
    assistant stats --json
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.feedback import FeedbackError
from assistant.terminal import JsonFlag, err, out, parts_or_exit

feedback_app = typer.Typer(
    help="What readers said about answers (thumbs up or down, comments, corrections); "
    "corrections promoted here are asked again by `assistant eval --dataset feedback`.",
    no_args_is_help=True)

SinceOption = Annotated[str | None, typer.Option(
    "--since", help="Only what came at or after this date (YYYY-MM-DD).")]


def _checked_since(since: str | None) -> str | None:
    if since is None:
        return None
    try:
        return date.fromisoformat(since).isoformat()
    except ValueError:
        err.print(f"[red]--since wants a date as YYYY-MM-DD, not {since!r}.[/red]")
        raise typer.Exit(2) from None


@feedback_app.command("list")
def feedback_list(as_json: JsonFlag = False, since: SinceOption = None) -> None:
    """List feedback, oldest first: the rating, comment and correction with the question,
    the answer and its citations."""
    given = parts_or_exit().feedback.since(_checked_since(since))
    if as_json:
        print(json.dumps([f.as_dict() for f in given], indent=2, ensure_ascii=False))
        return
    if not given:
        out.print("No feedback yet.")
        return
    table = Table("id", "rating", "given", "question", "comment / correction", "promoted")
    for f in given:
        note = " / ".join(n for n in (f.comment, f.correction) if n)
        table.add_row(f.feedback_id, "up" if f.rating > 0 else "down", f.given_at[:16],
                      escape(f.answer.question[:80]), escape(note[:80]),
                      "yes" if f.promoted_at else "")
    out.print(table)


_CSV_FIELDS = ("id", "rating", "given_at", "user", "question", "answer", "refused",
               "comment", "correction", "promoted", "generator", "citations")


@feedback_app.command("export")
def feedback_export(
    format: Annotated[str, typer.Option(
        "--format", help="jsonl (one feedback per line, everything kept) or csv (one row "
        "each, citations as JSON).")] = "jsonl",
    since: SinceOption = None,
) -> None:
    """Write all feedback to standard output, for a spreadsheet or another tool."""
    if format not in ("jsonl", "csv"):
        err.print(f"[red]--format is jsonl or csv, not {format!r}.[/red]")
        raise typer.Exit(2)
    given = [f.as_dict() for f in parts_or_exit().feedback.since(_checked_since(since))]
    if format == "jsonl":
        for entry in given:
            print(json.dumps(entry, ensure_ascii=False))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=_CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for entry in given:
        writer.writerow({**entry, "citations": json.dumps(entry["citations"], ensure_ascii=False)})


@feedback_app.command("promote")
def feedback_promote(
    feedback_id: Annotated[str, typer.Argument(help="The feedback's id (`feedback list`).")],
    should_refuse: Annotated[bool, typer.Option(
        "--should-refuse", help="The documents don't answer it: the right answer is a "
        "refusal.")] = False,
) -> None:
    """Make a thumbs-down's correction a test question: `assistant eval --dataset feedback`
    asks it again and checks the answer restates the correction. Exits 1 for an unknown id,
    a thumbs-up, or a thumbs-down without a correction."""
    try:
        promoted = parts_or_exit().feedback.promote(feedback_id, should_refuse=should_refuse)
    except FeedbackError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    expected = "a refusal" if promoted.should_refuse else f"“{promoted.correction}”"
    out.print(f"Promoted: “{promoted.answer.question}” now expects {expected}. "
              "Run it with: assistant eval --dataset feedback", markup=False)


def stats(as_json: JsonFlag = False, since: SinceOption = None) -> None:
    """How the assistant is doing: questions answered, the refusal rate, first-token and
    total times (p50/p95), the documents cited most, and thumbs up and down."""
    parts = parts_or_exit()
    when = _checked_since(since)
    numbers = parts.usage_log.stats(when, ratings=parts.feedback.counts(when))
    if as_json:
        print(json.dumps(numbers.as_dict(), indent=2, ensure_ascii=False))
        return
    table = Table("", "value", title="Usage" + (f" since {when}" if when else ""))
    rate = numbers.refusal_rate
    rows = [
        ("questions answered", f"{numbers.questions}"),
        ("refused", f"{numbers.refused}" + (f" ({rate:.0%})" if rate is not None else "")),
        ("first token p50 / p95",
         _ms_pair(numbers.first_token_p50_ms, numbers.first_token_p95_ms)),
        ("total time p50 / p95", _ms_pair(numbers.total_p50_ms, numbers.total_p95_ms)),
        ("thumbs up / down", f"{numbers.thumbs_up} / {numbers.thumbs_down}"),
        ("by generator", ", ".join(f"{g} {n}" for g, n in numbers.by_generator.items()) or "–"),
        ("most cited", ", ".join(f"{d} ({n})" for d, n in numbers.most_cited) or "–"),
    ]
    for name, value in rows:
        table.add_row(name, escape(value))
    out.print(table)


def _ms_pair(p50: float | None, p95: float | None) -> str:
    return "–" if p50 is None else f"{p50 / 1000:.1f} s / {p95 / 1000:.1f} s"
