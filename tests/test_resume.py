"""An audit killed mid-way leaves a consistent database, and the next run resumes from it.

The audit runs in a subprocess that is killed with SIGKILL (no cleanup of any kind) once the
database shows it got somewhere: first during extraction, then during judging. The re-runs must
redo only what was not committed, never duplicate rows, mark the killed runs 'interrupted', and
end with the outputs of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policyaudit.demo import corpus_path

COPIES = 6  # of the three demo organisations: enough work to stop in the middle of
RUNNER = "import sys; from policyaudit.cli.main import app; sys.argv[0] = 'policyaudit'; app()"


def make_corpus(root: Path) -> Path:
    """COPIES x the demo organisations, each with its own note so each is a distinct org."""
    demo = corpus_path()
    lines = ["org_id,name,region"]
    for n in range(COPIES):
        for org in sorted(p for p in demo.iterdir() if p.is_dir()):
            org_id = f"{org.name}-{n}"
            shutil.copytree(org, root / org_id)
            note = f"Local note for site {org_id}: this copy is kept by ward {n}.\n"
            (root / org_id / "site-note.txt").write_text(note, encoding="utf-8")
            lines.append(f"{org_id},Trust {org_id},Region {n}")
    (root / "organisations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def start(corpus: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-c", RUNNER, "audit", str(corpus), "--out", str(out)]
    cmd += ["--lexical", "--no-progress", "--workers", "2"]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:  # not created yet, or locked by the writer for a moment
        return 0


def kill_when(proc: subprocess.Popen, db: Path, sql: str, timeout: float = 120) -> None:
    """SIGKILL the audit and its worker processes as soon as ``sql`` counts a row."""
    deadline = time.monotonic() + timeout
    while count(db, sql) < 1:
        if proc.poll() is not None:
            pytest.fail(f"the audit ended before it could be killed:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            pytest.fail("the audit never reached the point to kill it at")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def finish(corpus: Path, out: Path) -> dict:
    proc = start(corpus, out)
    output = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode in (0, 1), output
    return json.loads((out / "summary.json").read_text())["run"]


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_killed_audit_resumes_without_duplicates(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    n_orgs, n_files = 3 * COPIES, sum(1 for p in corpus.rglob("*") if p.is_file()) - 1
    out = tmp_path / "out"
    db = out / "audit.sqlite"

    kill_when(start(corpus, out), db, "select count(*) from documents")
    extracted = count(db, "select count(*) from documents")
    assert 0 < extracted < n_files, "killed during extraction"
    kill_when(start(corpus, out), db, "select count(*) from judgement_cache")
    cached = count(db, "select count(*) from judgement_cache")
    assert count(db, "select count(*) from documents") == n_files, "extraction resumed"
    assert 0 < cached < 20 * n_orgs, "killed during judging"

    run = finish(corpus, out)
    assert run["judged"] == 20 * n_orgs - cached  # only what the killed runs did not commit

    statuses = rows(db, "select kind, status from runs order by id")
    assert statuses.count(("audit", "interrupted")) == 1, statuses  # the 1st died in ingest
    assert statuses.count(("ingest", "interrupted")) == 1, statuses  # the 2nd got past ingest
    assert ("audit", "running") not in statuses
    for table, key in [
        ("documents", "org_id, relpath"),
        ("passages", "document_id, ordinal"),
        ("sections", "document_id, ordinal"),
        ("judgements", "run_id, org_id, standard_id"),
    ]:
        dupes = rows(db, f"select {key}, count(*) from {table} group by {key} having count(*) > 1")
        assert dupes == [], table
    cells = rows(db, "select run_id, count(*) from judgements group by run_id")
    assert cells == [(run["run_id"], 20 * n_orgs)], "only the complete run has cells"

    fresh = tmp_path / "fresh"
    finish(corpus, fresh)
    for name in ("judgements.csv", "organisations.csv"):
        assert (out / name).read_text() == (fresh / name).read_text(), name
    fresh_db = fresh / "audit.sqlite"
    for table in ("documents", "sections", "passages"):
        sql = f"select count(*) from {table}"
        assert count(db, sql) == count(fresh_db, sql), table
