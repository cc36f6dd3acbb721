"""The audit's output files, as fixed by ``shared/spec/corpus-and-outputs.md``.

Each writer is a pure function of typed inputs and a path; ``write_all`` is the one entry point
an audit command calls. The writers live in small modules (tables, summary, xlsx, html,
terminal) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from policyaudit import __version__
from policyaudit.assess.types import Judgement, OrgAttributes
from policyaudit.corpus import Problem
from policyaudit.corpus.ingest import write_problems_csv as _write_problems_csv
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework
from policyaudit.report.gaps import GAP_DIR, write_gap_reports
from policyaudit.report.html import render_report_html, write_report_html
from policyaudit.report.summary import build_summary, write_summary_json
from policyaudit.report.tables import (
    JUDGEMENT_COLUMNS,
    ORGANISATION_COLUMNS,
    OrganisationSummary,
    framework_of,
    sort_judgements,
    summarise_organisation,
    write_judgements_csv,
    write_organisations_csv,
)
from policyaudit.report.terminal import print_terminal_summary
from policyaudit.report.xlsx import write_xlsx

OUTPUT_FILES = (
    "judgements.csv",
    "organisations.csv",
    "summary.json",
    "report.html",
    "judgements.xlsx",
    "problems.csv",
)

__all__ = [
    "JUDGEMENT_COLUMNS",
    "ORGANISATION_COLUMNS",
    "OUTPUT_FILES",
    "OrganisationSummary",
    "GAP_DIR",
    "build_summary",
    "print_terminal_summary",
    "render_report_html",
    "summarise_organisation",
    "write_all",
    "write_gap_reports",
    "write_judgements_csv",
    "write_organisations_csv",
    "write_problems_csv",
    "write_report_html",
    "write_summary_json",
    "write_xlsx",
]


def write_problems_csv(path: Path, problems: Iterable[Problem]) -> Path:
    """problems.csv (file,problem,detail): the ingest's writer, with the writers' argument order."""
    return _write_problems_csv(problems, Path(path))


def organisation_summaries(
    attributes: Iterable[OrgAttributes],
    judgements: Sequence[Judgement],
    names: Mapping[str, str],
    n_documents: Mapping[str, int],
) -> list[OrganisationSummary]:
    """One summary per organisation with attributes; judgements of any other are an error,
    since organisations.csv would silently lose them."""
    attrs = list(attributes)
    known = {a.org_id for a in attrs}
    orphans = sorted({j.org_id for j in judgements} - known)
    if orphans:
        raise ValueError(f"judgements for organisations without attributes: {orphans}")
    return [
        summarise_organisation(a, judgements, names.get(a.org_id, ""), n_documents.get(a.org_id, 0))
        for a in attrs
    ]


def complete_run_info(run_info: Mapping[str, Any], n_problems: int) -> dict[str, Any]:
    """Fill what the caller may leave out: engine version, creation time, problem count."""
    info: dict[str, Any] = {
        "engine_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "problems": n_problems,
    }
    info.update(run_info)
    return info


def write_all(
    out_dir: Path,
    framework_loaded: LoadedFramework | Framework,
    judgements: Sequence[Judgement],
    attributes: Mapping[str, OrgAttributes] | Iterable[OrgAttributes],
    names: Mapping[str, str],
    n_documents: Mapping[str, int],
    problems: Iterable[Problem],
    run_info: Mapping[str, Any],
    analysis: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the six files of the output contract into ``out_dir``, and the per-organisation
    gap reports into ``out_dir/gaps``; return {file name: path} with ``gaps`` -> the folder.

    ``attributes`` may be a list or a dict keyed by org_id; ``run_info`` goes to summary.json's
    ``run`` (corpus, created, engine_version, ...); ``analysis`` (inferential statistics from
    ``policyaudit.analysis``) goes to its ``analysis`` key and the report.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    attrs = attributes.values() if isinstance(attributes, Mapping) else attributes
    problems = list(problems)
    ordered = sort_judgements(judgements, framework_of(framework_loaded))
    orgs = organisation_summaries(attrs, ordered, names, n_documents)
    info = complete_run_info(run_info, len(problems))
    summary = build_summary(framework_loaded, info, ordered, orgs, analysis=analysis)
    paths = {name: out / name for name in OUTPUT_FILES}
    write_judgements_csv(paths["judgements.csv"], ordered)
    write_organisations_csv(paths["organisations.csv"], orgs)
    write_summary_json(paths["summary.json"], summary)
    gaps = write_gap_reports(out, framework_loaded, ordered, orgs, names)
    hrefs = {org_id: f"{GAP_DIR}/{quote(p['html'].name)}" for org_id, p in gaps.items()}
    write_report_html(paths["report.html"], framework_loaded, ordered, orgs, summary, hrefs)
    write_xlsx(paths["judgements.xlsx"], framework_loaded, ordered, orgs, summary["analysis"])
    write_problems_csv(paths["problems.csv"], problems)
    return {**paths, GAP_DIR: out / GAP_DIR}
