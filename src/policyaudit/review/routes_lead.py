"""A project lead's pages: assignments, disagreements and consensus, agreement, audit trail."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from policyaudit.assess.types import VERDICTS
from policyaudit.review import service as svc
from policyaudit.review.agreement_view import ENGINE, comparisons
from policyaudit.review.web import db, query, render, require_lead, run_info
from policyaudit.store.review_models import User

router = APIRouter()


@router.get("/runs/{run_id}/assignments")
def assignments_page(request: Request, run_id: int) -> Response:
    with db(request) as session:
        lead = require_lead(request, session)
        return _assignments(request, session, lead, run_id, None, 200)


def _assignments(request, session, lead, run_id: int, error: str | None, status: int):
    info = run_info(session, run_id)
    by_org: dict[str, list] = {}
    for a in svc.assignments(session, run_id):
        by_org.setdefault(a.org_id, []).append(a)
    orgs = sorted({j.org_id for j in svc.engine_judgements(session, run_id)})
    context = {
        "user": lead,
        "info": info,
        "orgs": orgs,
        "names": svc.org_names(session),
        "by_org": by_org,
        "done": svc.done_orgs(session, run_id),
        "coders": session.scalars(select(User.name).order_by(User.name)).all(),
        "error": error,
    }
    return render(request, "assignments.html", context, status)


@router.post("/runs/{run_id}/assignments")
async def assign(request: Request, run_id: int) -> Response:
    form = await request.form()
    org_ids = [str(o) for o in form.getlist("org_id")]
    coders = [str(form.get("coder_a", "")), str(form.get("coder_b", ""))]
    blind = form.get("blind") in ("on", "true", "1")
    with db(request) as session:
        lead = require_lead(request, session)
        known = {j.org_id for j in svc.engine_judgements(session, run_id)}
        try:
            if not org_ids or not set(org_ids) <= known:
                raise svc.ReviewError("choose one or more organisations of this run")
            if coders[0] == coders[1]:
                raise svc.ReviewError("double coding needs two different coders")
            svc.assign(session, run_id, org_ids, coders, blind, lead.name)
        except svc.ReviewError as exc:
            return _assignments(request, session, lead, run_id, str(exc), 422)
    return RedirectResponse(f"/runs/{run_id}/assignments", status_code=303)


@router.get("/runs/{run_id}/disagreements")
def disagreements_page(request: Request, run_id: int) -> Response:
    with db(request) as session:
        lead = require_lead(request, session)
        info = run_info(session, run_id)
        rows = svc.disagreements(session, run_id, lead.name, info.standard_ids)
        open_only = request.query_params.get("show") != "all"
        shown = [d for d in rows if d.consensus is None] if open_only else rows
        context = {
            "user": lead,
            "info": info,
            "rows": shown,
            "n_all": len(rows),
            "n_open": sum(d.consensus is None for d in rows),
            "open_only": open_only,
            "names": svc.org_names(session),
            "verdicts": VERDICTS,
            "error": request.query_params.get("error"),
        }
        return render(request, "disagreements.html", context)


@router.post("/runs/{run_id}/consensus/{org_id}/{std}")
async def record_consensus(request: Request, run_id: int, org_id: str, std: str) -> Response:
    form = await request.form()
    data = svc.CodingInput(
        verdict=str(form.get("verdict", "")),
        conflicts=form.get("conflicts") in ("on", "true", "1"),
        note=str(form.get("note", "")),
    )
    agreed_by = [str(x) for x in form.getlist("agreed_by")]
    with db(request) as session:
        lead = require_lead(request, session)
        if svc.engine_judgement(session, run_id, org_id, std) is None:
            raise HTTPException(404, "No such cell in this run.")
        if org_id in svc.blind_orgs(session, run_id, lead.name):
            raise HTTPException(403, "You are still coding this organisation blind.")
        try:
            svc.record_consensus(session, run_id, org_id, std, data, agreed_by, lead.name)
        except svc.ReviewError as exc:
            target = f"/runs/{run_id}/disagreements?" + query(show="all", error=str(exc))
            return RedirectResponse(target, status_code=303)
    return RedirectResponse(f"/runs/{run_id}/disagreements?show=all", status_code=303)


@router.get("/runs/{run_id}/agreement")
def agreement_page(request: Request, run_id: int) -> Response:
    with db(request) as session:
        lead = require_lead(request, session)
        info = run_info(session, run_id)
        context = {
            "user": lead,
            "info": info,
            "comparisons": comparisons(session, run_id, info.standard_ids),
            "engine": ENGINE,
        }
        return render(request, "agreement.html", context)


@router.get("/runs/{run_id}/events")
def events_page(request: Request, run_id: int) -> Response:
    with db(request) as session:
        lead = require_lead(request, session)
        info = run_info(session, run_id)
        org, std = request.query_params.get("org"), request.query_params.get("standard")
        hidden = svc.blind_orgs(session, run_id, lead.name)
        rows = [e for e in svc.events(session, run_id, org, std) if e.org_id not in hidden]
        context = {"user": lead, "info": info, "events": rows, "org": org, "standard": std}
        return render(request, "events.html", context)
