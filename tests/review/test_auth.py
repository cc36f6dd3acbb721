"""Sign-in, sessions and CSRF: nobody gets in without a password, no form is forged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from policyaudit.review.auth import hash_password, verify_password
from policyaudit.store.db import session_scope
from policyaudit.store.review_models import Coding

from .conftest import PASSWORDS, csrf_of

PROTECTED_GETS = [
    "/",
    "/runs/{run}",
    "/runs/{run}/cells/T01/S01",
    "/runs/{run}/orgs/T01/search?q=harm",
    "/documents/1",
    "/files/T01/anything.pdf",
    "/runs/{run}/assignments",
    "/runs/{run}/disagreements",
    "/runs/{run}/agreement",
    "/runs/{run}/events",
]


def test_password_hash_is_salted_and_verifiable():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a)
    assert not verify_password("wrong horse", a)
    assert not verify_password("correct horse", "not-a-hash")
    assert not verify_password("correct horse", "pbkdf2$1$2$3$00$00")


@pytest.mark.parametrize("path", PROTECTED_GETS)
def test_every_page_requires_sign_in(anon: TestClient, run_id: int, path: str):
    response = anon.get(path.format(run=run_id), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_htmx_request_without_session_gets_401_and_redirect_header(anon, run_id):
    response = anon.get(f"/runs/{run_id}/orgs/T01/search?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize(
    ("name", "password"), [("bob", "wrong-password"), ("nobody", "whatever-pass")]
)
def test_wrong_password_or_unknown_user_is_refused(anon, name, password):
    token = csrf_of(anon)
    response = anon.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong name or password." in response.text
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_hardened_cookie_and_rotates_csrf(anon):
    before = csrf_of(anon)
    response = anon.post(
        "/login",
        data={"name": "bob", "password": PASSWORDS["bob"], "csrf_token": before},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # on localhost the cookie works over plain HTTP
    assert anon.get("/").status_code == 200
    assert csrf_of(anon, "/") != before


def test_cookie_is_secure_away_from_localhost(app):
    client = TestClient(app, base_url="https://review.example.org")
    response = client.get("/login")
    assert "secure" in response.headers["set-cookie"].lower()


def test_security_headers(anon):
    response = anon.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_next_is_only_a_local_path(anon):
    token = csrf_of(anon)
    data = {"name": "bob", "password": PASSWORDS["bob"], "csrf_token": token}
    response = anon.post("/login", data={**data, "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_tampered_cookie_is_ignored(login):
    client = login("bob")
    cookie = client.cookies.get("policyaudit_review")
    client.cookies.clear()
    client.cookies.set("policyaudit_review", cookie[:-2] + "xx", domain="127.0.0.1")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(login):
    client = login("bob")
    response = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_coder_cannot_open_lead_pages(login, run_id):
    client = login("bob")
    for page in ("assignments", "disagreements", "agreement", "events"):
        assert client.get(f"/runs/{run_id}/{page}").status_code == 403


def test_unknown_run_is_404(login):
    assert login("bob").get("/runs/999").status_code == 404


# --- CSRF -------------------------------------------------------------------------------


def _cell(run_id: int) -> str:
    return f"/runs/{run_id}/cells/T01/S01"


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_login_needs_the_csrf_token(anon, token):
    data = {"name": "bob", "password": PASSWORDS["bob"]}
    if token is not None:
        data["csrf_token"] = token
    assert anon.post("/login", data=data).status_code == 403


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_saving_needs_the_csrf_token(login, run_id, engine, token):
    client = login("bob")
    data = {"verdict": "met", "version": "0"}
    if token:
        data["csrf_token"] = token
    response = client.post(_cell(run_id), data=data)
    assert response.status_code == 403
    assert "security token" in response.text
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == 0


def test_csrf_header_is_accepted_for_htmx(login, run_id):
    client = login("bob")
    response = client.post(
        _cell(run_id),
        data={"verdict": "met", "version": "0"},
        headers={"X-CSRF-Token": client.csrf, "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Saved." in response.text


def test_token_of_another_session_is_refused(login, run_id):
    bob, carol = login("bob"), login("carol")
    data = {"verdict": "met", "version": "0", "csrf_token": carol.csrf}
    assert bob.post(_cell(run_id), data=data).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/logout", "/runs/{run}/assignments", "/runs/{run}/consensus/T01/S01"],
)
def test_every_post_checks_csrf(login, run_id, path):
    client = login("lead")
    assert client.post(path.format(run=run_id), data={"x": "1"}).status_code == 403


def test_json_body_cannot_skip_the_check(login, run_id):
    client = login("bob")
    response = client.post(_cell(run_id), json={"verdict": "met", "csrf_token": client.csrf})
    assert response.status_code == 403
