"""Gap reports, the report's figures and tables, and the analysis wired into the outputs."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date

import pytest

from policyaudit.assess.types import ElementFinding, Evidence
from policyaudit.report.figures import information_rows, prevalence_rows
from policyaudit.report.gaps import (
    build_gap_report,
    gap_filename,
    md_blockquote,
    md_inline,
)
from policyaudit.report.outputs import summarise_organisation, write_all
from policyaudit.report.plots import Prevalence, group_svg, prevalence_svg

NEAR = Evidence("T1 policy", 7, "6. Care > 6.1 Plans", "Plans are reviewed [weekly](javascript:x).")


@pytest.fixture
def with_nearest(judgements):
    """T1 S3 (not met) with a nearest passage and element findings, as the engine stores it."""
    out = []
    for j in judgements:
        if (j.org_id, j.standard_id) == ("T1", "S3"):
            j = replace(
                j,
                nearest=[NEAR],
                elements=[ElementFinding("a", False)],
                rationale="not met: missing a",
            )
        out.append(j)
    return out


@pytest.fixture
def analysis(framework, judgements, attributes):
    from policyaudit.analysis import DocumentInfo, build_analysis

    docs = [
        DocumentInfo("T1", "T1 policy", "Self-harm policy", date(2020, 1, 1), ("Carers Charter",)),
        DocumentInfo("T1", "observations", "Observation policy", date(2030, 1, 1)),
        DocumentInfo("T2", "policy", "Clinical risk policy", None),
    ]
    return build_analysis(framework, judgements, attributes, docs, date(2025, 6, 1), n_resamples=99)


@pytest.fixture
def out(tmp_path, framework, with_nearest, attributes, names, problems, analysis):
    n_docs = {"T1": 2, "T2": 1}
    write_all(tmp_path, framework, with_nearest, attributes, names, n_docs, problems, {}, analysis)
    return tmp_path


def test_gap_report_lists_standards_to_act_on_in_framework_order(framework, with_nearest):
    report = build_gap_report(framework, "T1", "First", with_nearest)
    assert [g.standard_id for g in report.gaps] == ["S2", "S3"]  # S1 is met without conflict
    assert (report.n_met, report.n_standards) == (1, 3)
    s2, s3 = report.gaps
    assert s2.conflicts and s2.conflict.document == "observations"
    assert s2.criterion_partial == "mentioned only"  # shown because S2 is partial
    assert s3.criterion_partial == ""  # not shown for not met
    # no nearest passages stored for S2: its partial evidence stands in
    assert s2.nearest_is_evidence and s2.nearest[0].quote == "Clinical judgement comes first."
    assert s3.nearest == (NEAR,) and not s3.nearest_is_evidence
    assert [(e.id, e.found) for e in s3.missing] == [("a", False)]
    assert s3.actions == ("Add: a thing",)
    assert any(a.startswith("Revise the conflicting passage") for a in s2.actions)


def test_gap_files_are_written_linked_and_escaped(out):
    html = (out / "gaps" / "T1.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "First &lt;b&gt;Trust&lt;/b&gt;" in html and 'href="../report.html"' in html
    assert html.index("S2 Risk tools") < html.index("S3 Safety plan")
    assert "NG225 1.3" in html and "p. 7" in html and "6. Care &gt; 6.1 Plans" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="gaps/T1.html"' in report and 'href="gaps/T2.html"' in report


def test_gap_markdown_quotes_are_blockquotes_and_inert(out):
    md = (out / "gaps" / "T1.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md
    assert "> &lt;script&gt;alert(1)&lt;/script&gt; staff must rate risk as high &amp; act" in md
    assert "> Plans are reviewed \\[weekly\\](javascript:x)." in md  # no live link
    assert "> — T1 policy, p. 7, 6. Care &gt; 6.1 Plans" in md
    assert md.index("## S2") < md.index("## S3") and "## S1" not in md
    assert "- [ ] a thing (missing)" in md


def test_markdown_escaping():
    assert md_inline("a <b>x</b> *y* [l](u)\nz") == r"a &lt;b&gt;x&lt;/b&gt; \*y\* \[l\](u) z"
    assert md_blockquote("# not a heading") == r"> \# not a heading"
    assert md_blockquote("1. not a list") == r"> 1\. not a list"


def test_gap_filename_stays_in_the_gaps_folder():
    assert gap_filename("T1", "md") == "T1.md"
    assert gap_filename("../x", "html") == "_._x.html"


def test_prevalence_plot_is_ranked_with_intervals():
    rows = [
        Prevalence("S1 low $1", 10.0, 2.0, 30.0, 20.0),
        Prevalence("S2 high", 90.0, 70.0, 97.0, 95.0),
    ]
    svg = prevalence_svg(rows, "Prevalence")
    assert svg.startswith("<svg") and svg.index("S2 high") < svg.index("S1 low $1")
    assert "95% Wilson interval" in svg


def test_group_plot_shows_groups_and_title():
    svg = group_svg([("dedicated", [3, 5]), ("not", [1])], "U = 2.00, p = .50")
    assert "dedicated (n = 2)" in svg and "not (n = 1)" in svg and "U = 2.00, p = .50" in svg


def test_prevalence_rows_take_wilson_bounds_from_the_analysis(analysis):
    summary_standards = [{"id": "S1", "title": "Definition", "pct_met": 100.0}]
    (row,) = prevalence_rows(summary_standards, analysis["standards"])
    s1 = next(s for s in analysis["standards"] if s["id"] == "S1")
    assert row.low == pytest.approx(100 * s1["wilson_low"]) and row.high == pytest.approx(100.0)


def test_information_rows_without_and_with_analysis(framework, judgements, attributes, analysis):
    orgs = [summarise_organisation(a, judgements, a.org_id, 2) for a in attributes]
    bare = information_rows(orgs, {})
    assert [r["fragmentation_index"] for r in bare] == [None, None]
    rows = {r["org_id"]: r for r in information_rows(orgs, analysis)}
    assert rows["T1"]["n_overdue_review"] == 1 and "T1 policy" in rows["T1"]["overdue_review"]
    assert rows["T1"]["n_referenced_not_supplied"] == 1
    assert "Carers Charter" in rows["T1"]["referenced_not_supplied"]
    assert rows["T2"]["n_overdue_review"] == 0


def test_report_shows_the_analysis(out, analysis):
    html = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    apa = analysis["groups"]["mann_whitney"]["apa"]
    assert apa and re.sub(r"\s+", " ", apa) in text.replace("&amp;", "&")
    assert html.count("<svg") == 3
    for element_id in ("fig-heatmap", "fig-prevalence", "fig-groups"):
        assert f'id="{element_id}"' in html
    for table in ("definitions-table", "harm-reduction-table", "information-table"):
        assert f'id="{table}"' in html
    assert "95% CI" in html and "Carers Charter" in html


def test_xlsx_gets_a_prevalence_sheet_with_the_analysis(out):
    with zipfile.ZipFile(out / "judgements.xlsx") as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        shared = zf.read("xl/sharedStrings.xml").decode()
    names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert names == ["matrix", "organisations", "judgements", "standards", "prevalence"]
    assert "wilson_low_pct" in shared and "pct_met_with_policy" in shared
