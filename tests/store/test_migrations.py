"""Alembic migrations: a database made by one version opens, data intact, with the next."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, inspect, select

from policyaudit.store import models as m
from policyaudit.store import review_models as rm
from policyaudit.store.db import (
    SchemaMismatchError,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    schema_metadata,
    session_scope,
    upgrade_schema,
)

BASELINE = "0001_baseline"
REVIEW_TABLES = {t.name for t in schema_metadata().sorted_tables if t.name.startswith("review_")}


def _core_metadata() -> MetaData:
    """The tables the tool made with ``create_all`` before migrations (and review) existed."""
    core = MetaData()
    for table in schema_metadata().sorted_tables:
        if table.name not in REVIEW_TABLES:
            table.to_metadata(core)
    return core


def _add_rows(engine) -> None:
    with session_scope(engine) as s:
        s.add(m.Organisation(org_id="A", name="Alpha"))
        doc = m.Document(
            org_id="A",
            relpath="p.pdf",
            filename="p.pdf",
            stem="p",
            format="pdf",
            content_hash="0" * 64,
            size=10,
            pages=1,
            words=2,
            n_sections=1,
            text="a b",
            review_date=date(2026, 1, 1),
            warnings=["w"],
        )
        section = m.Section(ordinal=0, heading="H", level=1, path=["H"])
        passage = m.Passage(
            ordinal=0, text="a b", start=0, end=3, kind="paragraph", text_hash="1" * 64
        )
        section.passages.append(passage)
        doc.sections.append(section)
        doc.passages.append(passage)
        s.add(doc)
        run = m.Run(
            kind="audit",
            settings={"semantic": False},
            created_at=datetime(2025, 5, 1, 9, 0, tzinfo=UTC),
        )
        s.add(run)
        s.flush()
        s.add(
            m.Judgement(
                run_id=run.id,
                org_id="A",
                standard_id="S1",
                verdict="met",
                conflicts=True,
                details={"k": [1]},
            )
        )
        s.add(m.EmbeddingCache(model="x", text_hash="1" * 64, vector=b"\x00\x01\xff"))


def _assert_rows_intact(engine) -> None:
    with session_scope(engine) as s:
        doc = s.scalars(select(m.Document)).one()
        assert (doc.org_id, doc.relpath, doc.review_date, doc.warnings) == (
            "A",
            "p.pdf",
            date(2026, 1, 1),
            ["w"],
        )
        assert [p.text for p in doc.passages] == ["a b"] and doc.sections[0].path == ["H"]
        j = s.scalars(select(m.Judgement)).one()
        assert (j.verdict, j.conflicts, j.details) == ("met", True, {"k": [1]})
        run = s.scalars(select(m.Run)).one()
        assert run.created_at.replace(tzinfo=UTC) == datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
        assert s.get_one(m.EmbeddingCache, ("x", "1" * 64)).vector == b"\x00\x01\xff"


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_from_the_baseline_keeps_data_and_adds_the_review_tables(db_url: str) -> None:
    engine = make_engine(db_url, create=False)
    upgrade_schema(engine, BASELINE)
    assert current_revision(engine) == BASELINE
    assert not _tables(engine) & REVIEW_TABLES
    _add_rows(engine)
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    assert _tables(engine) >= REVIEW_TABLES
    _assert_rows_intact(engine)
    with session_scope(engine) as s:  # the new tables work, foreign keys included
        s.add(rm.Coding(run_id=1, org_id="A", standard_id="S1", coder="c", verdict="met"))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(rm.Coding)) == 1


def test_downgrade_to_the_baseline_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    _add_rows(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), BASELINE)
    assert current_revision(engine) == BASELINE and not _tables(engine) & REVIEW_TABLES
    upgrade_schema(engine)
    _assert_rows_intact(engine)


def test_a_database_from_before_migrations_is_stamped_then_upgraded(db_url: str) -> None:
    old = create_engine(db_url)
    _core_metadata().create_all(old)  # what make_engine did before this version
    _add_rows(old)
    old.dispose()
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    assert _tables(engine) >= REVIEW_TABLES
    _assert_rows_intact(engine)


def test_a_database_from_before_migrations_with_review_tables_is_stamped_at_head(
    db_url: str,
) -> None:
    old = create_engine(db_url)
    schema_metadata().create_all(old)
    _add_rows(old)
    old.dispose()
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    _assert_rows_intact(engine)


def test_a_database_with_unknown_tables_of_ours_is_refused(db_url: str) -> None:
    old = create_engine(db_url)
    core = _core_metadata()
    core.remove(core.tables["judgement_cache"])
    core.create_all(old)
    old.dispose()
    with pytest.raises(SchemaMismatchError, match="matches no known schema revision"):
        make_engine(db_url)


def test_other_applications_tables_are_left_alone(db_url: str) -> None:
    other = MetaData()
    Table("someone_elses", other, Column("id", Integer, primary_key=True))
    old = create_engine(db_url)
    other.create_all(old)
    old.dispose()
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    assert "someone_elses" in _tables(engine)


def test_the_migrations_make_exactly_the_models_tables(db_url: str) -> None:
    """Fails when models.py or review_models.py changed without a new migration."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, schema_metadata())
    assert diff == [], "add a migration (see store/migrations/__init__.py) for: " + repr(diff)


def test_make_engine_twice_is_a_no_op(db_url: str) -> None:
    _add_rows(make_engine(db_url))
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    _assert_rows_intact(engine)
