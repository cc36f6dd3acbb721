"""What the review app does to the database, free of HTTP so it can be tested and reused.

Blind double coding: a coder with a blind assignment for an organisation sees neither the
engine's verdict nor other coders' codings for it until the organisation is *done*, that is
until every coder assigned to it has coded every standard. Saves use optimistic versioning:
the coder's form carries the version it was based on, and a save based on an older version is
refused (and recorded as a rejected attempt) instead of silently overwriting the other save.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from policyaudit.assess.types import VERDICTS
from policyaudit.store.models import Document, Judgement, Organisation, Passage, utcnow
from policyaudit.store.review_models import (
    HUMAN_SOURCES,
    Assignment,
    Coding,
    CodingEvent,
    Consensus,
    User,
)

STATUSES = ("todo", "coded", "disputed", "agreed")


class ReviewError(ValueError):
    """Input the app must refuse with a message (422): the coder's input is kept on screen."""


class StaleCoding(Exception):
    """The cell changed since the coder's form was loaded (409)."""

    def __init__(self, current: Coding | None):
        super().__init__("this cell was saved by someone else since you opened it")
        self.current = current


@dataclass(frozen=True)
class CodingInput:
    verdict: str
    conflicts: bool = False
    note: str = ""
    evidence_passage_id: int | None = None

    def values(self) -> dict:
        return {
            "verdict": self.verdict,
            "conflicts": self.conflicts,
            "note": self.note,
            "evidence_passage_id": self.evidence_passage_id,
        }


@dataclass(frozen=True)
class Filters:
    """The matrix's filters; every field is optional and they combine with AND."""

    standard: str | None = None
    org: str | None = None
    verdict: str | None = None  # the engine's verdict
    conf_min: float | None = None
    conf_max: float | None = None
    status: str | None = None  # todo | coded (by me) | disputed | agreed
    mine: bool = False  # only organisations assigned to me

    def hides_blind(self) -> bool:
        """Filters on what a blind coder may not see leave blind cells out entirely."""
        return bool(
            self.verdict
            or self.conf_min is not None
            or self.conf_max is not None
            or self.status in ("disputed", "agreed")
        )


@dataclass
class CellRow:
    org_id: str
    org_name: str
    standard_id: str
    blind: bool
    engine_verdict: str | None  # None when blind
    confidence: float | None
    mine: Coding | None
    coders: list[str] = field(default_factory=list)  # empty when blind
    disputed: bool = False
    consensus: Consensus | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.org_id, self.standard_id)


def engine_judgements(session: Session, run_id: int) -> list[Judgement]:
    return list(
        session.scalars(
            select(Judgement).where(
                Judgement.run_id == run_id, Judgement.source.not_in(list(HUMAN_SOURCES))
            )
        )
    )


def engine_judgement(session: Session, run_id: int, org_id: str, std: str) -> Judgement | None:
    return session.scalar(
        select(Judgement).where(
            Judgement.run_id == run_id,
            Judgement.org_id == org_id,
            Judgement.standard_id == std,
            Judgement.source.not_in(list(HUMAN_SOURCES)),
        )
    )


def org_names(session: Session) -> dict[str, str]:
    return {o.org_id: o.name or o.org_id for o in session.scalars(select(Organisation))}


def assignments(session: Session, run_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.run_id == run_id)
            .order_by(Assignment.org_id, Assignment.coder)
        )
    )


def done_orgs(session: Session, run_id: int) -> set[str]:
    """Organisations every assigned coder has finished (their blind mode is lifted)."""
    n_standards = dict(
        session.execute(
            select(Judgement.org_id, func.count())
            .where(Judgement.run_id == run_id, Judgement.source.not_in(list(HUMAN_SOURCES)))
            .group_by(Judgement.org_id)
        ).all()
    )
    coded = {
        (org, coder): n
        for org, coder, n in session.execute(
            select(Coding.org_id, Coding.coder, func.count())
            .where(Coding.run_id == run_id)
            .group_by(Coding.org_id, Coding.coder)
        ).all()
    }
    coders_of: dict[str, list[str]] = defaultdict(list)
    for a in assignments(session, run_id):
        coders_of[a.org_id].append(a.coder)
    return {
        org
        for org, coders in coders_of.items()
        if all(coded.get((org, c), 0) >= n_standards.get(org, 0) for c in coders)
    }


def blind_orgs(session: Session, run_id: int, coder: str) -> set[str]:
    """Organisations where ``coder`` must not see the engine or other coders right now."""
    blind = set(
        session.scalars(
            select(Assignment.org_id).where(
                Assignment.run_id == run_id, Assignment.coder == coder, Assignment.blind
            )
        )
    )
    return blind - done_orgs(session, run_id) if blind else set()


def my_orgs(session: Session, run_id: int, coder: str) -> set[str]:
    return set(
        session.scalars(
            select(Assignment.org_id).where(Assignment.run_id == run_id, Assignment.coder == coder)
        )
    )


def _codings_by_cell(session: Session, run_id: int) -> dict[tuple[str, str], list[Coding]]:
    out: dict[tuple[str, str], list[Coding]] = defaultdict(list)
    for c in session.scalars(select(Coding).where(Coding.run_id == run_id).order_by(Coding.coder)):
        out[(c.org_id, c.standard_id)].append(c)
    return out


def _consensus_by_cell(session: Session, run_id: int) -> dict[tuple[str, str], Consensus]:
    rows = session.scalars(select(Consensus).where(Consensus.run_id == run_id))
    return {(c.org_id, c.standard_id): c for c in rows}


def differs(codings: list[Coding]) -> bool:
    return len({(c.verdict, c.conflicts) for c in codings}) > 1


def cells(session: Session, run_id: int, user: User, standards_order: list[str]) -> list[CellRow]:
    """Every cell of the run as ``user`` may see it, in the default queue order."""
    blind = blind_orgs(session, run_id, user.name)
    names = org_names(session)
    codings = _codings_by_cell(session, run_id)
    consensus = _consensus_by_cell(session, run_id)
    rows = []
    for j in engine_judgements(session, run_id):
        key = (j.org_id, j.standard_id)
        hidden = j.org_id in blind
        cell_codings = codings.get(key, [])
        rows.append(
            CellRow(
                org_id=j.org_id,
                org_name=names.get(j.org_id, j.org_id),
                standard_id=j.standard_id,
                blind=hidden,
                engine_verdict=None if hidden else j.verdict,
                confidence=None if hidden else j.confidence,
                mine=next((c for c in cell_codings if c.coder == user.name), None),
                coders=[] if hidden else [c.coder for c in cell_codings],
                disputed=False if hidden else differs(cell_codings),
                consensus=None if hidden else consensus.get(key),
            )
        )
    return sort_queue(rows, standards_order)


def sort_queue(rows: list[CellRow], standards_order: list[str]) -> list[CellRow]:
    """Lowest confidence first; cells without a visible confidence (blind) after, by position."""
    position = {s: i for i, s in enumerate(standards_order)}

    def key(r: CellRow) -> tuple:
        conf = r.confidence if r.confidence is not None else float("inf")
        return (conf, r.org_id, position.get(r.standard_id, len(position)), r.standard_id)

    return sorted(rows, key=key)


def apply_filters(rows: list[CellRow], f: Filters, mine: set[str]) -> list[CellRow]:
    return [r for r in rows if _keep(r, f, mine)]


def _keep(r: CellRow, f: Filters, mine: set[str]) -> bool:
    if r.blind and f.hides_blind():
        return False
    checks = [
        not f.standard or r.standard_id == f.standard,
        not f.org or r.org_id == f.org,
        not f.verdict or r.engine_verdict == f.verdict,
        f.conf_min is None or (r.confidence is not None and r.confidence >= f.conf_min),
        f.conf_max is None or (r.confidence is not None and r.confidence <= f.conf_max),
        not f.mine or r.org_id in mine,
        _status_ok(r, f.status),
    ]
    return all(checks)


def _status_ok(r: CellRow, status: str | None) -> bool:
    match status:
        case "todo":
            return r.mine is None
        case "coded":
            return r.mine is not None
        case "disputed":
            return r.disputed and r.consensus is None
        case "agreed":
            return r.consensus is not None
    return True


def next_cell(queue: list[CellRow], org_id: str, std: str) -> CellRow | None:
    """The cell after this one in the queue; the first other cell when this one left it."""
    keys = [r.key for r in queue]
    if (org_id, std) in keys:
        i = keys.index((org_id, std))
        return queue[i + 1] if i + 1 < len(queue) else None
    return next((r for r in queue if r.key != (org_id, std)), None)


def get_coding(session: Session, run_id: int, org_id: str, std: str, coder: str) -> Coding | None:
    return session.scalar(
        select(Coding).where(
            Coding.run_id == run_id,
            Coding.org_id == org_id,
            Coding.standard_id == std,
            Coding.coder == coder,
        )
    )


def cell_codings(session: Session, run_id: int, org_id: str, std: str) -> list[Coding]:
    return list(
        session.scalars(
            select(Coding)
            .where(Coding.run_id == run_id, Coding.org_id == org_id, Coding.standard_id == std)
            .order_by(Coding.coder)
        )
    )


def validate(session: Session, org_id: str, data: CodingInput) -> None:
    if data.verdict not in VERDICTS:
        raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)}")
    if len(data.note) > 10_000:
        raise ReviewError("the note is longer than 10,000 characters")
    if data.evidence_passage_id is not None and not _org_passage(
        session, org_id, data.evidence_passage_id
    ):
        raise ReviewError("the evidence passage is not one of this organisation's passages")


def _org_passage(session: Session, org_id: str, passage_id: int) -> bool:
    found = session.scalar(
        select(Passage.id)
        .join(Document, Passage.document_id == Document.id)
        .where(Passage.id == passage_id, Document.org_id == org_id)
    )
    return found is not None


def save_coding(
    session: Session,
    run_id: int,
    org_id: str,
    std: str,
    coder: str,
    data: CodingInput,
    based_on: int,
    actor: str | None = None,
) -> Coding:
    """Create or update ``coder``'s coding if it is still at version ``based_on`` (0: new).

    The compare-and-set happens in the database (``UPDATE ... WHERE version = based_on``), so
    two concurrent saves cannot both win. A refused save raises StaleCoding after recording
    the attempt as a ``rejected`` event, so even the losing input is never lost.
    """
    validate(session, org_id, data)
    actor = actor or coder
    current = get_coding(session, run_id, org_id, std, coder)
    if current is None and based_on == 0:
        created = _insert(session, run_id, org_id, std, coder, data)
        if created is not None:
            _event(session, run_id, org_id, std, coder, actor, None, created.values())
            return created
        current = get_coding(session, run_id, org_id, std, coder)
    if current is None or current.version != based_on or not _bump(session, current, data):
        session.expire_all()
        latest = get_coding(session, run_id, org_id, std, coder)
        new = {**data.values(), "based_on": based_on}
        old = latest.values() if latest else None
        _event(session, run_id, org_id, std, coder, actor, old, new, kind="rejected")
        raise StaleCoding(latest)
    old = current.values()
    session.expire(current)
    _event(session, run_id, org_id, std, coder, actor, old, current.values())
    return current


def _insert(
    session: Session, run_id: int, org_id: str, std: str, coder: str, data: CodingInput
) -> Coding | None:
    """Insert a first coding; None when another save created it first (unique constraint)."""
    coding = Coding(
        run_id=run_id, org_id=org_id, standard_id=std, coder=coder, version=1, **data.values()
    )
    try:
        with session.begin_nested():
            session.add(coding)
            session.flush()
    except IntegrityError:
        return None
    return coding


def _bump(session: Session, current: Coding, data: CodingInput) -> bool:
    result = session.execute(
        update(Coding)
        .where(Coding.id == current.id, Coding.version == current.version)
        .values(**data.values(), version=current.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _event(
    session: Session,
    run_id: int,
    org_id: str,
    std: str,
    coder: str | None,
    actor: str,
    old: dict | None,
    new: dict | None,
    kind: str = "coding",
) -> None:
    session.add(
        CodingEvent(
            run_id=run_id,
            org_id=org_id,
            standard_id=std,
            kind=kind,
            coder=coder,
            actor=actor,
            old=old,
            new=new,
        )
    )
    session.flush()


def record_consensus(
    session: Session,
    run_id: int,
    org_id: str,
    std: str,
    data: CodingInput,
    agreed_by: list[str],
    actor: str,
) -> Consensus:
    """Record (or revise) the agreed verdict of a cell; the change is an event like any other."""
    validate(session, org_id, data)
    known = set(session.scalars(select(User.name).where(User.name.in_(agreed_by))))
    if not agreed_by or known != set(agreed_by):
        raise ReviewError("a consensus needs the names of the coders who agreed it")
    row = session.scalar(
        select(Consensus).where(
            Consensus.run_id == run_id, Consensus.org_id == org_id, Consensus.standard_id == std
        )
    )
    old = row.values() if row else None
    if row is None:
        row = Consensus(run_id=run_id, org_id=org_id, standard_id=std)
        session.add(row)
    row.verdict, row.conflicts, row.note = data.verdict, data.conflicts, data.note
    row.agreed_by, row.recorded_by, row.created_at = sorted(agreed_by), actor, utcnow()
    session.flush()
    _event(session, run_id, org_id, std, None, actor, old, row.values(), kind="consensus")
    return row


@dataclass
class Disagreement:
    org_id: str
    standard_id: str
    codings: list[Coding]
    engine_verdict: str | None
    consensus: Consensus | None


def disagreements(
    session: Session, run_id: int, viewer: str, standards_order: list[str]
) -> list[Disagreement]:
    """Cells where coders differ (verdict or conflicts), except where the viewer is still blind."""
    hidden = blind_orgs(session, run_id, viewer)
    engine = {(j.org_id, j.standard_id): j.verdict for j in engine_judgements(session, run_id)}
    consensus = _consensus_by_cell(session, run_id)
    position = {s: i for i, s in enumerate(standards_order)}
    out = [
        Disagreement(org, std, cs, engine.get((org, std)), consensus.get((org, std)))
        for (org, std), cs in _codings_by_cell(session, run_id).items()
        if org not in hidden and differs(cs)
    ]
    return sorted(out, key=lambda d: (d.org_id, position.get(d.standard_id, 1_000_000)))


def assign(
    session: Session, run_id: int, org_ids: list[str], coders: list[str], blind: bool, actor: str
) -> None:
    """Give each organisation to these coders, replacing its earlier assignments."""
    coders = list(dict.fromkeys(c for c in coders if c))
    if len(coders) < 1:
        raise ReviewError("choose at least one coder")
    known = set(session.scalars(select(User.name).where(User.name.in_(coders))))
    if known != set(coders):
        raise ReviewError(f"unknown coders: {', '.join(sorted(set(coders) - known))}")
    for org in org_ids:
        for old in session.scalars(
            select(Assignment).where(Assignment.run_id == run_id, Assignment.org_id == org)
        ):
            session.delete(old)
        session.flush()
        for coder in coders:
            session.add(
                Assignment(run_id=run_id, org_id=org, coder=coder, blind=blind, assigned_by=actor)
            )
    session.flush()


def events(
    session: Session, run_id: int, org_id: str | None = None, std: str | None = None
) -> list[CodingEvent]:
    q = select(CodingEvent).where(CodingEvent.run_id == run_id)
    if org_id:
        q = q.where(CodingEvent.org_id == org_id)
    if std:
        q = q.where(CodingEvent.standard_id == std)
    return list(session.scalars(q.order_by(CodingEvent.id)))


def search_passages(
    session: Session, org_id: str, query: str, limit: int = 50
) -> list[tuple[Passage, Document]]:
    """Passages of the organisation's documents containing every word of ``query``."""
    words = [w for w in query.split() if w][:10]
    if not words:
        return []
    q = (
        select(Passage, Document)
        .join(Document, Passage.document_id == Document.id)
        .where(Document.org_id == org_id)
    )
    for w in words:
        q = q.where(Passage.text.ilike(f"%{_like_escape(w)}%", escape="\\"))
    q = q.order_by(Document.relpath, Passage.ordinal).limit(limit)
    return [(p, d) for p, d in session.execute(q).all()]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def passages_by_id(session: Session, ids: list[int]) -> dict[int, tuple[Passage, Document]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Passage, Document)
        .join(Document, Passage.document_id == Document.id)
        .where(Passage.id.in_(ids))
    ).all()
    return {p.id: (p, d) for p, d in rows}
