"""Mann-Whitney U between organisations with and without a dedicated policy.

Reported as SPSS and papers report it, so a reader can check our figures against theirs:

- ``u`` is the smaller of U1 and U2; ``u1`` is the statistic of the first sample (the
  organisations *with* a policy), as ``scipy.stats.mannwhitneyu`` returns it.
- ``p_asymptotic`` is scipy's two-sided normal approximation with the tie correction and
  without continuity correction (SPSS's "Asymp. Sig."). ``z`` is derived from that p
  (``|z| = Phi^-1(1 - p/2)``), signed positive when the first sample ranks higher, so it is the
  tie-corrected z of the textbook formula without re-implementing it.
- ``p_exact``: scipy's exact distribution when there are no ties; with ties, a permutation test
  of U (scipy), exhaustive when the number of splits is at most ``n_resamples``, otherwise Monte
  Carlo with a fixed seed so that reruns print the same figure. ``p_exact_method`` says which.
- Effect sizes: r = |z| / sqrt(N), and the rank-biserial correlation (U1 - U2) / (n1 n2),
  positive when the first sample ranks higher.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

N_RESAMPLES = 100_000
SEED = 20250101
BATCH = 10_000  # resamples evaluated at once: bounds memory for large samples


@dataclass(frozen=True)
class MannWhitney:
    n1: int
    n2: int
    u: float  # min(U1, U2): what statistical packages print
    u1: float  # U of the first sample
    u2: float
    z: float | None
    p_asymptotic: float | None
    p_exact: float | None
    p_exact_method: str
    r: float | None  # |z| / sqrt(n1 + n2)
    rank_biserial: float
    ties: bool

    @property
    def apa(self) -> str:
        return apa_sentence(self)

    def to_dict(self) -> dict:
        return {**asdict(self), "apa": self.apa}


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _permutation_method(n_resamples: int, seed: int) -> stats.PermutationMethod:
    """A seeded PermutationMethod; scipy >= 1.15 names the seed ``rng``, older ``random_state``."""
    generator = np.random.default_rng(seed)
    try:
        return stats.PermutationMethod(n_resamples=n_resamples, batch=BATCH, rng=generator)
    except TypeError:  # pragma: no cover - older scipy
        return stats.PermutationMethod(n_resamples=n_resamples, batch=BATCH, random_state=generator)


def exact_p(
    x: Sequence[float], y: Sequence[float], n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> tuple[float, str]:
    """Two-sided exact (or permutation) p of U, and a phrase naming the method used."""
    pooled = np.concatenate([np.asarray(x, float), np.asarray(y, float)])
    if np.unique(pooled).size == pooled.size:
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        return float(res.pvalue), "exact (no ties)"
    splits = math.comb(len(pooled), len(x))
    if min(len(x), len(y)) < 2:  # scipy's permutation test needs two per group: enumerate
        return _enumerated_p(x, y), f"permutation, exhaustive ({splits} splits)"
    method = _permutation_method(n_resamples, seed)
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    if splits <= n_resamples:
        return float(res.pvalue), f"permutation, exhaustive ({splits} splits)"
    return float(res.pvalue), f"permutation, Monte Carlo ({n_resamples} resamples, seed {seed})"


def _enumerated_p(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided permutation p of U over every split of the pooled values (small groups only):
    the share of splits whose U lies at least as far from its mean n1 n2 / 2 as the observed."""
    pooled = [*x, *y]
    n1, n2 = len(x), len(y)
    centre = n1 * n2 / 2

    def distance(first: Sequence[float], second: Sequence[float]) -> float:
        return abs(stats.mannwhitneyu(first, second, method="asymptotic").statistic - centre)

    observed = distance(x, y)
    hits = total = 0
    for chosen in itertools.combinations(range(len(pooled)), n1):
        picked = set(chosen)
        first = [pooled[i] for i in chosen]
        second = [v for i, v in enumerate(pooled) if i not in picked]
        total += 1
        hits += distance(first, second) >= observed - 1e-9
    return hits / total


def mann_whitney(
    with_policy: Sequence[float],
    without: Sequence[float],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> MannWhitney:
    """Compare two independent samples; raises ValueError if either is empty."""
    x, y = [float(v) for v in with_policy], [float(v) for v in without]
    if not x or not y:
        raise ValueError("Mann-Whitney U needs at least one value in each group")
    n1, n2 = len(x), len(y)
    asym = stats.mannwhitneyu(
        x, y, alternative="two-sided", method="asymptotic", use_continuity=False
    )
    u1 = float(asym.statistic)
    u2 = n1 * n2 - u1
    p = _finite(asym.pvalue)  # NaN when every value is tied: no variance to test
    z = None
    if p is not None:
        z = float(stats.norm.isf(p / 2)) * (1.0 if u1 >= n1 * n2 / 2 else -1.0)
    p_exact, how = exact_p(x, y, n_resamples, seed) if p is not None else (None, "undefined")
    return MannWhitney(
        n1=n1,
        n2=n2,
        u=min(u1, u2),
        u1=u1,
        u2=u2,
        z=z,
        p_asymptotic=p,
        p_exact=_finite(p_exact) if p_exact is not None else None,
        p_exact_method=how,
        r=abs(z) / math.sqrt(n1 + n2) if z is not None else None,
        rank_biserial=(u1 - u2) / (n1 * n2),
        ties=len(set(x + y)) < n1 + n2,
    )


def format_p(p: float | None) -> str:
    """APA: three decimals without the leading zero, and "< .001" below .001."""
    if p is None:
        return "p = n/a"
    if p < 0.001:
        return "p < .001"
    return "p = " + f"{p:.3f}".removeprefix("0")


def apa_sentence(mw: MannWhitney, exact: bool = False) -> str:
    """One line for a results section, e.g. ``U = 36.50, p = .002, r = 0.52``.

    Uses the asymptotic p (what SPSS prints and papers quote) unless ``exact`` is set.
    """
    p = mw.p_exact if exact else mw.p_asymptotic
    r = "n/a" if mw.r is None else f"{mw.r:.2f}"
    return f"U = {mw.u:.2f}, {format_p(p)}, r = {r}"
