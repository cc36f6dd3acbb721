"""Descriptives, Wilson intervals and Mann-Whitney U against hand-computed and scipy values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from policyaudit.analysis import describe, mann_whitney, wilson
from policyaudit.analysis.groups import MannWhitney, apa_sentence, format_p


def test_describe_and_empty():
    d = describe([1, 2, 3, 4])
    assert (d.n, d.mean, d.median, d.min, d.max) == (4, 2.5, 2.5, 1, 4)
    assert d.sd == pytest.approx(math.sqrt(5 / 3))  # sample SD, n - 1
    assert (d.q1, d.q3, d.iqr) == (1.75, 3.25, 1.5)
    assert describe([]).mean is None
    assert describe([7]).sd is None


def test_wilson_hand_computed():
    # 5 of 20: p = .25, z = 1.959964; centre .290285, half-width .178420
    p = wilson(5, 20)
    assert p.proportion == 0.25 and p.pct == 25.0
    assert p.low == pytest.approx(0.11187, abs=1e-5)
    assert p.high == pytest.approx(0.46871, abs=1e-5)
    assert wilson(0, 0).low is None


def test_textbook_example():
    # A ranks 3, 5, 7, 8, 9 among the nine: R = 32, U_A = 32 - 15 = 17, U_B = 20 - 17 = 3.
    # P(U <= 3) for sizes 5 and 4 is (1 + 1 + 2 + 3) / C(9, 4) = 7 / 126; two-sided 14 / 126.
    mw = mann_whitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
    assert (mw.u, mw.u1, mw.u2) == (3, 17, 3)
    assert not mw.ties and mw.p_exact_method == "exact (no ties)"
    assert mw.p_exact == pytest.approx(14 / 126)
    assert mw.rank_biserial == pytest.approx((17 - 3) / 20)
    assert mw.z > 0


def test_agrees_with_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 20, 15).tolist(), rng.integers(0, 20, 22).tolist()
    mw = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=False)
    assert mw.u1 == ref.statistic
    assert mw.u == min(ref.statistic, 15 * 22 - ref.statistic)
    assert mw.p_asymptotic == pytest.approx(ref.pvalue)
    assert mw.r == pytest.approx(abs(mw.z) / math.sqrt(37))


def test_exact_without_ties_is_scipy_exact():
    x, y = [1.5, 3.2, 4.8, 7.1, 9.0, 10.4], [2.2, 5.5, 6.1, 8.3, 11.7, 12.9, 13.0]
    mw = mann_whitney(x, y)
    assert mw.p_exact == stats.mannwhitneyu(x, y, method="exact").pvalue


def test_ties_z_is_tie_corrected_and_permutation_exhaustive():
    x, y = [1, 2, 2, 3, 5], [2, 3, 3, 4, 4, 6]
    mw = mann_whitney(x, y)
    assert mw.ties
    # z by the textbook formula with the tie correction, no continuity correction
    n1, n2 = len(x), len(y)
    n = n1 + n2
    _, t = np.unique(x + y, return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (t**3 - t).sum() / (n * (n - 1))))
    assert mw.z == pytest.approx((mw.u1 - n1 * n2 / 2) / sigma)
    # exhaustive permutation over all C(11, 5) = 462 splits equals scipy's permutation_test
    assert mw.p_exact_method == "permutation, exhaustive (462 splits)"

    def u(a, b, axis):
        return stats.mannwhitneyu(a, b, axis=axis, method="asymptotic").statistic

    ref = stats.permutation_test((x, y), u, permutation_type="independent", vectorized=True)
    assert mw.p_exact == pytest.approx(ref.pvalue)


def test_all_tied_has_no_test():
    mw = mann_whitney([3, 3], [3, 3, 3])
    assert mw.z is None and mw.p_asymptotic is None and mw.p_exact is None
    assert apa_sentence(mw) == "U = 3.00, p = n/a, r = n/a"


def test_empty_group_raises():
    with pytest.raises(ValueError):
        mann_whitney([], [1, 2])


def _mw(u: float, p: float, r: float) -> MannWhitney:
    return MannWhitney(9, 27, u, 243 - u, u, 3.0, p, p, "", r, 0.5, True)


def test_apa_formatting():
    assert format_p(0.00175) == "p = .002"
    assert format_p(0.0004) == "p < .001"
    assert format_p(0.001) == "p = .001"
    assert format_p(0.5) == "p = .500"
    assert apa_sentence(_mw(36.5, 0.00175, 0.52146)) == "U = 36.50, p = .002, r = 0.52"
    assert apa_sentence(_mw(12, 0.00001, 0.8)) == "U = 12.00, p < .001, r = 0.80"
