"""The short summary printed at the end of an audit, for the person at the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policyaudit.assess.types import Judgement
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework
from policyaudit.report.summary import dedicated_groups
from policyaudit.report.tables import OrganisationSummary, framework_of, org_sort_key


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def summary_table(fw: Framework, orgs: Sequence[OrganisationSummary]) -> Table:
    table = Table(
        title=f"{escape(fw.id)}: {len(orgs)} organisations x {len(fw.standards)} standards"
    )
    table.add_column("org", no_wrap=True)
    table.add_column("name")
    for column in ("met", "lenient", "partial", "conflicts"):
        table.add_column(column, justify="right")
    table.add_column("dedicated")
    for s in sorted(orgs, key=lambda s: org_sort_key(s.org_id)):
        table.add_row(
            escape(s.org_id),
            escape(s.name),
            str(s.standards_met),
            str(s.standards_met_lenient),
            str(s.standards_partial),
            f"[red]{s.conflicts}[/]" if s.conflicts else "0",
            "yes" if s.has_dedicated_policy else "no",
        )
    return table


def dedicated_line(orgs: Sequence[OrganisationSummary]) -> str:
    """Mean standards met with and without a dedicated policy (the paper's comparison)."""
    groups = dedicated_groups(orgs)
    d, n = groups["dedicated"], groups["not_dedicated"]
    return (
        f"mean standards met: dedicated policy {_mean(d['standards_met']['mean'])} "
        f"(n={d['n']}), no dedicated policy {_mean(n['standards_met']['mean'])} (n={n['n']})"
    )


def print_terminal_summary(
    console: Console,
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
) -> None:
    """A table of organisations and one line comparing dedicated-policy groups."""
    fw = framework_of(framework)
    console.print(summary_table(fw, org_summaries))
    console.print(dedicated_line(org_summaries), highlight=False)
    missing = len(org_summaries) * len(fw.standards) - len(judgements)
    if missing > 0:
        console.print(f"[yellow]{missing} organisation x standard cells were not judged[/]")
