"""Agreement statistics against published values, sklearn, statsmodels and the double-coding."""

from __future__ import annotations

import csv
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from policyaudit.analysis.agreement import (
    ORDINAL_VERDICTS,
    agreement_report,
    cohen_kappa,
    coincidences,
    contingency,
    gwet_ac1,
    kappa,
    krippendorff_alpha,
    pabak,
    percent_agreement,
)

CORPUS_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "corpus-dev"
N = None

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers x 12
# units, values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849, ratio .797
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
PUBLISHED_C = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# 30 cells coded by two coders, all three verdicts, with met/partial and partial/not_met slips
A = ["met"] * 10 + ["partial"] * 8 + ["not_met"] * 12
B = (
    ["met"] * 8 + ["partial"] * 2  # 2 met -> partial
    + ["partial"] * 5 + ["met", "not_met", "not_met"]  # 1 partial -> met, 2 -> not_met
    + ["not_met"] * 11 + ["met"]  # 1 not_met -> met
)  # fmt: skip


def test_krippendorff_published_example_c():
    for metric, published in PUBLISHED_C.items():
        alpha = krippendorff_alpha(KRIPPENDORFF_C, metric)  # type: ignore[arg-type]
        assert alpha == pytest.approx(published, abs=5e-4), metric


def test_krippendorff_published_examples_a_and_b():
    # example A: two observers, binary, 10 units: alpha = 0.095
    a = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert krippendorff_alpha(a, "nominal") == pytest.approx(0.095, abs=5e-4)
    # example B: two observers, nominal a-e, 12 units: alpha = 0.692
    b = [list("aabbdcccedda"), list("babbbccceddd")]
    assert krippendorff_alpha(b, "nominal") == pytest.approx(0.692, abs=5e-4)


def test_coincidence_matrix_of_example_c():
    # the published matrix: n_c = 9, 13, 10, 5, 3 (n = 40); o_11 = 7, o_12 = 4/3, o_22 = 10
    o = coincidences(KRIPPENDORFF_C, [1, 2, 3, 4, 5])
    assert o.sum(1) == pytest.approx([9, 13, 10, 5, 3])
    assert o[0, 0] == pytest.approx(7) and o[0, 1] == pytest.approx(4 / 3)
    assert o[1, 1] == pytest.approx(10) and o[4, 4] == pytest.approx(3)
    assert np.allclose(o, o.T)


def test_krippendorff_agrees_with_package_when_installed():
    """A cross-check only: the published examples above always run, the package is GPL."""
    if importlib.util.find_spec("krippendorff") is None:
        pytest.skip("krippendorff (GPL, not a dependency) is not installed")
    import krippendorff

    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_C])
    for metric in PUBLISHED_C:
        ours = krippendorff_alpha(KRIPPENDORFF_C, metric)  # type: ignore[arg-type]
        assert ours == pytest.approx(krippendorff.alpha(data, level_of_measurement=metric))
    codes = {v: i for i, v in enumerate(ORDINAL_VERDICTS)}
    ours = krippendorff_alpha([A, B], "ordinal", ORDINAL_VERDICTS)
    numeric = [[codes[v] for v in A], [codes[v] for v in B]]
    theirs = krippendorff.alpha(numeric, level_of_measurement="ordinal")
    assert ours == pytest.approx(theirs)


def test_ordinal_alpha_uses_the_verdict_order_not_the_alphabet():
    # alphabetical order would put partial after not_met
    by_order = krippendorff_alpha([A, B], "ordinal", ORDINAL_VERDICTS)
    by_alphabet = krippendorff_alpha([A, B], "ordinal", sorted(ORDINAL_VERDICTS))
    assert by_order != pytest.approx(by_alphabet)
    numeric = {v: i for i, v in enumerate(ORDINAL_VERDICTS)}
    assert by_order == pytest.approx(
        krippendorff_alpha([[numeric[v] for v in A], [numeric[v] for v in B]], "ordinal")
    )


def test_cohen_kappa_matches_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    for weights in (None, "linear", "quadratic"):
        k = cohen_kappa(A, B, ORDINAL_VERDICTS, weights)  # type: ignore[arg-type]
        expected = sklearn_metrics.cohen_kappa_score(A, B, labels=ORDINAL_VERDICTS, weights=weights)
        assert k is not None and k.kappa == pytest.approx(expected), weights


def test_kappa_interval_matches_statsmodels():
    table = contingency(A, B, ORDINAL_VERDICTS)
    for weights in (None, "linear", "quadratic"):
        k = cohen_kappa(A, B, ORDINAL_VERDICTS, weights)  # type: ignore[arg-type]
        ref = sm_cohens_kappa(table, wt=weights)
        assert k is not None
        assert (k.kappa, k.low, k.high) == pytest.approx(
            (ref.kappa, max(-1, ref.kappa_low), min(1, ref.kappa_upp))
        )
        assert k.n == 30 and k.agreement == pytest.approx(24 / 30)


def test_kappa_hand_computed():
    # po = 24/30 = .8; margins A (10, 8, 12), B (10, 7, 13); pe = (100 + 56 + 156) / 900
    pe = 312 / 900
    k = cohen_kappa(A, B, ORDINAL_VERDICTS)
    assert k is not None and k.kappa == pytest.approx((0.8 - pe) / (1 - pe))
    assert percent_agreement(A, B) == pytest.approx(0.8)


def test_pabak_and_ac1_hand_computed_kappa_paradox():
    # Feinstein & Cicchetti's (1990) paradox table: 118 both yes, 5 yes/no, 2 no/yes, 0 both no.
    # po = 118/125 = .944; kappa = -.024 although agreement is 94%.
    a = ["yes"] * 118 + ["yes"] * 5 + ["no"] * 2
    b = ["yes"] * 118 + ["no"] * 5 + ["yes"] * 2
    labels = ("yes", "no")
    k = cohen_kappa(a, b, labels)
    # pe = (123 * 120 + 2 * 5) / 125^2 = 14770 / 15625 = .94528
    assert k is not None and k.kappa == pytest.approx((0.944 - 0.94528) / (1 - 0.94528))
    assert round(k.kappa, 3) == -0.023
    # PABAK = 2 po - 1 = .888
    assert pabak(a, b, labels) == pytest.approx(0.888)
    # AC1: pi_yes = (123 + 120) / 250 = .972; pe = 2 * .972 * .028 / (2 - 1) = .054432
    # AC1 = (.944 - .054432) / (1 - .054432) = .940783
    assert gwet_ac1(a, b, labels) == pytest.approx(0.889568 / 0.945568)


def test_three_category_pabak_and_ac1():
    # PABAK = (3 * .8 - 1) / 2 = .7; pi = (20, 15, 25) / 60; pe = sum pi (1 - pi) / 2
    assert pabak(A, B, ORDINAL_VERDICTS) == pytest.approx(0.7)
    pi = np.array([20, 15, 25]) / 60
    pe = float((pi * (1 - pi)).sum() / 2)
    assert gwet_ac1(A, B, ORDINAL_VERDICTS) == pytest.approx((0.8 - pe) / (1 - pe))


def test_degenerate_one_category_only():
    a = b = ["not_met"] * 6
    assert cohen_kappa(a, b, ORDINAL_VERDICTS) is None
    assert cohen_kappa(a, b, ORDINAL_VERDICTS, "quadratic") is None
    assert krippendorff_alpha([a, b], "ordinal", ORDINAL_VERDICTS) is None
    assert gwet_ac1(a, b, ORDINAL_VERDICTS) == 1.0
    assert pabak(a, b, ORDINAL_VERDICTS) == 1.0
    legacy = kappa(a, b, ORDINAL_VERDICTS)  # the old API keeps NaN for callers that expect it
    assert math.isnan(legacy.kappa) and legacy.n == 6 and legacy.agreement == 1.0
    assert cohen_kappa([], [], ORDINAL_VERDICTS) is None and percent_agreement([], []) is None
    # two different single categories: chance agreement 0, kappa 0 (defined)
    k = cohen_kappa(["met"] * 3, ["partial"] * 3, ORDINAL_VERDICTS)
    assert k is not None and k.kappa == pytest.approx(0.0)


def test_perfect_agreement_has_a_finite_interval():
    v = ["met"] * 8 + ["partial"] * 2 + ["not_met"] * 2
    k = cohen_kappa(v, v, ORDINAL_VERDICTS)
    assert k is not None and (k.kappa, k.low, k.high) == pytest.approx((1.0, 1.0, 1.0))


def test_agreement_report_per_standard_and_unmatched_cells():
    a = {("O1", "S2"): "met", ("O2", "S2"): "not_met", ("O1", "S1"): "met", ("O9", "S1"): "met"}
    b = {("O1", "S2"): "met", ("O2", "S2"): "partial", ("O1", "S1"): "met", ("O8", "S1"): "met"}
    report = agreement_report(a, b, ["S2", "S1"])
    assert list(report.per_standard) == ["S2", "S1"]
    assert report.overall.n == 3 and report.overall.agreement == pytest.approx(2 / 3)
    assert report.only_a == (("O9", "S1"),) and report.only_b == (("O8", "S1"),)
    s1 = report.per_standard["S1"]
    assert s1.kappa is None and s1.alpha_ordinal is None and s1.ac1 == 1.0 and s1.pabak == 1.0
    assert s1.percent == 100.0
    with pytest.raises(ValueError, match="unknown verdicts"):
        agreement_report({("O1", "S1"): "yes"}, b)


def test_rarely_met_flag():
    a = ["not_met"] * 9 + ["met"]
    b = ["not_met"] * 10
    cells = [(f"O{i}", "S1") for i in range(10)]
    report = agreement_report(dict(zip(cells, a, strict=True)), dict(zip(cells, b, strict=True)))
    f = report.per_standard["S1"]
    assert f.rarely_met and f.met_share == pytest.approx(0.05)
    assert f.kappa is not None and f.kappa.kappa == pytest.approx(0.0)  # the paradox
    assert f.ac1 is not None and f.ac1 > 0.85  # AC1 stays near the 90% agreement


def _verdicts(path: Path) -> dict[tuple[str, str], str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {(r["org_id"], r["standard_id"]): r["verdict"] for r in csv.DictReader(fh)}


@pytest.mark.skipif(not CORPUS_DEV.is_dir(), reason="../shared/corpus-dev is not checked out")
def test_double_coded_corpus_dev():
    gold = _verdicts(CORPUS_DEV / "gold" / "judgements.csv")
    second = _verdicts(CORPUS_DEV / "second-coder" / "judgements.csv")
    report = agreement_report(gold, second)
    assert report.overall.n == 240 and not report.only_a and not report.only_b
    assert report.overall.kappa is not None
    assert round(report.overall.kappa.kappa, 3) == 0.974  # 3-class kappa, as sklearn gives
    cells = sorted(gold)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    expected = sklearn_metrics.cohen_kappa_score(
        [gold[c] for c in cells], [second[c] for c in cells]
    )
    assert report.overall.kappa.kappa == pytest.approx(expected)
