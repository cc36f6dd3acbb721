"""Agreement between two codings of the same cells (engine vs gold, coder vs coder)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa


@dataclass(frozen=True)
class Kappa:
    kappa: float
    low: float  # 95% confidence interval
    high: float
    n: int
    agreement: float


def contingency(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)), dtype=float)
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    return table


def kappa(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> Kappa:
    """Cohen's kappa with its asymptotic 95% interval (statsmodels)."""
    table = contingency(a, b, labels)
    n = int(table.sum())
    observed = float(np.trace(table) / n) if n else float("nan")
    if n == 0:
        return Kappa(float("nan"), float("nan"), float("nan"), 0, observed)
    margins_a, margins_b = table.sum(1) / n, table.sum(0) / n
    if np.isclose(float(margins_a @ margins_b), 1.0):
        # one category only on both sides: kappa is undefined, agreement says it all
        return Kappa(float("nan"), float("nan"), float("nan"), n, observed)
    with warnings.catch_warnings():  # perfect agreement has a zero-variance interval
        warnings.simplefilter("ignore", RuntimeWarning)
        res = cohens_kappa(table)
    return Kappa(float(res.kappa), float(res.kappa_low), float(res.kappa_upp), n, observed)


def f1(truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
