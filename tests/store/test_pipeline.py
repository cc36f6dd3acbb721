"""Ingest and audit of the demo corpus store the same things on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from policyaudit.assess.audit import audit
from policyaudit.corpus.ingest import ingest
from policyaudit.demo import corpus_path
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope

TABLES = {
    "organisations": m.Organisation,
    "documents": m.Document,
    "sections": m.Section,
    "passages": m.Passage,
    "judgements": m.Judgement,
    "judgement_cache": m.JudgementCache,
}


def counts(db_url: str) -> dict[str, int]:
    with session_scope(make_engine(db_url, create=False)) as s:
        return {t: s.scalar(select(func.count()).select_from(model)) for t, model in TABLES.items()}


def stored_documents(db_url: str) -> list[tuple]:
    """Everything ingest derives from a file, in a backend-independent order."""
    with session_scope(make_engine(db_url, create=False)) as s:
        docs = s.scalars(select(m.Document).order_by(m.Document.org_id, m.Document.relpath))
        return [
            (
                d.org_id,
                d.relpath,
                d.content_hash,
                d.title,
                d.review_date,
                d.warnings,
                [(p.ordinal, p.text, p.start, p.end, p.page) for p in d.passages],
            )
            for d in docs
        ]


def test_ingesting_the_demo_corpus_twice_changes_nothing(db_url: str, tmp_path: Path) -> None:
    first = ingest(corpus_path(), db_url, workers=1, progress=False)
    assert first.extracted > 0 and first.extracted + first.failed == first.seen
    before, docs = counts(db_url), stored_documents(db_url)
    again = ingest(corpus_path(), db_url, workers=1, progress=False)
    assert (again.extracted, again.unchanged, again.removed) == (0, first.extracted, 0)
    assert again.problems == first.problems
    assert counts(db_url) == before and stored_documents(db_url) == docs
    # The same corpus gives the same rows whichever backend stores them.
    reference = tmp_path / "reference.sqlite"
    ingest(corpus_path(), reference, workers=1, progress=False)
    assert stored_documents(f"sqlite:///{reference}") == docs


def test_second_audit_reuses_every_cached_judgement(db_url: str) -> None:
    first = audit(corpus_path(), db_url, semantic=False, progress=False)
    n_cells = 20 * len(first.organisations)
    assert first.judged == n_cells > 0
    again = audit(corpus_path(), db_url, semantic=False, progress=False)
    assert again.judged == 0
    assert again.judgements == first.judgements
    stored = counts(db_url)
    assert (stored["judgements"], stored["judgement_cache"]) == (2 * n_cells, n_cells)
    with session_scope(make_engine(db_url, create=False)) as s:
        runs = s.execute(select(m.Run.kind, m.Run.status).order_by(m.Run.id)).all()
        assert [tuple(r) for r in runs] == [("ingest", "complete"), ("audit", "complete")] * 2
        verdicts = s.execute(
            select(m.Judgement.verdict, func.count())
            .where(m.Judgement.run_id == again.run_id)
            .group_by(m.Judgement.verdict)
        ).all()
        assert sum(n for _, n in verdicts) == n_cells
