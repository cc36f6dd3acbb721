"""Content hashes: one definition for the store's document keys, the passage keys and the
embedding cache, so a passage's key and its cached vector's key can never drift apart."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """Hex digest of a file's bytes, read in 1 MiB chunks (large PDFs stay out of memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Hex digest of a text's UTF-8 bytes (no normalisation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
