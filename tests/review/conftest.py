"""Fixtures for the review app: one real audit of the demo corpus per module, copied per test."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from policyaudit.assess.audit import audit
from policyaudit.demo import corpus_path
from policyaudit.review.app import create_app
from policyaudit.review.auth import add_user
from policyaudit.store.db import make_engine, session_scope

PASSWORDS = {"lead": "lead-password", "bob": "bob-password", "carol": "carol-password"}
BASE_URL = "http://127.0.0.1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The demo corpus audited (lexical engine) once per test module: (db file, run id)."""
    db = tmp_path_factory.mktemp("audit") / "audit.sqlite"
    result = audit(corpus_path(), db, semantic=False, progress=False)
    return db, result.run_id


@pytest.fixture
def db_path(audited: tuple[Path, int], tmp_path: Path) -> Path:
    """A private copy of the audited database with a lead and two coders."""
    path = tmp_path / "review.sqlite"
    shutil.copy(audited[0], path)
    with session_scope(make_engine(path)) as session:
        add_user(session, "lead", PASSWORDS["lead"], "lead")
        add_user(session, "bob", PASSWORDS["bob"])
        add_user(session, "carol", PASSWORDS["carol"])
    return path


@pytest.fixture
def run_id(audited: tuple[Path, int]) -> int:
    return audited[1]


@pytest.fixture
def engine(db_path: Path) -> Engine:
    return make_engine(db_path)


@pytest.fixture
def app(db_path: Path):
    return create_app(str(db_path), corpus_path(), "test-secret")


@pytest.fixture
def anon(app) -> TestClient:
    return TestClient(app, base_url=BASE_URL)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(app, name: str) -> TestClient:
    client = TestClient(app, base_url=BASE_URL)
    token = csrf_of(client)
    response = client.post(
        "/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token}
    )
    assert response.status_code == 200, response.text  # followed the redirect
    client.csrf = csrf_of(client, "/")  # type: ignore[attr-defined]
    return client


@pytest.fixture
def login(app) -> Callable[[str], TestClient]:
    return lambda name: sign_in(app, name)
