"""Persistence: SQLAlchemy models (``store.models``) and engine/session helpers (``store.db``)."""

from policyaudit.store.db import (
    SchemaMismatchError,
    current_revision,
    exclusive,
    head_revision,
    make_engine,
    session_factory,
    session_scope,
    sqlite_path,
    to_url,
    upgrade_schema,
    upsert,
)
from policyaudit.store.models import (
    Base,
    Document,
    EmbeddingCache,
    Judgement,
    JudgementCache,
    Organisation,
    Passage,
    ProblemRow,
    Run,
    Section,
)
from policyaudit.store.read import to_extracted

__all__ = [
    "Base",
    "Document",
    "EmbeddingCache",
    "Judgement",
    "JudgementCache",
    "Organisation",
    "Passage",
    "ProblemRow",
    "Run",
    "SchemaMismatchError",
    "Section",
    "current_revision",
    "exclusive",
    "head_revision",
    "make_engine",
    "session_factory",
    "session_scope",
    "sqlite_path",
    "to_extracted",
    "to_url",
    "upgrade_schema",
    "upsert",
]
