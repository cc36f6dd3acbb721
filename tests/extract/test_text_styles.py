"""Plain-text house styles seen in published policies: underlined and ruled headings,
contents lists, pipe tables, and titles that are not generic headings."""

from __future__ import annotations

from pathlib import Path

from policyaudit.extract import extract_document

RULED = """KESTREL TRUST

SEARCHING PROCEDURE

Reference:   KT/014
Review date: January 2021

------------------------------------------------------------
CONTENTS
------------------------------------------------------------
1.  Introduction
2.  Procedure

------------------------------------------------------------
1. INTRODUCTION
------------------------------------------------------------

1.1  This procedure explains how rooms are searched, and it is
     read with the observation policy.

------------------------------------------------------------
2. PROCEDURE
------------------------------------------------------------

2.1  Searches respect the patient's dignity and privacy.
"""

UNDERLINED = """INCIDENT REPORTING POLICY
=========================

DOCUMENT INFORMATION
--------------------

  Document number | PFC-GOV-009
  Next review | November 2025

SECTION 1 – INTRODUCTION
------------------------

Staff report every incident on the day it happens.
"""


def _doc(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_document(path)


def test_ruled_headings_and_contents_lists(tmp_path: Path):
    doc = _doc(tmp_path, "searching.txt", RULED)
    headings = [s.heading for s in doc.sections]
    assert "1. INTRODUCTION" in headings and "2. PROCEDURE" in headings
    # contents entries are not headings, so real sections are not nested under them
    assert "1.  Introduction" not in headings and "1. Introduction" not in headings
    intro = next(s for s in doc.sections if s.heading == "1. INTRODUCTION")
    assert intro.path == ["SEARCHING PROCEDURE", "1. INTRODUCTION"]
    assert intro.passages[0].text.startswith("1.1 This procedure explains")
    assert not any("-----" in p.text for p in doc.passages)
    assert doc.metadata.title == "SEARCHING PROCEDURE"


def test_underlined_headings_and_pipe_rows(tmp_path: Path):
    doc = _doc(tmp_path, "incidents.txt", UNDERLINED)
    assert [s.heading for s in doc.sections][:3] == [
        "INCIDENT REPORTING POLICY",
        "DOCUMENT INFORMATION",
        "SECTION 1 – INTRODUCTION",
    ]
    rows = [p for p in doc.passages if p.kind == "table_row"]
    assert [r.text for r in rows] == [
        "Document number | PFC-GOV-009",
        "Next review | November 2025",
    ]
    assert doc.metadata.title == "INCIDENT REPORTING POLICY"
    assert doc.metadata.review_date is not None and doc.metadata.review_date.year == 2025


def test_generic_headings_are_never_the_title(tmp_path: Path):
    text = "# Version control\n\nv1 2020.\n\n# 1. Introduction\n\nThis policy covers leave.\n"
    doc = _doc(tmp_path, "leave.md", text)
    assert doc.metadata.title is None
