from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import fake_document
from sqlalchemy import func, select

from policyaudit.corpus import CorpusNotFoundError, Problem
from policyaudit.corpus.ingest import IngestReport, ingest
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope
from policyaudit.store.read import to_extracted

POLICY = "Self-harm policy\n# 1. Purpose\nWe support people.\n# 2. Procedure\nStaff ask.\n"
OBS = "Observation policy\n# 1. Scope\nAll wards.\n# 2. Levels\nGeneral and within eyesight.\n"


def counts(db: Path) -> dict[str, int]:
    engine = make_engine(db, create=False)
    with session_scope(engine) as s:
        return {
            table: s.scalar(select(func.count()).select_from(model))
            for table, model in [("documents", m.Document), ("sections", m.Section),
                                 ("passages", m.Passage), ("organisations", m.Organisation)]
        }


def orphans(db: Path) -> int:
    """Sections or passages whose document (or section) no longer exists."""
    engine = make_engine(db, create=False)
    with session_scope(engine) as s:
        docs = select(m.Document.id)
        sections = select(m.Section.id)
        return sum(
            s.scalar(select(func.count()).select_from(model).where(cond))
            for model, cond in [
                (m.Section, m.Section.document_id.not_in(docs)),
                (m.Passage, m.Passage.document_id.not_in(docs)),
                (m.Passage, m.Passage.section_id.not_in(sections)),
            ]
        )


def passages_of(db: Path, corpus_path: str) -> list[str]:
    org_id, relpath = corpus_path.split("/", 1)
    engine = make_engine(db, create=False)
    with session_scope(engine) as s:
        doc_id = s.scalar(select(m.Document.id).where(m.Document.org_id == org_id,
                                                      m.Document.relpath == relpath))
        return list(s.scalars(select(m.Passage.text).where(m.Passage.document_id == doc_id)
                              .order_by(m.Passage.ordinal)))


def run(corpus: Path, db: Path, **kw) -> IngestReport:
    report = ingest(corpus, db, workers=1, progress=False, **kw)
    assert report.seen == report.extracted + report.unchanged + report.failed
    return report


def test_first_ingest_stores_documents_sections_and_passages(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "B/sub/obs.md": OBS},
                            "org_id,name,region,has_dedicated_policy\nA,Alpha,North,yes\n")
    db = tmp_path / "out" / "audit.sqlite"
    report = run(corpus, db)
    assert (report.seen, report.extracted, report.unchanged, report.failed) == (2, 2, 0, 0)
    assert report.problems == [] and report.exit_status == 0
    assert counts(db) == {"documents": 2, "sections": 6, "passages": 6, "organisations": 2}
    assert passages_of(db, "A/policy.txt") == ["Self-harm policy", "We support people.",
                                               "Staff ask."]
    with session_scope(make_engine(db, create=False)) as s:
        doc = s.scalars(select(m.Document).where(m.Document.org_id == "B")).one()
        assert (doc.relpath, doc.filename, doc.stem, doc.format) == (
            "sub/obs.md", "obs.md", "obs", "md")
        assert doc.title == "Observation policy" and doc.n_sections == 3
        for p in doc.passages:  # offsets point into the stored text
            assert doc.text[p.start:p.end] == p.text
        org = s.scalars(select(m.Organisation).where(m.Organisation.org_id == "A")).one()
        assert (org.name, org.has_dedicated_policy_override) == ("Alpha", True)
        run_row = s.get_one(m.Run, report.run_id)
        assert (run_row.kind, run_row.status) == ("ingest", "complete")


def test_second_ingest_of_unchanged_corpus_extracts_nothing(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "B/obs.txt": OBS})
    db = tmp_path / "audit.sqlite"
    run(corpus, db)
    before = counts(db)
    assert len(fake_extract) == 2
    report = run(corpus, db)
    assert len(fake_extract) == 2  # no new calls
    assert (report.extracted, report.unchanged, report.replaced) == (0, 2, 0)
    assert counts(db) == before


def test_changed_file_is_re_extracted_and_its_rows_replaced(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "B/obs.txt": OBS})
    db = tmp_path / "audit.sqlite"
    run(corpus, db)
    (corpus / "A" / "policy.txt").write_text("New policy\n# Only\nOne passage.\n")
    fake_extract.clear()
    report = run(corpus, db)
    assert fake_extract == [corpus / "A" / "policy.txt"]
    assert (report.extracted, report.replaced, report.unchanged) == (1, 1, 1)
    assert passages_of(db, "A/policy.txt") == ["New policy", "One passage."]
    assert passages_of(db, "B/obs.txt")[0] == "Observation policy"
    assert counts(db) == {"documents": 2, "sections": 5, "passages": 5, "organisations": 2}
    assert orphans(db) == 0


def test_removed_file_and_folder_lose_their_rows(corpus_factory, fake_extract, tmp_path) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "A/obs.txt": OBS, "B/obs.txt": OBS + "B"})
    db = tmp_path / "audit.sqlite"
    run(corpus, db)
    (corpus / "A" / "obs.txt").unlink()
    (corpus / "B" / "obs.txt").unlink()
    (corpus / "B").rmdir()
    report = run(corpus, db)
    assert report.removed == 2
    assert counts(db) == {"documents": 1, "sections": 3, "passages": 3, "organisations": 1}
    assert orphans(db) == 0


def test_duplicate_content_in_two_organisations_is_noted_and_both_kept(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "B/copy.txt": POLICY, "B/obs.txt": OBS})
    db = tmp_path / "audit.sqlite"
    report = run(corpus, db, out_dir=tmp_path)
    assert report.extracted == 3 and counts(db)["documents"] == 3
    assert report.problems == [
        Problem("A/policy.txt", "duplicate content", "same content as B/copy.txt"),
        Problem("B/copy.txt", "duplicate content", "same content as A/policy.txt"),
    ]
    assert report.exit_status == 1
    # Still reported when nothing was re-extracted.
    assert len(run(corpus, db).problems) == 2


def test_extraction_failure_becomes_a_problem_and_the_run_goes_on(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({
        "A/policy.txt": POLICY,
        "A/broken.pdf": "BAD header\n",
        "B/obs.txt": OBS,
        "B/odd.xyz": "?",
    })
    report = run(corpus, tmp_path / "db.sqlite", out_dir=tmp_path / "out")
    assert (report.extracted, report.failed, report.exit_status) == (2, 1, 1)
    assert counts(tmp_path / "db.sqlite")["documents"] == 2
    with report.problems_csv.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "problem", "detail"]
    assert [r[:2] for r in rows[1:]] == [["A/broken.pdf", "unreadable"],
                                         ["B/odd.xyz", "unsupported format"]]
    with session_scope(make_engine(tmp_path / "db.sqlite", create=False)) as s:
        stored = s.scalars(select(m.ProblemRow).where(m.ProblemRow.run_id == report.run_id))
        assert sorted(p.file for p in stored) == ["A/broken.pdf", "B/odd.xyz"]


def test_failures_are_retried_and_a_file_that_breaks_loses_its_old_rows(
    corpus_factory, fake_extract, tmp_path
) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY, "A/obs.txt": OBS})
    db = tmp_path / "db.sqlite"
    run(corpus, db)
    (corpus / "A" / "obs.txt").write_text("BAD now\n")
    report = run(corpus, db)
    assert (report.failed, report.removed) == (1, 1)
    assert counts(db)["documents"] == 1 and orphans(db) == 0
    fake_extract.clear()
    run(corpus, db)
    assert fake_extract == [corpus / "A" / "obs.txt"]  # failures are not cached


def test_warnings_are_reported_as_degraded(corpus_factory, fake_extract, tmp_path) -> None:
    corpus = corpus_factory({"A/policy.txt": POLICY + "WARN decoded as cp1252\n"})
    report = run(corpus, tmp_path / "db.sqlite")
    assert report.extracted == 1
    assert report.problems == [Problem("A/policy.txt", "degraded", "decoded as cp1252")]


def test_missing_corpus_raises_and_creates_nothing(tmp_path) -> None:
    with pytest.raises(CorpusNotFoundError):
        ingest(tmp_path / "missing", tmp_path / "db.sqlite", progress=False)
    assert not (tmp_path / "db.sqlite").exists()


def test_worker_processes_give_the_same_rows(corpus_factory, fake_extract, tmp_path) -> None:
    files = {f"O{i}/doc{j}.txt": f"Doc {i}.{j}\n# H\nText {i} {j}.\n"
             for i in range(3) for j in range(2)}
    corpus = corpus_factory(files)
    serial = run(corpus, tmp_path / "serial.sqlite")
    parallel = ingest(corpus, tmp_path / "parallel.sqlite", workers=2, progress=False)
    assert parallel.extracted == serial.extracted == 6
    assert counts(tmp_path / "parallel.sqlite") == counts(tmp_path / "serial.sqlite")
    assert passages_of(tmp_path / "parallel.sqlite", "O2/doc1.txt") == ["Doc 2.1", "Text 2 1."]


def test_stored_document_reads_back_as_extracted(corpus_factory, fake_extract, tmp_path) -> None:
    text = POLICY + "REVIEW 2031-02-03\nWARN fallback: pypdf\n"
    corpus = corpus_factory({"A/policy.txt": text})
    run(corpus, tmp_path / "db.sqlite")
    with session_scope(make_engine(tmp_path / "db.sqlite", create=False)) as s:
        stored = to_extracted(s.scalars(select(m.Document)).one())
    assert stored == fake_document(text)
