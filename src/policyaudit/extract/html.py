"""HTML extraction with BeautifulSoup (lxml parser): page chrome dropped, block elements kept."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype, ProcessingInstruction

from .assemble import assemble
from .encoding import declared_charset, decode_bytes
from .metadata import detect_metadata
from .model import Block, BlockKind, ExtractedDocument, ExtractionError

DROP = (
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "noscript",
    "form",
    "template",
    "svg",
    "button",
    "select",
    "iframe",
    "aside",
)
HEADINGS = {f"h{i}": i for i in range(1, 7)}
PARAGRAPHS = {"p", "blockquote", "pre", "address", "dt", "dd", "figcaption", "caption"}
_BLOCKS_IN_ITEM = {"ul", "ol", "table", "div", "p", "blockquote", "dl"}


class _Walker:
    """Document-order walk that emits a block per block element and per run of loose text."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.loose: list[str] = []

    def flush(self) -> None:
        text = " ".join(self.loose).strip()
        if text:
            self.blocks.append(Block(BlockKind.PARAGRAPH, text))
        self.loose = []

    def emit(self, kind: BlockKind, text: str, level: int = 0) -> None:
        self.flush()
        if text.strip():
            self.blocks.append(Block(kind, text, None, level))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.loose.append(str(child))
            elif isinstance(child, Tag):
                self.visit(child)

    def visit(self, tag: Tag) -> None:
        name = tag.name
        if name in HEADINGS:
            self.emit(BlockKind.HEADING, tag.get_text(" "), HEADINGS[name])
        elif name in PARAGRAPHS:
            self.emit(BlockKind.PARAGRAPH, tag.get_text(" "))
        elif name == "li":
            self._list_item(tag)
        elif name == "table":
            self._table(tag)
        elif name == "br":
            self.loose.append(" ")
        elif name in _INLINE:
            self.loose.append(tag.get_text(" "))
        else:  # containers and unknown elements: their children decide
            self.flush()
            self.walk(tag)
            self.flush()

    def _list_item(self, item: Tag) -> None:
        """The item's own text; nested lists and block children become blocks of their own."""
        self.flush()
        own: list[str] = []
        nested: list[Tag] = []
        for child in item.children:
            if isinstance(child, Tag) and child.name in _BLOCKS_IN_ITEM:
                if child.name == "p" and not nested and not "".join(own).strip():
                    own.append(child.get_text(" "))
                else:
                    nested.append(child)
            elif isinstance(child, Tag):
                own.append(child.get_text(" "))
            elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                own.append(str(child))
        self.emit(BlockKind.LIST_ITEM, " ".join(own))
        for child in nested:
            self.visit(child)
        self.flush()

    def _table(self, table: Tag) -> None:
        self.flush()
        for row in table.find_all("tr"):
            if row.find_parent("table") is not table:
                continue
            cells = [c.get_text(" ").strip() for c in row.find_all(["td", "th"], recursive=False)]
            self.emit(BlockKind.TABLE_ROW, " | ".join(" ".join(c.split()) for c in cells if c))


_INLINE = {
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "small",
    "sup",
    "sub",
    "abbr",
    "code",
    "mark",
    "time",
    "q",
    "cite",
    "s",
    "strike",
    "del",
    "ins",
    "label",
    "kbd",
    "var",
    "img",
    "span",
    "font",
}


def html_blocks(text: str) -> list[Block]:
    soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(DROP):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo"]}):
        tag.decompose()
    root = soup.body or soup
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    return walker.blocks


def extract_html(path: Path) -> ExtractedDocument:
    data = path.read_bytes()
    text, warning = decode_bytes(data, declared_charset(data[:4096]))
    blocks = html_blocks(text)
    if not blocks:
        raise ExtractionError("empty file", f"{path.name} has no text")
    doc = assemble(blocks, warnings=[warning] if warning else None)
    doc.metadata = detect_metadata(blocks)
    return doc
