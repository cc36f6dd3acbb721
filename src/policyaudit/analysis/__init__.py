"""Statistics of an audit: what goes under ``summary.json["analysis"]`` and what the report reads.

``build_analysis`` returns plain JSON types (no NaN: undefined figures are ``None``) with keys:

- ``"as_of"``: the run date used for overdue reviews (ISO string).
- ``"organisations"``: per organisation ``org_id``, ``has_dedicated_policy``, ``standards_met``
  (strict: met only), ``standards_met_lenient`` (met + partial), ``standards_partial``,
  ``standards_not_met`` (n standards - strict), ``conflicts``.
- ``"across"``: ``n_organisations``, ``n_standards``, and descriptives (``n, mean, sd, median,
  q1, q3, iqr, min, max``) of ``standards_met``, ``standards_met_lenient``,
  ``standards_partial``, ``standards_not_met``; ``mean_not_met``;
  ``organisations_with_conflicts``.
- ``"standards"``: ranked most to least met; each ``id, title, n_judged, n_met, n_partial,
  pct_met, wilson_low, wilson_high`` (proportions, 95% Wilson), ``met`` and ``lenient``
  (``count, n, proportion, low, high, pct``) and ``by_group`` (``with_policy`` /
  ``without_policy``, same fields, strict).
- ``"groups"``: ``measure``, ``n_unknown``, ``with_policy`` / ``without_policy`` descriptives,
  ``mann_whitney`` (``n1, n2, u, u1, u2, z, p_asymptotic, p_exact, p_exact_method, r,
  rank_biserial, ties, apa``; None if a group is empty), and ``lenient`` (the same three on
  lenient counts).
- ``"definitions"``: ``counts`` per class (nice / divergent / none) and ``organisations``
  (``org_id, definition_class, definition_document, definition_text``).
- ``"harm_reduction"``: ``standard_ids``, ``mentioned`` / ``n_mentioned``, ``meets`` /
  ``n_meets`` per standard, ``organisations`` (``org_id, mentioned, verdicts``).
- ``"information"``: ``organisations`` (per organisation ``n_documents``,
  ``n_documents_with_guidance``, ``documents`` with their type, ``evidence_types`` per standard,
  ``fragmentation`` {index, documents, method, uncovered}, ``referenced_not_supplied``,
  ``overdue``), ``document_types`` (counts over all documents), ``evidence_types`` (per
  standard, organisations whose evidence lies in each type), ``fragmentation`` (descriptives of
  the index), ``n_referenced_not_supplied``, ``n_overdue``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from policyaudit.analysis.counts import (
    CountsFileError,
    OrgCount,
    across,
    counts_from_judgements,
    group_comparison,
    read_counts,
)
from policyaudit.analysis.descriptive import Descriptives, describe
from policyaudit.analysis.groups import N_RESAMPLES, MannWhitney, apa_sentence, mann_whitney
from policyaudit.analysis.organisation import (
    EXACT_COVER_LIMIT,
    HARM_STANDARDS,
    DocumentInfo,
    definitions,
    document_type,
    harm_reduction,
    organisation_information,
)
from policyaudit.analysis.prevalence import standard_prevalence, wilson
from policyaudit.assess.types import Judgement, OrgAttributes
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework

__all__ = [
    "CountsFileError",
    "Descriptives",
    "DocumentInfo",
    "MannWhitney",
    "OrgCount",
    "apa_sentence",
    "build_analysis",
    "describe",
    "mann_whitney",
    "read_counts",
    "wilson",
]


def _natural(org_id: str) -> tuple:
    """T2 before T10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", org_id))


def _org_ids(*sources: Iterable[str]) -> list[str]:
    return sorted({o for source in sources for o in source}, key=_natural)


def _organisation_rows(counts: Sequence[OrgCount], n_standards: int) -> list[dict]:
    return [
        {
            "org_id": c.org_id,
            "has_dedicated_policy": c.has_dedicated_policy,
            "standards_met": c.standards_met,
            "standards_met_lenient": c.standards_met_lenient,
            "standards_partial": c.standards_partial,
            "standards_not_met": n_standards - c.standards_met,
            "conflicts": c.conflicts,
        }
        for c in counts
    ]


def _information(
    org_ids: Sequence[str],
    judgements: Sequence[Judgement],
    attributes: Mapping[str, OrgAttributes],
    documents: Sequence[DocumentInfo],
    as_of: date,
    exact_limit: int,
) -> dict:
    per_org = []
    for org in org_ids:
        attrs = attributes.get(org)
        per_org.append(
            organisation_information(
                org,
                [d for d in documents if d.org_id == org],
                [j for j in judgements if j.org_id == org],
                attrs.documents_with_guidance if attrs else [],
                as_of,
                exact_limit,
            )
        )
    by_standard: dict[str, Counter] = {}
    for info in per_org:
        for sid, kinds in info["evidence_types"].items():
            by_standard.setdefault(sid, Counter()).update(kinds)
    return {
        "organisations": per_org,
        "document_types": dict(Counter(document_type(d.title, d.stem) for d in documents)),
        "evidence_types": {s: dict(c) for s, c in by_standard.items()},
        "fragmentation": describe([i["fragmentation"]["index"] for i in per_org]).to_dict(),
        "exact_cover_limit": exact_limit,
        "n_referenced_not_supplied": sum(len(i["referenced_not_supplied"]) for i in per_org),
        "n_overdue": sum(len(i["overdue"]) for i in per_org),
    }


def build_analysis(
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    attributes: Sequence[OrgAttributes],
    documents: Sequence[DocumentInfo],
    as_of: date,
    harm_standards: Sequence[str] = HARM_STANDARDS,
    n_resamples: int = N_RESAMPLES,
    exact_limit: int = EXACT_COVER_LIMIT,
) -> dict[str, Any]:
    """Every statistic of one audit, as plain JSON types (pure: the date is passed in)."""
    fw = framework.framework if isinstance(framework, LoadedFramework) else framework
    n_standards = len(fw.standards)
    attrs = {a.org_id: a for a in attributes}
    org_ids = _org_ids(attrs, (j.org_id for j in judgements), (d.org_id for d in documents))
    group_of = {o: a.has_dedicated_policy for o, a in attrs.items()}
    counts = counts_from_judgements(judgements, org_ids, group_of)
    known = {s.id for s in fw.standards}
    ordered_attrs = [attrs[o] for o in org_ids if o in attrs]
    prevalence = standard_prevalence([(s.id, s.title) for s in fw.standards], judgements, group_of)
    return {
        "as_of": as_of.isoformat(),
        "organisations": _organisation_rows(counts, n_standards),
        "across": across(counts, n_standards),
        "standards": [p.to_dict() for p in prevalence],
        "groups": group_comparison(counts, n_resamples),
        "definitions": definitions(ordered_attrs),
        "harm_reduction": harm_reduction(
            ordered_attrs, judgements, [s for s in harm_standards if s in known]
        ),
        "information": _information(org_ids, judgements, attrs, documents, as_of, exact_limit),
    }
