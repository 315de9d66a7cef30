"""``assistant users``: who may sign in to the chat, and as what (reader or editor).

Example (shell)::

    echo "$PASSWORD" | assistant users add amira --role editor --password-stdin
    assistant users list --json
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from assistant.terminal import JsonFlag, err, out, settings_or_exit
from assistant.users import UserError, UserStore

users_app = typer.Typer(
    help="Who may sign in to the chat (no users: no sign-in). Editors may add and remove "
    "documents; readers only ask.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(
        help="reader (asks questions) or editor (also changes the library).")] = "reader",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input instead of asking.")] = False,
) -> None:
    """Create a user, or give an existing one a new password and role.

    The users file keeps salted Argon2id hashes only. `assistant serve` asks for sign-in
    once it holds a user (restart it after adding the first).
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    users = UserStore(settings_or_exit().resolved_users_file)
    try:
        new = users.add(name, password, role)  # type: ignore[arg-type]
    except UserError as error:
        err.print(f"[red]Cannot add '{name}':[/red] {error}.")
        raise typer.Exit(2) from None
    out.print(f"{'Added' if new else 'Updated'} {role} '{name}' in {users.path}.")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Show the users and their roles (never their passwords)."""
    names = UserStore(settings_or_exit().resolved_users_file).names()
    if as_json:
        print(json.dumps(names, indent=2))
    elif not names:
        out.print("No users: the chat is open to anyone who can reach it.")
    for name, role in names.items() if not as_json else ():
        out.print(f"{name}\t{role}")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The sign-in name.")]) -> None:
    """Delete a user; they can no longer sign in."""
    if not UserStore(settings_or_exit().resolved_users_file).remove(name):
        err.print(f"[red]No user '{name}'.[/red] See them with: assistant users list")
        raise typer.Exit(1)
    out.print(f"Removed '{name}'.")
