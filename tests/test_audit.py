"""The main job end to end: `policyaudit audit` on the bundled demo corpus."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policyaudit.assess.audit import audit
from policyaudit.cli.main import app
from policyaudit.demo import corpus_path
from policyaudit.framework.loader import builtin_paths
from policyaudit.store import Document, make_engine, session_scope

runner = CliRunner()
CONTRACT = [
    "judgements.csv",
    "organisations.csv",
    "summary.json",
    "report.html",
    "judgements.xlsx",
    "problems.csv",
]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-out")
    result = runner.invoke(app, ["audit", "--out", str(out), "--lexical", "--no-progress"])
    return out, result


def test_audit_without_corpus_runs_the_demo_and_writes_the_contract(demo_run):
    out, result = demo_run
    assert result.exit_code == 0, result.output
    for name in CONTRACT:
        assert (out / name).is_file(), name
    rows = _rows(out / "judgements.csv")
    orgs = {p.name for p in corpus_path().iterdir() if p.is_dir()}
    assert len(rows) == 20 * len(orgs)
    assert {r["org_id"] for r in rows} == orgs
    assert "standards" in result.output or "S01" in result.output or "met" in result.output


def test_every_verdict_with_evidence_quotes_the_document_exactly(demo_run):
    out, _ = demo_run
    engine = make_engine(out / "audit.sqlite", create=False)
    with session_scope(engine) as session:
        texts = {(d.org_id, d.stem): _norm(d.text) for d in session.query(Document)}
    rows = _rows(out / "judgements.csv")
    quoted = 0
    for r in rows:
        if r["verdict"] in ("met", "partial"):
            assert r["evidence_quote"], r
            assert _norm(r["evidence_quote"]) in texts[(r["org_id"], r["evidence_document"])]
            assert len(r["evidence_quote"]) <= 400
            quoted += 1
        if r["conflicts"] == "true":
            assert _norm(r["conflict_quote"]) in texts[(r["org_id"], r["conflict_document"])]
        assert 0.0 <= float(r["confidence"]) <= 1.0
    assert quoted >= 20


def test_organisations_csv_reports_the_attributes(demo_run):
    out, _ = demo_run
    orgs = {r["org_id"]: r for r in _rows(out / "organisations.csv")}
    judgements = _rows(out / "judgements.csv")
    for org_id, row in orgs.items():
        met = sum(1 for j in judgements if j["org_id"] == org_id and j["verdict"] == "met")
        assert int(row["standards_met"]) == met
        assert row["dedicated_policy_source"] == "detected"
        assert row["definition_class"] in ("nice", "divergent", "none")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_organisations"] == len(orgs)


def test_second_run_uses_the_cache_and_an_edited_standard_is_rejudged_alone(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_path(), corpus)
    db = tmp_path / "audit.sqlite"
    first = audit(corpus, db, semantic=False, progress=False)
    n_orgs = len(first.organisations)
    assert first.judged == 20 * n_orgs

    again = audit(corpus, db, semantic=False, progress=False)
    assert again.judged == 0
    assert [j.verdict for j in again.judgements] == [j.verdict for j in first.judgements]

    edited = tmp_path / "edited.yaml"
    text = builtin_paths()["ng225-inpatient"].read_text(encoding="utf-8")
    edited.write_text(
        text.replace("title: Safeguarding\n", "title: Safeguarding adults and children\n", 1),
        encoding="utf-8",
    )
    third = audit(corpus, db, framework=edited, semantic=False, progress=False)
    assert third.judged == n_orgs  # S13 only, once per organisation


def test_a_changed_document_is_rejudged(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_path(), corpus)
    db = tmp_path / "audit.sqlite"
    audit(corpus, db, semantic=False, progress=False)
    target = next(p for p in sorted(corpus.glob("*/*.md")))
    target.write_text(target.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n")
    result = audit(corpus, db, semantic=False, progress=False)
    assert result.judged == 20  # only the organisation whose document changed


def test_organisations_csv_overrides_dedicated_policy(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_path(), corpus)
    rows = _rows(corpus / "organisations.csv")
    with (corpus / "organisations.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, [*rows[0].keys(), "has_dedicated_policy"])
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "has_dedicated_policy": "true"})
    result = audit(corpus, tmp_path / "audit.sqlite", semantic=False, progress=False)
    assert all(a.has_dedicated_policy for a in result.attributes)
    assert {a.dedicated_policy_source for a in result.attributes} == {"organisations.csv"}


def test_semantic_mode_ranks_with_the_embedder_and_keeps_the_verdicts(tmp_path):
    lexical = audit(corpus_path(), tmp_path / "a.sqlite", semantic=False, progress=False)
    semantic = audit(corpus_path(), tmp_path / "b.sqlite", semantic=True, progress=False)
    assert [j.verdict for j in semantic.judgements] == [j.verdict for j in lexical.judgements]
    found = [f for j in semantic.judgements for f in j.elements if f.found]
    assert any(f.similarity and f.similarity > 0.3 for f in found)
    assert all(j.nearest for j in semantic.judgements)


def test_missing_corpus_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["audit", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_malformed_framework_is_one_line_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: X\nversion: '1'\nstandards: [\n", encoding="utf-8")
    result = runner.invoke(
        app, ["audit", "--framework", str(bad), "--out", str(tmp_path / "o"), "--lexical"]
    )
    assert result.exit_code == 2
    assert f"{bad}:" in result.output
    assert not (tmp_path / "o" / "judgements.csv").exists()
