"""Measure engine judgements against human gold labels (the accuracy figures we publish)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyaudit.analysis.agreement import Kappa, f1, kappa
from policyaudit.assess.types import VERDICTS, Judgement, OrgAttributes


@dataclass(frozen=True)
class GoldCell:
    org_id: str
    standard_id: str
    verdict: str
    conflicts: bool
    evidence_document: str = ""
    evidence_quote: str = ""


@dataclass(frozen=True)
class GoldOrg:
    org_id: str
    has_dedicated_policy: bool
    definition_class: str
    harm_reduction_mentioned: bool


def _bool(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "y")


def load_gold(gold_dir: Path) -> tuple[list[GoldCell], dict[str, GoldOrg]]:
    with (gold_dir / "judgements.csv").open(newline="", encoding="utf-8") as fh:
        cells = [
            GoldCell(
                r["org_id"],
                r["standard_id"],
                r["verdict"],
                _bool(r["conflicts"]),
                r.get("evidence_document", ""),
                r.get("evidence_quote", ""),
            )
            for r in csv.DictReader(fh)
        ]
    orgs: dict[str, GoldOrg] = {}
    org_file = gold_dir / "organisations.csv"
    if org_file.exists():
        with org_file.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                orgs[r["org_id"]] = GoldOrg(
                    r["org_id"],
                    _bool(r["has_dedicated_policy"]),
                    r["definition_class"],
                    _bool(r.get("harm_reduction_mentioned", "false")),
                )
    return cells, orgs


@dataclass
class StandardRow:
    standard_id: str
    n: int
    agreement: float
    kappa: float
    confusions: list[str]


@dataclass
class Accuracy:
    n: int
    kappa3: Kappa
    kappa_met: Kappa
    accuracy: float
    conflicts_f1: float
    count_mae: float
    count_mae_lenient: float
    dedicated_accuracy: float
    definition_accuracy: float
    harm_reduction_accuracy: float
    high_confidence_n: int
    high_confidence_accuracy: float
    per_standard: list[StandardRow] = field(default_factory=list)
    disagreements: list[tuple[GoldCell, Judgement]] = field(default_factory=list)
    confidence_bands: list[tuple[float, int, float]] = field(default_factory=list)


def evaluate(
    judgements: Sequence[Judgement],
    attributes: Sequence[OrgAttributes],
    gold_cells: Sequence[GoldCell],
    gold_orgs: dict[str, GoldOrg],
    high_confidence: float = 0.9,
) -> Accuracy:
    by_key = {(j.org_id, j.standard_id): j for j in judgements}
    pairs = [(g, by_key[(g.org_id, g.standard_id)]) for g in gold_cells]
    truth = [g.verdict for g, _ in pairs]
    pred = [j.verdict for _, j in pairs]

    def met(v: str) -> str:
        return "met" if v == "met" else "not"

    orgs = sorted({g.org_id for g in gold_cells})
    count_true = {o: sum(g.verdict == "met" for g in gold_cells if g.org_id == o) for o in orgs}
    count_pred = {o: sum(j.verdict == "met" for g, j in pairs if g.org_id == o) for o in orgs}
    len_true = {o: sum(g.verdict != "not_met" for g in gold_cells if g.org_id == o) for o in orgs}
    len_pred = {o: sum(j.verdict != "not_met" for g, j in pairs if g.org_id == o) for o in orgs}
    attr = {a.org_id: a for a in attributes}
    scored_orgs = [o for o in orgs if o in gold_orgs and o in attr]

    def share(pred_ok: list[bool]) -> float:
        return float(np.mean(pred_ok)) if pred_ok else float("nan")

    high = [(g, j) for g, j in pairs if j.confidence >= high_confidence]
    per_standard = []
    for sid in sorted({g.standard_id for g in gold_cells}):
        sp = [(g, j) for g, j in pairs if g.standard_id == sid]
        k = kappa([g.verdict for g, _ in sp], [j.verdict for _, j in sp], VERDICTS)
        per_standard.append(
            StandardRow(
                sid,
                len(sp),
                k.agreement,
                k.kappa,
                [f"{g.org_id}:{g.verdict}->{j.verdict}" for g, j in sp if g.verdict != j.verdict],
            )
        )
    return Accuracy(
        n=len(pairs),
        kappa3=kappa(truth, pred, VERDICTS),
        kappa_met=kappa([met(v) for v in truth], [met(v) for v in pred], ("met", "not")),
        accuracy=share([t == p for t, p in zip(truth, pred, strict=True)]),
        conflicts_f1=f1([g.conflicts for g, _ in pairs], [j.conflicts for _, j in pairs]),
        count_mae=float(np.mean([abs(count_true[o] - count_pred[o]) for o in orgs])),
        count_mae_lenient=float(np.mean([abs(len_true[o] - len_pred[o]) for o in orgs])),
        dedicated_accuracy=share(
            [gold_orgs[o].has_dedicated_policy == attr[o].has_dedicated_policy for o in scored_orgs]
        ),
        definition_accuracy=share(
            [gold_orgs[o].definition_class == attr[o].definition_class for o in scored_orgs]
        ),
        harm_reduction_accuracy=share(
            [
                gold_orgs[o].harm_reduction_mentioned == attr[o].harm_reduction_mentioned
                for o in scored_orgs
            ]
        ),
        high_confidence_n=len(high),
        high_confidence_accuracy=share([g.verdict == j.verdict for g, j in high]),
        per_standard=per_standard,
        disagreements=[
            (g, j) for g, j in pairs if g.verdict != j.verdict or g.conflicts != j.conflicts
        ],
        confidence_bands=confidence_bands(judgements, gold_cells),
    )


def measure(
    corpus: Path,
    gold: Path,
    framework: str | Path | None = None,
    semantic: bool = False,
    db: str | Path | None = None,
    use_overrides: bool = False,
) -> Accuracy:
    """Audit ``corpus`` through the real pipeline (ingest, store, judge) and score it.

    Overrides from organisations.csv are ignored unless asked for, so the dedicated-policy
    figure measures detection.
    """
    import tempfile

    from policyaudit.assess.audit import audit

    with tempfile.TemporaryDirectory() as tmp:
        result = audit(
            corpus, db or Path(tmp) / "audit.sqlite", framework, semantic=semantic, progress=False
        )
    attributes = result.attributes
    if not use_overrides:
        attributes = [_detected(a) for a in attributes]
    cells, orgs = load_gold(gold)
    return evaluate(result.judgements, attributes, cells, orgs)


def _detected(a: OrgAttributes) -> OrgAttributes:
    from dataclasses import replace

    return replace(
        a, has_dedicated_policy=bool(a.dedicated_documents), dedicated_policy_source="detected"
    )


def confidence_bands(
    judgements: Sequence[Judgement], gold_cells: Sequence[GoldCell]
) -> list[tuple[float, int, float]]:
    """(confidence, n, share agreeing with gold) per distinct confidence value."""
    by_key = {(g.org_id, g.standard_id): g for g in gold_cells}
    bands: dict[float, list[bool]] = {}
    for j in judgements:
        g = by_key.get((j.org_id, j.standard_id))
        if g is not None:
            bands.setdefault(j.confidence, []).append(g.verdict == j.verdict)
    return [(c, len(v), float(np.mean(v))) for c, v in sorted(bands.items())]
