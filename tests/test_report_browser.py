"""The report in a real browser: figures visible, heatmap links land on evidence, gap pages open.

Runs headless Chromium (Debian's /usr/bin/chromium) through Playwright's Python package; CI
installs both. Skipped, with the reason, only where either is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policyaudit.assess.types import Evidence, Judgement, OrgAttributes
from policyaudit.framework.schema import Framework
from policyaudit.report.html import evidence_anchor
from policyaudit.report.outputs import write_all

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
QUOTE = "A safety plan is written with the person <and> reviewed weekly."

if not Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


def _framework() -> Framework:
    def standard(sid: str, title: str) -> dict:
        return {
            "id": sid,
            "title": title,
            "nice_refs": [f"NG225 1.{sid[-1]}"],
            "criteria": {"met": f"{title} is required.", "conflicts": "punitive responses"},
            "elements": [{"id": "a", "description": f"{title} stated", "cues": ["x"]}],
            "met": [["a"]],
        }

    return Framework.model_validate(
        {
            "id": "mini",
            "title": "Mini framework",
            "version": "1",
            "standards": [standard("S1", "Definition"), standard("S2", "Safety plan")],
        }
    )


def _judgement(org: str, sid: str, verdict: str, quote: str = "", conflicts: bool = False):
    ev = Evidence(f"{org}-policy", 2, "4. Care > 4.1 Plans", quote) if quote else None
    cf = Evidence(f"{org}-leave", 5, "Leave", "Leave is suspended after self-harm.")
    return Judgement(
        org, sid, verdict, conflicts, 0.8, ev, cf if conflicts else None, rationale="because"
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """Three organisations x two standards, one with a conflict, written by write_all."""
    out = tmp_path_factory.mktemp("browser-report")
    judgements = [
        _judgement("T1", "S1", "met", "Self-harm means any act of self-injury."),
        _judgement("T1", "S2", "met", QUOTE),
        _judgement("T2", "S1", "partial", "Self-harm is injury.", conflicts=True),
        _judgement("T2", "S2", "not_met"),
        _judgement("T3", "S1", "not_met"),
        _judgement("T3", "S2", "partial", "Plans may be written."),
    ]
    attrs = [
        OrgAttributes(o, o == "T1", "detected", [], "none", "", "", False, [f"{o}-policy"])
        for o in ("T1", "T2", "T3")
    ]
    names = {"T1": "First Trust", "T2": "Second Trust", "T3": "Third Trust"}
    write_all(out, _framework(), judgements, attrs, names, {"T1": 2, "T2": 1, "T3": 1}, [], {})
    return out / "report.html"


@pytest.fixture(scope="module")
def page(report):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(report.as_uri())
            yield page
        finally:
            browser.close()


def test_figures_are_present_and_visible(page):
    for element_id in ("fig-heatmap", "fig-prevalence", "fig-groups"):
        figure = page.locator(f"svg#{element_id}")
        assert figure.count() == 1, element_id
        assert figure.is_visible(), element_id
        box = figure.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, element_id
    assert page.locator("svg#fig-groups text", has_text="dedicated policy (n = 1)").count() == 1


def test_clicking_a_heatmap_cell_shows_its_evidence(page, report):
    page.goto(report.as_uri())
    anchor = evidence_anchor("T1", "S2")
    quote = page.locator(f"tr#{anchor} blockquote")
    assert not quote.is_visible()  # inside a closed <details> until linked
    page.locator(f'svg#fig-heatmap a[*|href="#{anchor}"]').first.click()
    page.wait_for_url(f"**#{anchor}")
    quote.wait_for(state="visible")
    assert quote.inner_text() == QUOTE  # escaped markup shows as typed text
    assert "page 2" in page.locator(f"tr#{anchor} .where").inner_text().replace("p.", "page")


def test_gap_report_link_opens_the_gap_page(page, report):
    page.goto(report.as_uri())
    page.locator("a.gap-link[href='gaps/T2.html']").click()
    page.wait_for_url("**/gaps/T2.html")
    assert page.locator("h1").inner_text().startswith("Gap report: T2")
    assert page.locator("section.gap h2").all_inner_texts() == ["S1 Definition", "S2 Safety plan"]
    assert page.locator("blockquote.c").inner_text() == "Leave is suspended after self-harm."
    page.locator("nav a").click()
    page.wait_for_url("**/report.html")
