"""Alembic migrations for the store, shipped in the package so an installed tool can upgrade.

``store.db.upgrade_schema`` runs them (``make_engine(create=True)`` calls it). There is no
``alembic.ini``: to add a revision after changing ``models.py`` or ``review_models.py``,
autogenerate against a database at head, then review the file by hand::

    from alembic import command
    from policyaudit.store.db import alembic_config, make_engine
    engine = make_engine("/tmp/head.sqlite")  # an up-to-date scratch database
    with engine.begin() as conn:
        command.revision(alembic_config(conn), "what changed", autogenerate=True,
                         rev_id="0003_what_changed")

``tests/store/test_migrations.py`` fails while the models and the migrations disagree.
"""
