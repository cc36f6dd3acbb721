"""End to end on the shared development corpus, with the real extractor."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from policyaudit.corpus.ingest import ingest
from policyaudit.extract import extract_document
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope
from policyaudit.store.read import to_extracted

DEV_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus-dev" / "documents"

pytestmark = pytest.mark.skipif(
    not DEV_CORPUS.is_dir(), reason=f"development corpus not found at {DEV_CORPUS}"
)


def sample_path(doc: m.Document) -> Path:
    return DEV_CORPUS / doc.org_id / doc.relpath


def test_dev_corpus_ingests_every_document_without_problems(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    report = ingest(DEV_CORPUS, db, progress=False, out_dir=tmp_path)
    assert report.problems == []
    assert (report.seen, report.extracted, report.failed) == (38, 38, 0)
    with session_scope(make_engine(db, create=False)) as session:
        docs = session.scalars(select(m.Document)).all()
        orgs = session.scalars(select(m.Organisation)).all()
        assert len(docs) == 38 and len(orgs) == 12
        thin = {d.corpus_path: d.n_sections for d in docs if d.n_sections < 5}
        assert thin == {}
        assert all(o.name for o in orgs)
        sample = next(d for d in docs if d.format == "pdf")
        assert to_extracted(sample) == extract_document(sample_path(sample))
    again = ingest(DEV_CORPUS, db, progress=False)
    assert (again.unchanged, again.extracted) == (38, 0)
