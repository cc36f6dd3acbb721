"""Plumbing shared by the review app's routes: cookie sessions, CSRF, users, templates, runs.

The session is a signed cookie (itsdangerous) holding the user id and a CSRF token; nothing is
kept server-side, so the app needs no session table. Every request gets a session, even before
sign-in, so the sign-in form is CSRF-protected too.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from policyaudit.framework.loader import FrameworkError, LoadedFramework, load_framework
from policyaudit.framework.schema import Standard
from policyaudit.store.db import session_scope
from policyaudit.store.models import Judgement, Run
from policyaudit.store.review_models import User

COOKIE = "policyaudit_review"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
TEMPLATES = Path(__file__).resolve().parent / "templates"


class LoginRequired(Exception):
    """Raised by ``require_user``; the app answers with a redirect to the sign-in page."""


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.1f}%"
    env.filters["num"] = lambda x, d=3: "–" if x is None or x != x else f"{x:.{d}f}"
    return env


def serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="policyaudit-review-session")


def load_session(request: Request) -> dict[str, Any]:
    """The signed session in the cookie, or a fresh anonymous one with its own CSRF token."""
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = request.app.state.signer.loads(raw, max_age=SESSION_MAX_AGE)
            if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                return data
        except BadSignature:
            pass
    return {"uid": None, "csrf": secrets.token_urlsafe(32), "new": True}


def store_session(request: Request, response: Any, data: dict[str, Any] | None) -> None:
    """Write the session cookie (or delete it); Secure unless the app is reached on localhost."""
    if data is None:
        response.delete_cookie(COOKIE, path="/")
        return
    payload = {k: v for k, v in data.items() if k != "new"}
    response.set_cookie(
        COOKIE,
        request.app.state.signer.dumps(payload),
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.hostname not in LOCAL_HOSTS,
    )


def session_of(request: Request) -> dict[str, Any]:
    return request.state.session


async def csrf_guard(request: Request) -> None:
    """Every unsafe request must echo the session's token (form field or htmx header)."""
    if request.method in SAFE_METHODS:
        return
    expected = session_of(request)["csrf"]
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "The form's security token is missing or wrong. Reload the page.")


@contextmanager
def db(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        yield session


def current_user(request: Request, session: Session) -> User | None:
    uid = session_of(request).get("uid")
    return session.get(User, uid) if isinstance(uid, int) else None


def require_user(request: Request, session: Session) -> User:
    user = current_user(request, session)
    if user is None:
        raise LoginRequired()
    return user


def require_lead(request: Request, session: Session) -> User:
    user = require_user(request, session)
    if not user.is_lead:
        raise HTTPException(403, "Only a project lead can open this page.")
    return user


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    html = env.get_template(template).render(
        request=request, csrf=session_of(request)["csrf"], **context
    )
    return HTMLResponse(html, status_code=status)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def query(**params: Any) -> str:
    """A query string without the empty parameters."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


@dataclass(frozen=True)
class RunInfo:
    """A run and the framework it was judged against (None when the file cannot be found)."""

    run: Run
    framework: LoadedFramework | None
    standard_ids: list[str]
    warning: str | None

    def standard(self, standard_id: str) -> Standard | None:
        if self.framework is None:
            return None
        try:
            return self.framework.framework.standard(standard_id)
        except KeyError:
            return None

    def title(self, standard_id: str) -> str:
        s = self.standard(standard_id)
        return s.title if s else standard_id


def run_info(session: Session, run_id: int) -> RunInfo:
    run = session.get(Run, run_id)
    if run is None or run.kind != "audit":
        raise HTTPException(404, f"No audit run {run_id}.")
    loaded, warning = _framework(run.framework_id, run.framework_hash)
    judged = session.scalars(
        select(Judgement.standard_id).where(Judgement.run_id == run_id).distinct()
    )
    order = [s.id for s in loaded.framework.standards] if loaded else []
    order += sorted(set(judged) - set(order))
    return RunInfo(run, loaded, order, warning)


def _framework(
    framework_id: str | None, sha256: str | None
) -> tuple[LoadedFramework | None, str | None]:
    loaded = _load(framework_id)
    if loaded is None:
        return None, f"The framework {framework_id!r} cannot be found: criteria are not shown."
    if sha256 and loaded.sha256 != sha256:
        return loaded, "The framework file has changed since this run: criteria may differ."
    return loaded, None


@lru_cache(maxsize=16)
def _load(framework_id: str | None) -> LoadedFramework | None:
    if not framework_id:
        return None
    try:
        return load_framework(framework_id)
    except FrameworkError:
        return None
