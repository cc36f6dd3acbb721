"""Tables for human review: coders, assignments, codings, their audit trail and consensus.

They live on the same ``Base`` as the engine's tables, so importing this module is enough for
``make_engine(create=True)`` to create them. Human work is never stored in ``judgements``: an
engine run stays reproducible, and the final verdict of a cell is derived by ``final_verdicts``
(consensus, else a human verdict, else the engine's) so every report can say which it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from policyaudit.store.models import Base, Judgement, utcnow

Role = Literal["coder", "lead"]
HUMAN_SOURCES = frozenset({"human", "consensus"})


class User(Base):
    """A named coder; ``password_hash`` holds the algorithm, its parameters and the salt."""

    __tablename__ = "review_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(400))
    role: Mapped[str] = mapped_column(String(10), default="coder")  # coder | lead
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


class Assignment(Base):
    """An organisation of a run given to a coder; ``blind`` hides the engine and other coders."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("run_id", "org_id", "coder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(200))
    coder: Mapped[str] = mapped_column(String(200))
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Coding(Base):
    """One coder's current verdict on one cell; ``version`` guards against lost updates."""

    __tablename__ = "review_codings"
    __table_args__ = (UniqueConstraint("run_id", "org_id", "standard_id", "coder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(200))
    standard_id: Mapped[str] = mapped_column(String(100))
    coder: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(20))
    conflicts: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # Not a foreign key: a re-ingest renumbers passages, and a coding must outlive that.
    evidence_passage_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def values(self) -> dict[str, Any]:
        """What an event records as the old or new value of the cell."""
        return {
            "verdict": self.verdict,
            "conflicts": self.conflicts,
            "note": self.note,
            "evidence_passage_id": self.evidence_passage_id,
            "version": self.version,
        }


class CodingEvent(Base):
    """Append-only trail: who changed which cell when, from what to what."""

    __tablename__ = "review_coding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(200))
    standard_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="coding")  # coding | consensus
    coder: Mapped[str | None] = mapped_column(String(200))  # whose coding; None for consensus
    actor: Mapped[str] = mapped_column(String(200))  # who made the change
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Consensus(Base):
    """The verdict two (or more) coders agreed on after comparing their codings."""

    __tablename__ = "review_consensus"
    __table_args__ = (UniqueConstraint("run_id", "org_id", "standard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(200))
    standard_id: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))
    conflicts: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    agreed_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def values(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "conflicts": self.conflicts,
            "note": self.note,
            "agreed_by": list(self.agreed_by),
        }


@dataclass(frozen=True)
class FinalVerdict:
    verdict: str
    conflicts: bool
    source: Literal["consensus", "human", "engine"]
    coder: str | None  # the human coder, or the consensus's agreed_by joined by '+'


def final_verdicts(session: Session, run_id: int) -> dict[tuple[str, str], FinalVerdict]:
    """The verdict every report should use for each cell of ``run_id``, and where it came from.

    Precedence: the consensus; else a human coding; else the engine's judgement. When several
    coders coded a cell and no consensus exists, a lead's coding wins (the lead arbitrates),
    else the most recently updated coding (ties broken by coder name, so the choice is stable).
    """
    out = _engine_verdicts(session, run_id)
    out.update(_human_verdicts(session, run_id))
    for c in session.scalars(select(Consensus).where(Consensus.run_id == run_id)):
        out[(c.org_id, c.standard_id)] = FinalVerdict(
            c.verdict, c.conflicts, "consensus", "+".join(c.agreed_by) or None
        )
    return out


def _engine_verdicts(session: Session, run_id: int) -> dict[tuple[str, str], FinalVerdict]:
    rows = session.scalars(
        select(Judgement).where(
            Judgement.run_id == run_id, Judgement.source.not_in(list(HUMAN_SOURCES))
        )
    )
    return {
        (j.org_id, j.standard_id): FinalVerdict(j.verdict, j.conflicts, "engine", None)
        for j in rows
    }


def _human_verdicts(session: Session, run_id: int) -> dict[tuple[str, str], FinalVerdict]:
    leads = set(session.scalars(select(User.name).where(User.role == "lead")))
    best: dict[tuple[str, str], Coding] = {}
    codings = session.scalars(select(Coding).where(Coding.run_id == run_id))
    for c in sorted(codings, key=lambda c: (c.coder in leads, _aware(c.updated_at), c.coder)):
        best[(c.org_id, c.standard_id)] = c  # the last in this order is the one that wins
    return {key: FinalVerdict(c.verdict, c.conflicts, "human", c.coder) for key, c in best.items()}


def _aware(when: datetime) -> datetime:
    """SQLite drops the timezone; compare every timestamp as UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
