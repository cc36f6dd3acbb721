"""Real-data check on the shared development corpus (skipped where the corpus is absent)."""

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from policyaudit.extract import SUPPORTED_SUFFIXES, extract_document

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus-dev"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} not present")


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def documents():
    files = [
        f for f in sorted(CORPUS.glob("documents/D*/*")) if f.suffix.lower() in SUPPORTED_SUFFIXES
    ]
    assert len(files) >= 38
    return {(f.parent.name, f.stem): extract_document(f) for f in files}


def test_every_document_has_sections(documents):
    for key, doc in documents.items():
        assert len(doc.sections) >= 5, key
        for p in doc.passages:
            assert doc.text[p.start : p.end] == p.text


def test_gold_quotes_found_in_passages(documents):
    total = found = 0
    missing = []
    with (CORPUS / "gold" / "judgements.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            quote = _norm(row["evidence_quote"])
            if not quote:
                continue
            total += 1
            doc = documents[(row["org_id"], row["evidence_document"])]
            texts = [p.text for p in doc.passages]
            pairs = [f"{a} {b}" for a, b in zip(texts, texts[1:], strict=False)]
            if any(quote in t for t in texts + pairs):
                found += 1
            else:
                missing.append((row["org_id"], row["evidence_document"], quote[:80]))
    assert total > 100
    assert found / total >= 0.95, missing


def test_headings_match_source_markdown(documents):
    def key(text: str) -> str:
        return re.sub(r"[^0-9a-z]+", "", text.lower())

    for (org, stem), doc in documents.items():
        source = CORPUS / "src" / org / f"{stem}.md"
        if not source.exists():
            continue
        wanted = [
            ln.lstrip("#").strip() for ln in source.read_text().splitlines() if ln.startswith("#")
        ]
        got = {key(s.heading) for s in doc.sections}
        hits = sum(key(h) in got for h in wanted)
        assert hits >= 0.9 * len(wanted), (org, stem)


def test_no_running_headers_or_page_numbers_in_passages(documents):
    furniture = re.compile(r"\bPage \d+ of \d+\b|^Uncontrolled when printed")
    for key, doc in documents.items():
        for p in doc.passages:
            assert not furniture.search(p.text), (key, p.text[:100])
        if doc.pages and doc.pages >= 5:  # a running header would recur on every page
            counts = Counter(p.text for p in doc.passages)
            assert max(counts.values()) < 3, (key, counts.most_common(1))
        # numbered paragraphs such as "7.3.1 ..." stay body text
        assert not any(re.match(r"\d+\.\d+\.\d+ ", s.heading) for s in doc.sections), key
