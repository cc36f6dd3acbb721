"""``policyaudit ingest``: read a corpus folder into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policyaudit.cli.common import (
    MaxFileMbOption,
    MaxPagesOption,
    ProgressOption,
    SchedulerOption,
    default_out_dir,
    fail,
)
from policyaudit.corpus import CorpusNotFoundError
from policyaudit.corpus.ingest import (
    EXIT_NO_CORPUS,
    ExecutorError,
    IngestReport,
    Limits,
    ingest,
    make_executor,
)


def summary(report: IngestReport) -> str:
    line = (
        f"{report.seen} files: {report.extracted} extracted ({report.replaced} replaced), "
        f"{report.unchanged} unchanged, {report.failed} failed, {report.removed} removed; "
        f"{len(report.problems)} problems"
    )
    if report.problems_csv is not None:
        line += f" (see {report.problems_csv})"
    return line


def ingest_command(
    corpus: Annotated[Path, typer.Argument(help="Corpus folder: one sub-folder per organisation.")],
    db: Annotated[
        str, typer.Option("--db", help="SQLite file path or SQLAlchemy URL.")
    ] = "out/audit.sqlite",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for problems.csv (default: the database's folder)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Extraction processes (default: CPU count)."),
    ] = None,
    progress: ProgressOption = True,
    executor: Annotated[
        str, typer.Option("--executor", help="Where extraction runs: local or dask.")
    ] = "local",
    scheduler: SchedulerOption = None,
    max_file_mb: MaxFileMbOption = None,
    max_pages: MaxPagesOption = None,
) -> None:
    """Extract new and changed documents into the database; report files that were skipped.

    Exit status: 0 all files ingested, 1 some were skipped or degraded, 2 no corpus folder.
    """
    try:
        pool = make_executor(executor, scheduler, workers)
    except ExecutorError as exc:
        fail(str(exc))
    limits = Limits.from_options(max_file_mb, max_pages)
    try:
        report = ingest(corpus, db, workers, progress, out or default_out_dir(db), pool, limits)
    except CorpusNotFoundError as exc:
        fail(str(exc), EXIT_NO_CORPUS)
    finally:
        pool.close()
    for problem in report.problems:
        typer.echo(problem.line(), err=True)
    typer.echo(summary(report))
    raise typer.Exit(report.exit_status)
