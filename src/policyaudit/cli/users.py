"""``policyaudit users``: the named coders who sign in to the review app."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from policyaudit.cli.common import fail
from policyaudit.store.db import make_engine, session_scope

app = typer.Typer(
    name="users",
    no_args_is_help=True,
    add_completion=False,
    help="Add and list the coders of the review app.",
)

DbOption = Annotated[
    str, typer.Option("--db", help="SQLite file or SQLAlchemy URL of the audit database.")
]
DEFAULT_DB = "out/audit.sqlite"


def read_password(from_stdin: bool) -> str:
    """Prompted twice without echo; ``--password-stdin`` reads one line for scripts."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat password", hide_input=True) != first:
        fail("the two passwords differ")
    return first


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The coder's name, used to sign in.")],
    lead: Annotated[
        bool, typer.Option("--lead", help="A project lead: assigns, resolves, sees agreement.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Add a coder (or, with --lead, a project lead)."""
    from policyaudit.review.auth import UserError, add_user

    password = read_password(password_stdin)
    engine = make_engine(db, create=True)
    try:
        with session_scope(engine) as session:
            user = add_user(session, name, password, "lead" if lead else "coder")
            typer.echo(f"added {user.role} {user.name}")
    except UserError as exc:
        fail(str(exc))


@app.command("list")
def list_command(db: DbOption = DEFAULT_DB) -> None:
    """List the coders and their roles."""
    from sqlalchemy import select

    from policyaudit.cli.common import existing_db_url
    from policyaudit.store.review_models import User

    engine = make_engine(existing_db_url(db), create=True)
    with session_scope(engine) as session:
        users = session.scalars(select(User).order_by(User.name)).all()
        for user in users:
            typer.echo(f"{user.name}\t{user.role}\t{user.created_at:%Y-%m-%d}")
        if not users:
            typer.echo("no users yet: add one with `policyaudit users add NAME`", err=True)
