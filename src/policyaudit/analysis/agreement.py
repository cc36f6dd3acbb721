"""Agreement between two codings of the same cells (engine vs gold, coder vs coder).

Verdicts are ordinal (``not_met < partial < met``), so besides Cohen's kappa we report weighted
kappa and Krippendorff's ordinal alpha, which count a met/partial disagreement as smaller than a
met/not_met one. Kappa is deflated when one verdict dominates (a standard almost no organisation
meets: the "kappa paradox"), so Gwet's AC1 and PABAK are shown beside it.

Krippendorff's alpha is implemented here (coincidence-matrix method) rather than taken from the
``krippendorff`` package, because that package is GPL-3.0 and this project is MIT.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import norm
from statsmodels.stats.inter_rater import cohens_kappa

ORDINAL_VERDICTS: tuple[str, ...] = ("not_met", "partial", "met")
"""The verdicts in ordinal order: weighted kappa and ordinal alpha depend on it."""

RARE_MET = 0.2
"""Below this share of met codings, kappa is unreliable and AC1/PABAK should be read with it."""

Z_95 = float(norm.ppf(0.975))

Weights = Literal["linear", "quadratic"]
Metric = Literal["nominal", "ordinal", "interval", "ratio"]
Cell = tuple[str, str]  # (org_id, standard_id)


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


def _single_category(table: np.ndarray) -> bool:
    """Both coders used the same one category: chance agreement is 1 and kappa is 0/0."""
    n = table.sum()
    return bool(np.isclose(float((table.sum(1) / n) @ (table.sum(0) / n)), 1.0))


def cohen_kappa(
    a: Sequence[str], b: Sequence[str], labels: Sequence[str], weights: Weights | None = None
) -> Kappa | None:
    """Cohen's kappa, optionally weighted, with its asymptotic 95% interval (statsmodels).

    Weighted kappa uses the order of ``labels`` (linear: Cicchetti-Allison, quadratic:
    Fleiss-Cohen). The Wald interval is truncated to kappa's range [-1, 1], which small
    per-standard samples overshoot. None where kappa is undefined: no cells, or one category
    only on both sides.
    """
    table = contingency(a, b, labels)
    n = int(table.sum())
    if n == 0 or _single_category(table):
        return None
    with warnings.catch_warnings():  # perfect agreement: a variance of 0 or -1e-17 (rounding)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = cohens_kappa(table, wt=weights)
    half = Z_95 * math.sqrt(max(float(res.var_kappa), 0.0))
    value = float(res.kappa)
    low, high = max(-1.0, value - half), min(1.0, value + half)
    return Kappa(value, low, high, n, float(np.trace(table) / n))


def kappa(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> Kappa:
    """Cohen's kappa with its asymptotic 95% interval; NaN (not None) where undefined."""
    result = cohen_kappa(a, b, labels)
    if result is not None:
        return result
    table = contingency(a, b, labels)
    n = int(table.sum())
    observed = float(np.trace(table) / n) if n else float("nan")
    nan = float("nan")
    return Kappa(nan, nan, nan, n, observed)


def percent_agreement(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Share of cells (0-1) given the same label; None for no cells."""
    pairs = list(zip(a, b, strict=True))
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else None


def gwet_ac1(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> float | None:
    """Gwet's AC1 for two coders over the ``q = len(labels)`` categories of the scale.

    AC1 = (pa - pe) / (1 - pe), pe = sum_k pi_k (1 - pi_k) / (q - 1), pi_k the mean of the two
    coders' shares of category k (Gwet 2008, Br J Math Stat Psychol 61:29-48, eqs. 4-5). Its
    chance term shrinks when one category dominates, so unlike kappa it stays close to the
    observed agreement for rare verdicts; still defined when only one category is used.
    """
    table = contingency(a, b, labels)
    n, q = table.sum(), len(labels)
    if n == 0 or q < 2:
        return None
    pa = np.trace(table) / n
    pi = (table.sum(0) + table.sum(1)) / (2 * n)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return float((pa - pe) / (1 - pe))


def pabak(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> float | None:
    """Prevalence- and bias-adjusted kappa: kappa with uniform margins, (q po - 1) / (q - 1).

    For two categories this is 2 po - 1 (Byrt, Bishop & Carlin 1993, J Clin Epidemiol
    46:423-429); the q-category form is the same adjustment (chance agreement 1/q). A linear
    rescaling of percent agreement, so always defined when there are cells.
    """
    po, q = percent_agreement(a, b), len(labels)
    if po is None or q < 2:
        return None
    return (q * po - 1) / (q - 1)


# --- Krippendorff's alpha --------------------------------------------------------------------


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def coincidences(
    data: Sequence[Sequence[Hashable | None]], values: Sequence[Hashable]
) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck from a coders x units reliability matrix.

    Each unit with m >= 2 values contributes each ordered pair of values from different coders
    with weight 1 / (m - 1); units coded once are unpairable and ignored. Missing is None/NaN.
    """
    index = {v: i for i, v in enumerate(values)}
    k = len(values)
    matrix = np.zeros((k, k))
    for unit in zip(*data, strict=True):
        present = [index[v] for v in unit if not _missing(v)]
        if len(present) < 2:
            continue
        counts = np.bincount(present, minlength=k).astype(float)
        matrix += (np.outer(counts, counts) - np.diag(counts)) / (len(present) - 1)
    return matrix


def _distances(metric: Metric, values: Sequence[Hashable], totals: np.ndarray) -> np.ndarray:
    """Squared difference delta^2_ck for each pair of values (Krippendorff 2011, sect. E-F)."""
    k = len(values)
    if metric == "nominal":
        return 1.0 - np.eye(k)
    if metric == "ordinal":
        # (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2: distance is the mass of values between c and k
        cum = np.concatenate([[0.0], np.cumsum(totals)])
        c, d = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        lo, hi = np.minimum(c, d), np.maximum(c, d)
        between = cum[hi + 1] - cum[lo]
        return (between - (totals[c] + totals[d]) / 2) ** 2
    numeric = np.asarray(values, dtype=float)
    diff = numeric[:, None] - numeric[None, :]
    if metric == "interval":
        return diff**2
    if metric == "ratio":
        total = numeric[:, None] + numeric[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total == 0, 0.0, (diff / np.where(total == 0, 1, total)) ** 2)
    raise ValueError(f"unknown metric {metric!r}")


def krippendorff_alpha(
    data: Sequence[Sequence[Hashable | None]],
    metric: Metric = "nominal",
    values: Sequence[Hashable] | None = None,
) -> float | None:
    """Krippendorff's alpha = 1 - D_o / D_e for a coders x units matrix (missing: None/NaN).

    Coincidence-matrix method of Krippendorff (2011), "Computing Krippendorff's
    Alpha-Reliability", Annenberg School for Communication, Departmental Papers 43:
    alpha = 1 - (n - 1) sum o_ck delta^2_ck / sum n_c n_k delta^2_ck. ``values`` fixes the
    order of the scale (needed for ordinal labels such as verdicts); by default the sorted
    observed values. None where alpha is undefined: fewer than two pairable values, or no
    variation at all (expected disagreement 0).
    """
    if values is None:
        values = sorted({v for row in data for v in row if not _missing(v)})  # type: ignore[type-var]
    observed = coincidences(data, values)
    totals = observed.sum(1)
    n = totals.sum()
    if n < 2:
        return None
    delta = _distances(metric, values, totals)
    expected = float((np.outer(totals, totals) * delta).sum())
    if np.isclose(expected, 0.0):
        return None
    return float(1 - (n - 1) * (observed * delta).sum() / expected)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementFigures:
    """Every agreement figure for one set of cells (all of them, or one standard's)."""

    n: int
    agreement: float | None  # share of cells with the same verdict, 0-1
    kappa: Kappa | None  # None where undefined (one verdict only)
    kappa_linear: Kappa | None
    kappa_quadratic: Kappa | None
    alpha_ordinal: float | None
    alpha_nominal: float | None
    ac1: float | None
    pabak: float | None
    met_share: float | None  # share of met among both coders' verdicts

    @property
    def percent(self) -> float | None:
        return None if self.agreement is None else 100 * self.agreement

    @property
    def rarely_met(self) -> bool:
        """Kappa is likely deflated here: read AC1 and PABAK beside it."""
        return self.met_share is not None and self.met_share < RARE_MET


@dataclass(frozen=True)
class AgreementReport:
    overall: AgreementFigures
    per_standard: dict[str, AgreementFigures]  # in the framework's order
    only_a: tuple[Cell, ...]  # cells coded in A but not in B
    only_b: tuple[Cell, ...]
    labels: tuple[str, ...] = ORDINAL_VERDICTS


def agreement_figures(
    a: Sequence[str], b: Sequence[str], labels: Sequence[str] = ORDINAL_VERDICTS
) -> AgreementFigures:
    """All figures for two aligned verdict sequences; ``labels`` in ordinal order."""
    n = len(a)
    met = "met" if "met" in labels else labels[-1]
    return AgreementFigures(
        n=n,
        agreement=percent_agreement(a, b),
        kappa=cohen_kappa(a, b, labels),
        kappa_linear=cohen_kappa(a, b, labels, "linear"),
        kappa_quadratic=cohen_kappa(a, b, labels, "quadratic"),
        alpha_ordinal=krippendorff_alpha([a, b], "ordinal", labels),
        alpha_nominal=krippendorff_alpha([a, b], "nominal", labels),
        ac1=gwet_ac1(a, b, labels),
        pabak=pabak(a, b, labels),
        met_share=(list(a).count(met) + list(b).count(met)) / (2 * n) if n else None,
    )


def _standard_order(cells: Iterable[Cell], standards_order: Sequence[str]) -> list[str]:
    """The framework's order first, then any standard it does not list, sorted."""
    present = {s for _, s in cells}
    listed = [s for s in standards_order if s in present]
    return listed + sorted(present - set(listed))


def agreement_report(
    a: Mapping[Cell, str],
    b: Mapping[Cell, str],
    standards_order: Sequence[str] = (),
    labels: Sequence[str] = ORDINAL_VERDICTS,
) -> AgreementReport:
    """Overall and per-standard agreement over the cells both codings share.

    ``a`` and ``b`` map (org_id, standard_id) to a verdict. Cells coded by one side only are
    returned, not silently dropped, because a missing cell usually means a coding was lost.
    """
    for name, coding in (("A", a), ("B", b)):
        bad = sorted({v for v in coding.values() if v not in labels})
        if bad:
            raise ValueError(f"coding {name}: unknown verdicts {bad} (expected {list(labels)})")
    shared = sorted(set(a) & set(b))
    per_standard = {}
    for sid in _standard_order(shared, standards_order):
        cells = [c for c in shared if c[1] == sid]
        per_standard[sid] = agreement_figures([a[c] for c in cells], [b[c] for c in cells], labels)
    return AgreementReport(
        overall=agreement_figures([a[c] for c in shared], [b[c] for c in shared], labels),
        per_standard=per_standard,
        only_a=tuple(sorted(set(a) - set(b))),
        only_b=tuple(sorted(set(b) - set(a))),
        labels=tuple(labels),
    )


def f1(truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
