"""The output files of an audit: exact columns, values, figures, and a safe HTML report."""

from __future__ import annotations

import csv
import json
import re
import statistics
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from policyaudit.report.html import evidence_anchor, heatmap_svg
from policyaudit.report.outputs import (
    OUTPUT_FILES,
    build_summary,
    print_terminal_summary,
    summarise_organisation,
    write_all,
)
from policyaudit.report.tables import org_sort_key

JUDGEMENT_HEADER = [
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
    "evidence_source",
    "rationale",
]
ORGANISATION_HEADER = [
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
]


@pytest.fixture
def written(tmp_path, framework, judgements, attributes, names, problems) -> dict[str, Path]:
    return write_all(
        tmp_path / "out",
        framework,
        judgements,
        attributes,
        names,
        {"T1": 4, "T2": 2},
        problems,
        {"corpus": "corpus-dev"},
    )


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_write_all_writes_the_six_contract_files(written, tmp_path) -> None:
    assert set(written) == {*OUTPUT_FILES, "gaps"}
    for name in OUTPUT_FILES:
        assert written[name] == tmp_path / "out" / name and written[name].is_file()
    assert written["gaps"] == tmp_path / "out" / "gaps" and written["gaps"].is_dir()


def test_judgements_csv_columns_order_and_values(written) -> None:
    header, rows = read_csv(written["judgements.csv"])
    assert header == JUDGEMENT_HEADER
    assert [(r["org_id"], r["standard_id"]) for r in rows] == [
        ("T1", "S1"),
        ("T1", "S2"),
        ("T1", "S3"),
        ("T2", "S1"),
        ("T2", "S2"),
        ("T2", "S3"),
    ]
    t1s1, t1s2, t1s3, t2s1 = rows[0], rows[1], rows[2], rows[3]
    assert (t1s1["verdict"], t1s1["conflicts"], t1s1["confidence"]) == ("met", "false", "0.912")
    assert (t1s1["evidence_document"], t1s1["evidence_page"]) == ("T1 policy", "3")
    assert t1s1["evidence_section"] == "5. Procedure > 5.3 Definitions"
    assert t1s1["conflict_document"] == t1s1["conflict_quote"] == ""
    assert (t1s2["verdict"], t1s2["conflicts"]) == ("partial", "true")
    assert t1s2["conflict_document"] == "observations"
    assert t1s2["conflict_quote"].startswith("<script>")  # CSV keeps the exact text
    assert t1s3["evidence_document"] == t1s3["evidence_quote"] == t1s3["evidence_page"] == ""
    assert t2s1["evidence_page"] == ""  # a format without pages
    assert rows[5]["confidence"] == "0.778"
    assert {r["evidence_source"] for r in rows} == {"engine"}
    assert t1s2["rationale"] == "S2 rationale"


def test_organisations_csv_columns_and_counts(written) -> None:
    header, rows = read_csv(written["organisations.csv"])
    assert header == ORGANISATION_HEADER
    t1, t2 = rows
    assert t1["org_id"] == "T1" and t1["name"] == "First <b>Trust</b>"
    assert (t1["has_dedicated_policy"], t1["dedicated_policy_source"]) == ("true", "detected")
    assert (
        t1["standards_met"],
        t1["standards_met_lenient"],
        t1["standards_partial"],
        t1["conflicts"],
    ) == ("1", "2", "1", "1")
    assert (t1["harm_reduction_mentioned"], t1["n_documents"]) == ("true", "4")
    assert t1["documents_with_guidance"] == "T1 policy;observations"
    assert (t2["has_dedicated_policy"], t2["dedicated_policy_source"]) == (
        "false",
        "organisations.csv",
    )
    assert (
        t2["standards_met"],
        t2["standards_met_lenient"],
        t2["standards_partial"],
        t2["conflicts"],
    ) == ("2", "2", "0", "0")
    assert t2["definition_class"] == "divergent" and t2["harm_reduction_mentioned"] == "false"


def test_problems_csv_reuses_the_ingest_format(written) -> None:
    header, rows = read_csv(written["problems.csv"])
    assert header == ["file", "problem", "detail"]
    assert rows == [
        {"file": "T2/scan.pdf", "problem": "unreadable", "detail": "no text layer: needs OCR"}
    ]


def test_summary_json_figures_match_a_hand_count(written, judgements, attributes) -> None:
    summary = json.loads(written["summary.json"].read_text(encoding="utf-8"))
    orgs = sorted({j.org_id for j in judgements})
    met = [sum(j.org_id == o and j.verdict == "met" for j in judgements) for o in orgs]
    lenient = [sum(j.org_id == o and j.verdict != "not_met" for j in judgements) for o in orgs]
    assert met == [1, 2] and lenient == [2, 2]

    run = summary["run"]
    assert (run["framework_id"], run["framework_version"]) == ("mini", "0.3")
    assert run["framework_sha256"] == "ab" * 32 and run["corpus"] == "corpus-dev"
    assert run["engine_version"] and run["created"] and run["problems"] == 1
    assert summary["n_organisations"] == 2 and summary["n_standards"] == 3

    across = summary["across_organisations"]
    assert across["standards_met"]["mean"] == pytest.approx(statistics.mean(met))
    assert across["standards_met"]["sd"] == pytest.approx(statistics.stdev(met))
    assert across["standards_met"]["median"] == pytest.approx(1.5)
    assert (across["standards_met"]["min"], across["standards_met"]["max"]) == (1, 2)
    assert across["standards_met_lenient"]["mean"] == pytest.approx(2.0)
    assert across["standards_met_lenient"]["sd"] == pytest.approx(0.0)
    assert across["standards_not_fully_met"]["mean"] == pytest.approx(3 - statistics.mean(met))
    assert across["standards_not_met"]["mean"] == pytest.approx(1.0)  # verdict not_met: 1 and 1
    assert across["organisations_with_conflicts"] == 1

    per_std = {s["id"]: s for s in summary["standards"]}
    assert [s["id"] for s in summary["standards"]] == ["S1", "S2", "S3"]
    assert (per_std["S1"]["n_met"], per_std["S1"]["pct_met"]) == (2, pytest.approx(100.0))
    s2 = per_std["S2"]
    assert (s2["n_met"], s2["n_partial"], s2["n_not_met"], s2["n_conflicts"]) == (0, 1, 1, 1)
    assert (s2["pct_met"], s2["pct_met_lenient"]) == (pytest.approx(0.0), pytest.approx(50.0))
    assert per_std["S3"]["pct_met"] == pytest.approx(50.0)

    groups = summary["dedicated_policy"]
    assert groups["dedicated"]["n"] == 1 and groups["dedicated"]["standards_met"]["mean"] == 1
    assert groups["not_dedicated"]["standards_met"]["mean"] == 2
    assert groups["dedicated"]["standards_met"]["sd"] is None  # undefined for n = 1
    assert groups["difference_in_mean_met"] == pytest.approx(-1.0)
    assert summary["definition_class"] == {"nice": 1, "divergent": 1, "none": 0}
    assert summary["analysis"] == {}
    assert [o["org_id"] for o in summary["organisations"]] == ["T1", "T2"]


def test_build_summary_keeps_analysis_results_and_is_json(framework, judgements, attributes):
    orgs = [summarise_organisation(a, judgements, a.org_id, 1) for a in attributes]
    summary = build_summary(
        framework,
        {"created": "2025-01-01"},
        judgements,
        orgs,
        analysis={"mann_whitney": {"u": 0.0, "p": 0.5}},
    )
    assert summary["analysis"] == {"mann_whitney": {"u": 0.0, "p": 0.5}}
    assert summary["run"]["created"] == "2025-01-01"
    json.dumps(summary, allow_nan=False)


def test_summarise_organisation_counts_only_its_own_judgements(judgements, attributes) -> None:
    t2 = summarise_organisation(attributes[0], judgements, "Second", 2)
    assert (t2.org_id, t2.standards_met, t2.standards_met_lenient, t2.conflicts) == ("T2", 2, 2, 0)


def test_write_all_refuses_judgements_of_an_organisation_without_attributes(
    tmp_path, framework, judgements, attributes
) -> None:
    with pytest.raises(ValueError, match="T2"):
        write_all(tmp_path, framework, judgements, attributes[1:], {}, {}, [], {})


def test_xlsx_has_the_four_sheets(written) -> None:
    path = written["judgements.xlsx"]
    try:
        import openpyxl
    except ImportError:
        with zipfile.ZipFile(path) as zf:
            workbook = zf.read("xl/workbook.xml").decode()
            names = re.findall(r'<sheet name="([^"]+)"', workbook)
            shared = zf.read("xl/sharedStrings.xml").decode()
        assert names == ["matrix", "organisations", "judgements", "standards"]
        assert "partial+C" in shared and "org_id" in shared
        return
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["matrix", "organisations", "judgements", "standards"]
    matrix = wb["matrix"]
    assert [c.value for c in matrix[1]][:5] == ["org_id", "name", "S1", "S2", "S3"]
    assert [c.value for c in matrix[2]][2:5] == ["met", "partial+C", "not_met"]
    assert [c.value for c in wb["judgements"][1]] == JUDGEMENT_HEADER
    assert [c.value for c in wb["organisations"][1]] == ORGANISATION_HEADER


def test_report_html_escapes_document_text(written) -> None:
    html = written["report.html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; staff must rate risk as high &amp; act" in html
    assert "<b>Trust</b>" not in html and "First &lt;b&gt;Trust&lt;/b&gt;" in html


def test_report_html_is_self_contained(written) -> None:
    html = written["report.html"].read_text(encoding="utf-8")
    assert html.count("<svg") == 3  # heatmap, prevalence, standards met by group
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html and "<?xml" not in html


def test_report_html_headline_figures(written) -> None:
    html = written["report.html"].read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "met a mean of 1.5 standards (SD 0.7; median 1.5; range 1–2)" in text
    assert "With a dedicated policy: mean 1.0 standards met (n = 1); without: mean 2.0" in text


def test_report_matrix_cells_link_to_evidence_entries(written) -> None:
    html = written["report.html"].read_text(encoding="utf-8")
    targets = set(re.findall(r'xlink:href="#(ev--[^"]+)"', html))
    expected = {evidence_anchor(o, s) for o in ("T1", "T2") for s in ("S1", "S2", "S3")}
    assert targets == expected
    for anchor in targets:
        assert f'id="{anchor}"' in html
    assert 'target="_blank"' not in html


def test_anchors_are_unique_and_html_safe() -> None:
    anchors = {evidence_anchor(o, "S1") for o in ("a b", "a_b", "a_20_b", "a-b", "é")}
    assert len(anchors) == 5
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", a) for a in anchors)


def test_heatmap_takes_labels_as_plain_text(framework, judgements) -> None:
    svg = heatmap_svg(framework, judgements, ["A$1$", "T1"])
    assert svg.startswith("<svg") and "A$1$" in svg


def test_natural_organisation_order() -> None:
    assert sorted(["T10", "T2", "t1"], key=org_sort_key) == ["t1", "T2", "T10"]


def test_terminal_summary(framework, judgements, attributes) -> None:
    console = Console(record=True, width=120)
    orgs = [summarise_organisation(a, judgements, a.org_id, 1) for a in attributes]
    print_terminal_summary(console, framework, judgements, orgs)
    out = console.export_text()
    assert out.index("T1") < out.index("T2")
    assert "dedicated policy 1.0 (n=1), no dedicated policy 2.0 (n=1)" in out
