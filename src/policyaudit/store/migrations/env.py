"""Alembic environment: runs on the connection ``store.db`` hands over, in its transaction."""

from __future__ import annotations

from alembic import context

from policyaudit.store.db import make_engine, schema_metadata

config = context.config


def _configure(**kw: object) -> None:
    context.configure(
        target_metadata=schema_metadata(),
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=kw.pop("dialect_name", None) == "sqlite",
        **kw,
    )


if context.is_offline_mode():
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, dialect_name=url.split(":", 1)[0].split("+")[0])
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:  # run from a shell: ``sqlalchemy.url`` names the database
        engine = make_engine(config.get_main_option("sqlalchemy.url"), create=False)
        with engine.begin() as connection:
            _configure(connection=connection, dialect_name=connection.dialect.name)
            context.run_migrations()
    else:
        _configure(connection=connection, dialect_name=connection.dialect.name)
        with context.begin_transaction():
            context.run_migrations()
