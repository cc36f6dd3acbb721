"""A coder's pages: the runs, a run's matrix (the queue), one cell, saving it, passage search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policyaudit.assess.types import VERDICTS, Evidence, judgement_from_dict
from policyaudit.review import service as svc
from policyaudit.review.highlight import (
    compile_cues,
    highlight,
    literal_pattern,
    query_terms,
    term_pattern,
)
from policyaudit.review.web import RunInfo, db, is_htmx, query, render, require_user, run_info
from policyaudit.store.models import Document, Judgement, Run
from policyaudit.store.review_models import Coding, User

router = APIRouter()


@router.get("/")
def runs_page(request: Request) -> Response:
    with db(request) as session:
        user = require_user(request, session)
        counts = dict(
            session.execute(
                select(Judgement.run_id, func.count(func.distinct(Judgement.org_id))).group_by(
                    Judgement.run_id
                )
            ).all()
        )
        runs = session.scalars(select(Run).where(Run.kind == "audit").order_by(Run.id.desc())).all()
        return render(request, "runs.html", {"user": user, "runs": runs, "counts": counts})


def parse_filters(request: Request, session: Session, run_id: int, user: User) -> svc.Filters:
    """Filters from the query string; bad numbers are ignored rather than failing the page."""
    q = request.query_params
    mine_param = q.get("mine")
    mine = (
        mine_param == "1"
        if mine_param in ("0", "1")
        else bool(svc.my_orgs(session, run_id, user.name))
    )
    return svc.Filters(
        standard=q.get("standard") or None,
        org=q.get("org") or None,
        verdict=q.get("verdict") if q.get("verdict") in VERDICTS else None,
        conf_min=_float(q.get("conf_min")),
        conf_max=_float(q.get("conf_max")),
        status=q.get("status") if q.get("status") in svc.STATUSES else None,
        mine=mine,
    )


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def filters_query(f: svc.Filters) -> str:
    return query(
        standard=f.standard,
        org=f.org,
        verdict=f.verdict,
        conf_min=f.conf_min,
        conf_max=f.conf_max,
        status=f.status,
        mine="1" if f.mine else "0",
    )


def queue_for(session: Session, info: RunInfo, user: User, f: svc.Filters) -> list[svc.CellRow]:
    rows = svc.cells(session, info.run.id, user, info.standard_ids)
    return svc.apply_filters(rows, f, svc.my_orgs(session, info.run.id, user.name))


@router.get("/runs/{run_id}")
def matrix_page(request: Request, run_id: int) -> Response:
    with db(request) as session:
        user = require_user(request, session)
        info = run_info(session, run_id)
        f = parse_filters(request, session, run_id, user)
        rows = queue_for(session, info, user, f)
        context = {
            "user": user,
            "info": info,
            "rows": rows,
            "filters": f,
            "qs": filters_query(f),
            "orgs": svc.org_names(session),
            "verdicts": VERDICTS,
            "statuses": svc.STATUSES,
        }
        return render(request, "matrix.html", context)


def cell_url(run_id: int, org_id: str, std: str, qs: str = "") -> str:
    from urllib.parse import quote

    base = f"/runs/{run_id}/cells/{quote(org_id, safe='')}/{quote(std, safe='')}"
    return f"{base}?{qs}" if qs else base


@router.get("/runs/{run_id}/cells/{org_id}/{std}")
def cell_page(request: Request, run_id: int, org_id: str, std: str) -> Response:
    with db(request) as session:
        user = require_user(request, session)
        context = cell_context(request, session, user, run_id, org_id, std)
        mine = context["mine"]
        context["form"] = form_state(mine)
        if request.query_params.get("saved"):
            context["message"] = ("ok", "Saved.")
        return render(request, "cell.html", context)


def form_state(coding: Coding | None) -> dict[str, Any]:
    if coding is None:
        return {"verdict": None, "conflicts": False, "note": "", "evidence": None, "version": 0}
    return {
        "verdict": coding.verdict,
        "conflicts": coding.conflicts,
        "note": coding.note,
        "evidence": coding.evidence_passage_id,
        "version": coding.version,
    }


def cell_context(
    request: Request, session: Session, user: User, run_id: int, org_id: str, std: str
) -> dict[str, Any]:
    """Everything the cell page shows; the engine and other coders only when not blind."""
    info = run_info(session, run_id)
    judgement = svc.engine_judgement(session, run_id, org_id, std)
    if judgement is None:
        raise HTTPException(404, "No such cell in this run.")
    blind = org_id in svc.blind_orgs(session, run_id, user.name)
    standard = info.standard(std)
    f = parse_filters(request, session, run_id, user)
    qs = filters_query(f)
    nxt = svc.next_cell(queue_for(session, info, user, f), org_id, std)
    details = judgement_from_dict(judgement.details) if judgement.details else None
    mine = svc.get_coding(session, run_id, org_id, std, user.name)
    patterns = _patterns(standard)
    nearest = details.nearest if details else []
    evidence = None if blind or details is None else details.evidence
    candidate_ids = [e.passage_id for e in nearest] + [evidence.passage_id if evidence else None]
    candidate_ids.append(mine.evidence_passage_id if mine else None)
    passages = svc.passages_by_id(session, [i for i in candidate_ids if isinstance(i, int)])
    others = [] if blind else _others(session, run_id, org_id, std, user.name)
    return {
        "user": user,
        "info": info,
        "standard": standard,
        "std": std,
        "org_id": org_id,
        "org_name": svc.org_names(session).get(org_id, org_id),
        "blind": blind,
        "engine": None if blind else judgement,
        "details": None if blind else details,
        "evidence": _shown(session, org_id, evidence, passages, patterns) if evidence else None,
        "nearest": [_shown(session, org_id, e, passages, patterns) for e in nearest],
        "candidates": _candidates(passages, nearest, evidence, mine),
        "mine": mine,
        "others": others,
        "consensus": None if blind else _consensus(session, run_id, org_id, std),
        "history": _history(session, run_id, org_id, std, user, blind),
        "next": cell_url(run_id, nxt.org_id, nxt.standard_id, qs) if nxt else None,
        "action": cell_url(run_id, org_id, std, qs),
        "search_url": f"/runs/{run_id}/orgs/{org_id}/search",
        "back": f"/runs/{run_id}?{qs}",
        "verdicts": VERDICTS,
        "message": None,
    }


def _patterns(standard) -> list:
    if standard is None:
        return []
    cues = [c for e in standard.elements for c in e.cues]
    return [term_pattern(query_terms(standard.retrieval_query)), *compile_cues(cues)]


def _shown(session: Session, org_id: str, ev: Evidence, passages: dict, patterns: list) -> dict:
    """A passage to display: full text when the passage still exists, its link, highlights."""
    found = passages.get(ev.passage_id) if isinstance(ev.passage_id, int) else None
    text = found[0].text if found else ev.quote
    return {
        "id": found[0].id if found else None,
        "document": ev.document,
        "page": ev.page,
        "section": ev.section,
        "html": highlight(text, patterns),
        "href": doc_href(session, org_id, ev, found),
    }


def doc_href(session: Session, org_id: str, ev: Evidence, found: tuple | None) -> str | None:
    if found:
        passage, document = found
        return f"/documents/{document.id}#p{passage.id}"
    doc = session.scalar(
        select(Document).where(Document.org_id == org_id, Document.stem == ev.document)
    )
    if doc is None:
        return None
    return f"/documents/{doc.id}" + (f"#page-{ev.page}" if ev.page else "")


def _candidates(passages: dict, nearest: list, evidence, mine: Coding | None) -> list[dict]:
    """Passages offered as the coder's evidence: the nearest, and the current choice."""
    ids = [e.passage_id for e in nearest]
    if evidence is not None:
        ids.insert(0, evidence.passage_id)
    if mine and mine.evidence_passage_id:
        ids.insert(0, mine.evidence_passage_id)
    out = []
    for pid in dict.fromkeys(i for i in ids if i in passages):
        passage, document = passages[pid]
        label = f"{document.stem}" + (f", p. {passage.page}" if passage.page else "")
        out.append({"id": pid, "label": label, "text": passage.text[:160]})
    return out


def _others(session: Session, run_id: int, org_id: str, std: str, me: str) -> list[Coding]:
    return [c for c in svc.cell_codings(session, run_id, org_id, std) if c.coder != me]


def _consensus(session: Session, run_id: int, org_id: str, std: str):
    from policyaudit.store.review_models import Consensus

    return session.scalar(
        select(Consensus).where(
            Consensus.run_id == run_id, Consensus.org_id == org_id, Consensus.standard_id == std
        )
    )


def _history(session: Session, run_id: int, org_id: str, std: str, user: User, blind: bool):
    """The cell's trail: a lead (not blind here) sees everyone's, a coder only their own."""
    rows = svc.events(session, run_id, org_id, std)
    if user.is_lead and not blind:
        return rows
    return [e for e in rows if e.coder == user.name]


@router.post("/runs/{run_id}/cells/{org_id}/{std}")
async def save_cell(request: Request, run_id: int, org_id: str, std: str) -> Response:
    form = await request.form()
    submitted = {
        "verdict": str(form.get("verdict", "")),
        "conflicts": form.get("conflicts") in ("on", "true", "1"),
        "note": str(form.get("note", "")),
        "evidence": _int(form.get("evidence_passage_id")),
        "version": _int(form.get("version")) or 0,
    }
    data = svc.CodingInput(
        submitted["verdict"], submitted["conflicts"], submitted["note"], submitted["evidence"]
    )
    with db(request) as session:
        user = require_user(request, session)
        if svc.engine_judgement(session, run_id, org_id, std) is None:
            raise HTTPException(404, "No such cell in this run.")
        try:
            saved = svc.save_coding(
                session, run_id, org_id, std, user.name, data, submitted["version"]
            )
        except svc.StaleCoding as exc:
            context = cell_context(request, session, user, run_id, org_id, std)
            return _refused(request, context, submitted, exc)
        except svc.ReviewError as exc:
            context = cell_context(request, session, user, run_id, org_id, std)
            context |= {"form": submitted, "message": ("error", str(exc))}
            return _form_response(request, context, 422)
        if not is_htmx(request):
            qs = request.url.query
            target = cell_url(run_id, org_id, std, f"{qs}&saved=1" if qs else "saved=1")
            return RedirectResponse(target, status_code=303)
        context = cell_context(request, session, user, run_id, org_id, std)
        context |= {"form": form_state(saved), "message": ("ok", "Saved.")}
        return _form_response(request, context, 200)


def _refused(request: Request, context: dict, submitted: dict, exc: svc.StaleCoding) -> Response:
    """409: say who saved what, keep the coder's input, and base the form on the new version
    so that saving again is a deliberate overwrite (recorded like any change)."""
    current = exc.current
    detail = (
        f"This cell was saved elsewhere (version {current.version}, verdict "
        f"{current.verdict}) after you opened it. Your input is kept below: check it "
        "and save again to replace that version."
        if current
        else "This cell changed after you opened it. Your input is kept below."
    )
    form = {**submitted, "version": current.version if current else 0}
    context |= {"mine": current, "form": form, "message": ("conflict", detail)}
    return _form_response(request, context, 409)


def _form_response(request: Request, context: dict, status: int) -> Response:
    template = "_coding.html" if is_htmx(request) else "cell.html"
    return render(request, template, context, status)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@router.get("/runs/{run_id}/orgs/{org_id}/search")
def search(request: Request, run_id: int, org_id: str, q: str = "") -> Response:
    with db(request) as session:
        user = require_user(request, session)
        info = run_info(session, run_id)
        pattern = literal_pattern(q.split())
        results = [
            {
                "id": p.id,
                "document": d.stem,
                "page": p.page,
                "html": highlight(p.text, [pattern]),
                "href": f"/documents/{d.id}#p{p.id}",
            }
            for p, d in svc.search_passages(session, org_id, q)
        ]
        template = "_search.html" if is_htmx(request) else "search.html"
        context = {"user": user, "info": info, "org_id": org_id, "q": q, "results": results}
        return render(request, template, context)
