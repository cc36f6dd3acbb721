"""Per-organisation counts of standards met, and the figures computed from them alone.

The same functions serve an audit (counts derived from judgements) and ``policyaudit stats``
(counts read from a CSV, e.g. a published study's table), so a paper's figures can be
reproduced with exactly the code that produces ours.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from policyaudit.analysis.descriptive import describe
from policyaudit.analysis.groups import N_RESAMPLES, mann_whitney
from policyaudit.assess.types import Judgement

REQUIRED_COLUMNS: tuple[str, ...] = ("has_dedicated_policy", "standards_met")
OPTIONAL_COLUMNS: tuple[str, ...] = ("standards_met_lenient", "standards_partial", "conflicts")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


class CountsFileError(ValueError):
    """A counts file that cannot be read; the message is one line, fit for the terminal."""


@dataclass(frozen=True)
class OrgCount:
    org_id: str
    has_dedicated_policy: bool | None
    standards_met: int  # strict: met only
    standards_met_lenient: int | None = None  # met + partial, where known
    standards_partial: int | None = None
    conflicts: int | None = None


def counts_from_judgements(
    judgements: Sequence[Judgement], org_ids: Sequence[str], group_of: Mapping[str, bool | None]
) -> list[OrgCount]:
    """One OrgCount per organisation, in the order of ``org_ids``."""
    out = []
    for org in org_ids:
        own = [j for j in judgements if j.org_id == org]
        met = sum(j.verdict == "met" for j in own)
        partial = sum(j.verdict == "partial" for j in own)
        conflicts = sum(bool(j.conflicts) for j in own)
        out.append(OrgCount(org, group_of.get(org), met, met + partial, partial, conflicts))
    return out


def _bool(value: str, where: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CountsFileError(f"{where}: has_dedicated_policy {value!r} is not true/false")


def _int(value: str, column: str, where: str) -> int:
    try:
        number = float(value)
    except ValueError:
        raise CountsFileError(f"{where}: {column} {value!r} is not a number") from None
    if not number.is_integer() or number < 0:
        raise CountsFileError(f"{where}: {column} {value!r} is not a count")
    return int(number)


def read_counts(path: str | Path) -> list[OrgCount]:
    """Read ``has_dedicated_policy,standards_met`` (and any id column) from a CSV file.

    The id is the first column that is not a known count column (``org_id`` in the audit's
    ``organisations.csv``, ``trust_id`` in the paper fixture); without one, rows are numbered.
    """
    path = Path(path)
    if not path.is_file():
        raise CountsFileError(f"no such file: {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise CountsFileError(f"{path}: missing column(s) {', '.join(missing)}")
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        id_column = next((h for h in header if h not in known), None)
        rows = []
        for number, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            if not any(row.values()):
                continue
            where = f"{path}:{number}"
            optional = {c: _int(row[c], c, where) if row.get(c) else None for c in OPTIONAL_COLUMNS}
            rows.append(
                OrgCount(
                    row[id_column] if id_column else str(number - 1),
                    _bool(row["has_dedicated_policy"], where),
                    _int(row["standards_met"], "standards_met", where),
                    **optional,
                )
            )
    if not rows:
        raise CountsFileError(f"{path}: no rows")
    return rows


def across(counts: Sequence[OrgCount], n_standards: int) -> dict:
    """Distribution over organisations; ``mean_not_met`` is the paper's "not met" (n - strict)."""
    met = [c.standards_met for c in counts]
    lenient = [c.standards_met_lenient for c in counts if c.standards_met_lenient is not None]
    strict = describe(met)
    return {
        "n_organisations": len(counts),
        "n_standards": n_standards,
        "standards_met": strict.to_dict(),
        "standards_met_lenient": describe(lenient).to_dict(),
        "standards_partial": describe(
            [c.standards_partial for c in counts if c.standards_partial is not None]
        ).to_dict(),
        "standards_not_met": describe([n_standards - m for m in met]).to_dict(),
        "mean_not_met": None if strict.mean is None else n_standards - strict.mean,
        "organisations_with_conflicts": sum(bool(c.conflicts) for c in counts),
    }


def _compare(
    with_policy: list[int], without: list[int], n_resamples: int
) -> dict[str, dict | None]:
    mw = mann_whitney(with_policy, without, n_resamples) if with_policy and without else None
    return {
        "with_policy": describe(with_policy).to_dict(),
        "without_policy": describe(without).to_dict(),
        "mann_whitney": mw.to_dict() if mw else None,
    }


def group_comparison(counts: Sequence[OrgCount], n_resamples: int = N_RESAMPLES) -> dict:
    """Organisations with vs without a dedicated policy: descriptives and Mann-Whitney U.

    Strict counts are the primary measure (as in the paper); the same comparison on lenient
    counts is under ``lenient`` where those are known. Organisations of unknown group are left
    out and counted in ``n_unknown``.
    """
    yes = [c for c in counts if c.has_dedicated_policy is True]
    no = [c for c in counts if c.has_dedicated_policy is False]
    result: dict = {"measure": "standards_met", "n_unknown": len(counts) - len(yes) - len(no)}
    result.update(
        _compare([c.standards_met for c in yes], [c.standards_met for c in no], n_resamples)
    )
    has_lenient = all(c.standards_met_lenient is not None for c in [*yes, *no])
    result["lenient"] = (
        _compare(
            [c.standards_met_lenient for c in yes],  # type: ignore[misc]
            [c.standards_met_lenient for c in no],  # type: ignore[misc]
            n_resamples,
        )
        if has_lenient and yes and no
        else None
    )
    return result
