"""Turn a flat list of blocks into an ``ExtractedDocument``.

All format extractors share this step so that text normalisation, sectioning and passage offsets
behave identically whatever the source format was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .model import Block, BlockKind, ExtractedDocument, Passage, Section

MAX_PASSAGE_CHARS = 1200
_WS = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\x02]")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"'})
_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"'’”)]?\s+(?=[\"'‘“(]?[A-Z0-9])")


def normalise_text(text: str) -> str:
    """NFC, invisible characters dropped, typographic quotes made plain, whitespace runs one space.

    Plain quotes because word processors "smarten" them inconsistently and downstream quoting
    and search should not depend on which apostrophe a template used.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).translate(_QUOTES)
    return _WS.sub(" ", text).strip()


def normalise_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Normalise block texts and drop blocks left empty."""
    out = []
    for b in blocks:
        text = normalise_text(b.text)
        if text:
            out.append(Block(b.kind, text, b.page, b.level))
    return out


def split_long(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` cut at sentence ends so each is at most ~``limit`` chars.

    Long paragraphs make poor search units; a sentence that is itself longer stays whole.
    """
    if len(text) <= limit:
        return [(0, len(text))]
    cuts = [m.start() for m in _SENTENCE_END.finditer(text)]
    spans: list[tuple[int, int]] = []
    start = 0
    last_ok = None
    for cut in cuts:
        if cut - start > limit and last_ok is not None:
            spans.append((start, last_ok))
            start = last_ok + 1
            while start < len(text) and text[start] == " ":
                start += 1
        last_ok = cut
    if len(text) - start > limit and last_ok is not None and last_ok > start:
        spans.append((start, last_ok))
        start = last_ok + 1
        while start < len(text) and text[start] == " ":
            start += 1
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if e > s]


def _heading_path(stack: list[tuple[int, str]], level: int, heading: str) -> list[str]:
    """Pop headings at the same or a deeper level, push this one, return the path."""
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, heading))
    return [h for _, h in stack]


def assemble(
    blocks: list[Block], pages: int | None = None, warnings: list[str] | None = None
) -> ExtractedDocument:
    """Build text, sections and passages; passages are exact slices of the text."""
    blocks = normalise_blocks(blocks)
    parts: list[str] = []
    offset = 0
    front = Section(heading="", level=0, path=[], page_start=None, page_end=None)
    sections: list[Section] = [front]
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if parts:
            offset += 2
        start = offset
        parts.append(block.text)
        offset += len(block.text)
        if block.kind is BlockKind.HEADING:
            level = max(block.level, 1)
            path = _heading_path(stack, level, block.text)
            sections.append(Section(block.text, level, path, block.page, block.page))
            continue
        section = sections[-1]
        for s, e in split_long(block.text):
            section.passages.append(
                Passage(block.text[s:e], start + s, start + e, block.page, block.kind)
            )
        if block.page is not None:
            if section.page_start is None:
                section.page_start = block.page
            section.page_end = max(section.page_end or block.page, block.page)
    if not front.passages:
        sections.pop(0)
    return ExtractedDocument(
        text="\n\n".join(parts), sections=sections, pages=pages, warnings=list(warnings or [])
    )
