"""Which codings to compare for the agreement page: every pair of coders, each coder vs engine.

The statistics themselves live in ``policyaudit.analysis.agreement`` so the app, the CLI and
the reports compute them one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import Session

from policyaudit.analysis.agreement import AgreementReport, agreement_report
from policyaudit.review.service import engine_judgements
from policyaudit.store.review_models import Coding

ENGINE = "engine"
Ratings = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    report: AgreementReport


def ratings_by_coder(session: Session, run_id: int) -> dict[str, Ratings]:
    out: dict[str, Ratings] = {}
    for c in session.scalars(select(Coding).where(Coding.run_id == run_id)):
        out.setdefault(c.coder, {})[(c.org_id, c.standard_id)] = c.verdict
    return out


def comparisons(session: Session, run_id: int, standards_order: list[str]) -> list[Comparison]:
    """Coder pairs sharing at least one cell, then each coder against the engine."""
    coders = ratings_by_coder(session, run_id)
    engine = {(j.org_id, j.standard_id): j.verdict for j in engine_judgements(session, run_id)}
    pairs = [(a, b) for a, b in combinations(sorted(coders), 2) if set(coders[a]) & set(coders[b])]
    out = [
        Comparison(a, b, agreement_report(coders[a], coders[b], standards_order)) for a, b in pairs
    ]
    out += [
        Comparison(c, ENGINE, agreement_report(coders[c], engine, standards_order))
        for c in sorted(coders)
    ]
    return out
