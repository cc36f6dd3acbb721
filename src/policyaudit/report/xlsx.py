"""judgements.xlsx: the organisation x standard matrix and the output tables, one per sheet.

Every text cell is written with ``write_string``: document quotes may start with ``=`` and
must never become formulas or hyperlinks in a reviewer's spreadsheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from policyaudit.assess.types import Judgement
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework
from policyaudit.report.figures import analysis_standards
from policyaudit.report.tables import (
    JUDGEMENT_COLUMNS,
    ORGANISATION_COLUMNS,
    Cell,
    OrganisationSummary,
    framework_of,
    judgement_row,
    org_sort_key,
    organisation_row,
    sort_judgements,
)

VERDICT_COLOURS = {"met": "#A6D96A", "partial": "#FEE08B", "not_met": "#F4A582"}
CONFLICT_MARK = "+C"
STANDARD_COLUMNS = (
    "id",
    "title",
    "nice_refs",
    "criteria_met",
    "criteria_partial",
    "criteria_not_met",
    "criteria_conflicts",
    "n_met",
    "n_partial",
    "n_not_met",
    "n_conflicts",
)


def matrix_cell(j: Judgement | None) -> str:
    """The matrix shows the verdict, with ``+C`` where the policies also conflict."""
    if j is None:
        return ""
    return j.verdict + (CONFLICT_MARK if j.conflicts else "")


def _write_row(
    ws: Worksheet, row: int, values: Sequence[Cell], fmt=None, first_col: int = 0
) -> None:
    for col, value in enumerate(values, start=first_col):
        if isinstance(value, bool) or not isinstance(value, int | float):
            ws.write_string(row, col, str(value), fmt)
        else:
            ws.write_number(row, col, value, fmt)


def _write_table(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[Cell]], bold):
    _write_row(ws, 0, header, bold)
    for i, row in enumerate(rows, start=1):
        _write_row(ws, i, row)
    ws.freeze_panes(1, 0)
    if rows:
        ws.autofilter(0, 0, len(rows), len(header) - 1)


def _standard_row(fw: Framework, std_id: str, judgements: Sequence[Judgement]) -> list[Cell]:
    std = fw.standard(std_id)
    own = [j for j in judgements if j.standard_id == std_id]
    c = std.criteria
    return [
        std.id,
        std.title,
        "; ".join(std.nice_refs),
        c.met,
        c.partial or "",
        c.not_met,
        c.conflicts or "",
        sum(j.verdict == "met" for j in own),
        sum(j.verdict == "partial" for j in own),
        sum(j.verdict == "not_met" for j in own),
        sum(bool(j.conflicts) for j in own),
    ]


def _write_matrix(wb, ws: Worksheet, fw: Framework, judgements, orgs, bold) -> None:
    by_cell = {(j.org_id, j.standard_id): j for j in judgements}
    formats = {v: wb.add_format({"bg_color": c, "border": 1}) for v, c in VERDICT_COLOURS.items()}
    conflict_formats = {
        v: wb.add_format({"bg_color": c, "border": 2, "bold": True, "font_color": "#B2182B"})
        for v, c in VERDICT_COLOURS.items()
    }
    ids = [s.id for s in fw.standards]
    _write_row(ws, 0, ["org_id", "name", *ids, "met", "met_lenient", "conflicts"], bold)
    for r, org in enumerate(orgs, start=1):
        _write_row(ws, r, [org.org_id, org.name])
        for c, std_id in enumerate(ids, start=2):
            j = by_cell.get((org.org_id, std_id))
            fmt = None if j is None else (conflict_formats if j.conflicts else formats)[j.verdict]
            ws.write_string(r, c, matrix_cell(j), fmt)
        counts = [org.standards_met, org.standards_met_lenient, org.conflicts]
        _write_row(ws, r, counts, first_col=2 + len(ids))
    legend = len(orgs) + 2
    ws.write_string(legend, 0, "legend", bold)
    for i, (verdict, fmt) in enumerate(formats.items(), start=1):
        ws.write_string(legend, i, verdict, fmt)
    ws.write_string(legend, len(formats) + 1, f"{CONFLICT_MARK}: policies also conflict")
    ws.freeze_panes(1, 2)
    ws.set_column(2, 1 + len(ids), 9)


PREVALENCE_COLUMNS = (
    "rank",
    "id",
    "title",
    "n_judged",
    "n_met",
    "n_partial",
    "pct_met",
    "wilson_low_pct",
    "wilson_high_pct",
    "pct_met_lenient",
)


def _pct(value: Any) -> Cell:
    """Proportions as percentages (as the report prints them); missing as an empty cell."""
    return "" if value is None else round(100.0 * float(value), 2)


def _group_keys(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in (r.get("by_group") or {})))


def prevalence_table(
    analysis_standards: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[list[Cell]]]:
    """The analysis' ranked prevalence as a header and rows, a column per group's % met."""
    groups = _group_keys(analysis_standards)
    header = [*PREVALENCE_COLUMNS, *(f"pct_met_{g}" for g in groups)]
    rows = []
    for rank, s in enumerate(analysis_standards, start=1):
        lenient = s.get("lenient") or {}
        by_group = s.get("by_group") or {}
        rows.append(
            [
                rank,
                str(s.get("id", "")),
                str(s.get("title", "")),
                s.get("n_judged", ""),
                s.get("n_met", ""),
                s.get("n_partial", ""),
                "" if s.get("pct_met") is None else round(float(s["pct_met"]), 2),
                _pct(s.get("wilson_low")),
                _pct(s.get("wilson_high")),
                _pct(lenient.get("proportion")),
                *(_pct((by_group.get(g) or {}).get("proportion")) for g in groups),
            ]
        )
    return header, rows


def write_xlsx(
    path: Path,
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
    analysis: Mapping[str, Any] | None = None,
) -> Path:
    """Sheets ``matrix``, ``organisations``, ``judgements`` and ``standards``, and
    ``prevalence`` (ranked, with Wilson intervals) where the analysis is given."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fw = framework_of(framework)
    ordered = sort_judgements(judgements, fw)
    orgs = sorted(org_summaries, key=lambda s: org_sort_key(s.org_id))
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as wb:
        bold = wb.add_format({"bold": True})
        _write_matrix(wb, wb.add_worksheet("matrix"), fw, ordered, orgs, bold)
        _write_table(
            wb.add_worksheet("organisations"),
            ORGANISATION_COLUMNS,
            [organisation_row(s) for s in orgs],
            bold,
        )
        _write_table(
            wb.add_worksheet("judgements"),
            JUDGEMENT_COLUMNS,
            [judgement_row(j) for j in ordered],
            bold,
        )
        _write_table(
            wb.add_worksheet("standards"),
            STANDARD_COLUMNS,
            [_standard_row(fw, s.id, ordered) for s in fw.standards],
            bold,
        )
        ranked = analysis_standards(analysis or {})
        if ranked:
            header, rows = prevalence_table(ranked)
            _write_table(wb.add_worksheet("prevalence"), header, rows, bold)
    return path
