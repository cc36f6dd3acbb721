"""Demo corpus of three fictional NHS trusts' policy documents shipped with policyaudit."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def corpus_path() -> Path:
    """Return the folder holding the bundled demo corpus (one sub-folder per organisation)."""
    return Path(str(files("policyaudit.demo") / "corpus"))
