"""Mann-Whitney edge cases scipy does not cover on its own."""

from policyaudit.analysis.groups import exact_p, mann_whitney


def test_a_group_of_one_with_ties_is_enumerated_exhaustively():
    """scipy's permutation test refuses a group of one; every split is enumerated instead."""
    p, method = exact_p([1.0], [1.0, 2.0])
    assert method == "permutation, exhaustive (3 splits)"
    # splits: U1 = 0.5 ({1} vs {1, 2}), 0.5 (the other 1), 2.0 ({2} vs {1, 1}): all are at
    # least as far from the mean 1.0 as the observed 0.5, so p = 3/3
    assert p == 1.0
    mw = mann_whitney([2.0], [1.0, 1.0])
    assert mw.p_exact == 1 / 3  # only the observed split puts U1 as far out as 2.0
