"""Plain text and Markdown: blank-line paragraphs, heading conventions, lists, pipe tables."""

from __future__ import annotations

import re
from pathlib import Path

from .assemble import assemble
from .encoding import decode_bytes
from .metadata import detect_metadata
from .model import Block, BlockKind, ExtractedDocument, ExtractionError

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:section|part|chapter)\s+\d+[.:]?|appendix\s+[\dA-Z]+[.:]?|(\d{1,2}(?:\.\d{1,2}){0,3})\.?)"
    r"\s+([A-Z].*)$",
    re.I,
)
_LIST = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|\(?[a-z]\))\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]


def _strip_md(text: str) -> str:
    """Inline Markdown markup removed so that quotes match the rendered words."""
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def _table_row(line: str) -> str:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return " | ".join(c for c in cells if c)


def _txt_heading_level(line: str) -> int:
    """Numbered short lines ("5.3 Safety planning") and short ALL-CAPS lines act as headings."""
    text = line.strip()
    if len(text) > 90 or text.endswith((".", ",", ";", ":")) or len(text.split()) > 12:
        return 0
    m = _NUMBERED_HEADING.match(text)
    if m:
        number = m.group(1)
        if number is None:
            return 1
        parts = number.split(".")
        while len(parts) > 1 and parts[-1] == "0":
            parts.pop()
        return len(parts)
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 3 and text.upper() == text:
        return 1
    return 0


def text_blocks(text: str, markdown: bool) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    list_kind = False

    def flush() -> None:
        nonlocal para, list_kind
        if para:
            joined = " ".join(para)
            kind = BlockKind.LIST_ITEM if list_kind else BlockKind.PARAGRAPH
            blocks.append(Block(kind, _strip_md(joined) if markdown else joined))
        para, list_kind = [], False

    lines = text.splitlines()
    in_fence = False
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        stripped = line.strip()
        if markdown and stripped.startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        if not stripped or (markdown and stripped.startswith("<!--") and stripped.endswith("-->")):
            flush()
            continue
        if in_fence:
            para.append(stripped)
            continue
        if markdown:
            m = _MD_HEADING.match(stripped)
            if m:
                flush()
                blocks.append(
                    Block(BlockKind.HEADING, _strip_md(m.group(2)), None, len(m.group(1)))
                )
                continue
        # Underlined ("setext") headings are common in plain-text policies too.
        if (
            i + 1 < len(lines)
            and _SETEXT.match(lines[i + 1].strip())
            and not para
            and not _TABLE_SEPARATOR.match(stripped)
            and not stripped.startswith("|")
        ):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            text = _strip_md(stripped) if markdown else stripped
            blocks.append(Block(BlockKind.HEADING, text, None, level))
            continue
        if _SETEXT.match(stripped) and not markdown:
            flush()  # a rule line (------) frames headings in plain text; it is not text
            continue
        if _SETEXT.match(stripped) and blocks and blocks[-1].kind is BlockKind.HEADING and not para:
            continue
        if markdown:
            if stripped.startswith("|"):
                flush()
                if not _TABLE_SEPARATOR.match(stripped):
                    blocks.append(Block(BlockKind.TABLE_ROW, _strip_md(_table_row(stripped))))
                continue
        elif not para and (level := _txt_heading_level(stripped)) and _blank_after(lines, i):
            blocks.append(Block(BlockKind.HEADING, stripped, None, level))
            continue
        elif " | " in stripped and not para:
            blocks.append(Block(BlockKind.TABLE_ROW, _table_row(stripped)))
            continue
        item = _LIST.match(line)
        if item:
            flush()
            para, list_kind = [item.group(1)], True
            continue
        para.append(stripped)
    flush()
    return blocks


def _blank_after(lines: list[str], i: int) -> bool:
    """A plain-text heading stands on its own line (next line blank, a bullet, or the end).

    A numbered line followed by another numbered line is a contents list, not a heading.
    """
    if i + 1 >= len(lines) or not lines[i + 1].strip():
        return not (i > 0 and _NUMBERED_HEADING.match(lines[i - 1].strip()))
    nxt = lines[i + 1]
    return bool(_LIST.match(nxt)) and not _NUMBERED_HEADING.match(nxt.strip())


def extract_text(path: Path) -> ExtractedDocument:
    text, warning = decode_bytes(path.read_bytes())
    if not text.strip():
        raise ExtractionError("empty file", path.name)
    blocks = text_blocks(text, markdown=path.suffix.lower() == ".md")
    doc = assemble(blocks, warnings=[warning] if warning else None)
    doc.metadata = detect_metadata(blocks)
    return doc
