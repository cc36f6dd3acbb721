"""Shared fixtures: corpus folders built on the fly and a fake extractor that counts its calls."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from policyaudit import extract
from policyaudit.extract.model import (
    DocumentMetadata,
    ExtractedDocument,
    ExtractionError,
    Passage,
    Section,
)

FAKE_SUFFIXES = frozenset({".txt", ".md", ".pdf", ".docx", ".html"})


def write_corpus(root: Path, files: dict[str, str | bytes], orgs_csv: str | None = None) -> Path:
    """Create ``root`` with ``files`` (paths relative to it) and an optional organisations.csv."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if orgs_csv is not None:
        (root / "organisations.csv").write_text(orgs_csv, encoding="utf-8")
    return root


def fake_document(text: str) -> ExtractedDocument:
    """Lines starting with '# ' are headings, other lines passages; a few keywords steer it.

    ``BAD`` on the first line raises ExtractionError; a line ``WARN x`` adds warning ``x``;
    ``REVIEW yyyy-mm-dd`` sets the review date.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("BAD"):
        raise ExtractionError("unreadable", lines[0])
    warnings = [line[5:] for line in lines if line.startswith("WARN ")]
    reviews = [date.fromisoformat(line[7:]) for line in lines if line.startswith("REVIEW ")]
    body = "\n".join(lines)
    sections = [Section("", 0, [], None, None)]
    offset = 0
    for line in lines:
        if line.startswith("# "):
            sections.append(Section(line[2:], 1, [line[2:]], None, None))
        else:
            sections[-1].passages.append(Passage(line, offset, offset + len(line), None))
        offset += len(line) + 1
    return ExtractedDocument(
        text=body,
        sections=sections,
        pages=None,
        metadata=DocumentMetadata(title=lines[0] if lines else None,
                                  review_date=reviews[0] if reviews else None),
        warnings=warnings,
    )


@pytest.fixture
def fake_extract(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the extractor with ``fake_document``; returns the list of paths it was called on."""
    calls: list[Path] = []

    def extract_document(path: Path) -> ExtractedDocument:
        calls.append(path)
        return fake_document(path.read_text(encoding="utf-8", errors="replace"))

    monkeypatch.setattr(extract, "extract_document", extract_document, raising=False)
    monkeypatch.setattr(extract, "SUPPORTED_SUFFIXES", FAKE_SUFFIXES, raising=False)
    return calls


@pytest.fixture
def corpus_factory(tmp_path: Path) -> Callable[..., Path]:
    def make(files: dict[str, str | bytes], orgs_csv: str | None = None) -> Path:
        return write_corpus(tmp_path / "corpus", files, orgs_csv)

    return make


# --- Databases: every store test runs on SQLite and, where a server is given, PostgreSQL ---

PG_URL_ENV = "POLICYAUDIT_TEST_PG_URL"


@pytest.fixture(scope="module")
def pg_module_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new PostgreSQL database for this test module, dropped afterwards.

    Skipped only when ``POLICYAUDIT_TEST_PG_URL`` is unset: with it set, an unreachable server
    is an error, so CI cannot silently lose the PostgreSQL runs.
    """
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set (start a server: scripts/pg-test-cluster.sh start)")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    module = request.module.__name__.rsplit(".", 1)[-1].lower()
    name = f"pa_{module[:40]}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # FORCE: engines the tests left open hold connections
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: a SQLite file, or a fresh schema in the module's PostgreSQL database.

    The schema is the connection's only ``search_path`` entry, so each test sees only its own
    tables while the module pays for one ``CREATE DATABASE``.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    module_url = request.getfixturevalue("pg_module_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(module_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    url = make_url(module_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
