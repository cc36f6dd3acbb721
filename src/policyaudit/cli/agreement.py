"""``policyaudit agreement``: inter-rater agreement between two codings of the same cells."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from policyaudit.cli.common import fail

if TYPE_CHECKING:
    from rich.table import Table

    from policyaudit.analysis.agreement import AgreementFigures, AgreementReport, Kappa

SHOW_MISSING = 10  # cells listed by name when only one file has them; the rest are counted


def _natural(standard_id: str) -> list[int | str]:
    """S2 before S10, as a person numbers standards."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", standard_id)]


def _label(path: Path) -> str:
    """gold/judgements.csv rather than judgements.csv twice."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _kappa(k: Kappa | None) -> str:
    return "n/a" if k is None else f"{k.kappa:.3f}"


def _interval(k: Kappa | None) -> str:
    return "" if k is None else f"{k.low:.2f}–{k.high:.2f}"


def _row(label: str, f: AgreementFigures) -> list[str]:
    return [
        label + (" †" if f.rarely_met else ""),
        str(f.n),
        "n/a" if f.percent is None else f"{f.percent:.1f}",
        _kappa(f.kappa),
        _interval(f.kappa),
        _kappa(f.kappa_linear),
        _kappa(f.kappa_quadratic),
        _num(f.alpha_ordinal),
        _num(f.ac1),
        _num(f.pabak),
    ]


COLUMNS = ("standard", "n", "agree%", "κ", "κ 95% CI", "κw lin", "κw quad", "α ord", "AC1", "PABAK")


def agreement_table(report: AgreementReport, per_standard: bool, a: str, b: str) -> Table:
    """Overall, then one row per standard: every figure side by side, rare standards marked."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Agreement: {a} vs {b}",
        caption="κ Cohen's kappa; κw weighted kappa (linear, quadratic); α Krippendorff's "
        "ordinal alpha. † met in under 20% of codings: kappa is deflated, read AC1 and PABAK. "
        "n/a: one verdict only, kappa undefined.",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in COLUMNS:
        table.add_column(name, justify="left" if name == "standard" else "right", no_wrap=True)
    table.add_row(*_row("all", report.overall), end_section=True)
    if per_standard:
        for sid, figures in report.per_standard.items():
            table.add_row(*_row(sid, figures))
    return table


def _missing_lines(cells: Sequence[tuple[str, str]], here: str, there: str) -> list[str]:
    if not cells:
        return []
    shown = ", ".join(f"{o} x {s}" for o, s in cells[:SHOW_MISSING])
    more = f" and {len(cells) - SHOW_MISSING} more" if len(cells) > SHOW_MISSING else ""
    return [f"{len(cells)} cell(s) only in {here}, not in {there}: {shown}{more}"]


def _verdicts(path: Path) -> dict[tuple[str, str], str]:
    from policyaudit.review.exchange import CodingFormatError, read_codings, verdicts_by_cell

    try:
        return verdicts_by_cell(read_codings(path))
    except CodingFormatError as exc:
        fail(str(exc))
    except ValueError as exc:  # several coders' codings of one cell in one file
        fail(f"{path}: {exc} (one coder per file)")


def agreement_command(
    a: Annotated[Path, typer.Argument(help="First codings CSV (judgements.csv or gold format).")],
    b: Annotated[Path, typer.Argument(help="Second codings CSV of the same cells.")],
    per_standard: Annotated[
        bool, typer.Option("--per-standard/--overall-only", help="Also show each standard.")
    ] = True,
    framework: Annotated[
        str | None,
        typer.Option("--framework", help="Order standards as this framework does."),
    ] = None,
) -> None:
    """Inter-rater agreement between two codings, matched by (org_id, standard_id).

    Prints percent agreement, Cohen's kappa with its 95% interval, weighted kappa, Krippendorff's
    ordinal alpha, Gwet's AC1 and PABAK, overall and per standard, and lists cells that only
    one file codes. Exit status 2 for a missing file, a missing column or a bad value.
    """
    from rich.console import Console

    from policyaudit.analysis.agreement import agreement_report

    for path in (a, b):
        if not path.is_file():
            fail(f"{path}: no such file")
    order: list[str] = []
    if framework is not None:
        from policyaudit.framework.loader import FrameworkError, load_framework

        try:
            order = [s.id for s in load_framework(framework).framework.standards]
        except FrameworkError as exc:
            fail(str(exc).splitlines()[0])
    codings_a, codings_b = _verdicts(a), _verdicts(b)
    if not order:
        order = sorted({s for _, s in codings_a} | {s for _, s in codings_b}, key=_natural)
    report = agreement_report(codings_a, codings_b, order)
    console = Console()
    if report.overall.n == 0:
        fail(f"{a} and {b} share no (org_id, standard_id) cell")
    console.print(agreement_table(report, per_standard, _label(a), _label(b)))
    for line in _missing_lines(report.only_a, str(a), str(b)) + _missing_lines(
        report.only_b, str(b), str(a)
    ):
        console.print(line, markup=False, highlight=False)
