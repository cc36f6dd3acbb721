"""Per-organisation gap reports: ``OUT/gaps/<org_id>.html`` and ``OUT/gaps/<org_id>.md``.

A trust's policy author acts on this, standard by standard: what the guidance asks for, what
the audit found missing, what their own documents already say nearest to it, and which passages
conflict with the guidance. Entries are built once (pure functions) and rendered twice: HTML
through the autoescaping Jinja2 environment, Markdown through ``md_*`` escapers, so document
text can inject neither markup nor links in either file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from policyaudit.assess.types import Evidence, Judgement
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework, Standard
from policyaudit.report.tables import OrganisationSummary, framework_of, org_sort_key

GAP_DIR = "gaps"
GAP_TEMPLATE = "gap.html.j2"
VERDICT_TEXT = {"met": "Met", "partial": "Partly met", "not_met": "Not met"}


@dataclass(frozen=True)
class ElementStatus:
    """One thing the standard needs, and whether the documents say it."""

    id: str
    description: str
    found: bool
    quote: str = ""
    where: str = ""


@dataclass(frozen=True)
class Gap:
    """One standard an organisation must act on: not met, partly met, or in conflict."""

    standard_id: str
    title: str
    nice_refs: tuple[str, ...]
    criterion_met: str
    criterion_partial: str  # shown only for a partial verdict
    criterion_conflicts: str
    verdict: str
    verdict_text: str
    conflicts: bool
    rationale: str
    elements: tuple[ElementStatus, ...]
    nearest: tuple[Evidence, ...]
    nearest_is_evidence: bool  # True where the partial evidence stands in for nearest passages
    conflict: Evidence | None
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> tuple[ElementStatus, ...]:
        return tuple(e for e in self.elements if not e.found)

    @property
    def found(self) -> tuple[ElementStatus, ...]:
        return tuple(e for e in self.elements if e.found)


@dataclass(frozen=True)
class GapReport:
    org_id: str
    name: str
    framework_title: str
    n_standards: int
    n_met: int
    gaps: tuple[Gap, ...]


def gap_filename(org_id: str, suffix: str) -> str:
    """``<org_id>.<suffix>``; separators and a leading dot are replaced so it stays in gaps/."""
    stem = re.sub(r"[/\\\x00]", "_", org_id)
    stem = "_" + stem[1:] if stem.startswith(".") else stem
    return f"{stem or '_'}.{suffix}"


def where(ev: Evidence | None) -> str:
    """``document, p. 3, 5. Procedure > 5.3`` (parts that are unknown are left out)."""
    if ev is None:
        return ""
    page = f"p. {ev.page}" if ev.page is not None else ""
    return ", ".join(part for part in (ev.document, page, ev.section) if part)


def needs_action(j: Judgement) -> bool:
    return j.verdict != "met" or bool(j.conflicts)


def element_statuses(standard: Standard, j: Judgement) -> tuple[ElementStatus, ...]:
    """The standard's elements in framework order, each marked found or missing."""
    findings = {f.element_id: f for f in j.elements}
    out = []
    for element in standard.elements:
        f = findings.get(element.id)
        ev = f.evidence if f is not None and f.found else None
        out.append(
            ElementStatus(
                element.id,
                element.description,
                bool(f and f.found),
                ev.quote if ev else "",
                where(ev),
            )
        )
    return tuple(out)


def nearest_passages(j: Judgement) -> tuple[tuple[Evidence, ...], bool]:
    """What the documents say nearest to the standard; the partial evidence if none is stored."""
    if j.nearest:
        return tuple(j.nearest), False
    if j.evidence is not None:
        return (j.evidence,), True
    return (), False


def actions(standard: Standard, j: Judgement, elements: Sequence[ElementStatus]) -> tuple[str, ...]:
    """Plain instructions: what to add, and what to revise, for this standard."""
    todo = []
    missing = [e.description for e in elements if not e.found]
    if j.verdict != "met":
        if missing:
            todo.extend(f"Add: {d}" for d in missing)
        else:
            todo.append(f"Make the policy state: {standard.criteria.met}")
    if j.conflicts:
        advised_against = standard.criteria.conflicts or "what the passage says"
        todo.append(
            f"Revise the conflicting passage: the guidance advises against {advised_against}"
        )
    return tuple(todo)


def gap_of(standard: Standard, j: Judgement) -> Gap:
    elements = element_statuses(standard, j)
    nearest, is_evidence = nearest_passages(j)
    c = standard.criteria
    return Gap(
        standard_id=standard.id,
        title=standard.title,
        nice_refs=tuple(standard.nice_refs),
        criterion_met=c.met,
        criterion_partial=(c.partial or "") if j.verdict == "partial" else "",
        criterion_conflicts=(c.conflicts or "") if j.conflicts else "",
        verdict=j.verdict,
        verdict_text=VERDICT_TEXT.get(j.verdict, j.verdict),
        conflicts=bool(j.conflicts),
        rationale=j.rationale,
        elements=elements,
        nearest=nearest,
        nearest_is_evidence=is_evidence,
        conflict=j.conflict if j.conflicts else None,
        actions=actions(standard, j, elements),
    )


def build_gap_report(
    framework: Framework | LoadedFramework,
    org_id: str,
    name: str,
    judgements: Iterable[Judgement],
) -> GapReport:
    """The standards ``org_id`` must act on, in the framework's order (pure)."""
    fw = framework_of(framework)
    own = {j.standard_id: j for j in judgements if j.org_id == org_id}
    gaps = tuple(
        gap_of(s, own[s.id]) for s in fw.standards if s.id in own and needs_action(own[s.id])
    )
    return GapReport(
        org_id=org_id,
        name=name,
        framework_title=fw.title,
        n_standards=len(fw.standards),
        n_met=sum(j.verdict == "met" for j in own.values()),
        gaps=gaps,
    )


# --- Markdown ---------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]|])")
_MD_BLOCK_START = re.compile(r"^(\s*)([#>+\-=~]|\d+(?=[.)]))")


def md_inline(text: str) -> str:
    """Document text safe inside a Markdown line: no raw HTML, links, emphasis or table breaks.

    ``<`` ``>`` ``&`` become entities (a renderer shows them as typed); Markdown punctuation is
    backslash-escaped; line breaks become spaces.
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_INLINE.sub(r"\\\1", text)


def _escape_block_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def md_blockquote(text: str) -> str:
    """A quote as a Markdown blockquote that stays readable as plain text."""
    body = md_inline(text)
    # a quote starting "# " is not a heading, nor one starting "1." a list
    body = _MD_BLOCK_START.sub(_escape_block_start, body)
    return f"> {body}" if body else ">"


def _md_evidence(ev: Evidence) -> list[str]:
    lines = [md_blockquote(ev.quote)]
    if where(ev):
        lines.append(f">\n> — {md_inline(where(ev))}")
    return [*lines, ""]


def _md_gap(g: Gap) -> list[str]:
    lines = [f"## {md_inline(g.standard_id)} {md_inline(g.title)}", ""]
    status = g.verdict_text + (" — conflicts with the guidance" if g.conflicts else "")
    lines += [f"**Verdict:** {md_inline(status)}", ""]
    if g.nice_refs:
        lines += [f"**NICE recommends** ({md_inline('; '.join(g.nice_refs))}):", ""]
    else:
        lines += ["**The guidance asks for:**", ""]
    lines += [f"- Met when: {md_inline(g.criterion_met)}"]
    if g.criterion_partial:
        lines += [f"- Partly met when: {md_inline(g.criterion_partial)}"]
    lines.append("")
    if g.rationale:
        lines += [f"**Why:** {md_inline(g.rationale)}", ""]
    if g.elements:
        lines += ["**Elements:**", ""]
        lines += [
            f"- [{'x' if e.found else ' '}] {md_inline(e.description)}"
            + (" (found)" if e.found else " (missing)")
            for e in g.elements
        ]
        lines.append("")
    if g.actions:
        lines += ["**To do:**", ""]
        lines += [f"{i}. {md_inline(a)}" for i, a in enumerate(g.actions, start=1)]
        lines.append("")
    if g.nearest:
        label = "closest evidence found" if g.nearest_is_evidence else "nearest to this standard"
        lines += [f"**What your documents say ({label}):**", ""]
        for ev in g.nearest:
            lines += _md_evidence(ev)
    else:
        lines += ["*Nothing in the documents comes close to this standard.*", ""]
    if g.conflicts:
        lines += ["**Conflict to resolve:**", ""]
        if g.criterion_conflicts:
            lines += [f"The guidance advises against: {md_inline(g.criterion_conflicts)}", ""]
        if g.conflict is not None:
            lines += _md_evidence(g.conflict)
    return lines


def render_gap_markdown(report: GapReport) -> str:
    """The gap report as Markdown (pure)."""
    title = f"{report.org_id}" + (f" — {report.name}" if report.name else "")
    lines = [
        f"# Gap report: {md_inline(title)}",
        "",
        f"{md_inline(report.framework_title)}: {report.n_met} of {report.n_standards} "
        f"standards met; {len(report.gaps)} to act on, in the framework's order.",
        "",
    ]
    if not report.gaps:
        lines += ["Every standard is met and nothing conflicts with the guidance.", ""]
    for g in report.gaps:
        lines += _md_gap(g)
    return "\n".join(lines).rstrip() + "\n"


# --- HTML and files ---------------------------------------------------------------------------


def render_gap_html(report: GapReport, report_href: str = "../report.html") -> str:
    """The gap report as one self-contained HTML page (autoescaped)."""
    from policyaudit.report.html import environment

    return environment().get_template(GAP_TEMPLATE).render(r=report, report_href=report_href)


def write_gap_reports(
    out_dir: Path,
    framework: Framework | LoadedFramework,
    judgements: Sequence[Judgement],
    org_summaries: Sequence[OrganisationSummary],
    names: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Path]]:
    """``out_dir/gaps/<org>.html`` and ``.md`` per organisation; {org_id: {suffix: path}}."""
    gap_dir = Path(out_dir) / GAP_DIR
    gap_dir.mkdir(parents=True, exist_ok=True)
    names = dict(names or {})
    names.update({s.org_id: s.name for s in org_summaries})
    org_ids = sorted({*names, *(j.org_id for j in judgements)}, key=org_sort_key)
    written: dict[str, dict[str, Path]] = {}
    for org_id in org_ids:
        report = build_gap_report(framework, org_id, names.get(org_id, ""), judgements)
        paths = {
            "html": gap_dir / gap_filename(org_id, "html"),
            "md": gap_dir / gap_filename(org_id, "md"),
        }
        paths["html"].write_text(render_gap_html(report), encoding="utf-8")
        paths["md"].write_text(render_gap_markdown(report), encoding="utf-8")
        written[org_id] = paths
    return written


def gap_links(org_ids: Iterable[str]) -> dict[str, str]:
    """Relative links from report.html to each organisation's HTML gap report."""
    from urllib.parse import quote

    return {o: f"{GAP_DIR}/{quote(gap_filename(o, 'html'))}" for o in org_ids}
