"""Types at the boundary of the assessment engine: what it reads and what it returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Verdict = Literal["met", "partial", "not_met"]
VERDICTS: tuple[Verdict, ...] = ("met", "partial", "not_met")


@dataclass(frozen=True)
class PassageView:
    """One passage of one organisation's document, as the engine sees it."""

    id: int | str
    document: str  # file stem: what outputs call the document
    doc_title: str
    page: int | None
    section: tuple[str, ...]  # heading path, top first
    text: str
    kind: str = "paragraph"

    @property
    def section_text(self) -> str:
        return " > ".join(self.section)


@dataclass(frozen=True)
class Evidence:
    document: str
    page: int | None
    section: str
    quote: str  # exact substring of the document's normalised text
    passage_id: int | str | None = None


@dataclass
class ElementFinding:
    element_id: str
    found: bool
    evidence: Evidence | None = None
    n_hits: int = 0
    documents: list[str] = field(default_factory=list)
    similarity: float | None = None  # best semantic similarity of a hit to the examples
    n_references: int = 0  # sentences that hand this element to another document


@dataclass
class Judgement:
    org_id: str
    standard_id: str
    verdict: Verdict
    conflicts: bool
    confidence: float
    evidence: Evidence | None
    conflict: Evidence | None
    elements: list[ElementFinding] = field(default_factory=list)
    rationale: str = ""
    evidence_documents: list[str] = field(default_factory=list)
    source: str = "engine"
    # passages retrieval ranks nearest to the standard: what a reviewer or gap report reads
    # when the verdict is not met, and what an external judge is shown
    nearest: list[Evidence] = field(default_factory=list)


@dataclass
class OrgAttributes:
    org_id: str
    has_dedicated_policy: bool
    dedicated_policy_source: Literal["detected", "organisations.csv"]
    dedicated_documents: list[str]
    definition_class: Literal["nice", "divergent", "none"]
    definition_document: str
    definition_text: str
    harm_reduction_mentioned: bool
    documents_with_guidance: list[str]


def judgement_to_dict(j: Judgement) -> dict:
    """Plain JSON types, for the judgement cache and the database."""
    return asdict(j)


def judgement_from_dict(d: dict) -> Judgement:
    def ev(x: dict | None) -> Evidence | None:
        return Evidence(**x) if x else None

    elements = [
        ElementFinding(**{**e, "evidence": ev(e.get("evidence"))}) for e in d.get("elements", [])
    ]
    return Judgement(
        **{
            **d,
            "evidence": ev(d.get("evidence")),
            "conflict": ev(d.get("conflict")),
            "elements": elements,
            "nearest": [Evidence(**x) for x in d.get("nearest", [])],
        }
    )
