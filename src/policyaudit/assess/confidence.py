"""Confidence of a verdict: how likely a careful human coder is to give the same verdict.

The score is built from the strength of the evidence behind the verdict, in a few bands whose
levels were checked against human gold labels on organisations the rules were not written from
(benchmarks/accuracy.py prints the agreement per band):
- a met verdict whose every required element is shown by two or more sentences is firm; one
  sentence for an element, or a conflict beside it, leaves room for a coder to read it otherwise;
- partial is the least stable verdict between coders, and one of two required elements found
  is firmer than a passing mention;
- not met is firm when nothing addressed the standard at all, and weak when something came close
  (a partial-only mention, or a cross-reference to a document that was not supplied).
"""

from __future__ import annotations

from policyaudit.assess.types import Judgement
from policyaudit.framework.schema import Standard


def confidence_of(judgement: Judgement, standard: Standard) -> float:
    found = {f.element_id: f for f in judgement.elements}
    required = {e for group in standard.met for e in group}
    if judgement.verdict == "met":
        group = next(g for g in standard.met if all(found[e].found for e in g))
        support = min(found[e].n_hits for e in group)
        score = 0.93 if support >= 2 else 0.85
        return score - (0.05 if judgement.conflicts else 0.0)
    if judgement.verdict == "partial":
        some_required = any(found[e].found for e in required)
        return 0.75 if some_required else 0.65
    near = sum(f.n_hits + f.n_references for f in judgement.elements if f.element_id in found)
    conflict_ids = {c.id for c in standard.conflicts}
    near -= sum(found[c].n_hits for c in conflict_ids if c in found)
    return 0.93 if near == 0 else 0.75


def assign_confidence(judgement: Judgement, standard: Standard) -> None:
    judgement.confidence = round(confidence_of(judgement, standard), 3)
