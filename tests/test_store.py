from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope, sqlite_path, to_url


def test_plain_path_becomes_absolute_sqlite_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert to_url("out/a.sqlite") == f"sqlite:///{tmp_path / 'out' / 'a.sqlite'}"
    assert to_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://u@h/db") is None


def test_make_engine_creates_parent_folders_and_tables(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "audit.sqlite"
    engine = make_engine(db)
    assert db.is_file()
    with engine.connect() as conn:
        names = set(m.Base.metadata.tables)
        assert {"organisations", "documents", "sections", "passages", "problems", "runs",
                "judgements", "embedding_cache", "judgement_cache"} <= names
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _document(org_id: str = "A", relpath: str = "p.pdf") -> m.Document:
    doc = m.Document(org_id=org_id, relpath=relpath, filename=relpath, stem="p", format="pdf",
                     content_hash="0" * 64, size=1, pages=1, words=2, n_sections=1, text="a b")
    section = m.Section(ordinal=0, heading="H", level=1, path=["H"], page_start=1, page_end=1)
    passage = m.Passage(ordinal=0, text="a b", start=0, end=3, page=1, kind="paragraph",
                        text_hash="1" * 64)
    section.passages.append(passage)
    doc.sections.append(section)
    doc.passages.append(passage)
    return doc


def test_foreign_keys_are_enforced(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(_document(org_id="NOT-AN-ORG"))


def test_deleting_a_document_cascades_in_the_database(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add(m.Organisation(org_id="A"))
        session.add_all([_document(relpath="p.pdf"), _document(relpath="q.pdf")])
    with session_scope(engine) as session:
        # A bulk (Core) delete: only ON DELETE CASCADE can remove the children.
        session.execute(delete(m.Document).where(m.Document.relpath == "p.pdf"))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.Section)) == 1
        assert session.scalar(select(func.count()).select_from(m.Passage)) == 1


def test_document_path_is_unique_per_organisation(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add_all([m.Organisation(org_id="A"), m.Organisation(org_id="B")])
        session.add_all([_document("A"), _document("B")])
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(_document("A"))


def test_judgement_unique_per_run_org_standard_source_coder(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run = m.Run(kind="audit")
        session.add(run)
        session.flush()
        row = dict(run_id=run.id, org_id="A", standard_id="S1", verdict="met",
                   source="human", details={"k": [1, 2]})
        session.add_all([m.Judgement(**row, coder="x"), m.Judgement(**row, coder="y")])
    with session_scope(engine) as session:
        assert session.scalars(select(m.Judgement.details)).first() == {"k": [1, 2]}
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(m.Judgement(**row, coder="x"))


def test_caches_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    vector = bytes(range(16))
    with session_scope(engine) as session:
        session.add(m.EmbeddingCache(model="minilm", text_hash="h", vector=vector))
        session.add(m.JudgementCache(framework_hash="f", standard_hash="s", org_fingerprint="o",
                                     standard_id="S1", payload={"verdict": "met"}))
    with session_scope(engine) as session:
        assert session.get_one(m.EmbeddingCache, ("minilm", "h")).vector == vector
        cached = session.get_one(m.JudgementCache, ("f", "s", "o", "S1"))
        assert cached.payload == {"verdict": "met"}
