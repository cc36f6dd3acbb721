"""Rebuild every output of a stored audit run from the database, without judging again.

Each audit run stores every judgement with its full details (``judgements.details``), so the
report, tables, workbook and gap reports can be redrawn after a report change, on another
machine, or for an older run. Organisation attributes (dedicated policy, definition, harm
reduction) are recomputed from the stored passages and judgements: this is text matching over
sentences, not judging, and takes a fraction of a second per organisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from policyaudit.assess.types import Evidence, Judgement, OrgAttributes, judgement_from_dict
from policyaudit.corpus import Problem
from policyaudit.framework.loader import LoadedFramework, load_framework
from policyaudit.framework.schema import Framework
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope

# where a run holds several codings of one cell, the first source listed here wins
SOURCE_PRIORITY = ("consensus", "human")


class RunNotFoundError(LookupError):
    """No audit run with that id (or none at all) in the database."""


def select_run(engine: Engine, run_id: int | None = None) -> m.Run:
    """The audit run ``run_id``, or the latest complete audit run."""
    with session_scope(engine) as session:
        if run_id is not None:
            run = session.get(m.Run, run_id)
            if run is None or run.kind != "audit":
                raise RunNotFoundError(f"no audit run with id {run_id}")
            return run
        run = session.scalars(
            select(m.Run)
            .where(m.Run.kind == "audit", m.Run.status == "complete")
            .order_by(m.Run.id.desc())
            .limit(1)
        ).first()
        if run is None:
            raise RunNotFoundError("no complete audit run in this database")
        return run


def audit_run_ids(engine: Engine) -> list[int]:
    """Ids of the complete audit runs, oldest first."""
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(m.Run.id)
                .where(m.Run.kind == "audit", m.Run.status == "complete")
                .order_by(m.Run.id)
            )
        )


def _rank(source: str) -> int:
    return SOURCE_PRIORITY.index(source) if source in SOURCE_PRIORITY else len(SOURCE_PRIORITY)


def stored_judgements(engine: Engine, run_id: int) -> list[Judgement]:
    """One judgement per organisation x standard of a run: the final verdict of each cell.

    Rows with a coder (one reviewer's coding) are left out; among the others a consensus or
    human row overrides the engine's. Then the review app's codings apply, by the precedence of
    ``final_verdicts``: a consensus, else a human coding, else the engine.
    """
    with session_scope(engine) as session:
        rows = session.scalars(
            select(m.Judgement).where(m.Judgement.run_id == run_id, m.Judgement.coder.is_(None))
        ).all()
        best: dict[tuple[str, str], m.Judgement] = {}
        for row in rows:
            key = (row.org_id, row.standard_id)
            if key not in best or _rank(row.source) < _rank(best[key].source):
                best[key] = row
        judgements = [judgement_of_row(row) for row in best.values()]
        apply_reviews(session, run_id, judgements)
        return judgements


def apply_reviews(session: Session, run_id: int, judgements: Sequence[Judgement]) -> int:
    """Put each reviewed cell's final human verdict in place of the engine's; returns how many.

    The judgement keeps the engine's evidence unless the coder picked a passage; its source says
    which verdict it is ("consensus", or "human:<coder>"), and its rationale keeps the engine's.
    """
    from policyaudit.store.review_models import final_verdicts

    finals = final_verdicts(session, run_id)
    changed = 0
    for j in judgements:
        final = finals.get((j.org_id, j.standard_id))
        if final is None or final.source == "engine":
            continue
        engine_said = f"engine said {j.verdict}{' with conflicts' if j.conflicts else ''}"
        j.verdict, j.conflicts = final.verdict, final.conflicts  # type: ignore[assignment]
        j.source = "consensus" if final.source == "consensus" else f"human:{final.coder}"
        j.rationale = f"{j.source} ({engine_said}: {j.rationale})"
        picked = _picked_passage(session, run_id, j, final)
        if picked is not None:
            j.evidence = picked
        if j.verdict == "not_met":
            j.evidence = None
        changed += 1
    return changed


def _picked_passage(session: Session, run_id: int, j: Judgement, final) -> Evidence | None:
    """The passage a coder chose as the evidence, if they chose one."""
    from policyaudit.store.review_models import Coding

    if final.source != "human" or final.coder is None:
        return None
    passage_id = session.scalar(
        select(Coding.evidence_passage_id).where(
            Coding.run_id == run_id,
            Coding.org_id == j.org_id,
            Coding.standard_id == j.standard_id,
            Coding.coder == final.coder,
        )
    )
    passage = session.get(m.Passage, passage_id) if passage_id else None
    if passage is None:
        return None
    return Evidence(
        passage.document.stem,
        passage.page,
        " > ".join(passage.section.path),
        passage.text[:400],
        passage.id,
    )


def judgement_of_row(row: m.Judgement) -> Judgement:
    """The stored details where present; the row's own columns otherwise (older rows)."""
    if row.details:
        return judgement_from_dict(dict(row.details))
    from policyaudit.assess.types import Evidence

    ev = (
        Evidence(
            row.evidence_document or "",
            row.evidence_page,
            row.evidence_section or "",
            row.evidence_quote or "",
        )
        if row.evidence_quote
        else None
    )
    cf = Evidence(row.conflict_document or "", None, "", row.conflict_quote or "")
    return Judgement(
        row.org_id,
        row.standard_id,
        row.verdict,  # type: ignore[arg-type]
        bool(row.conflicts),
        float(row.confidence or 0.0),
        ev,
        cf if row.conflict_quote else None,
        source=row.source,
    )


def run_problems(engine: Engine, run: m.Run) -> list[Problem]:
    """Problems of the ingest that fed this audit: the last ingest run before it."""
    with session_scope(engine) as session:
        ingest_id = session.scalars(
            select(m.Run.id)
            .where(m.Run.kind == "ingest", m.Run.id < run.id)
            .order_by(m.Run.id.desc())
            .limit(1)
        ).first()
        ids = [run.id] if ingest_id is None else [ingest_id, run.id]
        rows = session.scalars(
            select(m.ProblemRow).where(m.ProblemRow.run_id.in_(ids)).order_by(m.ProblemRow.id)
        ).all()
        return sorted({Problem(r.file, r.problem, r.detail or "") for r in rows})


def run_framework(run: m.Run, framework: str | Path | None = None) -> LoadedFramework:
    """The framework the run used: ``framework`` if given, else the built-in of the run's id."""
    return load_framework(framework if framework is not None else run.framework_id)


def document_infos(engine: Engine, org_ids: Sequence[str]) -> list[Any]:
    """What ``policyaudit.analysis`` needs of the stored documents of these organisations."""
    from policyaudit.analysis import DocumentInfo

    with session_scope(engine) as session:
        rows = session.scalars(
            select(m.Document)
            .where(m.Document.org_id.in_(list(org_ids)))
            .order_by(m.Document.org_id, m.Document.relpath)
        ).all()
        return [DocumentInfo.from_row(r) for r in rows]


def fallback_attributes(fw: Framework, org_id: str, judgements: Sequence[Judgement]):
    """Attributes of an organisation no longer in the database: from its judgements alone."""
    from policyaudit.assess.attributes import definition_class

    own = [j for j in judgements if j.org_id == org_id]
    cls, doc, text = definition_class(fw, own)
    return OrgAttributes(
        org_id=org_id,
        has_dedicated_policy=False,
        dedicated_policy_source="detected",
        dedicated_documents=[],
        definition_class=cls,  # type: ignore[arg-type]
        definition_document=doc,
        definition_text=text,
        harm_reduction_mentioned=False,
        documents_with_guidance=sorted(
            {d for j in own if j.verdict != "not_met" for d in j.evidence_documents}
        ),
    )


def organisation_context(
    engine: Engine, loaded: LoadedFramework, judgements: Sequence[Judgement]
) -> tuple[list[OrgAttributes], dict[str, str], dict[str, int], list[Problem]]:
    """Attributes, names and document counts of the run's organisations, from the store.

    An organisation whose documents were removed since the run keeps its judgements; its
    attributes come from them alone, and a problem says so.
    """
    from policyaudit.assess.attributes import organisation_attributes
    from policyaudit.assess.audit import load_organisations
    from policyaudit.assess.engine import prepare

    fw = loaded.framework
    org_ids = sorted({j.org_id for j in judgements})
    by_org: dict[str, list[Judgement]] = {}
    for j in judgements:
        by_org.setdefault(j.org_id, []).append(j)
    stored = {o.org_id: o for o in load_organisations(engine, org_ids)}
    attrs, names, n_docs, problems = [], {}, {}, []
    for org_id in org_ids:
        org = stored.get(org_id)
        if org is None:
            attrs.append(fallback_attributes(fw, org_id, judgements))
            problems.append(Problem(org_id, "not in database", "attributes from judgements only"))
            continue
        text = prepare(org.org_id, org.passages, fw)
        attrs.append(organisation_attributes(fw, text, by_org[org_id], org.titles, org.override))
        names[org_id], n_docs[org_id] = org.name, org.n_documents
    return attrs, names, n_docs, problems


def analysis_for(
    engine: Engine,
    loaded: LoadedFramework,
    judgements: Sequence[Judgement],
    attributes: Sequence[OrgAttributes],
    as_of: date,
) -> dict[str, Any] | None:
    """``policyaudit.analysis.build_analysis`` on stored documents; None if it is unavailable."""
    try:
        from policyaudit.analysis import build_analysis
    except ImportError:
        return None
    docs = document_infos(engine, sorted({j.org_id for j in judgements}))
    return build_analysis(loaded, judgements, attributes, docs, as_of)


def write_audit_outputs(
    out: Path, loaded: LoadedFramework, result: Any, db: str | Path, corpus: Path
) -> dict[str, Path]:
    """Every output of a fresh ``assess.audit.audit`` result, as ``policyaudit audit`` writes
    them (the benchmark times this same call)."""
    from policyaudit.report.outputs import write_all

    names = {o.org_id: o.name for o in result.organisations}
    n_docs = {o.org_id: o.n_documents for o in result.organisations}
    run_info = {"run_id": result.run_id, "corpus": str(corpus), "judged": result.judged}
    analysis = analysis_for(
        make_engine(db), loaded, result.judgements, result.attributes, date.today()
    )
    return write_all(
        out,
        loaded,
        result.judgements,
        result.attributes,
        names,
        n_docs,
        result.problems,
        run_info,
        analysis,
    )


def run_info_of(run: m.Run, loaded: LoadedFramework) -> dict[str, Any]:
    """summary.json's ``run``: what the stored run records, and that this is a rebuild."""
    created = run.finished_at or run.created_at
    info: dict[str, Any] = {
        "run_id": run.id,
        "corpus": run.corpus,
        "created": created.isoformat(timespec="seconds") if created else None,
        "engine_version": run.engine_version,
        "rebuilt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if run.framework_hash and run.framework_hash != loaded.sha256:
        info["framework_note"] = (
            f"the framework file changed since the run (run sha256 {run.framework_hash[:12]});"
            " criteria shown are the current ones"
        )
    return info


def rebuild_outputs(
    db: str | Path,
    run_id: int | None,
    out: Path,
    framework: str | Path | None = None,
    as_of: date | None = None,
) -> dict[str, Path]:
    """Write every output of audit run ``run_id`` (default: the latest) into ``out``.

    Reads the judgements, organisations, documents and problems from ``db``; judges nothing.
    ``as_of`` (overdue reviews) defaults to the run's date, so a rebuild reproduces the run.
    Raises ``RunNotFoundError`` and ``FrameworkError``.
    """
    from policyaudit.report.outputs import write_all

    engine = make_engine(db)
    run = select_run(engine, run_id)
    loaded = run_framework(run, framework)
    judgements = stored_judgements(engine, run.id)
    attrs, names, n_docs, missing = organisation_context(engine, loaded, judgements)
    when = run.finished_at or run.created_at
    as_of = as_of or (when.date() if when else date.today())
    analysis = analysis_for(engine, loaded, judgements, attrs, as_of)
    problems = run_problems(engine, run) + missing
    info = run_info_of(run, loaded)
    return write_all(out, loaded, judgements, attrs, names, n_docs, problems, info, analysis)


def latest_two(engine: Engine) -> tuple[int, int]:
    """The two most recent audit runs (older, newer), for comparing without naming them."""
    ids = audit_run_ids(engine)
    if len(ids) < 2:
        raise RunNotFoundError(f"need two audit runs to compare, found {len(ids)}")
    return ids[-2], ids[-1]


def names_of(engine: Engine) -> Mapping[str, str]:
    with session_scope(engine) as session:
        return {o.org_id: o.name or "" for o in session.scalars(select(m.Organisation))}
