"""Sharp et al. (2025): every reported figure, from the 36 per-trust counts of the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from policyaudit.analysis import read_counts
from policyaudit.analysis.counts import across, group_comparison
from policyaudit.cli.stats import stats_command

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "paper-fixture.csv"


@pytest.fixture(scope="module")
def figures() -> tuple[dict, dict]:
    counts = read_counts(FIXTURE)
    return across(counts, 20), group_comparison(counts)


def test_group_descriptives(figures):
    _, groups = figures
    yes, no = groups["with_policy"], groups["without_policy"]
    assert (yes["n"], round(yes["mean"], 2), round(yes["sd"], 2)) == (9, 11.44, 3.00)
    assert (no["n"], round(no["mean"], 2), round(no["sd"], 2)) == (27, 7.26, 3.01)


def test_range_and_not_met(figures):
    overall, _ = figures
    assert overall["n_organisations"] == 36
    assert (overall["standards_met"]["min"], overall["standards_met"]["max"]) == (0, 15)
    assert round(overall["mean_not_met"], 2) == 11.69


def test_mann_whitney(figures):
    mw = figures[1]["mann_whitney"]
    assert round(mw["u"], 2) == 36.50
    assert mw["u1"] == 9 * 27 - 36.5
    assert round(mw["p_asymptotic"], 3) == 0.002
    assert round(mw["r"], 2) == 0.52
    assert mw["apa"] == "U = 36.50, p = .002, r = 0.52"
    assert mw["ties"] and mw["p_exact_method"].startswith("permutation, Monte Carlo")
    assert mw["p_exact"] < 0.01


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(stats_command)
    return app


def test_cli_prints_the_paper_figures():
    result = CliRunner().invoke(_app(), [str(FIXTURE), "--standards", "20"])
    assert result.exit_code == 0, result.output
    for figure in ("11.44", "3.00", "7.26", "3.01", "0 to 15", "11.69", "36.50", "p = .002"):
        assert figure in result.output
    assert "U = 36.50, p = .002, r = 0.52" in result.output


def test_cli_missing_file_and_columns(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(_app(), [str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("org,standards_met\nA,3\n")
    result = runner.invoke(_app(), [str(bad)])
    assert result.exit_code == 2
    assert "missing column(s) has_dedicated_policy" in result.output
    assert "Traceback" not in result.output
