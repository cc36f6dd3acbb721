"""How many organisations meet each standard, with Wilson 95% intervals.

Wilson rather than the Wald interval because the proportions sit near 0 or 1 and samples are
small (tens of organisations), where Wald intervals leave [0, 1] or collapse to a point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from statsmodels.stats.proportion import proportion_confint

from policyaudit.assess.types import Judgement

GROUP_KEYS: dict[bool, str] = {True: "with_policy", False: "without_policy"}


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``n`` with its Wilson interval; proportions in [0, 1], None when n = 0."""

    count: int
    n: int
    proportion: float | None
    low: float | None
    high: float | None

    @property
    def pct(self) -> float | None:
        return None if self.proportion is None else 100.0 * self.proportion

    def to_dict(self) -> dict:
        return {**asdict(self), "pct": self.pct}


def wilson(count: int, n: int, alpha: float = 0.05) -> Proportion:
    """Proportion with its Wilson score interval (statsmodels ``proportion_confint``)."""
    if n <= 0:
        return Proportion(count, n, None, None, None)
    low, high = proportion_confint(count, n, alpha=alpha, method="wilson")
    return Proportion(count, n, count / n, float(low), float(high))


@dataclass(frozen=True)
class StandardPrevalence:
    standard_id: str
    title: str
    n_partial: int
    met: Proportion  # strict: met only
    lenient: Proportion  # met + partial
    by_group: dict[str, Proportion]  # GROUP_KEYS values -> strict proportion

    def to_dict(self) -> dict:
        return {
            "id": self.standard_id,
            "title": self.title,
            "n_judged": self.met.n,
            "n_met": self.met.count,
            "n_partial": self.n_partial,
            "pct_met": self.met.pct,
            "wilson_low": self.met.low,
            "wilson_high": self.met.high,
            "met": self.met.to_dict(),
            "lenient": self.lenient.to_dict(),
            "by_group": {k: p.to_dict() for k, p in self.by_group.items()},
        }


def prevalence_of(
    standard_id: str,
    title: str,
    judgements: Sequence[Judgement],
    group_of: Mapping[str, bool | None],
) -> StandardPrevalence:
    """One standard across organisations, overall and per dedicated-policy group."""
    own = [j for j in judgements if j.standard_id == standard_id]
    n_met = sum(j.verdict == "met" for j in own)
    n_partial = sum(j.verdict == "partial" for j in own)
    by_group = {}
    for flag, key in GROUP_KEYS.items():
        members = [j for j in own if group_of.get(j.org_id) is flag]
        by_group[key] = wilson(sum(j.verdict == "met" for j in members), len(members))
    return StandardPrevalence(
        standard_id,
        title,
        n_partial,
        wilson(n_met, len(own)),
        wilson(n_met + n_partial, len(own)),
        by_group,
    )


def ranked(prevalences: Sequence[StandardPrevalence]) -> list[StandardPrevalence]:
    """Most to least met; ties keep the framework's order (the sort is stable)."""
    return sorted(prevalences, key=lambda p: -(p.met.proportion or 0.0))


def standard_prevalence(
    standards: Sequence[tuple[str, str]],
    judgements: Sequence[Judgement],
    group_of: Mapping[str, bool | None],
) -> list[StandardPrevalence]:
    """Every standard (``(id, title)`` in framework order), ranked most to least met."""
    return ranked([prevalence_of(sid, title, judgements, group_of) for sid, title in standards])
