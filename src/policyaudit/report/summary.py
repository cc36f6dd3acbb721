"""summary.json: every figure of the report, machine-readable, as plain JSON types.

The report and the terminal summary read their numbers from this dict, so a figure in the HTML
is always the one a reviewer can re-use from summary.json.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from policyaudit.assess.types import Judgement
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework
from policyaudit.report.tables import OrganisationSummary, framework_of, org_sort_key


def describe(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, mean, sample SD (n-1, as papers report it), median, min, max; None where undefined."""
    n = len(values)
    return {
        "n": n,
        "mean": float(statistics.fmean(values)) if n else None,
        "sd": float(statistics.stdev(values)) if n > 1 else None,
        "median": float(statistics.median(values)) if n else None,
        "min": min(values) if n else None,
        "max": max(values) if n else None,
    }


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def run_section(framework: Framework | LoadedFramework, run_info: Mapping[str, Any]) -> dict:
    """What produced these figures: framework identity and hash, engine version, corpus."""
    fw = framework_of(framework)
    sha = framework.sha256 if isinstance(framework, LoadedFramework) else None
    run = {
        "framework_id": fw.id,
        "framework_title": fw.title,
        "framework_version": fw.version,
        "framework_sha256": sha,
        "engine_version": None,
        "created": None,
        "corpus": None,
    }
    run.update({k: _jsonable(v) for k, v in run_info.items()})
    return run


def _jsonable(value: Any) -> Any:
    """Paths and datetimes in run_info become strings; containers are converted recursively."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def organisation_entry(s: OrganisationSummary) -> dict:
    return {
        "org_id": s.org_id,
        "name": s.name,
        "has_dedicated_policy": s.has_dedicated_policy,
        "dedicated_policy_source": s.dedicated_policy_source,
        "standards_met": s.standards_met,
        "standards_met_lenient": s.standards_met_lenient,
        "standards_partial": s.standards_partial,
        "standards_not_met": s.standards_not_met,
        "conflicts": s.conflicts,
        "definition_class": s.definition_class,
        "harm_reduction_mentioned": s.harm_reduction_mentioned,
        "n_documents": s.n_documents,
    }


def standard_entries(fw: Framework, judgements: Sequence[Judgement]) -> list[dict]:
    """Per standard: how many organisations met it, partly met it, did not, and conflicts."""
    entries = []
    for std in fw.standards:
        own = [j for j in judgements if j.standard_id == std.id]
        n_met = sum(j.verdict == "met" for j in own)
        n_partial = sum(j.verdict == "partial" for j in own)
        entries.append(
            {
                "id": std.id,
                "title": std.title,
                "nice_refs": list(std.nice_refs),
                "n_judged": len(own),
                "n_met": n_met,
                "n_partial": n_partial,
                "n_not_met": sum(j.verdict == "not_met" for j in own),
                "n_conflicts": sum(bool(j.conflicts) for j in own),
                "pct_met": _pct(n_met, len(own)),
                "pct_met_lenient": _pct(n_met + n_partial, len(own)),
            }
        )
    return entries


def across_organisations(orgs: Sequence[OrganisationSummary], n_standards: int) -> dict:
    """The paper's headline: distribution of standards met per organisation.

    Strict counts only ``met`` (partial counts as not met, as in the paper); lenient counts
    ``met`` + ``partial``; ``standards_not_fully_met`` is the paper's "not met" (n - strict).
    """
    return {
        "standards_met": describe([s.standards_met for s in orgs]),
        "standards_met_lenient": describe([s.standards_met_lenient for s in orgs]),
        "standards_not_met": describe([s.standards_not_met for s in orgs]),
        "standards_not_fully_met": describe([n_standards - s.standards_met for s in orgs]),
        "organisations_with_conflicts": sum(s.conflicts > 0 for s in orgs),
    }


def dedicated_groups(orgs: Sequence[OrganisationSummary]) -> dict:
    """Organisations with and without a dedicated policy, compared descriptively.

    Tests between the groups (Mann-Whitney) belong to ``policyaudit.analysis`` and go under the
    summary's ``analysis`` key, not here.
    """
    groups = {}
    for key, flag in (("dedicated", True), ("not_dedicated", False)):
        members = [s for s in orgs if s.has_dedicated_policy is flag]
        groups[key] = {
            "n": len(members),
            "standards_met": describe([s.standards_met for s in members]),
            "standards_met_lenient": describe([s.standards_met_lenient for s in members]),
        }
    means = [groups[k]["standards_met"]["mean"] for k in ("dedicated", "not_dedicated")]
    groups["difference_in_mean_met"] = means[0] - means[1] if None not in means else None
    return groups


def build_summary(
    framework: Framework | LoadedFramework,
    run_info: Mapping[str, Any],
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
    analysis: Mapping[str, Any] | None = None,
) -> dict:
    """All the figures of one run as a dict of JSON types (pure: no clock, no files).

    ``analysis`` is the place for inferential statistics (Mann-Whitney between the dedicated
    groups, Wilson intervals per standard) computed by ``policyaudit.analysis``; it is stored
    as given under the ``analysis`` key and shown by the report when present.
    """
    fw = framework_of(framework)
    orgs = sorted(org_summaries, key=lambda s: org_sort_key(s.org_id))
    n_standards = len(fw.standards)
    return {
        "run": run_section(framework, run_info),
        "n_organisations": len(orgs),
        "n_standards": n_standards,
        "n_judgements": len(judgements),
        "across_organisations": across_organisations(orgs, n_standards),
        "dedicated_policy": dedicated_groups(orgs),
        "definition_class": {
            c: sum(s.definition_class == c for s in orgs) for c in ("nice", "divergent", "none")
        },
        "harm_reduction_mentioned": sum(s.harm_reduction_mentioned for s in orgs),
        "standards": standard_entries(fw, judgements),
        "organisations": [organisation_entry(s) for s in orgs],
        "analysis": _jsonable(dict(analysis or {})),
    }


def write_summary_json(path: Path, summary: Mapping[str, Any]) -> Path:
    """Stable, diffable JSON: keys in insertion order, two-space indent, UTF-8, no NaN."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
