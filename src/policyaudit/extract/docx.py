"""DOCX extraction with python-docx, walking the body so tables stay where they appear."""

from __future__ import annotations

import re
from pathlib import Path

from .assemble import assemble
from .metadata import detect_metadata
from .model import Block, BlockKind, ExtractedDocument, ExtractionError
from .ziputil import MAX_RATIO, MAX_UNCOMPRESSED, open_checked_zip

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:section|part|chapter)\s+\d+[.:]?|appendix\s+[\dA-Z]+[.:]?|\d{1,2}(?:\.\d{1,2}){0,2}\.?)"
    r"\s+[A-Z]"
)


def _style_level(paragraph) -> int:  # noqa: ANN001 - python-docx Paragraph
    """Heading level from the style name ("Heading 2", "Title") or the outline level."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").lower()
        if name == "title":
            return 1
        m = re.match(r"heading\s*(\d)", name)
        if m:
            return int(m.group(1))
        style = style.base_style
    lvl = paragraph._p.find(f"{W}pPr/{W}outlineLvl")
    if lvl is not None:
        value = int(lvl.get(f"{W}val", "9"))
        if value < 9:
            return value + 1
    return 0


def _is_list(paragraph) -> bool:  # noqa: ANN001
    name = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
    return "list" in name or paragraph._p.find(f"{W}pPr/{W}numPr") is not None


def _bold_heading_level(paragraph, text: str) -> int:  # noqa: ANN001
    """Short, wholly bold paragraphs that start with a heading number act as headings."""
    if len(text) > 100 or text.endswith((".", ";", ",")) or not _NUMBERED_HEADING.match(text):
        return 0
    runs = [r for r in paragraph.runs if r.text.strip()]
    if not runs or not all(r.bold for r in runs):
        return 0
    number = text.split()[0].rstrip(".:")
    parts = [p for p in number.split(".") if p]
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return len(parts) if parts[0].isdigit() else 1


def _paragraph_block(paragraph) -> Block | None:  # noqa: ANN001
    text = paragraph.text
    if not text.strip():
        return None
    level = _style_level(paragraph) or _bold_heading_level(paragraph, text.strip())
    if level:
        return Block(BlockKind.HEADING, text, None, level)
    kind = BlockKind.LIST_ITEM if _is_list(paragraph) else BlockKind.PARAGRAPH
    return Block(kind, text, None)


def _row_text(row) -> str:  # noqa: ANN001 - python-docx _Row
    """Cells joined by " | "; a merged cell repeats in python-docx, so repeats are dropped."""
    cells = []
    seen = set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        text = " ".join(p.text for p in cell.paragraphs if p.text.strip())
        if text.strip():
            cells.append(text.strip())
    return " | ".join(cells)


def docx_blocks(document) -> list[Block]:  # noqa: ANN001 - python-docx Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{W}p":
            block = _paragraph_block(Paragraph(child, document))
            if block:
                blocks.append(block)
        elif child.tag == f"{W}tbl":
            for row in Table(child, document).rows:
                text = _row_text(row)
                if text:
                    blocks.append(Block(BlockKind.TABLE_ROW, text, None))
        elif child.tag == f"{W}sdt":  # content controls (e.g. a cover page) hold paragraphs
            for p in child.iter(f"{W}p"):
                block = _paragraph_block(Paragraph(p, document))
                if block:
                    blocks.append(block)
    return blocks


def extract_docx(
    path: Path, max_uncompressed: int = MAX_UNCOMPRESSED, max_ratio: float = MAX_RATIO
) -> ExtractedDocument:
    """Extract a DOCX after checking it is a zip that will not expand into a bomb."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    open_checked_zip(path, "docx", max_uncompressed, max_ratio).close()
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ExtractionError("not a valid docx (zip)", f"{path.name}: {exc}") from exc
    blocks = docx_blocks(document)
    if not blocks:
        raise ExtractionError("empty file", f"{path.name} has no text")
    doc = assemble(blocks)
    doc.metadata = detect_metadata(blocks)
    return doc
