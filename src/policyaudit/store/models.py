"""All tables, on one ``Base.metadata`` so migrations (Alembic) can target a single module.

Deleting a document deletes its sections and passages, both by ORM cascade and by
``ON DELETE CASCADE`` (SQLite needs ``PRAGMA foreign_keys=ON``, set in ``store.db``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str | None] = mapped_column(String(200))
    # From organisations.csv; None means "let the tool detect it".
    has_dedicated_policy_override: Mapped[bool | None] = mapped_column(Boolean)

    documents: Mapped[list[Document]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", passive_deletes=True
    )


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("org_id", "relpath"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.org_id", ondelete="CASCADE"), index=True
    )
    # Paths and titles are Text: PostgreSQL rejects a value longer than a VARCHAR(n) length.
    relpath: Mapped[str] = mapped_column(Text)  # relative to the organisation folder
    filename: Mapped[str] = mapped_column(String(500))
    stem: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20))  # suffix without the dot, lower case
    content_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the file bytes
    size: Mapped[int] = mapped_column(BigInteger)  # bytes; INTEGER stops at 2 GiB
    pages: Mapped[int | None] = mapped_column(Integer)
    words: Mapped[int] = mapped_column(Integer)
    n_sections: Mapped[int] = mapped_column(Integer)
    # The normalised extracted text: passage offsets point into it, quotes must be substrings.
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)  # may be a whole "Title: ..." paragraph
    reference: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(100))
    approval_date: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    referenced_documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="documents")
    sections: Mapped[list[Section]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Section.ordinal",
    )
    passages: Mapped[list[Passage]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Passage.ordinal",
    )

    @property
    def corpus_path(self) -> str:
        return f"{self.org_id}/{self.relpath}"


class Section(Base):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    path: Mapped[list[str]] = mapped_column(JSON)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)

    document: Mapped[Document] = relationship(back_populates="sections")
    passages: Mapped[list[Passage]] = relationship(
        back_populates="section", order_by="Passage.ordinal", passive_deletes=True
    )


class Passage(Base):
    __tablename__ = "passages"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)  # position within the document
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)  # offsets into Document.text
    end: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    text_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256, keys embedding_cache

    document: Mapped[Document] = relationship(back_populates="passages")
    section: Mapped[Section] = relationship(back_populates="passages")


class Run(Base):
    """One ingest or audit; problems and judgements hang off it so runs can be compared."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # 'ingest' | 'audit'
    corpus: Mapped[str | None] = mapped_column(Text)  # an absolute path
    framework_id: Mapped[str | None] = mapped_column(String(200))
    framework_version: Mapped[str | None] = mapped_column(String(100))
    framework_hash: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|complete|failed
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    problems: Mapped[list[ProblemRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class ProblemRow(Base):
    """A skipped or degraded input, as reported by the run that found it."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    file: Mapped[str] = mapped_column(Text)  # relative to the corpus folder
    problem: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[Run | None] = relationship(back_populates="problems")


class Judgement(Base):
    __tablename__ = "judgements"
    __table_args__ = (UniqueConstraint("run_id", "org_id", "standard_id", "source", "coder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(200), index=True)
    standard_id: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))  # met | partial | not_met
    conflicts: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence_document: Mapped[str | None] = mapped_column(String(500))
    evidence_page: Mapped[int | None] = mapped_column(Integer)
    evidence_section: Mapped[str | None] = mapped_column(Text)
    evidence_quote: Mapped[str | None] = mapped_column(Text)
    conflict_document: Mapped[str | None] = mapped_column(String(500))
    conflict_quote: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="engine")  # engine|human|consensus
    coder: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EmbeddingCache(Base):
    """Vectors keyed by model and text hash, so unchanged passages are never re-embedded."""

    __tablename__ = "embedding_cache"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class JudgementCache(Base):
    """A judgement payload, reused while framework, standard and organisation are unchanged."""

    __tablename__ = "judgement_cache"

    framework_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    standard_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    standard_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
