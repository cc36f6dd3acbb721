"""``policyaudit report``: rebuild every output of a stored audit run, without judging again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policyaudit.cli.common import existing_db_url, fail


def report_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL of an audit.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    run: Annotated[
        int | None, typer.Option("--run", help="Audit run id (default: the latest).", min=1)
    ] = None,
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Framework id or YAML file, where the run's is not built in (default: the run's).",
        ),
    ] = None,
) -> None:
    """Write the report, tables, workbook and gap reports of a stored run into OUT."""
    from policyaudit.framework.loader import FrameworkError
    from policyaudit.report.rebuild import RunNotFoundError, rebuild_outputs

    url = existing_db_url(db)
    try:
        paths = rebuild_outputs(url, run, out, framework)
    except (RunNotFoundError, FrameworkError) as exc:
        fail(str(exc).replace("\n", "; "))
    typer.echo(f"outputs in {out}: {', '.join(p.name for p in paths.values())}")
