import zipfile
from pathlib import Path

import pytest

from policyaudit.extract import SUPPORTED_SUFFIXES, ExtractionError, extract_document
from policyaudit.extract.docx import extract_docx
from policyaudit.extract.legacy import soffice_path
from policyaudit.extract.model import BlockKind
from policyaudit.extract.odt import extract_odt

from .conftest import BODY_SENTENCE


def _offsets_ok(doc):
    assert doc.passages
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text


def test_docx(docx_file):
    doc = extract_document(docx_file)
    _offsets_ok(doc)
    paths = [s.path for s in doc.sections]
    assert ["Trust X NHS Foundation Trust"] in paths  # Title and Heading 1 are both level 1
    assert ["Engagement and Observation Policy", "1. Purpose", "1.1 Scope"] in paths
    rows = [p.text for p in doc.passages if p.kind is BlockKind.TABLE_ROW]
    assert rows[:3] == ["Reference number | TX-CL-014", "Version | 3.1", "Review date | March 2026"]
    assert "Merged label | Value" in rows
    # the table sits before "1. Purpose" in the text, as in the document
    assert doc.text.index("TX-CL-014") < doc.text.index("1. Purpose")
    items = [p.text for p in doc.passages if p.kind is BlockKind.LIST_ITEM]
    assert items == ["Check the patient is safe;", "Record the check."]
    meta = doc.metadata
    assert meta.title == "Engagement and Observation Policy"
    assert meta.reference == "TX-CL-014" and meta.version == "3.1"
    assert str(meta.review_date) == "2026-03-01"
    assert meta.referenced_documents == ["Searching Policy"]
    assert BODY_SENTENCE in doc.text


def test_docx_not_zip(tmp_path: Path):
    path = tmp_path / "fake.docx"
    path.write_text("this is not a zip at all")
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "not a valid docx (zip)"


def test_docx_zip_without_document(tmp_path: Path):
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "not a valid docx (zip)"


def test_zip_bomb_refused_before_reading(tmp_path: Path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * 3_000_000)
    with pytest.raises(ExtractionError) as err:
        extract_docx(path, max_uncompressed=1_000_000)
    assert err.value.problem == "too large"
    with pytest.raises(ExtractionError) as err:  # the ratio alone gives it away
        extract_docx(path)
    assert err.value.problem == "too large"


def test_odt(odt_file):
    doc = extract_document(odt_file)
    _offsets_ok(doc)
    assert [s.path for s in doc.sections] == [
        ["Leave Policy"],
        ["Leave Policy", "1 Purpose"],
        ["Leave Policy", "1 Purpose", "1.1 Detail"],
    ]
    texts = [(p.kind, p.text) for p in doc.passages]
    assert (BlockKind.PARAGRAPH, "Intro text before the first section.") in texts
    assert (BlockKind.LIST_ITEM, "Second item") in texts
    assert (BlockKind.TABLE_ROW, "Version | 2.0") in texts
    assert doc.metadata.version == "2.0"


def test_odt_bomb_small_cap(odt_file):
    with pytest.raises(ExtractionError) as err:
        extract_odt(odt_file, max_uncompressed=100)
    assert err.value.problem == "too large"


HTML = """<html><head><meta charset="utf-8"><title>t</title>
<script>var secret = "do not read";</script><style>p {color: red}</style></head>
<body><nav><a href="/">Home</a> Menu item</nav><header>Site banner</header>
<h1>Searching Procedure</h1><div>Loose div text about searches.</div>
<h2>1 Purpose</h2><p>Searches respect   dignity.<br>Always.</p>
<ul><li>First point<ul><li>Nested point</li></ul></li><li>Second point</li></ul>
<table><tr><th>Version</th><th>4.0</th></tr><tr><td>Review date</td><td>1 May 2026</td></tr></table>
<h3>1.1 Detail</h3><p>Detail.</p><footer>Copyright footer</footer>
<form>Search box</form></body></html>"""


def test_html(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    doc = extract_document(path)
    _offsets_ok(doc)
    for junk in ("do not read", "color", "Menu item", "Site banner", "Copyright", "Search box"):
        assert junk not in doc.text
    assert [s.path for s in doc.sections][-1] == ["Searching Procedure", "1 Purpose", "1.1 Detail"]
    texts = [(p.kind, p.text) for p in doc.passages]
    assert (BlockKind.PARAGRAPH, "Loose div text about searches.") in texts
    assert (BlockKind.PARAGRAPH, "Searches respect dignity. Always.") in texts
    assert (BlockKind.LIST_ITEM, "First point") in texts
    assert (BlockKind.LIST_ITEM, "Nested point") in texts
    assert (BlockKind.TABLE_ROW, "Review date | 1 May 2026") in texts
    assert doc.metadata.version == "4.0"
    assert str(doc.metadata.review_date) == "2026-05-01"


@pytest.mark.parametrize("declare", [True, False])
def test_html_cp1252(tmp_path: Path, declare: bool):
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    body = "<h1>Fees</h1><p>The charge is £20 for the patient’s “copy” – payable now.</p>"
    page = f"<html><head>{meta if declare else ''}</head><body>{body}</body></html>"
    path = tmp_path / "legacy.htm"
    path.write_bytes(page.encode("cp1252"))
    doc = extract_document(path)
    assert 'The charge is £20 for the patient\'s "copy" – payable now.' in doc.text


def test_txt_cp1252_and_structure(tmp_path: Path):
    text = (
        "OBSERVATION POLICY\n\n1. Introduction\n\nStaff pay £5 for the patient’s lanyard.\n"
        "This line continues the paragraph.\n\n5.3 Safety planning\n\n- first item\n"
        "* second item\n1) third item\n\n5.3.1 The nurse must record the plan.\n"
    )
    path = tmp_path / "policy.txt"
    path.write_bytes(text.encode("cp1252"))
    doc = extract_document(path)
    _offsets_ok(doc)
    assert any(w.startswith("decoded as") for w in doc.warnings)
    assert [s.path for s in doc.sections] == [
        ["OBSERVATION POLICY"],
        ["1. Introduction"],
        ["1. Introduction", "5.3 Safety planning"],
    ]
    texts = [(p.kind, p.text) for p in doc.passages]
    assert (
        BlockKind.PARAGRAPH,
        "Staff pay £5 for the patient's lanyard. This line continues the paragraph.",
    ) in texts
    assert [t for k, t in texts if k is BlockKind.LIST_ITEM] == [
        "first item",
        "second item",
        "third item",
    ]
    assert (BlockKind.PARAGRAPH, "5.3.1 The nurse must record the plan.") in texts


def test_markdown_tables_and_headings(tmp_path: Path):
    md = (
        "# Trust Y NHS Foundation Trust\n\n# Leave Policy\n\n## Document control\n\n"
        "| Field | Detail |\n|---|---|\n"
        "| Reference number | LV-001 |\n| Date approved | 2 March 2020 |\n\n## 1 Purpose\n\n"
        "Leave is **important** and follows the [Discharge Policy](x.md).\n"
    )
    path = tmp_path / "leave.md"
    path.write_text(md, encoding="utf-8")
    doc = extract_document(path)
    _offsets_ok(doc)
    assert [s.path for s in doc.sections] == [
        ["Trust Y NHS Foundation Trust"],
        ["Leave Policy"],
        ["Leave Policy", "Document control"],
        ["Leave Policy", "1 Purpose"],
    ]
    rows = [p.text for p in doc.passages if p.kind is BlockKind.TABLE_ROW]
    assert rows == ["Field | Detail", "Reference number | LV-001", "Date approved | 2 March 2020"]
    assert "Leave is important and follows the Discharge Policy." in doc.text
    meta = doc.metadata
    assert meta.title == "Leave Policy" and meta.reference == "LV-001"
    assert str(meta.approval_date) == "2020-03-02"
    assert meta.referenced_documents == ["Discharge Policy"]


@pytest.mark.parametrize("content", [b"", b"  \n\t \n"])
@pytest.mark.parametrize("suffix", [".pdf", ".txt", ".docx", ".html"])
def test_empty_file(tmp_path: Path, content: bytes, suffix: str):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(content)
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "empty file"


def test_unsupported_suffix(tmp_path: Path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK whatever")
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "unsupported format"
    assert "'.xlsx'" in err.value.detail
    assert ".pdf" in SUPPORTED_SUFFIXES and ".xlsx" not in SUPPORTED_SUFFIXES


def test_too_large(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_text("x" * 2000)
    with pytest.raises(ExtractionError) as err:
        extract_document(path, max_bytes=1000)
    assert err.value.problem == "too large"


def test_legacy_without_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("policyaudit.extract.legacy.shutil.which", lambda name: None)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0 legacy word file")
    with pytest.raises(ExtractionError) as err:
        extract_document(path)
    assert err.value.problem == "unsupported format"
    assert "LibreOffice" in err.value.detail


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
def test_legacy_rtf_with_soffice(tmp_path: Path):
    path = tmp_path / "old.rtf"
    path.write_text(r"{\rtf1\ansi {\b Leave Policy}\par Leave is part of recovery.\par}")
    doc = extract_document(path)
    assert "Leave is part of recovery." in doc.text
