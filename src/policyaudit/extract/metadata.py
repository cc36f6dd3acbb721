"""Find what a policy states about itself: title, reference, version, dates, documents it cites.

Policies put these in a document-control table ("Review date | November 2025") or in short
labelled lines ("Ref: HEP-CP-042"); both reach us as block text, so plain patterns suffice.
"""

from __future__ import annotations

import re
from datetime import date

from .model import Block, BlockKind, DocumentMetadata, ExtractedDocument

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = [
    re.compile(rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?P<m>{_MONTH_RE})\.?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<m>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.](?P<mn>\d{1,2})[/.](?P<y>\d{4})\b"),
    re.compile(rf"\b(?P<m>{_MONTH_RE})\.?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<mn>\d{1,2})/(?P<y>\d{4})\b"),
]

_FIELD_LABELS = {
    "title": r"(?:document\s+(?:title|name)|policy\s+(?:title|name)|title)",
    "reference": r"(?:reference(?:\s+(?:number|no\.?))?|ref(?:erence)?\.?(?:\s*(?:no\.?|number))?|document\s+(?:number|ref(?:erence)?|id)|policy\s+(?:number|ref(?:erence)?))",  # noqa: E501
    "version": r"(?:version(?:\s+(?:number|no\.?))?|issue)",
    "approval": r"(?:date\s+(?:ratified|approved)|(?:ratified|approved)(?:\s+(?:date|on))?|approval\s+date|date\s+of\s+(?:approval|ratification)|ratification\s+date)",  # noqa: E501
    "review": r"(?:(?:next\s+)?review(?:\s+date)?|date\s+(?:of\s+)?(?:next\s+)?review|review\s+by|due\s+for\s+review)",  # noqa: E501
}
_DOC_KINDS = r"(?:Standard Operating Procedure|Policy|Procedure|Guidance|Protocol|Guidelines?|SOP)"
_CONNECTORS = {"and", "of", "for", "in", "on", "the", "to", "with", "&", "-"}
_CAP_WORD = r"(?:[A-Z][\w’'()-]*|and|of|for|in|on|the|to|with|&)"
_DOC_REF = re.compile(rf"\b((?:{_CAP_WORD}\s+){{0,8}}?{_DOC_KINDS})\b")
_LEADING_JUNK = {
    "the",
    "this",
    "a",
    "an",
    "our",
    "trust",
    "trust’s",
    "trust's",
    "see",
    "refer",
    "per",
    "in",
    "and",
    "of",
    "for",
    "to",
    "with",
    "on",
    "under",
    "within",
    "its",
    "their",
    "local",
    "any",
    "each",
    "relevant",
    "current",
    "national",
    "separate",
    "associated",
    "related",
    "organisation’s",
    "organisation's",
    "appendix",
    "section",
}


def parse_date(text: str) -> date | None:
    """Earliest date written in ``text``; a month-and-year alone means the first of that month."""
    found: list[tuple[int, int, date]] = []
    for rank, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            parsed = _to_date(m.groupdict())
            if parsed:
                found.append((m.start(), rank, parsed))
                break
    return min(found)[2] if found else None


def _to_date(parts: dict[str, str | None]) -> date | None:
    if parts.get("mn"):
        month = int(parts["mn"] or 0)
    else:
        name = (parts.get("m") or "").lower()
        month = _MONTHS.get(name[:4]) or _MONTHS.get(name[:3]) or 0
    try:
        return date(int(parts["y"] or 0), month, int(parts.get("d") or 1))
    except ValueError:
        return None


def _field_values(lines: list[str], label_re: str) -> list[str]:
    """Values given for a label, as a table row ("Label | value") or a "Label: value" line."""
    out = []
    row = re.compile(rf"^\s*{label_re}\s*\|\s*(?P<v>[^|]+)", re.I)
    inline = re.compile(rf"(?:^|\|\s*|\b)\s*{label_re}\s*[:\-–]\s*(?P<v>[^|;]+)", re.I)
    for line in lines:
        m = row.match(line) or inline.search(line)
        if m:
            value = m.group("v").strip(" .")
            if value:
                out.append(value)
    return out


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _reference(lines: list[str]) -> str | None:
    for value in _field_values(lines, _FIELD_LABELS["reference"]):
        m = re.search(r"[A-Z0-9][A-Z0-9/._-]*\d[A-Z0-9/._-]*", value)
        if m:
            return m.group(0).rstrip(".")
    return None


def _version(lines: list[str]) -> str | None:
    for value in _field_values(lines, _FIELD_LABELS["version"]):
        m = re.match(r"(?:v(?:ersion)?\s*)?\d+(?:\.\d+)*", value, re.I)
        if m:
            return m.group(0)
    return None


def _date_field(lines: list[str], label_re: str) -> date | None:
    for value in _field_values(lines, label_re):
        parsed = parse_date(value)
        if parsed:
            return parsed
    return None


def _looks_like_org(text: str) -> bool:
    return bool(
        re.search(
            r"\b(NHS|Trust|Council|Board|Health\s+Authority|CIC|Ltd)\s*$", text, re.IGNORECASE
        )
    )


# Headings every policy has: never its title.
_GENERIC_HEADING = re.compile(
    r"^\W*(\d+(\.\d+)*\.?\s|(part|section|appendix|annex|schedule)\b|[A-Z]\d*\s+[-–]\s)|"
    r"^\W*(\d+(\.\d+)*\.?\s*)?(document (control|information|details|history|summary)|"
    r"version (control|history)|amendment history|revision history|contents|table of contents|"
    r"policy (summary|on a page)|key points|introduction|purpose|scope|definitions|"
    r"document control sheet|equality (impact )?(assessment|analysis)|references|bibliography|"
    r"glossary|appendices|associated documents)\W*$",
    re.IGNORECASE,
)


def _title(blocks: list[Block], lines: list[str]) -> str | None:
    from_field = _first(_field_values(lines, _FIELD_LABELS["title"]))
    if from_field:
        return from_field
    headings = [
        b
        for b in blocks
        if b.kind is BlockKind.HEADING
        and not _looks_like_org(b.text)
        and not _GENERIC_HEADING.match(b.text)
    ]
    for wanted in (1, None):
        for b in headings:
            if wanted is None or b.level == wanted:
                return b.text
    return None


def _clean_doc_name(name: str) -> str | None:
    words = name.split()
    while words and (words[0].lower() in _LEADING_JUNK or not words[0][:1].isupper()):
        words.pop(0)
    if len(words) < 2 or words[0].lower() in _CONNECTORS:
        return None
    return " ".join(words)


def referenced_documents(texts: list[str], own_title: str | None) -> list[str]:
    """Capitalised names ending in Policy/Procedure/... mentioned in running text, deduplicated."""
    own = (own_title or "").lower()
    seen: dict[str, str] = {}
    for text in texts:
        for m in _DOC_REF.finditer(text):
            name = _clean_doc_name(m.group(1))
            if not name:
                continue
            key = name.lower()
            if key == own or (own and own.endswith(key) and len(key) > 0.8 * len(own)):
                continue
            seen.setdefault(key, name)
    return list(seen.values())


def detect_metadata(source: ExtractedDocument | list[Block]) -> DocumentMetadata:
    """Metadata from an extracted document (its text) or from its blocks (headings known)."""
    if isinstance(source, ExtractedDocument):
        lines = source.text.split("\n\n")
        blocks = [
            Block(BlockKind.HEADING, s.heading, None, s.level) for s in source.sections if s.heading
        ]
        running = [p.text for p in source.passages]
    else:
        blocks = source
        lines = [" ".join(b.text.split()) for b in source]
        running = [b.text for b in source if b.kind is not BlockKind.HEADING]
    title = _title(blocks, lines)
    return DocumentMetadata(
        title=title,
        reference=_reference(lines),
        version=_version(lines),
        approval_date=_date_field(lines, _FIELD_LABELS["approval"]),
        review_date=_date_field(lines, _FIELD_LABELS["review"]),
        referenced_documents=referenced_documents(running, title),
    )
