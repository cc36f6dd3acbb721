"""Types at the boundary between extraction and everything downstream.

Each format extractor turns a file into a flat list of ``Block``s (headings, paragraphs, list items,
table rows, each with its page). ``assemble`` (in ``extract.assemble``) turns blocks into an
``ExtractedDocument``: the normalised text, the section tree and the passages whose character
offsets point into that text, so that any quote taken from a passage is an exact substring of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE_ROW = "table_row"


@dataclass(frozen=True)
class Block:
    """One unit of text as the source format delivers it, before sectioning."""

    kind: BlockKind
    text: str
    page: int | None = None  # 1-based; None where the format has no pages
    level: int = 0  # heading level (1 = top); 0 for non-headings


@dataclass
class Passage:
    """A paragraph-sized unit later stages search and quote.

    ``start``/``end`` are offsets into ``ExtractedDocument.text``; ``text`` equals that slice.
    """

    text: str
    start: int
    end: int
    page: int | None
    kind: BlockKind = BlockKind.PARAGRAPH


@dataclass
class Section:
    heading: str  # "" for the untitled front matter before the first heading
    level: int
    path: list[str]  # heading path from the top, this heading last
    page_start: int | None
    page_end: int | None
    passages: list[Passage] = field(default_factory=list)

    @property
    def path_text(self) -> str:
        return " > ".join(self.path)


@dataclass
class DocumentMetadata:
    """What the document states about itself, where it states it."""

    title: str | None = None
    reference: str | None = None
    version: str | None = None
    approval_date: date | None = None
    review_date: date | None = None
    referenced_documents: list[str] = field(default_factory=list)


@dataclass
class ExtractedDocument:
    text: str  # normalised text; every passage is an exact slice of it
    sections: list[Section]
    pages: int | None  # page count where the format has pages
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    # degraded but usable, e.g. "fallback: pypdf"
    warnings: list[str] = field(default_factory=list)

    @property
    def passages(self) -> list[Passage]:
        return [p for s in self.sections for p in s.passages]

    @property
    def words(self) -> int:
        return len(self.text.split())


class ExtractionError(Exception):
    """A file that cannot be read; ``problem`` is a short stable label, ``detail`` the specifics."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem
        self.detail = detail
