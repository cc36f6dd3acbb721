"""Two organisations x three standards, built by hand, to check every output file."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyaudit.assess.types import Evidence, Judgement, OrgAttributes
from policyaudit.corpus import Problem
from policyaudit.framework.loader import LoadedFramework
from policyaudit.framework.schema import Framework

XSS = "<script>alert(1)</script> staff must rate risk as high & act"


def _standard(sid: str, title: str) -> dict:
    return {
        "id": sid,
        "title": title,
        "nice_refs": [f"NG225 1.{sid[-1]}"],
        "criteria": {"met": f"{title} is required.", "partial": "mentioned only"},
        "elements": [{"id": "a", "description": "a thing", "cues": ["thing"]}],
        "met": [["a"]],
    }


@pytest.fixture
def framework() -> LoadedFramework:
    fw = Framework.model_validate(
        {
            "id": "mini",
            "title": "Mini framework",
            "version": "0.3",
            "standards": [
                _standard("S1", "Definition"),
                _standard("S2", "Risk tools"),
                _standard("S3", "Safety plan"),
            ],
        }
    )
    return LoadedFramework(fw, Path("mini.yaml"), "ab" * 32)


def _j(
    org: str,
    sid: str,
    verdict: str,
    conflicts: bool = False,
    confidence: float = 0.5,
    evidence: Evidence | None = None,
    conflict: Evidence | None = None,
) -> Judgement:
    return Judgement(
        org,
        sid,
        verdict,
        conflicts,
        confidence,
        evidence,
        conflict,
        rationale=f"{sid} rationale",
        source="engine",
    )


@pytest.fixture
def judgements() -> list[Judgement]:
    """Given out of order, to check that outputs sort by organisation then standard."""
    definition = Evidence(
        "T1 policy",
        3,
        "5. Procedure > 5.3 Definitions",
        "Self-harm means intentional self-poisoning or injury.",
    )
    return [
        _j(
            "T2",
            "S3",
            "met",
            confidence=0.77777,
            evidence=Evidence("plan", None, "Safety", "A safety plan is written with the person."),
        ),
        _j("T1", "S1", "met", confidence=0.91234, evidence=definition),
        _j(
            "T1",
            "S2",
            "partial",
            conflicts=True,
            confidence=0.6,
            evidence=Evidence("T1 policy", 4, "Risk", "Clinical judgement comes first."),
            conflict=Evidence("observations", 2, "Levels", XSS),
        ),
        _j("T1", "S3", "not_met", confidence=0.9),
        _j(
            "T2",
            "S1",
            "met",
            confidence=0.8,
            evidence=Evidence("policy", None, "", "Self-harm is any act of self-injury."),
        ),
        _j("T2", "S2", "not_met", confidence=0.7),
    ]


@pytest.fixture
def attributes() -> list[OrgAttributes]:
    return [
        OrgAttributes(
            "T2",
            False,
            "organisations.csv",
            [],
            "divergent",
            "policy",
            "Self-harm is any act of self-injury.",
            False,
            ["plan", "policy"],
        ),
        OrgAttributes(
            "T1",
            True,
            "detected",
            ["T1 policy"],
            "nice",
            "T1 policy",
            "Self-harm means intentional self-poisoning or injury.",
            True,
            ["T1 policy", "observations"],
        ),
    ]


@pytest.fixture
def names() -> dict[str, str]:
    return {"T1": "First <b>Trust</b>", "T2": "Second Trust"}


@pytest.fixture
def problems() -> list[Problem]:
    return [Problem("T2/scan.pdf", "unreadable", "no text layer: needs OCR")]
