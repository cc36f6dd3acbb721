"""Accuracy of the engine against human gold labels.

Usage: python benchmarks/accuracy.py CORPUS GOLD [--framework FILE] [--semantic] [--show N]

CORPUS is a corpus folder (one sub-folder per organisation); GOLD holds judgements.csv and
organisations.csv. Prints Cohen's kappa (3-class and met vs not met), accuracy, conflicts F1,
the mean absolute error of standards met per organisation, attribute accuracy, confidence
calibration and a per-standard table; --show lists disagreements for error analysis.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import tempfile
import time
from pathlib import Path

from policyaudit.assess.batch import assess_all
from policyaudit.assess.evaluate import evaluate, load_gold
from policyaudit.assess.views import passage_views
from policyaudit.corpus.discover import discover
from policyaudit.extract import extract_document
from policyaudit.framework.loader import load_framework


def _extract_cached(path: Path, cache_dir: Path):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = cache_dir / f"{digest}.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    doc = extract_document(path)
    cached.write_bytes(pickle.dumps(doc))
    return doc


def load_corpus(corpus: Path, cache_dir: Path):
    found = discover(corpus)
    orgs = {}
    overrides = {}
    for org in found.organisations:
        views, titles = [], {}
        for file in org.files:
            path = file.path
            doc = _extract_cached(path, cache_dir)
            stem = path.stem
            titles[stem] = doc.metadata.title or ""
            views.extend(passage_views(doc, stem, f"{org.org_id}/"))
        orgs[org.org_id] = (views, titles)
        overrides[org.org_id] = org.has_dedicated_policy_override
    return orgs, overrides


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("gold", type=Path)
    ap.add_argument("--framework", default=None)
    ap.add_argument("--semantic", action="store_true", help="rank evidence with the embedder")
    ap.add_argument("--use-overrides", action="store_true",
                    help="apply organisations.csv has_dedicated_policy (off: measure detection)")
    ap.add_argument("--show", type=int, default=0, help="print up to N disagreements")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "pa-extract")
    args = ap.parse_args(argv)

    args.cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    orgs, overrides = load_corpus(args.corpus, args.cache)
    t1 = time.perf_counter()
    fw = load_framework(args.framework).framework
    similarity = None
    if args.semantic:
        from policyaudit.assess.embed import Embedder, similarity_function

        similarity = similarity_function(Embedder())
    judgements, attributes = assess_all(
        orgs, fw, similarity, overrides if args.use_overrides else None
    )
    t2 = time.perf_counter()
    cells, gold_orgs = load_gold(args.gold)
    acc = evaluate(judgements, attributes, cells, gold_orgs)

    print(f"organisations {len(orgs)}  cells {acc.n}  (extract {t1 - t0:.1f}s, judge {t2 - t1:.1f}s)")
    k3, km = acc.kappa3, acc.kappa_met
    print(f"kappa 3-class       {k3.kappa:.3f}  [{k3.low:.3f}, {k3.high:.3f}]")
    print(f"kappa met vs not    {km.kappa:.3f}  [{km.low:.3f}, {km.high:.3f}]")
    print(f"accuracy            {acc.accuracy:.3f}")
    print(f"conflicts F1        {acc.conflicts_f1:.3f}")
    print(f"count MAE (met)     {acc.count_mae:.2f}")
    print(f"count MAE (lenient) {acc.count_mae_lenient:.2f}")
    print(f"dedicated policy    {acc.dedicated_accuracy:.3f}")
    print(f"definition class    {acc.definition_accuracy:.3f}")
    print(f"harm reduction      {acc.harm_reduction_accuracy:.3f}")
    print(f"confidence >= 0.9   n={acc.high_confidence_n}  accuracy {acc.high_confidence_accuracy:.3f}")
    print("\nstandard  n  agree  kappa  disagreements")
    for row in acc.per_standard:
        print(f"{row.standard_id:<8} {row.n:>2}  {row.agreement:.2f}  {row.kappa:>5.2f}  "
              f"{' '.join(row.confusions)}")
    if args.show:
        print("\nDisagreements:")
        for g, j in acc.disagreements[: args.show]:
            print(f"- {g.org_id} {g.standard_id}: gold {g.verdict}{'+C' if g.conflicts else ''}"
                  f" engine {j.verdict}{'+C' if j.conflicts else ''} ({j.rationale})")
            print(f"    gold [{g.evidence_document}] {g.evidence_quote[:200]}")
            if j.evidence:
                print(f"    ours [{j.evidence.document}] {j.evidence.quote[:200]}")
            if j.conflict:
                print(f"    conf [{j.conflict.document}] {j.conflict.quote[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
