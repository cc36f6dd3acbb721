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
MAX_PAGES = 10_000  # a PDF's pages are read one at a time, but its passages are all kept
SUPPORTED_SUFFIXES = (".pdf", ".docx", ".odt", ".html", ".htm", ".txt", ".md", ".doc", ".rtf")

__all__ = [
    "Block",
    "BlockKind",
    "DocumentMetadata",
    "ExtractedDocument",
    "ExtractionError",
    "MAX_BYTES",
    "MAX_PAGES",
    "Passage",
    "SUPPORTED_SUFFIXES",
    "Section",
    "check_limits",
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


def page_count(path: Path) -> int | None:
    """Pages of a PDF, read from its page tree only (no page is parsed); None for other formats
    or where the file does not open (the extractor then reports why)."""
    if path.suffix.lower() != ".pdf":
        return None
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
    except Exception:
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def check_limits(path: Path | str, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES) -> None:
    """Refuse a file over the configured size or page limit before any extraction work.

    Why: one oversized file must cost a problems.csv row, not the run's memory or time.
    """
    path = Path(path)
    size = path.stat().st_size if path.is_file() else 0
    if size > max_bytes:
        raise ExtractionError(
            "too large", f"{size / 2**20:.0f} MB (limit {max_bytes / 2**20:.0f} MB)"
        )
    pages = page_count(path)
    if pages is not None and pages > max_pages:
        raise ExtractionError("too many pages", f"{pages} pages (limit {max_pages})")


def extract_document(
    path: Path | str, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES
) -> ExtractedDocument:
    """Extract one document; raises ``ExtractionError`` for anything it cannot read."""
    path = Path(path)
    extractor = _extractor(path.suffix.lower())
    _check_file(path, max_bytes)
    check_limits(path, max_bytes, max_pages)
    try:
        return extractor(path)
    except ExtractionError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise ExtractionError("too large", f"{path.name}: {type(exc).__name__}") from exc
    except Exception as exc:  # a library choking on a malformed file
        raise ExtractionError("corrupt file", f"{path.name}: {type(exc).__name__}: {exc}") from exc
