"""Sign-in and sign-out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from policyaudit.review.auth import authenticate
from policyaudit.review.web import current_user, db, render, session_of

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    with db(request) as session:
        user = current_user(request, session)
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "name": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    with db(request) as session:
        user = authenticate(session, name, password)
        uid = user.id if user else None
    if uid is None:
        context = {"next": target, "error": "Wrong name or password.", "name": name}
        return render(request, "login.html", context, status=401)
    # a new CSRF token at sign-in, so a token seen before it is worth nothing after
    request.state.session = {"uid": uid, "csrf": secrets.token_urlsafe(32)}
    request.state.session_changed = True
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    session_of(request)["uid"] = None
    request.state.logout = True
    return RedirectResponse("/login", status_code=303)
