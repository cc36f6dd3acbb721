"""``policyaudit review``: start the local web app where coders check and double-code cells."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from policyaudit.cli.common import existing_db_url, fail

SECRET_ENV = "POLICYAUDIT_REVIEW_SECRET"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def review_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL of an audit.")],
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Corpus folder, to open the original document files."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8765,
) -> None:
    """Serve the review app (sign in with users from `policyaudit users add`).

    Listening on an address other than loopback is refused until users exist, so the app is
    never open to a network without sign-in; away from localhost the session cookie is Secure,
    so serve it behind HTTPS. Set POLICYAUDIT_REVIEW_SECRET to keep sessions across restarts.
    """
    import uvicorn

    from policyaudit.review.app import create_app
    from policyaudit.review.auth import count_users
    from policyaudit.store.db import make_engine, session_scope

    url = existing_db_url(db)
    if corpus is not None and not corpus.is_dir():
        fail(f"no corpus folder at {corpus}")
    with session_scope(make_engine(url, create=True)) as session:
        n_users = count_users(session)
    if not is_loopback(host) and n_users == 0:
        fail(f"refusing to listen on {host} with no users: add one with `policyaudit users add`")
    if n_users == 0:
        typer.echo("note: no users yet; add one with `policyaudit users add NAME --lead`", err=True)
    app = create_app(url, corpus, os.environ.get(SECRET_ENV))
    typer.echo(f"review app on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
