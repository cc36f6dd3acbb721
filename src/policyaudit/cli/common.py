"""Helpers shared by the CLI command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from policyaudit.store.db import sqlite_path, to_url

EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a one-line error (no traceback) and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def default_out_dir(db: str) -> Path:
    """Outputs go beside a SQLite database file, else into ``out/``."""
    path = sqlite_path(to_url(db))
    return path.parent if path is not None else Path("out")


def existing_db_url(db: str) -> str:
    """The URL of a database that must already exist (a missing SQLite file is an error)."""
    url = to_url(db)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        fail(f"no database at {path}: run `policyaudit ingest CORPUS --db {db}` first")
    return url


# Options shared by the commands that read a corpus (ingest, audit).
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address (with --executor dask)."),
]
MaxFileMbOption = Annotated[
    float | None,
    typer.Option("--max-file-mb", min=0.0, help="Refuse larger files (default 500)."),
]
MaxPagesOption = Annotated[
    int | None,
    typer.Option("--max-pages", min=1, help="Refuse PDFs with more pages (default 10000)."),
]
ProgressOption = Annotated[bool, typer.Option("--progress/--no-progress")]
