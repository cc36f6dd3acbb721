"""build_analysis on three hand-made organisations: JSON-safe, with the right counts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from policyaudit.analysis import DocumentInfo, build_analysis
from policyaudit.assess.types import Evidence, Judgement, OrgAttributes
from policyaudit.framework.schema import Framework

IDS = ("S1", "S2", "S16", "S17")


@pytest.fixture
def framework() -> Framework:
    def standard(sid: str) -> dict:
        return {
            "id": sid,
            "title": f"Standard {sid}",
            "criteria": {"met": "required"},
            "elements": [{"id": "a", "description": "a thing", "cues": ["thing"]}],
            "met": [["a"]],
        }

    return Framework.model_validate(
        {"id": "mini", "title": "Mini", "version": "1", "standards": [standard(s) for s in IDS]}
    )


def _j(org: str, sid: str, verdict: str, docs: tuple[str, ...] = (), conflicts=False):
    evidence = Evidence(docs[0], None, "", "quote") if docs else None
    return Judgement(org, sid, verdict, conflicts, 0.8, evidence, None, evidence_documents=[*docs])


def _attrs(org: str, dedicated: bool, definition: str, harm: bool, guidance: list[str]):
    return OrgAttributes(
        org, dedicated, "detected", [], definition, guidance[0] if guidance else "",
        "Self-harm is..." if definition != "none" else "", harm, guidance,
    )  # fmt: skip


@pytest.fixture
def data():
    verdicts = {  # org: S1, S2, S16, S17
        "T1": ("met", "met", "met", "partial"),
        "T2": ("met", "partial", "not_met", "not_met"),
        "T10": ("not_met", "not_met", "not_met", "not_met"),
    }
    docs_for = {"T1": ("sh-policy", "obs"), "T2": ("risk",), "T10": ()}
    judgements = [
        _j(org, sid, v, docs_for[org][:1] if sid == "S1" else docs_for[org][-1:], org == "T2")
        for org, vs in verdicts.items()
        for sid, v in zip(IDS, vs, strict=True)
    ]
    attributes = [
        _attrs("T1", True, "nice", True, ["sh-policy", "obs"]),
        _attrs("T2", False, "divergent", False, ["risk"]),
        _attrs("T10", False, "none", True, []),
    ]
    documents = [
        DocumentInfo("T1", "sh-policy", "Self-harm Policy", date(2023, 1, 1), ["Carers Policy"]),
        DocumentInfo("T1", "obs", "Observation Policy", date(2030, 1, 1), ["Self-harm policy"]),
        DocumentInfo("T2", "risk", "Clinical Risk Policy"),
        DocumentInfo("T10", "leave", "Leave Policy"),
    ]
    return judgements, attributes, documents


def test_build_analysis(framework, data):
    judgements, attributes, documents = data
    result = build_analysis(
        framework, judgements, attributes, documents, date(2024, 6, 1), n_resamples=999
    )
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert list(result) == [
        "as_of", "organisations", "across", "standards", "groups",
        "definitions", "harm_reduction", "information",
    ]  # fmt: skip

    orgs = {o["org_id"]: o for o in result["organisations"]}
    assert [o["org_id"] for o in result["organisations"]] == ["T1", "T2", "T10"]
    assert (orgs["T1"]["standards_met"], orgs["T1"]["standards_met_lenient"]) == (3, 4)
    assert (orgs["T2"]["standards_met"], orgs["T2"]["standards_partial"]) == (1, 1)
    assert orgs["T2"]["conflicts"] == 4 and orgs["T10"]["standards_not_met"] == 4

    assert result["across"]["standards_met"]["mean"] == pytest.approx(4 / 3)
    assert result["across"]["mean_not_met"] == pytest.approx(4 - 4 / 3)
    assert result["across"]["organisations_with_conflicts"] == 1

    s1 = result["standards"][0]
    assert (s1["id"], s1["n_met"], s1["n_judged"]) == ("S1", 2, 3)
    assert s1["wilson_low"] < 2 / 3 < s1["wilson_high"]
    assert s1["by_group"]["with_policy"]["count"] == 1
    assert [s["id"] for s in result["standards"]] == ["S1", "S2", "S16", "S17"]

    groups = result["groups"]
    assert (groups["with_policy"]["n"], groups["without_policy"]["n"]) == (1, 2)
    assert groups["mann_whitney"]["u"] == 0 and groups["mann_whitney"]["apa"].startswith("U = ")

    assert result["definitions"]["counts"] == {"nice": 1, "divergent": 1, "none": 1}
    harm = result["harm_reduction"]
    assert harm["mentioned"] == ["T1", "T10"]
    assert harm["meets"] == {"S16": ["T1"], "S17": []}

    info = {i["org_id"]: i for i in result["information"]["organisations"]}
    assert info["T1"]["fragmentation"]["index"] == 2
    assert info["T1"]["evidence_types"]["S1"] == ["self-harm policy"]
    assert info["T1"]["referenced_not_supplied"][0]["reference"] == "Carers Policy"
    assert [o["stem"] for o in info["T1"]["overdue"]] == ["sh-policy"]
    assert info["T10"]["n_documents"] == 1 and info["T10"]["fragmentation"]["index"] == 0
    assert result["information"]["n_overdue"] == 1
