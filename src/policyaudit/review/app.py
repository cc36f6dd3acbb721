"""The review web app: FastAPI, Jinja2 templates, vendored htmx; nothing fetched at run time.

``create_app`` wires the database, the signed-cookie sessions, CSRF checking of every unsafe
request and the security headers; the routes live in ``routes_*`` modules.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import policyaudit.store.review_models  # noqa: F401  (registers the review tables)
from policyaudit.review import routes_auth, routes_coding, routes_documents, routes_lead
from policyaudit.review.web import (
    LoginRequired,
    csrf_guard,
    is_htmx,
    load_session,
    make_templates,
    query,
    render,
    serializer,
    store_session,
)
from policyaudit.store.db import make_engine

STATIC = Path(__file__).resolve().parent / "static"
# Pages never run inline or third-party scripts; htmx injects one inline <style>.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def create_app(db_url: str, corpus_dir: Path | None = None, secret: str | None = None) -> FastAPI:
    """The app for one database; ``corpus_dir`` enables serving the original files from it.

    Without ``secret`` a random one is made, so sessions end when the process does.
    """
    app = FastAPI(
        title="policyaudit review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_guard)],
    )
    app.state.engine = make_engine(db_url, create=True)
    app.state.corpus_dir = corpus_dir.resolve() if corpus_dir else None
    app.state.signer = serializer(secret or secrets.token_hex(32))
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (routes_auth, routes_coding, routes_documents, routes_lead):
        app.include_router(module.router)
    _install_session_middleware(app)
    _install_error_handlers(app)
    return app


def _install_session_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def sessions(request: Request, call_next) -> Response:
        request.state.session = load_session(request)
        response = await call_next(request)
        data = request.state.session
        if getattr(request.state, "logout", False):
            store_session(request, response, None)
        elif data.get("new") or getattr(request.state, "session_changed", False):
            store_session(request, response, data)
        for name, value in _security_headers().items():
            response.headers.setdefault(name, value)
        return response


def _security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = "/login?" + query(next=_next_target(request))
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Error"
        return render(
            request, "error.html", {"status": exc.status_code, "message": message}, exc.status_code
        )


def _next_target(request: Request) -> str:
    """Where to return after sign-in: only this app's own GET pages."""
    if request.method != "GET":
        return "/"
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")
