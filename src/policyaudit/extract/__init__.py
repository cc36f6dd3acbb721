"""Turn policy documents (PDF, DOCX, ODT, HTML, TXT, MD, legacy DOC/RTF) into sections and passages.

``extract_document`` is the one entry point; it checks the file before handing it to the
extractor for its format so that every failure surfaces as an ``ExtractionError`` with a stable
``problem`` label rather than as a library-specific exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .model import (
    Block,
    BlockKind,
    DocumentMetadata,
    ExtractedDocument,
    ExtractionError,
    Passage,
    Section,
)

MAX_BYTES = 500 * 1024 * 1024
SUPPORTED_SUFFIXES = (".pdf", ".docx", ".odt", ".html", ".htm", ".txt", ".md", ".doc", ".rtf")

__all__ = [
    "Block",
    "BlockKind",
    "DocumentMetadata",
    "ExtractedDocument",
    "ExtractionError",
    "MAX_BYTES",
    "Passage",
    "SUPPORTED_SUFFIXES",
    "Section",
    "extract_document",
]


def _extractor(suffix: str) -> Callable[[Path], ExtractedDocument]:
    """The extractor for a suffix, imported lazily: a broken library costs only its format."""
    if suffix == ".pdf":
        from .pdf import extract_pdf

        return extract_pdf
    if suffix == ".docx":
        from .docx import extract_docx

        return extract_docx
    if suffix == ".odt":
        from .odt import extract_odt

        return extract_odt
    if suffix in (".html", ".htm"):
        from .html import extract_html

        return extract_html
    if suffix in (".txt", ".md"):
        from .text import extract_text

        return extract_text
    if suffix in (".doc", ".rtf"):
        from .legacy import extract_legacy

        return extract_legacy
    raise ExtractionError("unsupported format", f"'{suffix}' files are not read")


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise ExtractionError("not found", str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractionError("too large", f"{size} bytes (limit {max_bytes})")
    if size == 0:
        raise ExtractionError("empty file", path.name)
    if size < 4096:
        with path.open("rb") as fh:
            if not fh.read().strip():
                raise ExtractionError("empty file", f"{path.name} holds only whitespace")


def extract_document(path: Path | str, max_bytes: int = MAX_BYTES) -> ExtractedDocument:
    """Extract one document; raises ``ExtractionError`` for anything it cannot read."""
    path = Path(path)
    extractor = _extractor(path.suffix.lower())
    _check_file(path, max_bytes)
    try:
        return extractor(path)
    except ExtractionError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise ExtractionError("too large", f"{path.name}: {type(exc).__name__}") from exc
    except Exception as exc:  # a library choking on a malformed file
        raise ExtractionError("corrupt file", f"{path.name}: {type(exc).__name__}: {exc}") from exc
