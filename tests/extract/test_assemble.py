from policyaudit.extract.assemble import assemble, normalise_text, split_long
from policyaudit.extract.metadata import detect_metadata, parse_date
from policyaudit.extract.model import Block, BlockKind

H, P, L, T = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.TABLE_ROW


def test_normalise_text_collapses_whitespace_and_nfc():
    assert normalise_text("  a\u00a0\n b\t\tc  ") == "a b c"
    assert normalise_text("Cafe\u0301") == "Café"
    assert normalise_text("patient’s “plan”") == 'patient\'s "plan"'
    assert normalise_text(" \n ") == ""


def test_sections_paths_and_offsets():
    blocks = [
        Block(P, "Front matter.", 1),
        Block(H, "Policy", 1, 1),
        Block(H, "1 Intro", 1, 2),
        Block(P, "Intro   text.", 1),
        Block(H, "1.1 Sub", 2, 3),
        Block(L, "item", 2),
        Block(H, "2 Next", 3, 2),
        Block(T, "a | b", 3),
        Block(P, "   ", 3),
    ]
    doc = assemble(blocks, pages=3)
    assert [s.path for s in doc.sections] == [
        [],
        ["Policy"],
        ["Policy", "1 Intro"],
        ["Policy", "1 Intro", "1.1 Sub"],
        ["Policy", "2 Next"],
    ]
    assert doc.sections[0].heading == ""
    assert doc.sections[2].page_start == 1 and doc.sections[3].page_end == 2
    assert doc.text.split("\n\n")[3] == "Intro text."
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
    assert [p.kind for p in doc.passages] == [P, P, L, T]
    assert doc.pages == 3


def test_no_front_section_when_document_starts_with_heading():
    doc = assemble([Block(H, "Title", None, 1), Block(P, "x", None)])
    assert [s.heading for s in doc.sections] == ["Title"]


def test_long_paragraph_split_at_sentences():
    sentence = "The nurse in charge must record the decision and the reasons for it. "
    text = (sentence * 40).strip()
    spans = split_long(text, 300)
    assert len(spans) > 5
    assert all(e - s <= 300 for s, e in spans)
    doc = assemble([Block(P, text)])
    assert len(doc.passages) > 1
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text.endswith(".")


def test_parse_date_forms():
    assert str(parse_date("17 November 2022")) == "2022-11-17"
    assert str(parse_date("November 2025")) == "2025-11-01"
    assert str(parse_date("Approved: March 2018")) == "2018-03-01"
    assert str(parse_date("2022-11-17")) == "2022-11-17"
    assert str(parse_date("17/11/2022")) == "2022-11-17"
    assert parse_date("no date here") is None


def test_metadata_from_control_table_and_running_text():
    blocks = [
        Block(H, "Hallowmoor NHS Foundation Trust", 1, 1),
        Block(H, "Self-Harm Policy", 1, 1),
        Block(T, "Reference number | HEP-CP-042"),
        Block(T, "Version | V1.0"),
        Block(T, "Date ratified | 17 November 2022"),
        Block(T, "Review date | November 2025"),
        Block(P, "Searches follow the Searching Policy; see the Searching Policy again."),
        Block(
            P,
            "Refer to the Safety Planning Procedure (WHT/CL/052) and act in line with "
            "the Trust's Safeguarding Adults Policy. This Self-Harm Policy applies.",
        ),
    ]
    meta = detect_metadata(blocks)
    assert meta.title == "Self-Harm Policy"
    assert meta.reference == "HEP-CP-042"
    assert meta.version == "V1.0"
    assert str(meta.approval_date) == "2022-11-17"
    assert str(meta.review_date) == "2025-11-01"
    assert meta.referenced_documents == [
        "Searching Policy",
        "Safety Planning Procedure",
        "Safeguarding Adults Policy",
    ]


def test_metadata_title_field_and_inline_labels():
    blocks = [
        Block(T, "Document title | Observation Policy"),
        Block(P, "Ref: OBS-7. Approved: March 2018. Next review: 2021-03-31."),
    ]
    meta = detect_metadata(blocks)
    assert meta.title == "Observation Policy"
    assert meta.reference == "OBS-7"
    assert str(meta.approval_date) == "2018-03-01"
    assert str(meta.review_date) == "2021-03-31"
