"""Outputs rebuilt from a stored run, and the comparison of two runs of one database."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from policyaudit.assess.audit import record_run
from policyaudit.cli import compare as compare_cli
from policyaudit.cli import report as report_cli
from policyaudit.report.compare import compare_judgements, verdict_change
from policyaudit.report.outputs import OUTPUT_FILES
from policyaudit.report.rebuild import RunNotFoundError, rebuild_outputs, stored_judgements
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope

runner = CliRunner()


def _cli() -> typer.Typer:
    """The two commands on their own app (main.py registers them in the product)."""
    app = typer.Typer()
    app.command("report")(report_cli.report_command)
    app.command("compare")(compare_cli.compare_command)
    return app


@pytest.fixture
def db(tmp_path, framework, judgements, names) -> Path:
    """A database with an ingest run (one problem), two organisations and two audit runs."""
    path = tmp_path / "audit.sqlite"
    engine = make_engine(path)
    with session_scope(engine) as session:
        ingest = m.Run(kind="ingest", status="complete")
        session.add(ingest)
        session.flush()
        session.add(m.ProblemRow(run_id=ingest.id, file="T2/scan.pdf", problem="unreadable"))
        for org_id, name in names.items():
            session.add(m.Organisation(org_id=org_id, name=name))
    record_run(engine, framework, tmp_path, {}, judgements)
    changed = []
    for j in judgements:
        if (j.org_id, j.standard_id) == ("T1", "S3"):
            j = replace(j, verdict="met")  # gained
        elif (j.org_id, j.standard_id) == ("T2", "S1"):
            j = replace(j, verdict="partial", conflicts=True)  # lost, and a conflict added
        elif (j.org_id, j.standard_id) == ("T1", "S2"):
            j = replace(j, conflicts=False)  # conflict resolved
        changed.append(j)
    record_run(engine, framework, tmp_path, {}, changed)
    return path


@pytest.fixture(autouse=True)
def builtin_mini(monkeypatch, framework):
    """Runs name the framework by id; the hand-made one is not built in."""
    import policyaudit.report.rebuild as rebuild

    monkeypatch.setattr(rebuild, "load_framework", lambda name: framework)


def test_stored_judgements_round_trip(db, judgements):
    engine = make_engine(db)
    back = {(j.org_id, j.standard_id): j for j in stored_judgements(engine, 2)}
    assert len(back) == len(judgements)
    for j in judgements:
        assert back[(j.org_id, j.standard_id)] == j


def test_rebuild_writes_every_output_of_the_chosen_run(db, tmp_path):
    out = tmp_path / "rebuilt"
    paths = rebuild_outputs(db, 2, out)  # run 2 is the first audit (run 1 is the ingest)
    for name in OUTPUT_FILES:
        assert (out / name).is_file()
    assert (out / "gaps" / "T1.html").is_file() and (out / "gaps" / "T2.md").is_file()
    with (out / "judgements.csv").open(newline="") as fh:
        rows = {(r["org_id"], r["standard_id"]): r for r in csv.DictReader(fh)}
    assert rows[("T1", "S3")]["verdict"] == "not_met"
    with (out / "organisations.csv").open(newline="") as fh:
        orgs = list(csv.DictReader(fh))
    assert [o["name"] for o in orgs] == ["First <b>Trust</b>", "Second Trust"]
    assert "T2/scan.pdf" in (out / "problems.csv").read_text()
    assert paths["gaps"] == out / "gaps"


def test_rebuild_defaults_to_the_latest_run_and_refuses_unknown_ones(db, tmp_path):
    rebuild_outputs(db, None, tmp_path / "latest")
    text = (tmp_path / "latest" / "judgements.csv").read_text()
    assert "T1,S3,met" in text
    with pytest.raises(RunNotFoundError):
        rebuild_outputs(db, 1, tmp_path / "x")  # an ingest run, not an audit


def test_verdict_changes():
    assert verdict_change("not_met", "met") == "gained"
    assert verdict_change("met", "partial") == "lost"
    assert verdict_change("not_met", "partial") == "improved"
    assert verdict_change("partial", "not_met") == "worsened"
    assert verdict_change("met", "met") is None


def test_compare_judgements(judgements):
    after = [replace(j, verdict="met") if j.standard_id == "S3" else j for j in judgements][1:]
    changes = compare_judgements(judgements, after)
    assert [(c.org_id, c.standard_id, c.change) for c in changes] == [
        ("T1", "S3", "gained"),
        ("T2", "S3", "missing in B"),  # the first judgement (T2 S3) was dropped
    ]


def test_report_and_compare_commands(db, tmp_path):
    out = tmp_path / "cli-out"
    result = runner.invoke(_cli(), ["report", str(db), "--run", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    csv_path = tmp_path / "compare.csv"
    result = runner.invoke(_cli(), ["compare", str(db), "2", "3", "--out", str(csv_path)])
    assert result.exit_code == 1, result.output  # cells changed
    assert "gained" in result.output and "conflict resolved" in result.output
    with csv_path.open(newline="") as fh:
        rows = [(r["org_id"], r["standard_id"], r["change"]) for r in csv.DictReader(fh)]
    assert rows == [
        ("T1", "S2", "conflict resolved"),
        ("T1", "S3", "gained"),
        ("T2", "S1", "lost; conflict added"),
    ]
    same = runner.invoke(_cli(), ["compare", str(db), "2", "2"])
    assert same.exit_code == 0 and "0 changed" in same.output
    missing = runner.invoke(_cli(), ["compare", str(db), "2", "9"])
    assert missing.exit_code == 2 and "no audit run with id 9" in missing.output
