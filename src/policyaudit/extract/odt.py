"""ODT extraction straight from content.xml with lxml (no extra dependency)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .assemble import assemble
from .metadata import detect_metadata
from .model import Block, BlockKind, ExtractedDocument, ExtractionError
from .ziputil import MAX_RATIO, MAX_UNCOMPRESSED, open_checked_zip, read_member

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


def inline_text(element: etree._Element) -> str:
    """Text of a paragraph, honouring text:s (spaces), tabs and line breaks; notes skipped."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _t("s"):
            parts.append(" " * int(child.get(_t("c"), "1")))
        elif child.tag in (_t("tab"), _t("line-break")):
            parts.append(" ")
        elif child.tag not in (_t("note"), _t("annotation")):
            parts.append(inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _walk(element: etree._Element, blocks: list[Block], in_list: bool = False) -> None:
    for child in element:
        tag = child.tag
        if tag == _t("h"):
            level = int(child.get(_t("outline-level"), "1"))
            blocks.append(Block(BlockKind.HEADING, inline_text(child), None, level))
        elif tag == _t("p"):
            kind = BlockKind.LIST_ITEM if in_list else BlockKind.PARAGRAPH
            blocks.append(Block(kind, inline_text(child), None))
        elif tag == _t("list"):
            _walk(child, blocks, in_list=True)
        elif tag == f"{{{TABLE}}}table":
            for row in child.iter(f"{{{TABLE}}}table-row"):
                cells = [
                    " ".join(inline_text(p) for p in cell.iter(_t("p"), _t("h")))
                    for cell in row.iterchildren(f"{{{TABLE}}}table-cell")
                ]
                text = " | ".join(c.strip() for c in cells if c.strip())
                if text:
                    blocks.append(Block(BlockKind.TABLE_ROW, text, None))
        elif isinstance(tag, str):
            _walk(child, blocks, in_list)


def odt_blocks(content_xml: bytes) -> list[Block]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(content_xml, parser)
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    blocks: list[Block] = []
    _walk(body if body is not None else root, blocks)
    return blocks


def extract_odt(
    path: Path, max_uncompressed: int = MAX_UNCOMPRESSED, max_ratio: float = MAX_RATIO
) -> ExtractedDocument:
    with open_checked_zip(path, "odt", max_uncompressed, max_ratio) as archive:
        content = read_member(archive, "content.xml", path, "odt")
    try:
        blocks = odt_blocks(content)
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("corrupt file", f"{path.name}: content.xml: {exc}") from exc
    if not blocks:
        raise ExtractionError("empty file", f"{path.name} has no text")
    doc = assemble(blocks)
    doc.metadata = detect_metadata(blocks)
    return doc
