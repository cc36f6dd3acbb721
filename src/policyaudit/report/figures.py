"""From the run's figures (summary + ``policyaudit.analysis`` results) to the report's inputs.

The plots and tables of the report take plain rows; these adapters build them. Every figure
the report shows comes from the summary dict (hence from summary.json) or the analysis dict it
embeds; where the analysis was not run, the descriptive parts still render and the inferential
parts (intervals, the test) are left out rather than invented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policyaudit.report.plots import Prevalence
from policyaudit.report.tables import OrganisationSummary, org_sort_key

GROUP_NAMES = ("dedicated policy", "no dedicated policy")
VERDICT_TEXT = {"met": "met", "partial": "partial", "not_met": "not met"}
LABEL_WIDTH = 48


def short_label(standard_id: str, title: str, width: int = LABEL_WIDTH) -> str:
    """``S01 Title`` cut to ``width`` characters, so the bars keep their room."""
    label = f"{standard_id} {title}".strip()
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def _pct(value: Any) -> float | None:
    """A proportion in [0, 1] (as the analysis stores Wilson bounds) in percent."""
    return None if value is None else 100.0 * float(value)


def prevalence_rows(
    summary_standards: Sequence[Mapping[str, Any]],
    analysis_standards: Sequence[Mapping[str, Any]] | None = None,
) -> list[Prevalence]:
    """One bar per standard: % met (and met or partial), with the Wilson interval if analysed."""
    analysed = {s.get("id"): s for s in analysis_standards or []}
    rows = []
    for s in summary_standards:
        a = analysed.get(s["id"], {})
        rows.append(
            Prevalence(
                label=short_label(s["id"], s.get("title", "")),
                pct_met=float(s.get("pct_met") or 0.0),
                low=_pct(a.get("wilson_low")),
                high=_pct(a.get("wilson_high")),
                pct_lenient=s.get("pct_met_lenient"),
            )
        )
    return rows


def group_values(orgs: Sequence[OrganisationSummary]) -> list[tuple[str, list[int]]]:
    """Standards met per organisation, with and without a dedicated policy."""
    return [
        (name, sorted(s.standards_met for s in orgs if s.has_dedicated_policy is flag))
        for name, flag in zip(GROUP_NAMES, (True, False), strict=True)
    ]


def mann_whitney(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis' Mann-Whitney result (empty where it was not computed)."""
    groups = analysis.get("groups") or {}
    result = groups.get("mann_whitney") if isinstance(groups, Mapping) else None
    return dict(result) if isinstance(result, Mapping) else {}


def group_title(analysis: Mapping[str, Any]) -> str:
    """The group plot's title: the APA sentence of the test, or why there is none."""
    apa = mann_whitney(analysis).get("apa")
    return str(apa) if apa else "Standards met by dedicated policy (no test computed)"


def definition_rows(orgs: Sequence[OrganisationSummary]) -> list[dict[str, str]]:
    """Each organisation's definition of self-harm: its class, document and wording."""
    return [
        {
            "org_id": s.org_id,
            "name": s.name,
            "class": s.definition_class,
            "document": s.definition_document,
            "text": s.definition_text,
        }
        for s in sorted(orgs, key=lambda s: org_sort_key(s.org_id))
    ]


def per_organisation(section: Any) -> dict[str, Mapping[str, Any]]:
    """An analysis section's per-organisation rows keyed by org_id, whatever its layout.

    Accepts a list of rows with ``org_id``, a mapping with an ``organisations`` list or mapping,
    or a mapping keyed by org_id.
    """
    if isinstance(section, Mapping) and "organisations" in section:
        section = section["organisations"]
    if isinstance(section, Sequence) and not isinstance(section, str):
        return {str(r["org_id"]): r for r in section if isinstance(r, Mapping) and "org_id" in r}
    if isinstance(section, Mapping):
        return {str(k): v for k, v in section.items() if isinstance(v, Mapping)}
    return {}


def harm_standard_ids(analysis: Mapping[str, Any]) -> list[str]:
    """The standards the analysis treats as harm reduction (columns of the table)."""
    section = analysis.get("harm_reduction") or {}
    return [str(s) for s in section.get("standard_ids") or []]


def harm_reduction_rows(
    orgs: Sequence[OrganisationSummary], analysis: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Whether each organisation mentions harm reduction, and its verdict on each harm standard.

    The mention comes from the audit; verdicts per harm standard from the analysis (if run).
    """
    extra = per_organisation(analysis.get("harm_reduction"))
    ids = harm_standard_ids(analysis)
    rows = []
    for s in sorted(orgs, key=lambda s: org_sort_key(s.org_id)):
        verdicts = extra.get(s.org_id, {}).get("verdicts") or {}
        rows.append(
            {
                "org_id": s.org_id,
                "name": s.name,
                "mentioned": s.harm_reduction_mentioned,
                "verdicts": [VERDICT_TEXT.get(verdicts.get(sid), "–") for sid in ids],
            }
        )
    return rows


def _referenced(entries: Sequence[Mapping[str, Any]]) -> str:
    """``Name (in doc-a, doc-b)``, one per missing reference."""
    parts = []
    for e in entries:
        by = ", ".join(e.get("referenced_by") or [])
        parts.append(f"{e.get('reference', '')}" + (f" (in {by})" if by else ""))
    return "; ".join(parts)


def _overdue(entries: Sequence[Mapping[str, Any]]) -> str:
    """``stem (review due 2021-03-01)``, one per overdue document."""
    return "; ".join(
        f"{e.get('stem', '')} (review due {e.get('review_date', '?')})" for e in entries
    )


def information_rows(
    orgs: Sequence[OrganisationSummary], analysis: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """How each organisation's guidance is spread over documents, and what is missing or stale.

    Documents and documents-with-guidance come from the audit itself; fragmentation,
    referenced-but-not-supplied and overdue reviews from the analysis (None without it).
    """
    extra = per_organisation(analysis.get("information"))
    rows = []
    for s in sorted(orgs, key=lambda s: org_sort_key(s.org_id)):
        a = extra.get(s.org_id)
        referenced = list(a.get("referenced_not_supplied") or []) if a else None
        overdue = list(a.get("overdue") or []) if a else None
        rows.append(
            {
                "org_id": s.org_id,
                "name": s.name,
                "n_documents": a.get("n_documents", s.n_documents) if a else s.n_documents,
                "n_with_guidance": (
                    a.get("n_documents_with_guidance") if a else len(s.documents_with_guidance)
                ),
                "fragmentation_index": (a.get("fragmentation") or {}).get("index") if a else None,
                "n_referenced_not_supplied": None if referenced is None else len(referenced),
                "referenced_not_supplied": _referenced(referenced or []),
                "n_overdue_review": None if overdue is None else len(overdue),
                "overdue_review": _overdue(overdue or []),
            }
        )
    return rows


def analysis_standards(analysis: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    standards = analysis.get("standards")
    if isinstance(standards, Mapping):
        standards = standards.get("ranked") or standards.get("standards")
    return [s for s in standards or [] if isinstance(s, Mapping)]
