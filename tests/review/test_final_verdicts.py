"""final_verdicts: consensus, else a human verdict (the lead's, else the latest), else engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from policyaudit.review import service as svc
from policyaudit.store.db import session_scope
from policyaudit.store.models import Judgement
from policyaudit.store.review_models import Coding, final_verdicts


def _code(session, run_id, std, coder, verdict, minutes_ago):
    svc.save_coding(session, run_id, "T01", std, coder, svc.CodingInput(verdict), 0)
    session.execute(
        update(Coding)
        .where(Coding.standard_id == std, Coding.coder == coder)
        .values(updated_at=datetime.now(UTC) - timedelta(minutes=minutes_ago))
    )


def test_precedence(engine, run_id):
    with session_scope(engine) as session:
        _code(session, run_id, "S02", "bob", "partial", 5)  # one human
        _code(session, run_id, "S03", "bob", "met", 10)  # two coders: the latest wins
        _code(session, run_id, "S03", "carol", "not_met", 1)
        _code(session, run_id, "S04", "lead", "met", 30)  # the lead wins even if older
        _code(session, run_id, "S04", "bob", "not_met", 1)
        _code(session, run_id, "S05", "bob", "met", 1)  # consensus beats every coding
        svc.record_consensus(
            session,
            run_id,
            "T01",
            "S05",
            svc.CodingInput("partial", True),
            ["bob", "carol"],
            "lead",
        )
    with session_scope(engine) as session:
        final = final_verdicts(session, run_id)
        engine_s01 = session.scalar(
            select(Judgement).where(Judgement.org_id == "T01", Judgement.standard_id == "S01")
        )
        n_cells = session.query(Judgement).filter(Judgement.run_id == run_id).count()
    assert len(final) == n_cells
    s01 = final[("T01", "S01")]
    assert (s01.verdict, s01.source, s01.coder) == (engine_s01.verdict, "engine", None)
    assert final[("T01", "S02")].source == "human"
    assert (final[("T01", "S02")].verdict, final[("T01", "S02")].coder) == ("partial", "bob")
    assert (final[("T01", "S03")].verdict, final[("T01", "S03")].coder) == ("not_met", "carol")
    assert (final[("T01", "S04")].verdict, final[("T01", "S04")].coder) == ("met", "lead")
    s05 = final[("T01", "S05")]
    assert (s05.verdict, s05.conflicts, s05.source, s05.coder) == (
        "partial",
        True,
        "consensus",
        "bob+carol",
    )
