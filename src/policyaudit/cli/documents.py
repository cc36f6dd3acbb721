"""``policyaudit documents``: what the database holds, document by document."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from policyaudit.cli.common import existing_db_url
from policyaudit.corpus import Problem
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope


def latest_ingest_problems(session: Session) -> list[Problem]:
    """Problems of the most recent completed ingest: the current state of the corpus."""
    run_id = session.scalar(
        select(m.Run.id)
        .where(m.Run.kind == "ingest", m.Run.status == "complete")
        .order_by(m.Run.id.desc())
        .limit(1)
    )
    if run_id is None:
        return []
    rows = session.scalars(select(m.ProblemRow).where(m.ProblemRow.run_id == run_id))
    return [Problem(r.file, r.problem, r.detail) for r in rows]


def review_cell(review: date | None, today: date) -> str:
    if review is None:
        return ""
    return f"{review.isoformat()} [red]overdue[/]" if review < today else review.isoformat()


def documents_command(
    db: Annotated[str, typer.Argument(help="SQLite file path or SQLAlchemy URL.")],
) -> None:
    """List the ingested documents with their size, review date and problems."""
    engine = make_engine(existing_db_url(db), create=False)
    with session_scope(engine) as session:
        docs = session.scalars(select(m.Document).order_by(m.Document.org_id, m.Document.relpath))
        docs = list(docs)
        problems = latest_ingest_problems(session)

    by_file: dict[str, list[str]] = defaultdict(list)
    for p in problems:
        by_file[p.file].append(p.problem)
    today = date.today()
    table = Table(title=f"{len(docs)} documents")
    for column in ("org", "document", "format"):
        table.add_column(column)
    for column in ("pages", "sections", "words"):
        table.add_column(column, justify="right")
    table.add_column("review")
    table.add_column("problems")
    for d in docs:
        labels = by_file.pop(d.corpus_path, [])
        table.add_row(
            escape(d.org_id),
            escape(d.relpath),
            d.format,
            "" if d.pages is None else str(d.pages),
            str(d.n_sections),
            str(d.words),
            review_cell(d.review_date, today),
            escape(f"{len(labels)}: {', '.join(labels)}") if labels else "",
        )
    console = Console()
    console.print(table)
    others = [p for p in problems if p.file in by_file]
    if others:
        console.print(f"{len(others)} problems with files or folders not listed above:")
        for p in others:
            console.print(p.line(), markup=False, highlight=False, soft_wrap=True)
