"""Engines and sessions: a plain path means a SQLite file, anything with ``://`` is a URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from policyaudit.store.models import Base


def to_url(db: str | Path) -> str:
    """Turn ``--db`` into a SQLAlchemy URL: paths become ``sqlite:///<absolute path>``."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The database file behind a SQLite URL; None for in-memory or other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(db: str | Path, *, create: bool = True) -> Engine:
    """An engine for ``db`` with foreign keys enforced on SQLite; ``create`` makes the tables.

    Tables come from ``create_all`` for now; Alembic migrations can replace it later.
    """
    url = to_url(db)
    path = sqlite_path(url)
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    if create:
        Base.metadata.create_all(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    with session_factory(engine)() as session, session.begin():
        yield session
