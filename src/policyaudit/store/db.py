"""Engines, sessions and the schema: a plain path means a SQLite file, anything with ``://`` a URL.

SQLite (one file, one machine) and PostgreSQL (``postgresql+psycopg://…``, shared by several
workers and coders) are both supported. The schema is owned by the Alembic migrations shipped in
``store/migrations``: ``make_engine(create=True)`` brings any database to the newest revision, so
a database made by one version of the tool opens with the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Importing the review tables puts them on ``Base.metadata``: the migrations must cover them.
from policyaudit.store import review_models as _review_models  # noqa: F401
from policyaudit.store.models import Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed 64-bit key: serialises concurrent upgrades of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x706F6C6963796175  # "policyau"


class SchemaMismatchError(RuntimeError):
    """The database has some of our tables, but not as any known revision made them."""


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


def _postgres_session_in_utc(dbapi_connection: Any, _record: Any) -> None:
    """Timestamps come back in UTC whatever the server's zone, as SQLite's (UTC) wall times do."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()  # a rolled-back SET would be undone


def make_engine(db: str | Path, *, create: bool = True) -> Engine:
    """An engine for ``db``; ``create`` creates or upgrades the schema (``upgrade_schema``).

    SQLite enforces foreign keys (its default is off) and waits up to 30 s for another writer's
    lock. PostgreSQL pings pooled connections before use, so a worker survives a server restart
    or an idle connection dropped by a proxy, keeps its pool small (many workers and coders share
    one server's connection limit) and reads timestamps in UTC.
    """
    url = to_url(db)
    path = sqlite_path(url)
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        options["connect_args"] = {"timeout": 30}
    elif backend == "postgresql":
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_session_in_utc)
    if create:
        upgrade_schema(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    with session_factory(engine)() as session, session.begin():
        yield session


def upsert(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``, overwriting any with the same primary key, in one statement.

    Unlike ``session.merge`` (SELECT, then INSERT), two writers of the same key at once both
    succeed: the database resolves the conflict (``INSERT ... ON CONFLICT DO UPDATE``).
    """
    if not rows:
        return
    table = model.__table__
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # no portable upsert: fall back to merge (not safe against concurrent writers)
        for row in rows:
            session.merge(model(**row))
        return
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    session.execute(stmt, [dict(r) for r in rows])


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold a lock called ``name`` on this database until the block ends; others wait.

    For work that must not interleave with itself, such as two ingests of one corpus: the
    second then finds the documents the first stored. PostgreSQL: a session advisory lock, so
    workers on other machines wait too. SQLite: ``flock`` on a ``<file>.<name>.lock`` beside the
    database (one machine, which SQLite needs anyway); in-memory databases need no lock.
    """
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
    elif path is not None:
        import fcntl  # POSIX only, hence imported here

        with open(f"{path}.{name}.lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        yield


# ---------------------------------------------------------------------------------------------
# Schema migrations (Alembic)


def schema_metadata() -> MetaData:
    """Every table the migrations must produce: ``models`` and ``review_models``."""
    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic ``Config`` for the shipped migrations, without an ``alembic.ini`` on disk.

    Migrations run on ``connection`` (in its transaction). For ``alembic revision
    --autogenerate`` from a shell, see ``store/migrations/__init__.py``.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def _script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(engine_or_connection: Engine | Connection) -> str | None:
    """The revision a database is at; None for an empty or pre-migrations database."""
    from alembic.runtime.migration import MigrationContext

    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as conn:
            return current_revision(conn)
    heads = MigrationContext.configure(engine_or_connection).get_current_heads()
    return heads[0] if heads else None


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the database's tables to ``revision`` (the newest by default).

    A database made before migrations existed (tables from ``create_all``, no
    ``alembic_version``) is first stamped with the revision whose tables it has, then upgraded.
    Safe to call from several processes at once: on PostgreSQL an advisory lock, on SQLite an
    immediate (write-locking) transaction, serialises them, and each re-checks under the lock.
    """
    from alembic import command

    target = head_revision() if revision == "head" else revision
    if current_revision(engine) == target:
        return  # the common case: one cheap query, no lock
    with _migration_connection(engine) as conn:
        cfg = alembic_config(conn)
        if current_revision(conn) is None:
            existing = _unversioned_revision(conn)
            if existing is not None:
                command.stamp(cfg, existing)
        command.upgrade(cfg, revision)


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one locked transaction, committed when the migrations are done.

    SQLite: ``ALTER TABLE`` is emulated by copying tables (batch mode), and dropping a parent
    table with foreign keys on would cascade-delete its children, so they are off while
    migrating and checked before the commit.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only works outside a transaction
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise SchemaMismatchError(f"migration broke foreign keys: {broken[:5]}")
                conn.commit()
            finally:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        else:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            yield conn
            conn.commit()


def _unversioned_revision(conn: Connection) -> str | None:
    """The revision an unversioned database's tables were made at; None if it has none of ours.

    Tables that no revision makes (another application's, in a shared database) are ignored.
    """
    ours = _all_tables()
    found = {
        name: {c["name"] for c in inspect(conn).get_columns(name)}
        for name in inspect(conn).get_table_names()
        if name in ours
    }
    if not found:
        return None
    for rev in _revisions_newest_first():
        if found == _tables_at(rev):
            return rev
    raise SchemaMismatchError(
        "the database has tables of policyaudit but matches no known schema revision "
        f"(tables: {sorted(found)}); migrate it by hand or start a new database"
    )


def _revisions_newest_first() -> list[str]:
    return [s.revision for s in _script().walk_revisions()]


@cache
def _tables_at(revision: str) -> dict[str, set[str]]:
    """Table -> column names as of ``revision``, by migrating a scratch in-memory database."""
    from alembic import command

    scratch = create_engine("sqlite://")
    with scratch.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
        inspector = inspect(conn)
        tables = {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()
            if name != "alembic_version"
        }
    scratch.dispose()
    return tables


@cache
def _all_tables() -> frozenset[str]:
    return frozenset(t for rev in _revisions_newest_first() for t in _tables_at(rev))
