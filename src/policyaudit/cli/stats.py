"""``policyaudit stats FILE``: the paper's headline figures from a table of per-organisation counts.

Lets a reader reproduce a published study (or re-run ours from ``organisations.csv``) with the
very code the audit uses, without the documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from policyaudit.analysis import CountsFileError, read_counts
from policyaudit.analysis.counts import across, group_comparison
from policyaudit.analysis.groups import format_p
from policyaudit.cli.common import fail


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _row(label: str, d: dict) -> list[str]:
    spread = "" if d["min"] is None else f"{d['min']:g} to {d['max']:g}"
    return [
        label,
        str(d["n"]),
        _fmt(d["mean"]),
        _fmt(d["sd"]),
        _fmt(d["median"]),
        _fmt(d["iqr"]),
        spread,
    ]


def descriptives_table(overall: dict, groups: dict) -> Table:
    table = Table(title="Standards met per organisation (strict: met only)")
    table.add_column("group")
    for column in ("n", "mean", "SD", "median", "IQR", "range"):
        table.add_column(column, justify="right")
    table.add_row(*_row("all", overall))
    table.add_row(*_row("dedicated policy", groups["with_policy"]))
    table.add_row(*_row("no dedicated policy", groups["without_policy"]))
    return table


def stats_command(
    file: Annotated[
        Path, typer.Argument(help="CSV with has_dedicated_policy,standards_met (any id column).")
    ],
    standards: Annotated[
        int, typer.Option("--standards", min=1, help="Number of standards in the framework.")
    ] = 20,
) -> None:
    """Descriptives, Mann-Whitney U and effect sizes from per-organisation counts."""
    try:
        counts = read_counts(file)
    except CountsFileError as exc:
        fail(str(exc))
    overall = across(counts, standards)
    groups = group_comparison(counts)
    console = Console()
    console.print(descriptives_table(overall["standards_met"], groups))
    console.print(f"Mean standards not met (of {standards}): {_fmt(overall['mean_not_met'])}")
    mw = groups["mann_whitney"]
    if mw is None:
        console.print("Mann-Whitney U: not computed (a group is empty)")
        return
    console.print(
        f"Mann-Whitney U = {mw['u']:.2f} (U1 = {mw['u1']:.2f}), z = {_fmt(mw['z'])}, "
        f"asymptotic {format_p(mw['p_asymptotic'])}"
    )
    console.print(f"Exact {format_p(mw['p_exact'])}; {mw['p_exact_method']}")
    console.print(f"r = {_fmt(mw['r'])}, rank-biserial = {mw['rank_biserial']:.2f}")
    console.print(mw["apa"])
