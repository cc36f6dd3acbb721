"""Unreadable and awkward files, made here, through the real extractor: skipped or degraded,
reported in problems.csv, while the good files are ingested."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from policyaudit.corpus.ingest import ingest
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope


def text_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=A4)
    y = 780
    for i, (heading, body) in enumerate(
        [("1. Purpose", "This policy supports people who self-harm."),
         ("2. Scope", "It applies to all adult inpatient wards."),
         ("3. Procedure", "Staff complete a safety plan with the person.")], start=1
    ):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, y, heading)
        c.setFont("Helvetica", 11)
        c.drawString(72, y - 20, f"{body} Paragraph {i}.")
        y -= 60
    c.showPage()
    c.save()


def image_only_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(72, 400, 300, 200, fill=1)
    c.circle(300, 300, 60)
    c.showPage()
    c.save()


def encrypted_pdf(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    writer.write(path)


@pytest.fixture
def bad_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    good, bad = root / "GOOD", root / "BAD"
    good.mkdir(parents=True)
    bad.mkdir()
    text_pdf(good / "policy.pdf")
    (good / "notes.txt").write_text("Notes\n\n1. Purpose\n\nPlain text that reads fine.\n")
    (bad / "corrupt.pdf").write_bytes(random.Random(0).randbytes(4096))
    encrypted_pdf(bad / "encrypted.pdf")
    image_only_pdf(bad / "scan.pdf")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "data.xyz").write_text("what is this")
    (bad / "fake.docx").write_bytes(b"plain bytes, not a zip archive " * 8)
    cp1252 = "Café policy – purpose\n\n1. Purpose\n\nWe “support” people.\n"
    (bad / "legacy.txt").write_bytes(cp1252.encode("cp1252"))
    html = "<html><body><h1>Café policy</h1><p>We “support” people – always.</p>"
    (bad / "legacy.html").write_bytes(html.encode("cp1252"))
    return root


def test_bad_files_are_reported_and_good_files_ingested(bad_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    report = ingest(bad_corpus, db, workers=2, progress=False, out_dir=tmp_path / "out")
    assert report.exit_status == 1

    with (tmp_path / "out" / "problems.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["file", "problem", "detail"]
    by_file = {r["file"]: r for r in rows}
    skipped = {"BAD/corrupt.pdf", "BAD/encrypted.pdf", "BAD/scan.pdf", "BAD/empty.txt",
               "BAD/data.xyz", "BAD/fake.docx"}
    assert skipped | {"BAD/legacy.txt", "BAD/legacy.html"} == set(by_file)
    for file in skipped:  # each classified by the extractor, not an uncaught crash
        assert by_file[file]["problem"] not in {"", "extraction failed", "extractor crashed"}
    assert by_file["BAD/data.xyz"]["problem"] == "unsupported format"
    assert "encrypt" in (by_file["BAD/encrypted.pdf"]["problem"]
                         + by_file["BAD/encrypted.pdf"]["detail"]).lower()
    assert "empty" in by_file["BAD/empty.txt"]["problem"]
    for file in ("BAD/legacy.txt", "BAD/legacy.html"):
        assert by_file[file]["problem"] == "degraded"
        assert "cp1252" in by_file[file]["detail"]

    with session_scope(make_engine(db, create=False)) as session:
        docs = {d.corpus_path: d for d in session.scalars(select(m.Document))}
    assert set(docs) == {"GOOD/policy.pdf", "GOOD/notes.txt", "BAD/legacy.txt",
                         "BAD/legacy.html"}
    assert "safety plan" in docs["GOOD/policy.pdf"].text
    assert docs["GOOD/policy.pdf"].pages == 1
    assert "Café policy – purpose" in docs["BAD/legacy.txt"].text
    assert "people – always" in docs["BAD/legacy.html"].text
    assert (report.extracted, report.failed) == (4, 5)
