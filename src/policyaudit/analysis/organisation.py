"""Organisation-level findings: definitions, harm reduction and how the policies are organised.

The paper's first finding is that guidance on one topic is scattered across many documents.
This module measures that per organisation: which kind of document holds the evidence for each
standard, how many documents one must read to find everything met (the fragmentation index),
which documents the policies point to that were not supplied, and which are past review.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from policyaudit.assess.types import Judgement, OrgAttributes

DEFINITION_CLASSES: tuple[str, ...] = ("nice", "divergent", "none")
HARM_STANDARDS: tuple[str, ...] = ("S16", "S17")
HARM_CUE = re.compile(r"harm[- ](minimi[sz]|reduc)", re.IGNORECASE)
EXACT_COVER_LIMIT = 12  # 2**12 subsets at most: brute force stays instant


@dataclass(frozen=True)
class DocumentInfo:
    """What the analysis needs of one ingested document (a ``store.models.Document`` row)."""

    org_id: str
    stem: str
    title: str | None = None
    review_date: date | None = None
    referenced_documents: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def from_row(cls, row) -> DocumentInfo:
        """From a ``store.models.Document`` (or anything with the same attributes)."""
        return cls(
            row.org_id, row.stem, row.title, row.review_date, tuple(row.referenced_documents or ())
        )


# ---------------------------------------------------------------- document types
# First match wins, so specific subjects come before the broad ones ("post-incident" before
# "incident", "ligature risk" before "clinical risk"). Patterns are searched, case-insensitive,
# in the title and the file stem with "_" and "-" read as spaces.
DOCUMENT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("self-harm policy", (r"self ?harm", r"self ?injur", r"suicid")),
    ("post-incident/debrief", (r"post ?incident", r"debrief", r"after action")),
    ("ligature/environment", (r"ligature", r"environment", r"ward (safety|security)")),
    (
        "searching/restricted items",
        (r"search", r"restricted (items|articles)", r"prohibited items", r"contraband"),
    ),
    ("observation", (r"observation", r"engagement")),
    (
        "carers/information sharing",
        (
            r"carer",
            r"famil(y|ies)",
            r"information sharing",
            r"confidentiality",
            r"triangle of care",
        ),
    ),
    ("leave/discharge", (r"\bleave\b", r"discharge", r"absen(ce|t)", r"\bawol\b", r"section 17")),
    ("safeguarding", (r"safeguard",)),
    ("incident", (r"incident", r"serious untoward", r"patient safety")),
    ("clinical risk", (r"\brisk\b", r"safety plan")),
)
OTHER_TYPE = "other"


def _readable(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name)


def document_type(title: str | None, stem: str = "") -> str:
    """The first type in ``DOCUMENT_TYPES`` whose pattern occurs in the title or stem."""
    text = _readable(f"{title or ''} {stem}")
    for kind, patterns in DOCUMENT_TYPES:
        if any(re.search(p, text, re.IGNORECASE) for p in patterns):
            return kind
    return OTHER_TYPE


# ---------------------------------------------------------------- fragmentation (set cover)
@dataclass(frozen=True)
class Cover:
    documents: tuple[str, ...]  # a smallest (exact) or small (greedy) covering set
    method: str  # "exact" | "greedy" | "none" (nothing to cover)
    uncovered: tuple[str, ...] = ()  # standards met with no evidence document named

    @property
    def index(self) -> int:
        return len(self.documents)


def _covers(chosen: Iterable[str], needs: Mapping[str, frozenset[str]]) -> bool:
    picked = set(chosen)
    return all(docs & picked for docs in needs.values())


def exact_cover(needs: Mapping[str, Collection[str]]) -> tuple[str, ...]:
    """A smallest set of documents meeting every need (brute force over subsets by size)."""
    sets = {k: frozenset(v) for k, v in needs.items() if v}
    candidates = sorted(set().union(*sets.values())) if sets else []
    for size in range(len(candidates) + 1):
        for combo in combinations(candidates, size):
            if _covers(combo, sets):
                return combo
    return tuple(candidates)  # pragma: no cover - the full set always covers


def greedy_cover(needs: Mapping[str, Collection[str]]) -> tuple[str, ...]:
    """Repeatedly take the document covering most open needs (ties: name order)."""
    open_needs = {k: frozenset(v) for k, v in needs.items() if v}
    chosen: list[str] = []
    while open_needs:
        gain = Counter(d for docs in open_needs.values() for d in docs)
        best = min(gain, key=lambda d: (-gain[d], d))
        chosen.append(best)
        open_needs = {k: v for k, v in open_needs.items() if best not in v}
    return tuple(sorted(chosen))


def minimum_cover(
    needs: Mapping[str, Collection[str]], exact_limit: int = EXACT_COVER_LIMIT
) -> Cover:
    """Exact minimum set cover for up to ``exact_limit`` candidate documents, greedy beyond."""
    uncovered = tuple(sorted(k for k, v in needs.items() if not v))
    candidates = {d for v in needs.values() for d in v}
    if not candidates:
        return Cover((), "none", uncovered)
    if len(candidates) <= exact_limit:
        return Cover(exact_cover(needs), "exact", uncovered)
    return Cover(greedy_cover(needs), "greedy", uncovered)


def evidence_documents(j: Judgement) -> list[str]:
    """The documents a judgement's evidence lies in (the single quoted one as a fallback)."""
    if j.evidence_documents:
        return list(dict.fromkeys(j.evidence_documents))
    return [j.evidence.document] if j.evidence is not None else []


def fragmentation(judgements: Sequence[Judgement], exact_limit: int = EXACT_COVER_LIMIT) -> Cover:
    """Fewest documents one organisation's met standards can be read from."""
    needs = {j.standard_id: evidence_documents(j) for j in judgements if j.verdict == "met"}
    return minimum_cover(needs, exact_limit)


# ---------------------------------------------------------------- references and review dates
_STOPWORDS = frozenset(
    {
        *("a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "trust", "nhs", "ft"),
        *("policy", "policies", "procedure", "procedures", "guidance", "guideline"),
        *("guidelines", "protocol", "sop", "standard", "operating", "document", "version"),
        *("draft", "final"),
    }
)
_NOISE = re.compile(r"^(v\d+|(19|20)\d\d|.)$")  # version tags, years, single characters
_EXTENSION = re.compile(r"\.(pdf|docx?|odt|rtf|html?|txt|md)$", re.IGNORECASE)


def name_tokens(name: str) -> frozenset[str]:
    """The words that identify a document name: no stopwords, versions, years or extension."""
    text = _EXTENSION.sub("", name.strip()).lower().replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    return frozenset(w for w in words if w not in _STOPWORDS and not _NOISE.match(w))


def names_match(reference: frozenset[str], document: frozenset[str]) -> bool:
    """A reference names a document when its words all occur in the document's name, or the
    document's (two or more) words all occur in the reference ("the Trust's Clinical Risk
    Assessment and Management Policy (2020)")."""
    if not reference or not document:
        return False
    return reference <= document or (len(document) >= 2 and document <= reference)


def _names_of(doc: DocumentInfo) -> list[frozenset[str]]:
    return [t for t in (name_tokens(doc.title or ""), name_tokens(_readable(doc.stem))) if t]


def referenced_not_supplied(documents: Sequence[DocumentInfo]) -> list[dict]:
    """References in one organisation's documents that match none of its documents.

    A document's reference to itself matches its own title, so it is never reported.
    """
    supplied = [n for d in documents for n in _names_of(d)]
    missing: dict[frozenset[str], dict] = {}
    for doc in documents:
        for ref in doc.referenced_documents:
            tokens = name_tokens(ref)
            if not tokens or any(names_match(tokens, n) for n in supplied):
                continue
            entry = missing.setdefault(tokens, {"reference": ref.strip(), "referenced_by": []})
            if doc.stem not in entry["referenced_by"]:
                entry["referenced_by"].append(doc.stem)
    return list(missing.values())


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def overdue_reviews(documents: Sequence[DocumentInfo], as_of: date) -> list[dict]:
    """Documents whose stated review date is before ``as_of`` (the run date, passed in)."""
    out = []
    for doc in documents:
        review = _as_date(doc.review_date)
        if review is not None and review < as_of:
            out.append(
                {
                    "stem": doc.stem,
                    "title": doc.title,
                    "review_date": review.isoformat(),
                    "days_overdue": (as_of - review).days,
                }
            )
    return out


# ---------------------------------------------------------------- definitions, harm reduction
def definitions(attributes: Sequence[OrgAttributes]) -> dict:
    """The definition each organisation gives, and how many fall in each class."""
    return {
        "counts": {c: sum(a.definition_class == c for a in attributes) for c in DEFINITION_CLASSES},
        "organisations": [
            {
                "org_id": a.org_id,
                "definition_class": a.definition_class,
                "definition_document": a.definition_document or None,
                "definition_text": a.definition_text or None,
            }
            for a in attributes
        ],
    }


def harm_standards_of(standards: Iterable[tuple[str, str, Iterable[str]]]) -> tuple[str, ...]:
    """Ids of standards whose title or element descriptions mention harm minimisation.

    ``standards`` yields ``(id, title, element descriptions)``; used when the caller does not
    name the standards (the NG225 framework gives S16 and S17).
    """
    return tuple(
        sid for sid, title, texts in standards if any(HARM_CUE.search(t) for t in [title, *texts])
    )


def harm_reduction(
    attributes: Sequence[OrgAttributes],
    judgements: Sequence[Judgement],
    standard_ids: Sequence[str] = HARM_STANDARDS,
) -> dict:
    """Which organisations mention harm reduction, and which meet each harm standard."""
    verdict = {(j.org_id, j.standard_id): j.verdict for j in judgements}
    orgs = [a.org_id for a in attributes]
    meets = {s: [o for o in orgs if verdict.get((o, s)) == "met"] for s in standard_ids}
    mentioned = [a.org_id for a in attributes if a.harm_reduction_mentioned]
    return {
        "standard_ids": list(standard_ids),
        "n_mentioned": len(mentioned),
        "mentioned": mentioned,
        "meets": meets,
        "n_meets": {s: len(v) for s, v in meets.items()},
        "organisations": [
            {
                "org_id": a.org_id,
                "mentioned": a.harm_reduction_mentioned,
                "verdicts": {s: verdict.get((a.org_id, s)) for s in standard_ids},
            }
            for a in attributes
        ],
    }


# ---------------------------------------------------------------- information organisation
def organisation_information(
    org_id: str,
    documents: Sequence[DocumentInfo],
    judgements: Sequence[Judgement],
    with_guidance: Sequence[str],
    as_of: date,
    exact_limit: int = EXACT_COVER_LIMIT,
) -> dict:
    """How one organisation's guidance is spread over its documents."""
    type_of = {d.stem: document_type(d.title, d.stem) for d in documents}
    evidence_types = {}
    for j in judgements:
        docs = evidence_documents(j)
        if docs and j.verdict != "not_met":
            kinds = (type_of.get(d) or document_type(None, d) for d in docs)
            evidence_types[j.standard_id] = sorted(set(kinds))
    cover = fragmentation(judgements, exact_limit)
    return {
        "org_id": org_id,
        "n_documents": len(documents),
        "n_documents_with_guidance": len(with_guidance),
        "documents_with_guidance": list(with_guidance),
        "documents": [
            {"stem": d.stem, "title": d.title, "type": type_of[d.stem]} for d in documents
        ],
        "evidence_types": evidence_types,
        "fragmentation": {
            "index": cover.index,
            "documents": list(cover.documents),
            "method": cover.method,
            "uncovered": list(cover.uncovered),
        },
        "referenced_not_supplied": referenced_not_supplied(documents),
        "overdue": overdue_reviews(documents, as_of),
    }
