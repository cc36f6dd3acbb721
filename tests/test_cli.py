from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from policyaudit.cli.main import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # keep rich from wrapping table cells

POLICY = "Self-harm policy\n# 1. Purpose\nWe support people.\n"


def test_ingest_clean_corpus_exits_0_and_writes_problems_csv_beside_db(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY})
    db = tmp_path / "out" / "audit.sqlite"
    result = runner.invoke(app, ["ingest", str(corpus), "--db", str(db), "--workers", "1",
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "1 files: 1 extracted (0 replaced), 0 unchanged, 0 failed, 0 removed" in result.stdout
    with (tmp_path / "out" / "problems.csv").open() as fh:
        assert list(csv.reader(fh)) == [["file", "problem", "detail"]]


def test_ingest_prints_one_line_per_problem_and_exits_1(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "D03/scan.pdf": "BAD no text layer\n",
                             "D03/x.xyz": ""})
    out = tmp_path / "reports"
    result = runner.invoke(app, ["ingest", str(corpus), "--db", str(tmp_path / "a.sqlite"),
                                 "--out", str(out), "--workers", "1", "--no-progress"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "D03/scan.pdf: unreadable: BAD no text layer"
    assert lines[1].startswith("D03/x.xyz: unsupported format: '.xyz' is not one of")
    assert len(lines) == 2
    assert "1 failed" in result.stdout and (out / "problems.csv").is_file()


def test_ingest_missing_corpus_is_one_line_and_exit_2(tmp_path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--db",
                                 str(tmp_path / "a.sqlite")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: corpus folder not found: {tmp_path / 'nope'}"
    ]


def test_documents_lists_documents_with_problems_and_overdue_reviews(
    corpus_factory, fake_extract, tmp_path
) -> None:
    past = date.today() - timedelta(days=30)
    future = date.today() + timedelta(days=300)
    corpus = corpus_factory({
        "A/old.txt": f"Old policy\n# S\nText.\nREVIEW {past}\nWARN fallback: pypdf\n",
        "B/new-policy.txt": f"New policy\n# S\nOther text.\nREVIEW {future}\n",
        "B/broken.pdf": "BAD\n",
    })
    db = tmp_path / "a.sqlite"
    runner.invoke(app, ["ingest", str(corpus), "--db", str(db), "--workers", "1",
                        "--no-progress"])
    result = runner.invoke(app, ["documents", str(db)], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[2].strip(): line for line in result.stdout.splitlines()
            if line.count("│") > 5}
    assert set(rows) == {"old.txt", "new-policy.txt"}
    assert f"{past.isoformat()} overdue" in rows["old.txt"]
    assert "1: degraded" in rows["old.txt"]
    assert future.isoformat() in rows["new-policy.txt"]
    assert "overdue" not in rows["new-policy.txt"]
    assert "B/broken.pdf: unreadable" in result.stdout


def test_documents_without_database_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["documents", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2
    assert "no database at" in result.stderr
    assert not (tmp_path / "none.sqlite").exists()
