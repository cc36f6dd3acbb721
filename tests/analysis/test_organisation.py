"""Information organisation: document types, fragmentation, missing references, reviews."""

from __future__ import annotations

from datetime import date

from policyaudit.analysis.organisation import (
    DocumentInfo,
    document_type,
    exact_cover,
    fragmentation,
    greedy_cover,
    harm_standards_of,
    minimum_cover,
    overdue_reviews,
    referenced_not_supplied,
)
from policyaudit.assess.types import Judgement

# Greedy takes G (four needs) and then still needs X and Y: three documents; X + Y suffice.
NEEDS = {
    "S1": ["X", "G"],
    "S2": ["X", "G"],
    "S3": ["X"],
    "S4": ["Y", "G"],
    "S5": ["Y", "G"],
    "S6": ["Y"],
}


def test_exact_beats_greedy():
    assert greedy_cover(NEEDS) == ("G", "X", "Y")
    assert exact_cover(NEEDS) == ("X", "Y")
    cover = minimum_cover(NEEDS)
    assert (cover.index, cover.method) == (2, "exact")
    assert minimum_cover(NEEDS, exact_limit=2).method == "greedy"


def _j(sid: str, verdict: str, docs: list[str]) -> Judgement:
    return Judgement("T1", sid, verdict, False, 0.9, None, None, evidence_documents=docs)


def test_fragmentation_counts_met_only_and_reports_uncovered():
    judgements = [_j(s, "met", d) for s, d in NEEDS.items()]
    judgements += [_j("S7", "partial", ["Z"]), _j("S8", "met", [])]
    cover = fragmentation(judgements)
    assert cover.documents == ("X", "Y")
    assert cover.uncovered == ("S8",)
    assert fragmentation([]).index == 0


def test_referenced_not_supplied():
    docs = [
        DocumentInfo(
            "T1",
            "HLP-CP-017_Therapeutic_Observation_Policy_v3-2",
            "Therapeutic Observation Policy",
            referenced_documents=[
                "Therapeutic Observation Policy",  # its own title
                "Clinical Risk Assessment and Management Policy (2020)",
                "Searching Patients Procedure",
                "Safeguarding Adults Policy",
            ],
        ),
        DocumentInfo(
            "T1",
            "Clinical-Risk-Assessment-and-Management-Policy",
            None,
            referenced_documents=["Observation policy", "Safeguarding adults policy v2"],
        ),
    ]
    missing = referenced_not_supplied(docs)
    assert [m["reference"] for m in missing] == [
        "Searching Patients Procedure",
        "Safeguarding Adults Policy",
    ]
    assert missing[1]["referenced_by"] == [
        "HLP-CP-017_Therapeutic_Observation_Policy_v3-2",
        "Clinical-Risk-Assessment-and-Management-Policy",
    ]


def test_overdue_reviews():
    docs = [
        DocumentInfo("T1", "old", review_date=date(2023, 3, 1)),
        DocumentInfo("T1", "today", review_date=date(2024, 6, 1)),
        DocumentInfo("T1", "undated"),
    ]
    overdue = overdue_reviews(docs, date(2024, 6, 1))
    assert [(o["stem"], o["review_date"]) for o in overdue] == [("old", "2023-03-01")]
    assert overdue[0]["days_overdue"] == 458


def test_document_types():
    assert document_type("Self-Harm Inpatient Policy") == "self-harm policy"
    assert document_type(None, "HLP-CP-017_Therapeutic_Observation_Policy") == "observation"
    assert document_type(None, "leave_and_discharge_policy_2021") == "leave/discharge"
    assert document_type("Post-incident support and debrief") == "post-incident/debrief"
    assert document_type("Ligature risk management") == "ligature/environment"
    assert document_type("Clinical Risk Assessment and Management") == "clinical risk"
    assert document_type("Searching patients and restricted items") == "searching/restricted items"
    assert document_type("Medicines management") == "other"


def test_harm_standards_from_framework_text():
    standards = [
        ("S15", "Ligatures", ["ligature points"]),
        ("S16", "Harm minimisation as part of wider care", []),
        ("S17", "Self-poisoning", ["no harm-reduction for self-poisoning"]),
    ]
    assert harm_standards_of(standards) == ("S16", "S17")
