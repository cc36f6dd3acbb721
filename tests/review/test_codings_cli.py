"""`policyaudit codings`: CSV export and import of codings, and the REFI-QDA export."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import select
from typer.testing import CliRunner

from policyaudit.cli.main import app
from policyaudit.store.db import make_engine, session_scope
from policyaudit.store.review_models import Coding, CodingEvent

runner = CliRunner()
NS = {"q": "urn:QDA-XML:project:1.0"}


def _invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_export_import_round_trip_is_recorded_as_human_codings(db_path: Path, tmp_path: Path):
    final = tmp_path / "final.csv"
    assert _invoke("codings", "export", str(db_path), "--out", str(final)).exit_code == 0
    with final.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60 and all(r["coder"] == "" for r in rows)  # all engine verdicts

    rows[0]["verdict"] = "not_met" if rows[0]["verdict"] != "not_met" else "met"
    rows[0]["note"] = "checked against the policy"
    edited = tmp_path / "bob.csv"
    with edited.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:3])
    result = _invoke("codings", "import", str(db_path), str(edited), "--coder", "bob")
    assert result.exit_code == 0, result.output
    with session_scope(make_engine(db_path)) as session:
        stored = session.scalars(select(Coding).where(Coding.coder == "bob")).all()
        assert len(stored) == 3
        first = next(c for c in stored if c.standard_id == rows[0]["standard_id"])
        assert (first.verdict, first.note) == (rows[0]["verdict"], "checked against the policy")
        assert len(session.scalars(select(CodingEvent)).all()) == 3

    mine = tmp_path / "bob-out.csv"
    args = ("codings", "export", str(db_path), "--coder", "bob", "--out", str(mine))
    assert _invoke(*args).exit_code == 0
    with mine.open(newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [(r["org_id"], r["standard_id"], r["verdict"]) for r in exported] == sorted(
        (r["org_id"], r["standard_id"], r["verdict"]) for r in rows[:3]
    )
    # the final verdicts now carry bob's coding where he coded
    again = tmp_path / "final2.csv"
    assert _invoke("codings", "export", str(db_path), "--out", str(again)).exit_code == 0
    with again.open(newline="", encoding="utf-8") as fh:
        finals = {(r["org_id"], r["standard_id"]): r for r in csv.DictReader(fh)}
    assert finals[(rows[0]["org_id"], rows[0]["standard_id"])]["coder"] == "human:bob"


def test_import_refuses_a_malformed_file_with_its_line(db_path: Path, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("org_id,standard_id,verdict,conflicts\nT01,S01,maybe,false\n", encoding="utf-8")
    result = _invoke("codings", "import", str(db_path), str(bad), "--coder", "bob")
    assert result.exit_code == 2
    assert f"{bad}:2:" in result.output


def test_qdpx_export_holds_codebook_sources_and_codings(db_path: Path, tmp_path: Path):
    target = tmp_path / "project.qdpx"
    result = _invoke("codings", "qdpx", str(db_path), "--out", str(target))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        root = ET.fromstring(zf.read("project.qde"))
    assert "project.qde" in names and any(n.startswith("sources/") for n in names)
    codes = {c.get("guid") for c in root.iter(f"{{{NS['q']}}}Code")}
    refs = [r.get("targetGUID") for r in root.iter(f"{{{NS['q']}}}CodeRef")]
    assert len(codes) == 20 * 5 and refs and set(refs) <= codes
    users = {u.get("name") for u in root.iter(f"{{{NS['q']}}}User")}
    assert "policyaudit" in users
