"""Extraction throughput: pages/s, documents/s and peak memory, on a corpus and a 10x copy of it.

Usage: python benchmarks/extract.py [CORPUS_DIR]   (default ../shared/corpus-dev/documents)
The 10x run shows whether cost grows linearly with corpus size (ratio of per-document times ~1).
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from policyaudit.extract import SUPPORTED_SUFFIXES, ExtractionError, extract_document

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus-dev" / "documents"


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )


def run(files: list[Path], trace: bool = False) -> dict[str, float]:
    """Extract serially; page counts come from paged formats only.

    tracemalloc slows extraction several-fold, so timing runs leave it off and a separate
    traced run measures the Python-heap peak.
    """
    if trace:
        tracemalloc.start()
    pages = failures = 0
    start = time.perf_counter()
    for path in files:
        try:
            doc = extract_document(path)
        except ExtractionError:
            failures += 1
            continue
        pages += doc.pages or 0
    elapsed = time.perf_counter() - start
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "documents": len(files),
        "failures": failures,
        "pages": pages,
        "seconds": elapsed,
        "docs_per_s": len(files) / elapsed,
        "pages_per_s": pages / elapsed,
        "tracemalloc_peak_mb": peak / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def report(label: str, r: dict[str, float], peak_mb: float) -> None:
    print(
        f"{label}: {r['documents']:.0f} docs ({r['failures']:.0f} failed), {r['pages']:.0f} pages "
        f"in {r['seconds']:.2f}s -> {r['docs_per_s']:.1f} docs/s, {r['pages_per_s']:.0f} pages/s "
        f"(pages of paged formats over all time); tracemalloc peak {peak_mb:.1f} MB, "
        f"ru_maxrss {r['ru_maxrss_mb']:.0f} MB"
    )


def replicate(root: Path, target: Path, copies: int = 10) -> None:
    """Copy each organisation folder ``copies`` times under new organisation names."""
    for n in range(copies):
        for org in sorted(p for p in root.iterdir() if p.is_dir()):
            shutil.copytree(org, target / f"{org.name}-copy{n:02d}")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT
    files = corpus_files(root)
    if not files:
        print(f"no documents under {root}")
        return 1
    base = run(files)
    report("1x", base, run(files, trace=True)["tracemalloc_peak_mb"])
    with tempfile.TemporaryDirectory() as tmp:
        replicate(root, Path(tmp))
        big_files = corpus_files(Path(tmp))
        big = run(big_files)
        # one traced pass over a tenth is enough: memory is per document, not cumulative
        big_peak = run(big_files[:: max(1, len(big_files) // len(files))], trace=True)
    report("10x", big, big_peak["tracemalloc_peak_mb"])
    print(
        f"10x/1x: time {big['seconds'] / base['seconds']:.2f}x for "
        f"{big['documents'] / base['documents']:.1f}x documents; per-document time ratio "
        f"{(big['seconds'] / big['documents']) / (base['seconds'] / base['documents']):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
