"""The models round-trip identically on SQLite and PostgreSQL (types, cascades, lengths)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope

UNICODE = "Zoë’s “policy” — naïve café ✓ 日本語 \U0001f600"


def _document(org_id: str = "A", relpath: str = "p.pdf", **kw: object) -> m.Document:
    doc = m.Document(
        org_id=org_id,
        relpath=relpath,
        filename=relpath.rsplit("/", 1)[-1],
        stem="p",
        format="pdf",
        content_hash="0" * 64,
        size=1,
        pages=2,
        words=4,
        n_sections=2,
        text="a b c d",
        **kw,
    )
    for i in range(2):
        section = m.Section(
            ordinal=i,
            heading=f"H{i}",
            level=1,
            path=["Top", f"H{i}"],
            page_start=i + 1,
            page_end=i + 1,
        )
        passage = m.Passage(
            ordinal=i,
            text="a b",
            start=0,
            end=3,
            page=i + 1,
            kind="paragraph",
            text_hash=str(i) * 64,
        )
        section.passages.append(passage)
        doc.sections.append(section)
        doc.passages.append(passage)
    return doc


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _utc(when: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC), PostgreSQL aware ones."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def test_document_round_trip_with_json_dates_and_unicode(db_url: str) -> None:
    engine = make_engine(db_url)
    # The tool writes UTC only (models.utcnow): SQLite keeps the wall time and drops any offset.
    extracted = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    with session_scope(engine) as s:
        s.add(m.Organisation(org_id="A", name=UNICODE, has_dedicated_policy_override=False))
        s.add(
            _document(
                title=UNICODE,
                approval_date=date(2023, 1, 31),
                review_date=date(2026, 12, 31),
                referenced_documents=["Observation Policy", UNICODE],
                warnings=[],
                extracted_at=extracted,
            )
        )
    with session_scope(engine) as s:
        org = s.scalars(select(m.Organisation)).one()
        assert org.name == UNICODE and org.has_dedicated_policy_override is False
        doc = s.scalars(select(m.Document)).one()
        assert doc.title == UNICODE
        assert (doc.approval_date, doc.review_date) == (date(2023, 1, 31), date(2026, 12, 31))
        assert doc.referenced_documents == ["Observation Policy", UNICODE]
        assert doc.warnings == []
        assert _utc(doc.extracted_at) == extracted  # same instant, microseconds kept
        assert [sec.path for sec in doc.sections] == [["Top", "H0"], ["Top", "H1"]]
        assert [p.ordinal for p in doc.passages] == [0, 1]
        assert doc.passages[1].section.heading == "H1"


def test_nested_json_and_booleans_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    details = {"scores": [0.5, 1, None], "nested": {"ok": True, "text": UNICODE}, "n": 2**40}
    with session_scope(engine) as s:
        run = m.Run(kind="audit", settings={"semantic": False, "workers": 2})
        s.add(run)
        s.flush()
        s.add(
            m.Judgement(
                run_id=run.id,
                org_id="A",
                standard_id="S1",
                verdict="met",
                conflicts=True,
                confidence=0.25,
                details=details,
            )
        )
    with session_scope(engine) as s:
        run = s.scalars(select(m.Run)).one()
        assert run.settings == {"semantic": False, "workers": 2} and run.status == "running"
        j = s.scalars(select(m.Judgement)).one()
        assert j.details == details and j.conflicts is True and j.confidence == 0.25
        assert s.scalar(select(func.count()).where(m.Judgement.conflicts.is_(True))) == 1


def test_long_paths_titles_and_sizes_fit_on_every_backend(db_url: str) -> None:
    """PostgreSQL enforces VARCHAR lengths that SQLite ignores: these columns must not have one."""
    engine = make_engine(db_url)
    relpath = "/".join(["a-rather-long-folder-name"] * 60) + "/policy.pdf"  # ~1,600 characters
    title = "Title " * 1000
    with session_scope(engine) as s:
        s.add(m.Organisation(org_id="A"))
        s.add(_document(relpath=relpath, title=title))
        s.get_one(m.Organisation, 1).documents[0].size = 3 * 2**30  # 3 GiB
        run = m.Run(kind="ingest", corpus="/" + "x" * 5000)
        s.add(run)
        s.flush()
        s.add(m.ProblemRow(run_id=run.id, file=relpath, problem="degraded", detail="d" * 10000))
    with session_scope(engine) as s:
        doc = s.scalars(select(m.Document)).one()
        assert (doc.relpath, doc.title, doc.size) == (relpath, title, 3 * 2**30)
        assert len(s.scalars(select(m.Run.corpus)).one()) == 5001
        assert s.scalars(select(m.ProblemRow.file)).one() == relpath


def test_orm_and_database_cascades_delete_children(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        s.add(m.Organisation(org_id="A"))
        s.add(m.Organisation(org_id="B"))
        s.add_all([_document("A", "p.pdf"), _document("A", "q.pdf"), _document("B", "r.pdf")])
    with session_scope(engine) as s:  # ORM delete
        s.delete(s.scalars(select(m.Document).where(m.Document.relpath == "p.pdf")).one())
    with session_scope(engine) as s:  # Core delete: only ON DELETE CASCADE removes children
        s.execute(delete(m.Document).where(m.Document.relpath == "q.pdf"))
    with session_scope(engine) as s:
        assert (_count(s, m.Document), _count(s, m.Section), _count(s, m.Passage)) == (1, 2, 2)
    with session_scope(engine) as s:  # deleting an organisation takes its documents along
        s.execute(delete(m.Organisation).where(m.Organisation.org_id == "B"))
    with session_scope(engine) as s:
        assert (_count(s, m.Document), _count(s, m.Section), _count(s, m.Passage)) == (0, 0, 0)


def test_deleting_a_run_deletes_its_problems_and_judgements(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        run = m.Run(kind="audit")
        s.add(run)
        s.flush()
        s.add(m.ProblemRow(run_id=run.id, file="A/x.pdf", problem="degraded"))
        s.add(m.Judgement(run_id=run.id, org_id="A", standard_id="S1", verdict="met"))
    with session_scope(engine) as s:
        s.execute(delete(m.Run))
    with session_scope(engine) as s:
        assert _count(s, m.ProblemRow) == 0 and _count(s, m.Judgement) == 0


def test_constraints_hold(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(_document(org_id="NOT-AN-ORG"))
    with session_scope(engine) as s:
        s.add(m.Organisation(org_id="A"))
        s.add(_document("A"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(_document("A"))
    with session_scope(engine) as s:  # the failed transactions left nothing behind
        assert (_count(s, m.Document), _count(s, m.Passage)) == (1, 2)
