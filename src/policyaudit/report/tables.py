"""The two tables of the output contract, as rows: judgements and organisations.

Rows are built by pure functions so that the CSV, the workbook and the HTML report show the very
same values; column names and order are fixed by ``shared/spec/corpus-and-outputs.md``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from policyaudit.assess.types import Evidence, Judgement, OrgAttributes
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework

CONTRACT_COLUMNS: tuple[str, ...] = (
    "org_id",
    "standard_id",
    "verdict",
    "conflicts",
    "confidence",
    "evidence_document",
    "evidence_page",
    "evidence_section",
    "evidence_quote",
    "conflict_document",
    "conflict_quote",
)
# extra columns: the contract allows additions at the end only
JUDGEMENT_COLUMNS: tuple[str, ...] = (*CONTRACT_COLUMNS, "evidence_source", "rationale")

ORGANISATION_COLUMNS: tuple[str, ...] = (
    "org_id",
    "name",
    "has_dedicated_policy",
    "dedicated_policy_source",
    "standards_met",
    "standards_met_lenient",
    "standards_partial",
    "conflicts",
    "definition_class",
    "definition_document",
    "definition_text",
    "harm_reduction_mentioned",
    "n_documents",
    "documents_with_guidance",
)

MAX_QUOTE = 400  # the contract's limit; the engine already cuts, this only guards it

Cell = str | int | float


def framework_of(framework: Framework | LoadedFramework) -> Framework:
    """Writers accept either form, since callers usually hold the loaded one."""
    return framework.framework if isinstance(framework, LoadedFramework) else framework


def bool_cell(value: bool) -> str:
    """The contract spells booleans ``true``/``false`` (what R and pandas read back)."""
    return "true" if value else "false"


def org_sort_key(org_id: str) -> tuple:
    """Natural order, so that T2 comes before T10 in every table and plot."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", org_id)
        if part
    )


def sort_judgements(
    judgements: Iterable[Judgement], framework: Framework | None = None
) -> list[Judgement]:
    """By organisation, then by the framework's standard order (or the order given)."""
    items = list(judgements)
    if framework is None:
        return sorted(items, key=lambda j: org_sort_key(j.org_id))
    index = {s.id: i for i, s in enumerate(framework.standards)}
    return sorted(
        items, key=lambda j: (org_sort_key(j.org_id), index.get(j.standard_id, len(index)))
    )


def _quote(evidence: Evidence | None) -> str:
    return evidence.quote[:MAX_QUOTE] if evidence is not None else ""


def judgement_row(j: Judgement) -> list[Cell]:
    """One row of judgements.csv, in JUDGEMENT_COLUMNS order."""
    ev = j.evidence
    conflict = j.conflict if j.conflicts else None  # the contract: only where conflicts is true
    return [
        j.org_id,
        j.standard_id,
        j.verdict,
        bool_cell(j.conflicts),
        round(float(j.confidence), 3),
        ev.document if ev else "",
        ev.page if ev is not None and ev.page is not None else "",
        ev.section if ev else "",
        _quote(ev),
        conflict.document if conflict else "",
        _quote(conflict),
        j.source,
        j.rationale,
    ]


@dataclass(frozen=True)
class OrganisationSummary:
    """One organisation's row of organisations.csv: its attributes and its verdict counts."""

    org_id: str
    name: str
    has_dedicated_policy: bool
    dedicated_policy_source: str
    standards_met: int
    standards_met_lenient: int
    standards_partial: int
    standards_not_met: int  # not in organisations.csv; used by summary.json
    conflicts: int
    definition_class: str
    definition_document: str
    definition_text: str
    harm_reduction_mentioned: bool
    n_documents: int
    documents_with_guidance: tuple[str, ...]


def summarise_organisation(
    attrs: OrgAttributes, judgements: Sequence[Judgement], name: str, n_documents: int
) -> OrganisationSummary:
    """Count verdicts for ``attrs.org_id`` (other organisations' judgements are ignored)."""
    own = [j for j in judgements if j.org_id == attrs.org_id]
    met = sum(j.verdict == "met" for j in own)
    partial = sum(j.verdict == "partial" for j in own)
    return OrganisationSummary(
        org_id=attrs.org_id,
        name=name,
        has_dedicated_policy=attrs.has_dedicated_policy,
        dedicated_policy_source=attrs.dedicated_policy_source,
        standards_met=met,
        standards_met_lenient=met + partial,
        standards_partial=partial,
        standards_not_met=sum(j.verdict == "not_met" for j in own),
        conflicts=sum(bool(j.conflicts) for j in own),
        definition_class=attrs.definition_class,
        definition_document=attrs.definition_document,
        definition_text=attrs.definition_text,
        harm_reduction_mentioned=attrs.harm_reduction_mentioned,
        n_documents=n_documents,
        documents_with_guidance=tuple(attrs.documents_with_guidance),
    )


def organisation_row(s: OrganisationSummary) -> list[Cell]:
    """One row of organisations.csv, in ORGANISATION_COLUMNS order."""
    return [
        s.org_id,
        s.name,
        bool_cell(s.has_dedicated_policy),
        s.dedicated_policy_source,
        s.standards_met,
        s.standards_met_lenient,
        s.standards_partial,
        s.conflicts,
        s.definition_class,
        s.definition_document,
        s.definition_text,
        bool_cell(s.harm_reduction_mentioned),
        s.n_documents,
        ";".join(s.documents_with_guidance),
    ]


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_judgements_csv(path: Path, judgements: Sequence[Judgement]) -> Path:
    """judgements.csv: one row per organisation x standard, organisations in natural order."""
    return _write_csv(path, JUDGEMENT_COLUMNS, map(judgement_row, sort_judgements(judgements)))


def write_organisations_csv(path: Path, rows: Sequence[OrganisationSummary]) -> Path:
    """organisations.csv: one row per organisation, in natural org_id order."""
    ordered = sorted(rows, key=lambda s: org_sort_key(s.org_id))
    return _write_csv(path, ORGANISATION_COLUMNS, map(organisation_row, ordered))
