"""Coding exchange: CSV round trip and errors, the agreement command, and the REFI-QDA export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import typer
from lxml import etree
from typer.testing import CliRunner

from policyaudit.cli.agreement import agreement_command
from policyaudit.framework.loader import load_framework
from policyaudit.review.exchange import (
    CONTRACT_COLUMNS,
    EXCHANGE_COLUMNS,
    Coding,
    CodingFormatError,
    read_codings,
    verdicts_by_cell,
    write_codings,
)
from policyaudit.review.qdpx import (
    NAMESPACE,
    QdpxCoding,
    export_qdpx,
    find_quote,
    place_codings,
)

CORPUS_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "corpus-dev"
HEADER = ",".join(CONTRACT_COLUMNS)

CODINGS = [
    Coding(
        "D01",
        "S01",
        "met",
        False,
        0.875,
        "self-harm-policy",
        3,
        "2. Definitions",
        'Self-harm is "any act", of self-poisoning.',
        coder="ana",
        note="clear, line 1\nline 2",
    ),
    Coding("D01", "S02", "partial", True, None, conflict_document="x", conflict_quote="q"),
    Coding("D02", "S01", "not_met", coder="ben"),
]


# --- CSV exchange ----------------------------------------------------------------------------


def test_round_trip(tmp_path: Path):
    path = write_codings(tmp_path / "codings.csv", CODINGS)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(EXCHANGE_COLUMNS)
    assert read_codings(path) == CODINGS
    assert EXCHANGE_COLUMNS[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS  # additions at the end


def test_reads_gold_format_and_engine_extras(tmp_path: Path):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "org_id,standard_id,verdict,conflicts,evidence_document,evidence_quote\n"
        "D01,S01,met,false,policy,A quote.\n"
        "D01,S02,Not_Met ,TRUE,,\n",
        encoding="utf-8-sig",  # a spreadsheet's BOM
    )
    a, b = read_codings(gold)
    assert (a.verdict, a.conflicts, a.confidence, a.evidence_quote) == (
        "met",
        False,
        None,
        "A quote.",
    )
    assert (b.verdict, b.conflicts) == ("not_met", True)
    engine = tmp_path / "engine.csv"
    engine.write_text(f"{HEADER},evidence_source,rationale\nD1,S1,met,false,0.9,,,,,,,rules,why\n")
    assert read_codings(engine)[0].confidence == 0.9


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("D1,S1,maybe,false\n", 2, "verdict 'maybe' is not one of met, partial, not_met"),
        ("D1,S1,met,false\nD1,S2,met,perhaps\n", 3, "conflicts 'perhaps' is not true or false"),
        (
            'D1,S1,met,false,"multi\nline"\nD1,S1,met,false\n',
            4,
            "D1 x S1 coded twice (also line 2)",
        ),
        ("D1,S1,met\n", 2, "no value for conflicts"),
        ("D1,S1,met,false,x,y\n", 2, "more fields than the header"),
        (",S1,met,false\n", 2, "org_id and standard_id must not be empty"),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path: Path, body: str, line: int, problem: str):
    path = tmp_path / "c.csv"
    path.write_text("org_id,standard_id,verdict,conflicts,note\n" + body, encoding="utf-8")
    with pytest.raises(CodingFormatError) as info:
        read_codings(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and problem in str(info.value)
    assert "\n" not in str(info.value)


def test_value_and_file_errors(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER}\nD1,S1,met,false,1.5,,,,,,\n", encoding="utf-8")
    with pytest.raises(CodingFormatError, match=r":2: confidence 1.5 is outside \[0, 1\]"):
        read_codings(path)
    path.write_text(f"{HEADER}\nD1,S1,met,false,,,p3,,,,\n", encoding="utf-8")
    with pytest.raises(CodingFormatError, match=":2: evidence_page 'p3' is not a whole number"):
        read_codings(path)
    path.write_text("org_id,verdict\nD1,met\n", encoding="utf-8")
    with pytest.raises(CodingFormatError, match=":1: missing column.s. standard_id, conflicts"):
        read_codings(path)
    path.write_bytes(b"org_id,standard_id,verdict,conflicts\nD1,S1,met,\xff\n")
    with pytest.raises(CodingFormatError, match="not UTF-8"):
        read_codings(path)
    with pytest.raises(CodingFormatError, match="no such file"):
        read_codings(tmp_path / "absent.csv")
    with pytest.raises(ValueError, match="more than one coding"):
        verdicts_by_cell([CODINGS[0], Coding("D01", "S01", "met", coder="ben")])


# --- the agreement command -------------------------------------------------------------------


def _run(*args: str):
    app = typer.Typer()
    app.command()(agreement_command)
    app.callback()(lambda: None)  # keep "agreement" as a sub-command name, as in main.py
    return CliRunner().invoke(app, ["agreement-command", *args])


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("org_id,standard_id,verdict,conflicts\n" + "".join(f"{r}\n" for r in rows))
    return path


def test_agreement_command(tmp_path: Path):
    a = _csv(tmp_path / "a.csv", ["O1,S1,met,false", "O2,S1,not_met,false", "O3,S2,met,false"])
    b = _csv(tmp_path / "b.csv", ["O1,S1,met,false", "O2,S1,partial,false", "O4,S2,met,false"])
    result = _run(str(a), str(b))
    assert result.exit_code == 0, result.output
    assert "S1" in result.output and "PABAK" in result.output
    assert "only in" in result.output and "O3 x S2" in result.output and "O4 x S2" in result.output


def test_agreement_command_errors(tmp_path: Path):
    a = _csv(tmp_path / "a.csv", ["O1,S1,met,false"])
    bad = _csv(tmp_path / "bad.csv", ["O1,S1,yes,false"])
    for args, message in [
        ((str(a), str(tmp_path / "none.csv")), "none.csv: no such file"),
        ((str(a), str(bad)), "bad.csv:2: verdict 'yes'"),
    ]:
        result = _run(*args)
        assert result.exit_code == 2 and message in result.output
        assert "Traceback" not in result.output
    (tmp_path / "nocol.csv").write_text("org_id,standard_id\nO1,S1\n")
    result = _run(str(a), str(tmp_path / "nocol.csv"))
    assert result.exit_code == 2 and "missing column(s) verdict, conflicts" in result.output


@pytest.mark.skipif(not CORPUS_DEV.is_dir(), reason="../shared/corpus-dev is not checked out")
def test_agreement_command_on_the_double_coding():
    gold, second = (CORPUS_DEV / d / "judgements.csv" for d in ("gold", "second-coder"))
    result = _run(str(gold), str(second), "--framework", "ng225-inpatient")
    assert result.exit_code == 0, result.output
    assert "0.974" in result.output and "only in" not in result.output


# --- REFI-QDA --------------------------------------------------------------------------------

# The subset of the REFI-QDA Project schema (QDA-XML 1.0) that the export uses, with the
# schema's element order, required attributes and GUID pattern.
PROJECT_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:QDA-XML:project:1.0"
  targetNamespace="urn:QDA-XML:project:1.0" elementFormDefault="qualified">
 <xs:simpleType name="GUID"><xs:restriction base="xs:token"><xs:pattern
  value="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"/>
 </xs:restriction></xs:simpleType>
 <xs:simpleType name="RGB"><xs:restriction base="xs:token">
  <xs:pattern value="#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})"/></xs:restriction></xs:simpleType>
 <xs:complexType name="Ref"><xs:attribute name="targetGUID" type="GUID" use="required"/>
 </xs:complexType>
 <xs:element name="Project"><xs:complexType><xs:sequence>
  <xs:element name="Users" minOccurs="0"><xs:complexType><xs:sequence>
   <xs:element name="User" maxOccurs="unbounded"><xs:complexType>
    <xs:attribute name="guid" type="GUID" use="required"/>
    <xs:attribute name="name" type="xs:string"/></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="CodeBook" minOccurs="0"><xs:complexType><xs:sequence>
   <xs:element name="Codes"><xs:complexType><xs:sequence>
    <xs:element name="Code" type="Code" maxOccurs="unbounded"/>
   </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="Sources" minOccurs="0"><xs:complexType><xs:sequence>
   <xs:element name="TextSource" type="TextSource" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="Notes" minOccurs="0"><xs:complexType><xs:sequence>
   <xs:element name="Note" type="TextSource" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
 </xs:sequence>
  <xs:attribute name="name" type="xs:string" use="required"/>
  <xs:attribute name="origin" type="xs:string"/>
  <xs:attribute name="creationDateTime" type="xs:dateTime"/>
 </xs:complexType></xs:element>
 <xs:complexType name="Code"><xs:sequence>
  <xs:element name="Description" type="xs:string" minOccurs="0"/>
  <xs:element name="Code" type="Code" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  <xs:attribute name="guid" type="GUID" use="required"/>
  <xs:attribute name="name" type="xs:string" use="required"/>
  <xs:attribute name="isCodable" type="xs:boolean" use="required"/>
  <xs:attribute name="color" type="RGB"/>
 </xs:complexType>
 <xs:complexType name="TextSource"><xs:sequence>
  <xs:element name="PlainTextContent" type="xs:string" minOccurs="0"/>
  <xs:element name="PlainTextSelection" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
   <xs:sequence>
    <xs:element name="Coding" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
     <xs:element name="CodeRef" type="Ref"/></xs:sequence>
     <xs:attribute name="guid" type="GUID" use="required"/>
     <xs:attribute name="creatingUser" type="GUID"/></xs:complexType></xs:element>
    <xs:element name="NoteRef" type="Ref" minOccurs="0" maxOccurs="unbounded"/>
   </xs:sequence>
   <xs:attribute name="guid" type="GUID" use="required"/>
   <xs:attribute name="name" type="xs:string"/>
   <xs:attribute name="startPosition" type="xs:integer" use="required"/>
   <xs:attribute name="endPosition" type="xs:integer" use="required"/>
   <xs:attribute name="creatingUser" type="GUID"/></xs:complexType></xs:element>
 </xs:sequence>
  <xs:attribute name="guid" type="GUID" use="required"/>
  <xs:attribute name="name" type="xs:string"/>
  <xs:attribute name="plainTextPath" type="xs:string"/>
  <xs:attribute name="creatingUser" type="GUID"/>
 </xs:complexType>
</xs:schema>
"""

TEXT_1 = "Policy\n\nStaff must offer a psychosocial\nassessment after self-harm. Café notes."
TEXT_2 = "Ward guidance. Observation levels are reviewed daily."
QUOTE_1 = "Staff must offer a psychosocial assessment after self-harm."  # normalised whitespace
QUOTE_2 = "Observation levels are reviewed daily."


def _export(tmp_path: Path) -> tuple[Path, list[QdpxCoding]]:
    framework = load_framework().framework
    s1, s2 = framework.standards[0].id, framework.standards[1].id
    start, end = find_quote(TEXT_1, QUOTE_1) or (0, 0)
    codings = [
        QdpxCoding("D01/policy", start, end, s1, "met", coder="ana", note="clear"),
        QdpxCoding("D01/policy", start, end, s2, "partial", conflicts=True, coder="ben"),
        QdpxCoding("D01/ward", TEXT_2.index(QUOTE_2), len(TEXT_2), s2, None, conflicts=True),
    ]
    docs = [("D01/policy", "D01 policy", TEXT_1), ("D01/ward", "D01 ward", TEXT_2)]
    return export_qdpx(tmp_path / "p.qdpx", framework, docs, codings), codings


def _project(path: Path) -> tuple[etree._Element, dict[str, str]]:
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        texts = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("sources/")}
    return root, texts


def test_qdpx_structure_and_references(tmp_path: Path):
    path, codings = _export(tmp_path)
    root, texts = _project(path)
    ns = {"q": NAMESPACE}
    assert root.tag == f"{{{NAMESPACE}}}Project"
    etree.XMLSchema(etree.fromstring(PROJECT_XSD.encode())).assertValid(root)
    assert len(texts) == 2 and sorted(texts.values()) == sorted([TEXT_1, TEXT_2])

    framework = load_framework().framework
    top = root.findall("q:CodeBook/q:Codes/q:Code", ns)
    assert len(top) == len(framework.standards)
    children = [c.get("name").split()[-1] for c in top[0].findall("q:Code", ns)]
    assert children == ["met", "partial", "not_met", "conflicts"]
    assert framework.standards[0].criteria.met in top[0].find("q:Code/q:Description", ns).text

    code_guids = {c.get("guid") for c in root.iter(f"{{{NAMESPACE}}}Code")}
    refs = [r.get("targetGUID") for r in root.iter(f"{{{NAMESPACE}}}CodeRef")]
    assert len(refs) == 4 and set(refs) <= code_guids  # met; partial + conflicts; conflicts
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", ns)}
    assert sorted(users.values()) == ["ana", "ben", "policyaudit"]
    notes = {n.get("guid") for n in root.iterfind("q:Notes/q:Note", ns)}
    assert {r.get("targetGUID") for r in root.iter(f"{{{NAMESPACE}}}NoteRef")} == notes != set()

    quotes = []
    for source in root.iterfind("q:Sources/q:TextSource", ns):
        member = source.get("plainTextPath").removeprefix("internal://")
        text = texts[f"sources/{member}"]
        for sel in source.iterfind("q:PlainTextSelection", ns):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert 0 <= start < end <= len(text) and sel.get("creatingUser") in users
            quotes.append(text[start:end])
    assert " ".join(quotes[0].split()) == QUOTE_1 and quotes[-1] == QUOTE_2
    assert len(quotes) == len(codings)


def test_qdpx_guids_are_stable(tmp_path: Path):
    first, _ = _export(tmp_path / "1")
    second, _ = _export(tmp_path / "2")
    guids = [sorted(_project(p)[0].xpath("//@guid")) for p in (first, second)]
    assert guids[0] == guids[1] and len(set(guids[0])) == len(guids[0])


def test_qdpx_rejects_bad_codings(tmp_path: Path):
    framework = load_framework().framework
    sid = framework.standards[0].id
    docs = [("d", "d", "short")]
    for coding, message in [
        (QdpxCoding("d", 2, 99, sid, "met"), "outside the text"),
        (QdpxCoding("x", 0, 1, sid, "met"), "no document 'x'"),
        (QdpxCoding("d", 0, 1, "NOPE", "met"), "no standard 'NOPE'"),
        (QdpxCoding("d", 0, 1, sid, "good"), "verdict 'good'"),
    ]:
        with pytest.raises(ValueError, match=message):
            export_qdpx(tmp_path / "x.qdpx", framework, docs, [coding])


def test_place_codings_finds_quotes_across_line_breaks():
    texts = {("D01", "policy"): TEXT_1, ("D01", "ward"): TEXT_2}
    codings = [
        Coding("D01", "S01", "met", evidence_document="policy", evidence_quote=QUOTE_1),
        Coding(
            "D01",
            "S02",
            "partial",
            True,
            evidence_document="policy",
            evidence_quote="Café notes.",
            conflict_document="ward",
            conflict_quote=QUOTE_2,
        ),
        Coding("D01", "S03", "met", evidence_document="policy", evidence_quote="not there"),
        Coding("D01", "S04", "not_met"),  # no evidence: nothing to place, nothing lost
    ]
    placed, unplaced = place_codings(codings, texts)
    assert unplaced == [codings[2]]
    assert [(p.doc_id, p.verdict, p.conflicts) for p in placed] == [
        ("D01/policy", "met", False),
        ("D01/policy", "partial", False),
        ("D01/ward", None, True),
    ]
    assert TEXT_1[placed[1].start : placed[1].end] == "Café notes."
    assert find_quote(TEXT_1, "") is None
