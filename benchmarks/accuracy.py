"""Accuracy of the engine against human gold labels, through the real audit pipeline.

Usage: python benchmarks/accuracy.py CORPUS GOLD [--framework FILE] [--semantic] [--show N]

CORPUS is a corpus folder (one sub-folder per organisation); GOLD holds judgements.csv and
organisations.csv. Prints Cohen's kappa (3-class and met vs not met) with 95% intervals,
accuracy, conflicts F1, the mean absolute error of standards met per organisation, attribute
accuracy, agreement per confidence band and per standard; --show lists disagreements.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from policyaudit.assess.evaluate import Accuracy, measure


def report(acc: Accuracy, show: int = 0) -> None:
    k3, km = acc.kappa3, acc.kappa_met
    print(f"cells               {acc.n}")
    print(f"kappa 3-class       {k3.kappa:.3f}  [{k3.low:.3f}, {k3.high:.3f}]")
    print(f"kappa met vs not    {km.kappa:.3f}  [{km.low:.3f}, {km.high:.3f}]")
    print(f"accuracy            {acc.accuracy:.3f}")
    print(f"conflicts F1        {acc.conflicts_f1:.3f}")
    print(f"count MAE (met)     {acc.count_mae:.2f}")
    print(f"count MAE (lenient) {acc.count_mae_lenient:.2f}")
    print(f"dedicated policy    {acc.dedicated_accuracy:.3f}")
    print(f"definition class    {acc.definition_accuracy:.3f}")
    print(f"harm reduction      {acc.harm_reduction_accuracy:.3f}")
    print(
        f"confidence >= 0.9   n={acc.high_confidence_n}  agree {acc.high_confidence_accuracy:.3f}"
    )
    print(
        "confidence bands    "
        + "  ".join(f"{c:.2f}: {ok:.2f} (n={n})" for c, n, ok in acc.confidence_bands)
    )
    print("\nstandard  n  agree  kappa  disagreements (org:gold->engine)")
    for row in acc.per_standard:
        print(
            f"{row.standard_id:<8} {row.n:>2}  {row.agreement:.2f}  {row.kappa:>5.2f}  "
            f"{' '.join(row.confusions)}"
        )
    for g, j in acc.disagreements[:show]:
        print(
            f"\n- {g.org_id} {g.standard_id}: gold {g.verdict}{'+C' if g.conflicts else ''}, "
            f"engine {j.verdict}{'+C' if j.conflicts else ''} ({j.rationale})"
        )
        print(f"    gold [{g.evidence_document}] {g.evidence_quote[:200]}")
        if j.evidence:
            print(f"    ours [{j.evidence.document}] {j.evidence.quote[:200]}")
        if j.conflict:
            print(f"    conf [{j.conflict.document}] {j.conflict.quote[:200]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("gold", type=Path)
    ap.add_argument("--framework", default=None)
    ap.add_argument("--semantic", action="store_true", help="rank evidence with the embedder")
    ap.add_argument(
        "--use-overrides",
        action="store_true",
        help="apply organisations.csv has_dedicated_policy (default: measure detection)",
    )
    ap.add_argument("--show", type=int, default=0, help="print up to N disagreements")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    acc = measure(
        args.corpus, args.gold, args.framework, args.semantic, use_overrides=args.use_overrides
    )
    print(f"audited {args.corpus} in {time.perf_counter() - t0:.1f}s")
    report(acc, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
