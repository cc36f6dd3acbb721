"""Builders for small documents in every supported format, written into pytest's tmp_path."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

HEADER = "Trust X - Observation Policy"
BODY_SENTENCE = (
    "Staff must record every observation on the electronic record and report concerns to "
    "the nurse in charge without delay."
)


def _pdf_pages(c, outline: bool) -> None:  # noqa: ANN001 - reportlab canvas
    """Three pages with running header/footer; headings bold and larger; a hyphenated break."""
    from reportlab.lib.pagesizes import A4

    width, height = A4
    pages = [
        [
            ("h", 1, "Observation Policy"),
            ("h", 2, "1. Introduction"),
            ("p", "This policy sets out how ward staff observe patients. It applies to all"),
            ("p", "inpatient wards and to bank staff."),
            ("gap",),
            ("p", "Staff complete a risk assess-"),
            ("p", "ment before leave and note any self-"),
            ("p", "harm in the record."),
        ],
        [
            ("h", 2, "2. Observation levels"),
            ("p", "2.1 General observation is the minimum level for every patient."),
            ("gap",),
            ("p", "7.1.2 The nurse in charge must review the level each shift."),
            ("gap",),
            ("h", 3, "2.2 Enhanced observation"),
            ("p", BODY_SENTENCE),
        ],
        [
            ("h", 2, "3. Training"),
            ("p", "All staff complete training every two years, in line with the"),
            ("p", "Searching Policy and the Safeguarding Adults Policy."),
        ],
    ]
    for n, items in enumerate(pages, start=1):
        c.setFont("Helvetica", 9)
        c.drawString(72, height - 40, HEADER)
        c.drawString(72, 40, "Uncontrolled when printed")
        c.drawString(400, 40, f"Page {n} of {len(pages)}")
        y = height - 90
        for item in items:
            if item[0] == "gap":
                y -= 10
                continue
            if item[0] == "h":
                _, level, text = item
                size = {1: 18, 2: 14, 3: 12}[level]
                c.setFont("Helvetica-Bold", size)
                c.drawString(72, y, text)
                if outline:
                    key = f"h{n}-{text}"
                    c.bookmarkPage(key, fit="XYZ", top=y + size)
                    c.addOutlineEntry(text, key, level=level - 1)
                y -= size + 12
            else:
                c.setFont("Helvetica", 10)
                c.drawString(72, y, item[1])
                y -= 12
        c.showPage()


def make_pdf(path: Path, outline: bool = True, **kwargs) -> Path:  # noqa: ANN003
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), **kwargs)
    _pdf_pages(c, outline)
    c.save()
    return path


@pytest.fixture
def pdf_outline(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "outline.pdf", outline=True)


@pytest.fixture
def pdf_plain(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "plain.pdf", outline=False)


@pytest.fixture
def docx_file(tmp_path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("Trust X NHS Foundation Trust", style="Title")
    d.add_heading("Engagement and Observation Policy", level=1)
    table = d.add_table(rows=3, cols=2)
    for row, (k, v) in zip(
        table.rows,
        [("Reference number", "TX-CL-014"), ("Version", "3.1"), ("Review date", "March 2026")],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = k, v
    d.add_heading("1. Purpose", level=2)
    d.add_paragraph("This policy explains observation. " + BODY_SENTENCE)
    d.add_paragraph("Check the patient is safe;", style="List Bullet")
    d.add_paragraph("Record the check.", style="List Bullet")
    d.add_heading("1.1 Scope", level=3)
    d.add_paragraph("It applies to all wards; see the Searching Policy for searches.")
    merged = d.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Merged label"
    merged.cell(0, 2).text = "Value"
    d.add_heading("2. Training", level=2)
    d.add_paragraph("All staff are trained.")
    path = tmp_path / "policy.docx"
    d.save(str(path))
    return path


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">
<office:body><office:text>
<text:h text:outline-level="1">Leave Policy</text:h>
<text:p>Intro<text:s text:c="2"/>text before the first section.</text:p>
<text:h text:outline-level="2">1 Purpose</text:h>
<text:p>Leave is part of recovery.</text:p>
<text:list><text:list-item><text:p>First item</text:p></text:list-item>
<text:list-item><text:p>Second item</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Version</text:p></table:table-cell>
<table:table-cell><text:p>2.0</text:p></table:table-cell></table:table-row></table:table>
<text:h text:outline-level="3">1.1 Detail</text:h>
<text:p>Detail text.</text:p>
</office:text></office:body></office:document-content>
"""


@pytest.fixture
def odt_file(tmp_path: Path) -> Path:
    path = tmp_path / "leave.odt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", ODT_CONTENT)
    return path
