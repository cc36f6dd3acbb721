"""``policyaudit compare``: which organisations gained or lost which standards between runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policyaudit.cli.common import existing_db_url, fail


def compare_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL holding both runs.")],
    run_a: Annotated[
        int | None, typer.Argument(help="Earlier audit run id (default: the second latest).")
    ] = None,
    run_b: Annotated[
        int | None, typer.Argument(help="Later audit run id (default: the latest).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the changes to this CSV file.")
    ] = None,
) -> None:
    """List the organisation x standard cells whose verdict or conflict changed from A to B.

    Runs accumulate in the database, one per audit; `policyaudit compare DB` compares the two
    latest. Exit status: 0 no change, 1 some cells changed, 2 a run was not found.
    """
    from rich.console import Console

    from policyaudit.report.compare import (
        changes_table,
        compare_judgements,
        compare_runs,
        met_counts,
        write_changes_csv,
    )
    from policyaudit.report.rebuild import RunNotFoundError

    if run_a is None and run_b is not None:
        fail("give RUN_A as well as RUN_B")
    url = existing_db_url(db)
    try:
        a, b, before, after = compare_runs(url, run_a, run_b)
    except RunNotFoundError as exc:
        fail(str(exc))
    changes = compare_judgements(before, after)
    Console().print(changes_table(changes, a, b, met_counts(before), met_counts(after)))
    if out is not None:
        write_changes_csv(out, changes)
        typer.echo(f"changes written to {out}")
    raise typer.Exit(1 if changes else 0)
