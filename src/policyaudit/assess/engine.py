"""Judge one organisation against a framework: elements from sentences, verdicts from elements.

The judgement is deliberately transparent: each verdict is explained by which elements were
found, where, and by which cue, so a reviewer can check it against the quote. Semantic
similarity (when an embedder is given) ranks the evidence and feeds the confidence; it never
turns a verdict on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from policyaudit.assess.rules import Hit, element_hits, is_non_evidence, matches_any
from policyaudit.assess.sentences import Sentence, sentences_of
from policyaudit.assess.types import ElementFinding, Evidence, Judgement, PassageView, Verdict
from policyaudit.framework.schema import Element, Framework, Standard

MAX_QUOTE = 400
_DIRECTIVE = re.compile(
    r"\b(must|should|will|shall|are required|is required|are expected|is expected|ensure|"
    r"need to|needs to|are offered|is offered|may)\b",
    re.IGNORECASE,
)
MIN_WORDS = 4  # shorter passages are headings or labels that escaped heading detection

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]
"""similarity(texts, examples) -> matrix of cosine similarities, texts x examples."""


@dataclass
class OrgText:
    """An organisation's evidence-eligible sentences, prepared once for all standards."""

    org_id: str
    sentences: list[Sentence]
    passages: list[PassageView]
    documents: list[str] = field(default_factory=list)


def prepare(org_id: str, passages: Sequence[PassageView], framework: Framework) -> OrgText:
    eligible = [
        p
        for p in passages
        if len(p.text.split()) >= MIN_WORDS and not is_non_evidence(framework, p.section)
    ]
    descriptive = {
        p.id
        for p in eligible
        if p.section and matches_any(framework.descriptive_sections, p.section[-1])
    }
    sentences = [
        replace(s, descriptive=True) if p.id in descriptive else s
        for p in eligible
        for s in sentences_of(p)
    ]
    docs = sorted({p.document for p in passages})
    return OrgText(org_id, sentences, eligible, docs)


_PARA_NUMBER = re.compile(r"^(?:\(?\d+(?:\.\d+)*\.?\)?|\(?[a-z]\)|[ivx]+\.)\s+")


def quote_of(sentence: Sentence) -> str:
    """The sentence without its paragraph number, cut at a word boundary when too long."""
    text = sentence.text
    text = text[len(m.group(0)) :] if (m := _PARA_NUMBER.match(text)) else text
    if len(text) <= MAX_QUOTE:
        return text
    cut = text[:MAX_QUOTE]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_QUOTE // 2 else cut


def _cells_quote(hit: Hit) -> str | None:
    """For a table row, just the cells the cues matched (a row is not a sentence)."""
    sent = hit.sentence
    text = sent.text
    bounds, start = [], 0
    for m in re.finditer(r" \| ", text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    if len(bounds) < 2:
        return None
    lo = min(s for s, _ in hit.spans)
    hi = max(e for _, e in hit.spans)
    first = next(i for i, (s, e) in enumerate(bounds) if lo < e or i == len(bounds) - 1)
    last = max(first, next(i for i, (s, e) in enumerate(bounds) if hi <= e or i == len(bounds) - 1))
    if last == first and last + 1 < len(bounds):
        label = text[bounds[first][0] : bounds[first][1]]
        if len(label.split()) < 5:  # a row label ("Self-harm |"): the next cell says what it is
            last += 1
    return text[bounds[first][0] : bounds[last][1]]


def evidence_of(hit: Hit) -> Evidence:
    p = hit.sentence.passage
    quote = quote_of(hit.sentence)
    if p.kind == "table_row" and (cells := _cells_quote(hit)) and len(cells) <= MAX_QUOTE:
        quote = cells
    return Evidence(p.document, p.page, p.section_text, quote, p.id)


def _unit_key(hit: Hit, scope: str) -> tuple:
    p = hit.sentence.passage
    if scope == "sentence":
        return (p.id, hit.sentence.start)
    if scope == "passage":
        return (p.id,)
    if scope == "section":
        return (p.document, p.section)
    if scope == "document":
        return (p.document,)
    return ()


MAX_TIED = 8  # hits tied on the lexical ranking that the embedder breaks the tie between


def _lexical_rank(h: Hit, coverage: dict[tuple, int]) -> tuple[int, int, int]:
    """Shows most of the standard's elements at once, directs rather than describes, uses a
    modal verb: what makes one sentence better evidence than another before any model runs."""
    key = (h.sentence.passage.id, h.sentence.start)
    directs = 0 if h.sentence.descriptive else 1
    modal = 1 if _DIRECTIVE.search(h.sentence.text) else 0
    return (coverage.get(key, 0), directs, modal)


class _Ranker:
    """Chooses the best hit of a pool; the embedder only breaks ties at the top of the lexical
    ranking, so it embeds a few sentences per standard rather than every hit."""

    def __init__(
        self,
        results: dict[str, _ElementResult],
        similarity: Similarity | None,
    ) -> None:
        self.coverage = _coverage(results)
        self.similarity = similarity
        self.element_of = {id(h): r.element for r in results.values() for h in r.hits}
        self.sims: dict[int, float] = {}

    def best(self, hits: list[Hit], use_model: bool = True) -> Hit:
        """``use_model=False`` for secondary displays (each element's own example): the model
        then reuses only what it already scored for the verdict's evidence."""
        top = max(_lexical_rank(h, self.coverage) for h in hits)
        tied = [h for h in hits if _lexical_rank(h, self.coverage) == top][:MAX_TIED]
        if use_model:
            self._score(tied)
        return max(tied, key=lambda h: self.sims.get(id(h), 0.0))

    def _score(self, hits: list[Hit]) -> None:
        if self.similarity is None:
            return
        todo: dict[int, list[Hit]] = {}
        for h in hits:
            element = self.element_of.get(id(h))
            if id(h) not in self.sims and element is not None and element.examples:
                todo.setdefault(id(element), []).append(h)
        for group in todo.values():
            examples = self.element_of[id(group[0])].examples
            matrix = self.similarity([h.sentence.text for h in group], examples)
            for h, row in zip(group, matrix, strict=True):
                self.sims[id(h)] = float(np.max(row))

    def similarity_of(self, hits: list[Hit]) -> float | None:
        scored = [self.sims[id(h)] for h in hits if id(h) in self.sims]
        return max(scored) if scored else None


def _coverage(results: dict[str, _ElementResult]) -> dict[tuple, int]:
    """How many of a standard's elements each sentence shows."""
    counts: dict[tuple, int] = {}
    for r in results.values():
        for key in {(h.sentence.passage.id, h.sentence.start) for h in r.hits}:
            counts[key] = counts.get(key, 0) + 1
    return counts


@dataclass
class _ElementResult:
    element: Element
    hits: list[Hit]
    references: list[Hit]


def _find(elements: Sequence[Element], org: OrgText) -> dict[str, _ElementResult]:
    return {
        e.id: _ElementResult(
            e, element_hits(e, org.sentences), element_hits(e, org.sentences, delegating=True)
        )
        for e in elements
    }


def _met_units(standard: Standard, results: dict[str, _ElementResult]) -> tuple[list[str], set]:
    """The first met set whose elements are all found within one unit of ``together``."""
    for group in standard.met:
        keysets = [{_unit_key(h, standard.together) for h in results[e].hits} for e in group]
        common = set.intersection(*keysets) if keysets else set()
        if common:
            return group, common
    return [], set()


def _decisive(standard: Standard, results: dict[str, _ElementResult]) -> tuple[Verdict, list, set]:
    met_group, units = _met_units(standard, results)
    if met_group:
        return "met", met_group, units
    if any(results[e].hits for e in standard.partial):
        # show the strongest element: one that belongs to a met set before a fallback mention
        in_met = [e for g in standard.met for e in g]
        ordered = [e for e in in_met + standard.partial if results[e].hits]
        return "partial", [ordered[0]], set()
    return "not_met", [], set()


def judge_standard(
    standard: Standard,
    org: OrgText,
    similarity: Similarity | None = None,
) -> Judgement:
    results = _find(standard.elements, org)
    conflict_results = _find(standard.conflicts, org)
    ranker = _Ranker(results | conflict_results, similarity)
    verdict, decisive, units = _decisive(standard, results)

    evidence = None
    evidence_docs: list[str] = []
    if decisive:
        pool = [
            h
            for e in decisive
            for h in results[e].hits
            if not units or _unit_key(h, standard.together) in units
        ]
        evidence = evidence_of(ranker.best(pool))
        evidence_docs = sorted({h.sentence.passage.document for h in pool})

    conflict_hits = [h for r in conflict_results.values() for h in r.hits]
    conflict = evidence_of(ranker.best(conflict_hits)) if conflict_hits else None

    findings = [
        ElementFinding(
            element_id=r.element.id,
            found=bool(r.hits),
            evidence=evidence_of(ranker.best(r.hits, use_model=False)) if r.hits else None,
            n_hits=len(r.hits),
            documents=sorted({h.sentence.passage.document for h in r.hits}),
            similarity=ranker.similarity_of(r.hits),
            n_references=len(r.references),
        )
        for r in list(results.values()) + list(conflict_results.values())
    ]
    return Judgement(
        org_id=org.org_id,
        standard_id=standard.id,
        verdict=verdict,
        conflicts=bool(conflict_hits),
        confidence=0.0,  # set by policyaudit.assess.confidence
        evidence=evidence,
        conflict=conflict,
        elements=findings,
        rationale=_rationale(standard, verdict, results, conflict_hits),
        evidence_documents=evidence_docs,
    )


def _rationale(
    standard: Standard,
    verdict: Verdict,
    results: dict[str, _ElementResult],
    conflict_hits: list[Hit],
) -> str:
    found = [e for e, r in results.items() if r.hits]
    missing = [e for g in standard.met for e in g if e not in found]
    parts = [f"{verdict}: found {', '.join(found) or 'nothing'}"]
    if verdict != "met" and missing:
        parts.append(f"missing {', '.join(dict.fromkeys(missing))}")
    if conflict_hits:
        parts.append("conflicting text found")
    return "; ".join(parts)
