"""Everything human reaches every later report: consensus, else a human verdict, else engine."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, select

from policyaudit.report.rebuild import rebuild_outputs
from policyaudit.review.service import CodingInput, record_consensus, save_coding
from policyaudit.store import models as m
from policyaudit.store.db import session_scope


def _rows(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (out / "judgements.csv").open(newline="", encoding="utf-8") as fh:
        return {(r["org_id"], r["standard_id"]): r for r in csv.DictReader(fh)}


def test_rebuilt_report_carries_human_and_consensus_verdicts(
    engine: Engine, db_path: Path, run_id: int, tmp_path: Path
) -> None:
    rebuild_outputs(db_path, run_id, tmp_path / "before")
    before = _rows(tmp_path / "before")
    (org, std), engine_row = next(
        (k, r) for k, r in before.items() if r["verdict"] == "not_met" and k[1] == "S10"
    )
    other = next(k for k, r in before.items() if r["verdict"] == "met" and k[0] == org)
    with session_scope(engine) as session:
        passage = session.scalars(
            select(m.Passage).join(m.Document).where(m.Document.org_id == org)
        ).first()
        save_coding(
            session, run_id, org, std, "bob", CodingInput("partial", False, "", passage.id), 0
        )
        save_coding(session, run_id, *other, "bob", CodingInput("partial"), 0)
        record_consensus(
            session, run_id, *other, CodingInput("not_met"), ["bob", "carol"], actor="lead"
        )
        quote = passage.text[:400]

    rebuild_outputs(db_path, run_id, tmp_path / "after")
    after = _rows(tmp_path / "after")
    human = after[(org, std)]
    assert (human["verdict"], human["evidence_source"]) == ("partial", "human:bob")
    assert human["evidence_quote"] == quote
    assert "engine said not_met" in human["rationale"]
    agreed = after[other]
    assert (agreed["verdict"], agreed["evidence_source"]) == ("not_met", "consensus")
    untouched = [k for k in before if k not in ((org, std), other)]
    assert all(after[k]["evidence_source"] == "engine" for k in untouched)
    assert all(after[k]["verdict"] == before[k]["verdict"] for k in untouched)
    assert engine_row["evidence_source"] == "engine"
