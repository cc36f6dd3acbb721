"""Big inputs: refused with a clear problem over a configured limit, else read in bounded memory.

Files are made cheaply (tiny pages, random padding) and the limits set small, so the refusal
paths run without writing hundreds of megabytes; memory is measured as the peak RSS of a
subprocess that extracts one file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policyaudit.corpus.ingest import Limits, ingest
from policyaudit.extract import MAX_BYTES, MAX_PAGES, ExtractionError, extract_document

pytest.importorskip("reportlab")


def _word(n: int) -> str:
    """A distinct lower-case word per page: page furniture is told apart by its words."""
    out, n = "", n + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(97 + r) + out
    return out


def tiny_page_pdf(path: Path, pages: int, pad_mb: int = 0) -> Path:
    """A PDF of ``pages`` small pages, one distinct sentence each, plus ``pad_mb`` of random
    bytes in an unused stream (a file that is large on disk but cheap to make)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(200, 100), invariant=1)
    for i in range(pages):
        c.drawString(10, 50, f"Ward {_word(i)} staff observe {_word(i * 7 + 3)} patients.")
        c.showPage()
    c.save()
    if pad_mb:
        from pypdf import PdfWriter

        writer = PdfWriter(clone_from=str(path))
        writer.add_attachment("padding.bin", os.urandom(pad_mb * 2**20))
        with path.open("wb") as fh:
            writer.write(fh)
    return path


def peak_rss_mb(path: Path) -> tuple[int, float]:
    """(pages, peak RSS in MB) of extracting ``path`` in a fresh interpreter.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest, which
    may be large by then) into the child, while VmHWM starts afresh with the new program.
    """
    code = (
        "import re, sys; from policyaudit.extract import extract_document; "
        "d = extract_document(sys.argv[1]); "
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
        "print(d.pages, int(hwm) / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    pages, mb = out.stdout.split()
    return int(pages), float(mb)


def test_defaults_are_generous() -> None:
    assert MAX_BYTES == 500 * 2**20 and MAX_PAGES == 10_000
    assert Limits.from_options() == Limits()
    assert Limits.from_options(1.5, 7) == Limits(int(1.5 * 2**20), 7)


def test_over_limit_files_are_refused_with_a_clear_problem(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    org = corpus / "A"
    org.mkdir(parents=True)
    tiny_page_pdf(org / "long.pdf", 40)
    (org / "big.txt").write_text("Staff observe patients closely. " * 20_000)  # ~640 KB
    (org / "fine.txt").write_text("Staff must observe patients at least hourly on the ward.\n")
    report = ingest(
        corpus,
        tmp_path / "db.sqlite",
        workers=1,
        progress=False,
        out_dir=tmp_path,
        limits=Limits.from_options(max_file_mb=0.5, max_pages=30),
    )
    problems = {p.file: (p.problem, p.detail) for p in report.problems}
    assert problems["A/long.pdf"] == ("too many pages", "40 pages (limit 30)")
    assert problems["A/big.txt"][0] == "too large" and "limit 0 MB" in problems["A/big.txt"][1]
    assert report.extracted == 1 and report.exit_status == 1
    csv_text = (tmp_path / "problems.csv").read_text()
    assert "too many pages" in csv_text and "too large" in csv_text


def test_extract_document_refuses_too_many_pages(tmp_path: Path) -> None:
    pdf = tiny_page_pdf(tmp_path / "long.pdf", 12)
    with pytest.raises(ExtractionError) as err:
        extract_document(pdf, max_pages=10)
    assert err.value.problem == "too many pages"


def test_a_5000_page_pdf_is_read_in_bounded_memory(tmp_path: Path) -> None:
    pdf = tiny_page_pdf(tmp_path / "pages.pdf", 5000)
    pages, mb = peak_rss_mb(pdf)
    assert pages == 5000
    assert mb < 400, f"peak RSS {mb:.0f} MB"


def test_a_large_padded_pdf_is_read_in_bounded_memory(tmp_path: Path) -> None:
    pdf = tiny_page_pdf(tmp_path / "padded.pdf", 20, pad_mb=60)
    assert pdf.stat().st_size > 60 * 2**20
    pages, mb = peak_rss_mb(pdf)
    assert pages == 20
    assert mb < 400, f"peak RSS {mb:.0f} MB"  # the padding is never loaded whole


def test_a_folder_of_2000_small_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for n in range(2000):
        org = corpus / f"O{n // 100:02d}"
        org.mkdir(parents=True, exist_ok=True)
        (org / f"note-{n:04d}.txt").write_text(
            f"Note {n}. Staff on ward {_word(n)} must observe patients hourly.\n"
        )
    report = ingest(corpus, tmp_path / "db.sqlite", workers=2, progress=False)
    assert (report.seen, report.extracted, report.failed) == (2000, 2000, 0)
    again = ingest(corpus, tmp_path / "db.sqlite", workers=2, progress=False)
    assert (again.extracted, again.unchanged) == (0, 2000)
