"""What changed between two audit runs: which organisations gained or lost which standards.

Runs accumulate in one database (every ``policyaudit audit`` adds one), so a comparison names
two run ids of the same database: after a trust revises its policies, or after the framework
or engine changed, this lists each organisation x standard whose verdict or conflict changed.
The comparison itself (``compare_judgements``) is pure; reading runs and printing are separate.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from policyaudit.assess.types import Judgement
from policyaudit.report.tables import org_sort_key

RANK = {"not_met": 0, "partial": 1, "met": 2}


@dataclass(frozen=True)
class Change:
    """One organisation x standard that differs between run A (before) and run B (after)."""

    org_id: str
    standard_id: str
    change: str  # gained | lost | improved | worsened | conflict added | conflict resolved | ...
    verdict_a: str  # "" where run A has no such cell
    verdict_b: str
    conflicts_a: str  # "true" | "false" | ""
    conflicts_b: str


CHANGE_COLUMNS = tuple(f.name for f in fields(Change))
CHANGE_STYLES = {"gained": "green", "improved": "green", "lost": "red", "worsened": "red"}


def verdict_change(a: str, b: str) -> str | None:
    """gained/lost: crossed the met line; improved/worsened: partial <-> not met; None: same."""
    if a == b:
        return None
    if b == "met":
        return "gained"
    if a == "met":
        return "lost"
    return "improved" if RANK[b] > RANK[a] else "worsened"


def conflict_change(a: bool, b: bool) -> str | None:
    if a == b:
        return None
    return "conflict added" if b else "conflict resolved"


def _flag(j: Judgement | None) -> str:
    return "" if j is None else ("true" if j.conflicts else "false")


def cell_change(a: Judgement | None, b: Judgement | None) -> str | None:
    """What happened to one cell; None when nothing changed."""
    if a is None and b is None:
        return None
    if a is None:
        return "new in B"
    if b is None:
        return "missing in B"
    parts = [verdict_change(a.verdict, b.verdict), conflict_change(a.conflicts, b.conflicts)]
    text = "; ".join(p for p in parts if p)
    return text or None


def compare_judgements(
    run_a: Iterable[Judgement], run_b: Iterable[Judgement], standard_order: Sequence[str] = ()
) -> list[Change]:
    """Every cell whose verdict or conflict differs, by organisation then standard."""
    a = {(j.org_id, j.standard_id): j for j in run_a}
    b = {(j.org_id, j.standard_id): j for j in run_b}
    index = {s: i for i, s in enumerate(standard_order)}
    keys = sorted(
        set(a) | set(b),
        key=lambda k: (org_sort_key(k[0]), index.get(k[1], len(index)), org_sort_key(k[1])),
    )
    changes = []
    for key in keys:
        ja, jb = a.get(key), b.get(key)
        what = cell_change(ja, jb)
        if what is None:
            continue
        changes.append(
            Change(
                key[0],
                key[1],
                what,
                ja.verdict if ja else "",
                jb.verdict if jb else "",
                _flag(ja),
                _flag(jb),
            )
        )
    return changes


def met_counts(judgements: Iterable[Judgement]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for j in judgements:
        counts[j.org_id] = counts.get(j.org_id, 0) + (j.verdict == "met")
    return counts


def changes_table(
    changes: Sequence[Change],
    run_a: int,
    run_b: int,
    met_a: Mapping[str, int],
    met_b: Mapping[str, int],
) -> Table:
    """The changes for the terminal, with each organisation's standards met before -> after."""
    table = Table(title=f"Run {run_a} -> run {run_b}: {len(changes)} changed cell(s)")
    for column in ("org", "standard", "change", "A", "B", "met A -> B"):
        table.add_column(column, no_wrap=column in ("org", "standard"))
    last = None
    for c in changes:
        style = CHANGE_STYLES.get(c.change.split(";")[0])
        change = f"[{style}]{escape(c.change)}[/]" if style else escape(c.change)
        first = c.org_id != last
        counts = f"{met_a.get(c.org_id, 0)} -> {met_b.get(c.org_id, 0)}" if first else ""
        table.add_row(
            escape(c.org_id) if first else "",
            escape(c.standard_id),
            change,
            _cell(c.verdict_a, c.conflicts_a),
            _cell(c.verdict_b, c.conflicts_b),
            counts,
        )
        last = c.org_id
    return table


def _cell(verdict: str, conflicts: str) -> str:
    if not verdict:
        return "–"
    return escape(verdict + (" +C" if conflicts == "true" else ""))


def write_changes_csv(path: Path, changes: Sequence[Change]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CHANGE_COLUMNS)
        writer.writerows(astuple(c) for c in changes)
    return path


def compare_runs(
    db: str | Path, run_a: int | None = None, run_b: int | None = None
) -> tuple[int, int, list[Judgement], list[Judgement]]:
    """The two runs' judgements (default: the two latest audit runs of ``db``)."""
    from policyaudit.report.rebuild import latest_two, select_run, stored_judgements
    from policyaudit.store.db import make_engine

    engine = make_engine(db)
    if run_a is None and run_b is None:
        run_a, run_b = latest_two(engine)
    elif run_b is None:
        run_b = select_run(engine).id
    ids = [select_run(engine, r).id for r in (run_a, run_b)]
    return ids[0], ids[1], stored_judgements(engine, ids[0]), stored_judgements(engine, ids[1])
