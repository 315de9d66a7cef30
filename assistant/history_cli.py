"""``assistant history``: a signed-in user's saved conversations, listed or exported.

Example (shell)::

    assistant history list amira --json
    assistant history export 3f9c2a1b7e --user amira -o board-prep.md
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.terminal import JsonFlag, err, out, parts_or_exit

history_app = typer.Typer(
    help="Signed-in users' conversations, kept across restarts (without sign-in a "
    "conversation lives in its browser session only).", no_args_is_help=True)


@history_app.command("list")
def history_list(
    user: Annotated[str, typer.Argument(help="The sign-in name.")], as_json: JsonFlag = False,
) -> None:
    """List a user's conversations, the latest first."""
    found = parts_or_exit().history.list(user)
    if as_json:
        print(json.dumps([c.as_dict() for c in found], indent=2, ensure_ascii=False))
        return
    if not found:
        out.print(f"No saved conversations of {escape(user)}.")
        return
    table = Table("id", "title", "questions", "updated")
    for c in found:
        entry = c.as_dict()
        table.add_row(c.conversation_id, escape(c.title), str(entry["questions"]),
                      c.updated_at[:16].replace("T", " "))
    out.print(table)


@history_app.command("export")
def history_export(
    conversation_id: Annotated[str, typer.Argument(help="The conversation's id (`history list`).")],
    user: Annotated[str, typer.Option("--user", help="Whose conversation it is.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export a conversation as Markdown: each question, its answer, and every citation a
    footnote naming the document and page and quoting the passage. Exits 1 for an unknown id."""
    from assistant.history import as_markdown

    parts = parts_or_exit()
    found = parts.history.get(user, conversation_id)
    if found is None:
        err.print(f"[red]No conversation {escape(conversation_id)!r} of {escape(user)}.[/red] "
                  f"`assistant history list {escape(user)}` shows the ids.")
        raise typer.Exit(1)
    markdown = as_markdown(found, parts.usage_log)
    if output is None:
        print(markdown, end="")
    else:
        output.write_text(markdown, encoding="utf-8")
        out.print(f"Written: {escape(str(output))}")
