"""Export the codebook and codings as a REFI-QDA project (.qdpx) for QDA software.

Reviewers check and recode evidence in ATLAS.ti, MAXQDA, NVivo or QualCoder; REFI-QDA is the
exchange format they all import. A .qdpx file is a zip holding ``project.qde`` (XML in the
``urn:QDA-XML:project:1.0`` namespace, REFI-QDA Project schema 1.0) and ``sources/`` with each
document's plain text. The framework becomes the codebook: one code per standard with child codes
for the verdicts and for conflicts, described by the standard's criteria. Each coded quote becomes
a ``PlainTextSelection`` at the quote's character offsets in that text, coded with its verdict.

GUIDs are uuid5 of stable names (framework, standard, document, coding), so exporting the same
data twice gives the same GUIDs and a re-import updates rather than duplicates.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from policyaudit.framework.schema import Framework, Standard
from policyaudit.review.exchange import VERDICTS, Coding

NAMESPACE = "urn:QDA-XML:project:1.0"
CONFLICTS = "conflicts"
CHILD_CODES: tuple[str, ...] = (*VERDICTS, CONFLICTS)
COLOURS = {"met": "#2E7D32", "partial": "#F9A825", "not_met": "#C62828", CONFLICTS: "#6A1B9A"}
ENGINE_USER = "policyaudit"  # the creating user of codings with no coder
_GUID_NAMESPACE = uuid.UUID("6f0c1a52-4d55-5a63-9d1e-9a4c2f0b7e11")  # fixed: stable GUIDs
ET.register_namespace("", NAMESPACE)  # write the default namespace, not ns0: prefixes


class QdpxDocument(NamedTuple):
    """A source document: its id (unique in the project), display name and plain text."""

    doc_id: str
    name: str
    text: str


@dataclass(frozen=True)
class QdpxCoding:
    """A coded span ``text[start:end]`` of one document (Python string offsets).

    ``verdict`` None codes the span with the conflicts code only (the conflicting text).
    """

    doc_id: str
    start: int
    end: int
    standard_id: str
    verdict: str | None
    conflicts: bool = False
    coder: str | None = None
    note: str | None = None


def guid(*parts: str) -> str:
    """A GUID that depends only on ``parts``."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "\x1f".join(parts)))


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _sub(parent: ET.Element, tag: str, /, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, _tag(tag), attrs)


def _description(parent: ET.Element, text: str) -> None:
    if text:
        _sub(parent, "Description").text = text


# --- locating quotes -------------------------------------------------------------------------


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Character offsets of ``quote`` in ``text``: exact, else allowing any run of whitespace.

    The contract's quotes are substrings of the whitespace-normalised text, while the exported
    source keeps its line breaks, so an exact search alone would miss quotes spanning lines.
    """
    quote = quote.strip()
    if not quote:
        return None
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    return (match.start(), match.end()) if match else None


def place_codings(
    codings: Iterable[Coding], texts: Mapping[tuple[str, str], str]
) -> tuple[list[QdpxCoding], list[Coding]]:
    """Turn contract codings into coded spans, and return those whose quote was not found.

    ``texts`` maps (org_id, document stem) to the document's text; the span's doc_id is
    ``org_id/stem`` because stems repeat across organisations. The evidence quote is coded with
    the verdict; a separate conflict quote with the conflicts code. A coding is returned as
    unplaced when any of its quotes is not found in its document.
    """
    placed: list[QdpxCoding] = []
    unplaced: list[Coding] = []
    for c in codings:
        spans = []
        conflict_apart = c.conflicts and bool(c.conflict_quote.strip())
        if c.evidence_quote.strip():
            spans.append((c.evidence_document, c.evidence_quote, c.verdict, not conflict_apart))
        if conflict_apart:
            spans.append((c.conflict_document or c.evidence_document, c.conflict_quote, None, True))
        for document, quote, verdict, conflicts in spans:
            text = texts.get((c.org_id, document))
            where = find_quote(text, quote) if text is not None else None
            if where is None:
                unplaced.append(c)
                break
            doc_id = f"{c.org_id}/{document}"
            placed.append(
                QdpxCoding(
                    doc_id,
                    *where,
                    c.standard_id,
                    verdict,
                    c.conflicts and conflicts,
                    c.coder,
                    c.note,
                )
            )
    return placed, unplaced


# --- the project XML -------------------------------------------------------------------------


def code_guid(framework: Framework, standard_id: str, child: str | None = None) -> str:
    return guid("code", framework.id, standard_id, *([child] if child else []))


def _standard_description(s: Standard) -> str:
    lines = [s.title]
    if s.nice_refs:
        lines.append("NICE: " + ", ".join(s.nice_refs))
    lines.append(f"Met: {s.criteria.met}")
    if s.criteria.partial:
        lines.append(f"Partial: {s.criteria.partial}")
    lines.append(f"Not met: {s.criteria.not_met}")
    if s.criteria.conflicts:
        lines.append(f"Conflicts: {s.criteria.conflicts}")
    return "\n".join(lines)


def _child_description(s: Standard, child: str) -> str:
    c = s.criteria
    return {
        "met": c.met,
        "partial": c.partial or f"Some, but not all, of: {c.met}",
        "not_met": c.not_met,
        CONFLICTS: c.conflicts or "The policies say something that contradicts the standard.",
    }[child]


def codebook(framework: Framework) -> ET.Element:
    """``<CodeBook>``: a code per standard, holding one child code per verdict and conflicts."""
    book = ET.Element(_tag("CodeBook"))
    codes = _sub(book, "Codes")
    for s in framework.standards:
        parent = _sub(
            codes,
            "Code",
            guid=code_guid(framework, s.id),
            name=f"{s.id} {s.title}",
            isCodable="true",
        )
        _description(parent, _standard_description(s))
        for child in CHILD_CODES:
            code = _sub(
                parent,
                "Code",
                guid=code_guid(framework, s.id, child),
                name=f"{s.id} {child}",
                isCodable="true",
                color=COLOURS[child],
            )
            _description(code, _child_description(s, child))
    return book


def _check(
    framework: Framework, documents: Mapping[str, QdpxDocument], codings: Sequence[QdpxCoding]
) -> None:
    """Refuse codings that would make an invalid or misleading project, naming the coding."""
    standards = {s.id for s in framework.standards}
    for i, c in enumerate(codings):
        where = f"coding {i} ({c.doc_id} {c.standard_id})"
        if c.doc_id not in documents:
            raise ValueError(f"{where}: no document {c.doc_id!r}")
        if c.standard_id not in standards:
            raise ValueError(f"{where}: {framework.id} has no standard {c.standard_id!r}")
        if c.verdict is not None and c.verdict not in VERDICTS:
            raise ValueError(f"{where}: verdict {c.verdict!r} is not one of {', '.join(VERDICTS)}")
        if c.verdict is None and not c.conflicts:
            raise ValueError(f"{where}: neither a verdict nor a conflict to code")
        if not 0 <= c.start < c.end <= len(documents[c.doc_id].text):
            length = len(documents[c.doc_id].text)
            raise ValueError(f"{where}: span {c.start}-{c.end} is outside the text (0-{length})")


def _selection_guid(c: QdpxCoding, seen: dict[str, int]) -> str:
    key = "\x1f".join(
        [c.doc_id, str(c.start), str(c.end), c.standard_id, c.verdict or "", c.coder or ""]
    )
    seen[key] = seen.get(key, 0) + 1
    return guid("selection", key, str(seen[key]))


def project_xml(
    framework: Framework,
    documents: Sequence[QdpxDocument],
    codings: Sequence[QdpxCoding],
    name: str | None = None,
    created: datetime | None = None,
) -> ET.Element:
    """The ``<Project>`` element; sources point at ``internal://<guid>.txt`` in the zip."""
    docs = {d.doc_id: QdpxDocument(*d) for d in documents}
    if len(docs) != len(documents):
        raise ValueError("document ids must be unique")
    _check(framework, docs, codings)
    when = (created or datetime.now(UTC)).replace(microsecond=0).isoformat()
    project = ET.Element(
        _tag("Project"),
        name=name or f"{framework.title} ({framework.id} {framework.version})",
        origin="policyaudit",
        creationDateTime=when,
    )
    users = {c.coder or ENGINE_USER for c in codings} or {ENGINE_USER}
    user_guid = {u: guid("user", u) for u in sorted(users)}
    users_el = _sub(project, "Users")
    for user, ugid in user_guid.items():
        _sub(users_el, "User", guid=ugid, name=user)
    project.append(codebook(framework))

    sources = _sub(project, "Sources")
    notes: list[tuple[str, str, QdpxCoding]] = []
    seen: dict[str, int] = {}
    for doc in docs.values():
        source_guid = guid("source", doc.doc_id)
        source = _sub(
            sources,
            "TextSource",
            guid=source_guid,
            name=doc.name,
            plainTextPath=f"internal://{source_guid}.txt",
        )
        mine = sorted((c for c in codings if c.doc_id == doc.doc_id), key=lambda c: c.start)
        for c in mine:
            creator = user_guid[c.coder or ENGINE_USER]
            sel_guid = _selection_guid(c, seen)
            selection = _sub(
                source,
                "PlainTextSelection",
                guid=sel_guid,
                name=f"{c.standard_id} {c.verdict or CONFLICTS}",
                startPosition=str(c.start),
                endPosition=str(c.end),
                creatingUser=creator,
            )
            children = ([c.verdict] if c.verdict else []) + ([CONFLICTS] if c.conflicts else [])
            for child in children:
                coding = _sub(
                    selection, "Coding", guid=guid("coding", sel_guid, child), creatingUser=creator
                )
                _sub(coding, "CodeRef", targetGUID=code_guid(framework, c.standard_id, child))
            if c.note:
                note_guid = guid("note", sel_guid)
                _sub(selection, "NoteRef", targetGUID=note_guid)
                notes.append((note_guid, creator, c))
    if notes:
        notes_el = _sub(project, "Notes")
        for note_guid, creator, c in notes:
            note = _sub(
                notes_el,
                "Note",
                guid=note_guid,
                name=f"{c.standard_id} note",
                creatingUser=creator,
            )
            _sub(note, "PlainTextContent").text = c.note
    return project


def export_qdpx(
    path: Path,
    framework: Framework,
    documents: Sequence[QdpxDocument | tuple[str, str, str]],
    codings: Sequence[QdpxCoding],
    name: str | None = None,
) -> Path:
    """Write a .qdpx file: ``project.qde`` and ``sources/<guid>.txt`` (UTF-8) per document."""
    docs = [QdpxDocument(*d) for d in documents]
    xml = ET.tostring(project_xml(framework, docs, codings, name), encoding="utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", xml)
        for doc in docs:
            zf.writestr(f"sources/{guid('source', doc.doc_id)}.txt", doc.text.encode("utf-8"))
    return path
