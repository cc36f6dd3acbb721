"""``policyaudit users`` and ``policyaudit review`` (the server itself is not started)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from policyaudit.cli import review, users
from policyaudit.store.db import make_engine

runner = CliRunner()


def cli() -> typer.Typer:
    """The commands as cli/main.py registers them."""
    app = typer.Typer()
    app.command("review")(review.review_command)
    app.add_typer(users.app, name="users")
    return app


def test_users_add_and_list(tmp_path):
    db = str(tmp_path / "a.sqlite")
    result = runner.invoke(
        cli(), ["users", "add", "ann", "--lead", "--db", db], input="long-password\nlong-password\n"
    )
    assert result.exit_code == 0, result.output
    assert "added lead ann" in result.output
    result = runner.invoke(
        cli(), ["users", "add", "ben", "--password-stdin", "--db", db], input="another-password\n"
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(cli(), ["users", "list", "--db", db]).output
    assert "ann\tlead" in listing and "ben\tcoder" in listing


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ann"], "long-password\nother-password\n", "the two passwords differ"),
        (["ann", "--password-stdin"], "short\n", "at least 8 characters"),
    ],
)
def test_users_add_refuses(tmp_path, args, stdin, message):
    db = str(tmp_path / "a.sqlite")
    result = runner.invoke(cli(), ["users", "add", *args, "--db", db], input=stdin)
    assert result.exit_code == 2 and message in result.output


def test_duplicate_user_is_refused(tmp_path):
    db = str(tmp_path / "a.sqlite")
    args = ["users", "add", "ann", "--password-stdin", "--db", db]
    assert runner.invoke(cli(), args, input="long-password\n").exit_code == 0
    result = runner.invoke(cli(), args, input="long-password\n")
    assert result.exit_code == 2 and "already exists" in result.output


@pytest.fixture
def served(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    return calls


def test_review_refuses_a_network_address_without_users(tmp_path, served):
    db = str(tmp_path / "a.sqlite")
    make_engine(db)
    result = runner.invoke(cli(), ["review", db, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "refusing to listen on 0.0.0.0" in result.output
    assert served == []
    result = runner.invoke(cli(), ["review", db])
    assert result.exit_code == 0 and served == [
        {"host": "127.0.0.1", "port": 8765, "log_level": "warning"}
    ]


def test_review_allows_a_network_address_once_users_exist(tmp_path, served):
    db = str(tmp_path / "a.sqlite")
    runner.invoke(
        cli(), ["users", "add", "ann", "--password-stdin", "--db", db], input="long-password\n"
    )
    result = runner.invoke(cli(), ["review", db, "--host", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 9000


def test_review_needs_an_existing_database(tmp_path, served):
    result = runner.invoke(cli(), ["review", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no database" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert review.is_loopback(host) is loopback
