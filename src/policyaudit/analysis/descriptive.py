"""Descriptive statistics of per-organisation counts, as audit papers report them.

The SD is the sample SD (n - 1), which is what SPSS, R and the papers print. Quartiles use
numpy's default ``linear`` interpolation (R's type 7); SPSS's Explore uses a weighted average
(type 6), so an IQR may differ from an SPSS table by a fraction on small samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

QUANTILE_METHOD = "linear"


@dataclass(frozen=True)
class Descriptives:
    """Summary of one sample; every statistic is None where the sample cannot define it."""

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    min: float | None
    max: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _num(x: float) -> float | None:
    """numpy scalar to a JSON-safe float (NaN and infinities become None)."""
    value = float(x)
    return value if math.isfinite(value) else None


def describe(values: Sequence[float], quantile_method: str = QUANTILE_METHOD) -> Descriptives:
    """n, mean, sample SD, median, quartiles, IQR and range of ``values``."""
    data = np.asarray(list(values), dtype=float)
    n = int(data.size)
    if n == 0:
        return Descriptives(0, None, None, None, None, None, None, None, None)
    q1, median, q3 = np.quantile(data, [0.25, 0.5, 0.75], method=quantile_method)
    return Descriptives(
        n=n,
        mean=_num(data.mean()),
        sd=_num(data.std(ddof=1)) if n > 1 else None,
        median=_num(median),
        q1=_num(q1),
        q3=_num(q3),
        iqr=_num(q3 - q1),
        min=_num(data.min()),
        max=_num(data.max()),
    )
