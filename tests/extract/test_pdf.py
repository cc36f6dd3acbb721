from pathlib import Path

import pytest

from policyaudit.extract import ExtractionError, extract_document
from policyaudit.extract.pdf import Dehyphenator

from .conftest import BODY_SENTENCE, HEADER, make_pdf


def _check_offsets(doc):
    assert doc.passages
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text


@pytest.mark.parametrize("fixture", ["pdf_outline", "pdf_plain"])
def test_pdf_structure(fixture, request):
    doc = extract_document(request.getfixturevalue(fixture))
    _check_offsets(doc)
    assert doc.pages == 3
    paths = [s.path for s in doc.sections]
    assert ["Observation Policy", "1. Introduction"] in paths
    assert ["Observation Policy", "2. Observation levels", "2.2 Enhanced observation"] in paths
    assert ["Observation Policy", "3. Training"] in paths
    levels = {s.heading: s for s in doc.sections}
    assert levels["2. Observation levels"].page_start == 2
    assert levels["3. Training"].page_start == 3
    # numbered paragraphs stay body text
    assert "7.1.2 The nurse in charge must review the level each shift." in [
        p.text for p in doc.passages
    ]
    assert not any(s.heading.startswith(("2.1", "7.1.2")) for s in doc.sections)


@pytest.mark.parametrize("fixture", ["pdf_outline", "pdf_plain"])
def test_pdf_furniture_removed_and_text_joined(fixture, request):
    doc = extract_document(request.getfixturevalue(fixture))
    assert HEADER not in doc.text
    assert "Uncontrolled" not in doc.text
    assert "Page 2 of 3" not in doc.text
    texts = [p.text for p in doc.passages]
    assert BODY_SENTENCE in texts
    assert (
        "This policy sets out how ward staff observe patients. It applies to all inpatient "
        "wards and to bank staff." in texts
    )
    joined = " ".join(texts)
    assert "risk assessment before leave" in joined
    assert "self-harm in the record" in joined


def test_pdf_metadata(pdf_outline):
    meta = extract_document(pdf_outline).metadata
    assert meta.title == "Observation Policy"
    assert "Searching Policy" in meta.referenced_documents
    assert "Safeguarding Adults Policy" in meta.referenced_documents


def test_dehyphenation_rule():
    d = Dehyphenator()
    assert d.join("risk assess-", "ment") == "risk assess-ment".replace("-", "")
    assert d.join("any self-", "harm") == "any self-harm"
    assert d.join("NICE Self-", "Harm") == "NICE Self-Harm"
    assert Dehyphenator({"decision-making"}).join("decision-", "making") == "decision-making"
    assert Dehyphenator({"safeguarding"}).join("safe-", "guarding") == "safeguarding"
    assert d.join("end", "next") == "end next"


def test_corrupt_pdf(tmp_path: Path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "corrupt file"


def test_encrypted_pdf(tmp_path: Path):
    from reportlab.lib import pdfencrypt

    enc = pdfencrypt.StandardEncryption("secret", ownerPassword="owner", canPrint=0)
    path = make_pdf(tmp_path / "locked.pdf", encrypt=enc)
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "password-protected"


def test_image_only_pdf(tmp_path: Path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.rect(50, 50, 100, 100)
    c.showPage()
    c.save()
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "no text layer: needs OCR"


def test_pypdf_fallback(tmp_path: Path, monkeypatch, pdf_plain):
    import policyaudit.extract.pdf as pdfmod

    def refuse(path):
        raise RuntimeError("pdfium refused")

    monkeypatch.setattr(pdfmod, "_open_pdfium", refuse)
    doc = extract_document(pdf_plain)
    assert "fallback: pypdf" in doc.warnings
    assert HEADER not in doc.text
    assert BODY_SENTENCE in doc.text
    _check_offsets(doc)
