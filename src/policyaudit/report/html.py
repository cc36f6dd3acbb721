"""report.html: one self-contained file a reviewer can open, mail or archive.

The figures (heatmap, prevalence bars, standards met by group) are inline SVGs drawn by
matplotlib (Agg, no display needed); each heatmap cell links to the evidence entry of its
organisation and standard, and each organisation links to its gap report. All document text
goes through Jinja2 with autoescaping on, so a quote can never inject markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.patches import Patch, Rectangle

from policyaudit.assess.types import Evidence, Judgement
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework
from policyaudit.report.figures import (
    analysis_standards,
    definition_rows,
    group_title,
    group_values,
    harm_reduction_rows,
    harm_standard_ids,
    information_rows,
    mann_whitney,
    prevalence_rows,
)
from policyaudit.report.gaps import gap_links
from policyaudit.report.plots import (
    group_svg,
    label_svg,
    new_figure,
    plain,
    prevalence_svg,
    svg_text,
)
from policyaudit.report.tables import (
    OrganisationSummary,
    framework_of,
    org_sort_key,
)

COLOURS = {"met": "#1a9850", "partial": "#fdae61", "not_met": "#f0f0f0"}
MISSING_COLOUR = "#ffffff"
CONFLICT_COLOUR = "#b2182b"
VERDICT_LABELS = {"met": "met", "partial": "partial", "not_met": "not met"}
TEMPLATE = "report.html.j2"


def anchor_id(prefix: str, *parts: str) -> str:
    """An HTML id that is unique per input: characters outside [A-Za-z0-9.-] are hex-escaped."""

    def safe(text: str) -> str:
        return "".join(
            c if c.isascii() and (c.isalnum() or c in ".-") else f"_{ord(c):x}_" for c in text
        )

    return "--".join([prefix, *(safe(p) for p in parts)])


def evidence_anchor(org_id: str, standard_id: str) -> str:
    return anchor_id("ev", org_id, standard_id)


def heatmap_svg(
    framework: Framework | LoadedFramework, judgements: Sequence[Judgement], org_ids: Sequence[str]
) -> str:
    """Organisations (rows) x standards (columns), coloured by verdict, conflicts marked "C"."""
    fw = framework_of(framework)
    std_ids = [s.id for s in fw.standards]
    by_cell = {(j.org_id, j.standard_id): j for j in judgements}
    width = max(5.0, 1.8 + 0.38 * len(std_ids))
    height = max(2.0, 1.4 + 0.3 * len(org_ids))
    with new_figure(width, height) as fig:
        ax = fig.add_subplot()
        for r, org in enumerate(org_ids):
            for c, std in enumerate(std_ids):
                _draw_cell(ax, r, c, by_cell.get((org, std)), evidence_anchor(org, std))
        _style_axes(ax, std_ids, org_ids)
        return svg_text(fig)


def _draw_cell(ax, row: int, col: int, j: Judgement | None, anchor: str) -> None:
    colour = COLOURS[j.verdict] if j is not None else MISSING_COLOUR
    cell = Rectangle((col, row), 1, 1, facecolor=colour, edgecolor="#999999", linewidth=0.5)
    ax.add_patch(cell)
    if j is None:
        return
    cell.set_url(f"#{anchor}")
    if j.conflicts:
        cell.set_edgecolor(CONFLICT_COLOUR)
        cell.set_linewidth(1.5)
        cell.set_zorder(2)  # drawn over its neighbours' thin edges
        mark = ax.text(
            col + 0.5,
            row + 0.5,
            "C",
            ha="center",
            va="center",
            color="black",
            fontweight="bold",
            zorder=3,
        )
        mark.set_url(f"#{anchor}")


def _style_axes(ax, std_ids: Sequence[str], org_ids: Sequence[str]) -> None:
    ax.set_xlim(0, len(std_ids))
    ax.set_ylim(len(org_ids), 0)
    ax.set_aspect("equal")
    ax.xaxis.tick_top()
    ax.set_xticks([i + 0.5 for i in range(len(std_ids))], [plain(s) for s in std_ids], rotation=90)
    ax.set_yticks([i + 0.5 for i in range(len(org_ids))], [plain(o) for o in org_ids])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [
        Patch(facecolor=COLOURS[v], edgecolor="#999999", label=VERDICT_LABELS[v]) for v in COLOURS
    ]
    handles.append(Patch(facecolor="white", edgecolor="white", label="C = policies conflict"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=4, frameon=False)


def environment() -> jinja2.Environment:
    """The report's Jinja2 environment: HTML autoescaping on every template, strict names."""
    # autoescape=True for every template: the file name ends in .j2, which
    # select_autoescape would not recognise as HTML
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policyaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    return env


def format_number(value: float | int | None, digits: int = 1) -> str:
    """Figures as the report prints them; a missing figure (None) as a dash."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _where(ev: Evidence | None) -> str:
    if ev is None:
        return ""
    page = f"p. {ev.page}" if ev.page is not None else ""
    return ", ".join(part for part in (ev.document, page, ev.section) if part)


def _org_entries(fw: Framework, judgements: Sequence[Judgement], org_id: str) -> list[dict]:
    by_std = {j.standard_id: j for j in judgements if j.org_id == org_id}
    entries = []
    for std in fw.standards:
        j = by_std.get(std.id)
        entries.append(
            {
                "anchor": evidence_anchor(org_id, std.id),
                "standard": std,
                "j": j,
                "verdict_label": VERDICT_LABELS[j.verdict] if j else "not judged",
                "evidence_where": _where(j.evidence) if j else "",
                "conflict_where": _where(j.conflict) if j and j.conflicts else "",
            }
        )
    return entries


def figures(
    judgements: Sequence[Judgement],
    orgs: Sequence[OrganisationSummary],
    org_ids: Sequence[str],
    fw: Framework,
    summary: Mapping[str, Any],
) -> dict[str, str]:
    """The three inline SVGs: heatmap, prevalence bars, standards met by group."""
    analysis = summary.get("analysis") or {}
    prevalence = prevalence_rows(summary["standards"], analysis_standards(analysis))
    intervals = " with 95% Wilson intervals" if any(r.low is not None for r in prevalence) else ""
    prevalence_title = f"Organisations meeting each standard{intervals}"
    group_title_text = group_title(analysis)
    return {
        "heatmap": label_svg(
            heatmap_svg(fw, judgements, org_ids), "fig-heatmap", "Organisations x standards"
        ),
        "prevalence": label_svg(
            prevalence_svg(prevalence, prevalence_title), "fig-prevalence", prevalence_title
        ),
        "groups": label_svg(
            group_svg(group_values(orgs), group_title_text, ymax=len(fw.standards)),
            "fig-groups",
            group_title_text,
        ),
    }


def render_report_html(
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
    summary: Mapping[str, Any],
    gap_hrefs: Mapping[str, str] | None = None,
) -> str:
    """The report as a string (pure apart from drawing the figures).

    ``gap_hrefs`` maps org_id to its gap report's relative link (default: ``gaps/<org>.html``,
    where ``write_all`` puts them).
    """
    fw = framework_of(framework)
    orgs = sorted(org_summaries, key=lambda s: org_sort_key(s.org_id))
    org_ids = [s.org_id for s in orgs]
    # cells of organisations without a summary still belong in the matrix
    org_ids += sorted({j.org_id for j in judgements} - set(org_ids), key=org_sort_key)
    links = dict(gap_links(org_ids)) if gap_hrefs is None else dict(gap_hrefs)
    analysis = summary.get("analysis") or {}
    template = environment().get_template(TEMPLATE)
    return template.render(
        fw=fw,
        summary=summary,
        run=summary.get("run", {}),
        across=summary["across_organisations"],
        groups=summary["dedicated_policy"],
        standards=summary["standards"],
        analysis=analysis,
        wilson={s.get("id"): s for s in analysis_standards(analysis)},
        mw=mann_whitney(analysis),
        figures=figures(judgements, orgs, org_ids, fw, summary),  # our own SVG: marked safe
        definitions=definition_rows(orgs),
        harm_reduction=harm_reduction_rows(orgs, analysis),
        harm_ids=harm_standard_ids(analysis),
        information=information_rows(orgs, analysis),
        organisations=[
            {
                "s": s,
                "anchor": anchor_id("org", s.org_id),
                "gap_href": links.get(s.org_id, ""),
                "entries": _org_entries(fw, judgements, s.org_id),
            }
            for s in orgs
        ],
    )


def write_report_html(
    path: Path,
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
    summary: Mapping[str, Any],
    gap_hrefs: Mapping[str, str] | None = None,
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = render_report_html(framework, judgements, org_summaries, summary, gap_hrefs)
    path.write_text(html, encoding="utf-8")
    return path
