"""Sentence units, reference masking and negation: the language layer under the rules.

Everything here works on spans of a passage's text, so a quote cut from a sentence is always an
exact substring of the extracted document text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyaudit.assess.types import PassageView

# A sentence ends at . ! ? followed by space and something that starts a sentence. Common
# abbreviations are protected so "e.g. Cutting" or "Dr. Smith" do not split.
_ABBREV = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bNo)(?<!\bDr)(?<!\bvs)(?<!\bcf)(?<!\bSt)"
_SENT_END = re.compile(_ABBREV + r"[.!?][\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")

# Names of other documents ("the Safety Planning Procedure (WHT/CL/052)"): a reference to a
# document is not evidence of what that document says, so these spans are blanked before cues
# are matched. Capitalised words ending in a document-type noun, optionally with a code.
_DOC_NOUN = (
    r"(?:Policy|Procedure|Protocol|Guidance|Guideline|Guidelines|Strategy|SOP|"
    r"Standard Operating Procedure|Framework|Template|Toolkit|Leaflet)"
)
_CAP_WORD = r"(?:[A-Z][\w'’&/-]*|and|of|for|in|on|the|to|with|&)"
_DOC_NAME = re.compile(
    rf"\b(?:[A-Z][\w'’&/-]*\s+)(?:{_CAP_WORD}\s+){{0,8}}{_DOC_NOUN}\b(?:\s*\([A-Z0-9][\w/.-]*\))?"
)
_OWN_REFERENCE = re.compile(r"^(?:This|The|This Trust|Trust|Our)\s+" + _DOC_NOUN + r"$")

_NEGATOR = re.compile(r"\b(?:not|never|no|nor|cannot|neither|none)\b|n[’']t\b", re.IGNORECASE)
_PROHIBITOR = re.compile(
    r"\b(?:not|never|no|nor|cannot|neither|avoid|prohibit(?:ed)?|forbid(?:den)?|"
    r"discourage[ds]?|discontinued|no longer)\b|n[’']t\b",
    re.IGNORECASE,
)


# "For safety planning, staff should refer to the Safety Planning Procedure": the sentence hands
# the topic to another document, so what it names is not guidance given here.
_DELEGATION = re.compile(
    r"\b(?:refer(?:s|red)?(?: staff)? to|see(?: also)?|(?:is|are) covered (?:by|in)|"
    r"(?:is|are) (?:set out|described|detailed|addressed|dealt with|explained|specified|contained|"
    r"found) in|can be found in|(?:is|are) governed by)(?:\s+the)?\s*$",
    re.IGNORECASE,
)


def delegates(original: str, masked: str) -> bool:
    """The sentence points to a named document for the topic instead of giving direction."""
    for m in re.finditer(r" {4,}", masked):
        if original[m.start() : m.end()].strip() and _DELEGATION.search(masked[: m.start()]):
            return True
    return False


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage; ``match_text`` has references to other documents blanked."""

    passage: PassageView
    start: int  # offsets into passage.text
    end: int
    match_text: str
    delegating: bool = False  # hands the topic to another document: not evidence
    descriptive: bool = False  # in a purpose/scope section: quoted only if nothing better

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def split_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in _trim(text, spans) if e > s]


def _trim(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e))
    return out


def mask_references(text: str) -> str:
    """Blank out names of other documents, keeping offsets (same length)."""

    def blank(m: re.Match[str]) -> str:
        name = m.group(0)
        if _OWN_REFERENCE.match(name.strip()):
            return name
        return " " * len(name)

    return _DOC_NAME.sub(blank, text)


def sentences_of(passage: PassageView) -> list[Sentence]:
    """Sentences of a passage; a table row is one unit, its cells are not sentences."""
    masked = mask_references(passage.text)
    spans = [(0, len(passage.text))] if passage.kind == "table_row" else split_spans(passage.text)
    return [
        Sentence(passage, s, e, masked[s:e], delegates(passage.text[s:e], masked[s:e]))
        for s, e in spans
    ]


_CLAUSE_BREAK = re.compile(
    r"[.;:!?]|,\s+(?:but|although|though|unless|whereas)\b|\band (?:should|must|will|then)\b"
)


_OPENING_CLAUSE = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:where|if|when|unless|although|while|once|after|before|"
    r"because|as long as|even if|even though)\b[^,;.]{0,150},",
    re.IGNORECASE,
)


def is_negated_outside(text: str, spans: list[tuple[int, int]], window: int = 80) -> bool:
    """A negator just before a matched cue, in the same clause ("must not be withdrawn").

    Negators inside a cue's own match were written by the framework author on purpose
    ("not simply watch"), so they do not flip its meaning; nor does a negation in another
    clause or sentence ("It is not a one-off task. It should be repeated").
    """
    opening = _OPENING_CLAUSE.match(text)
    for start, _ in spans:
        lo = max(0, start - window)
        if opening and opening.end() <= start:  # "Where a risk cannot be removed, ..."
            lo = max(lo, opening.end())
        breaks = list(_CLAUSE_BREAK.finditer(text, lo, start))
        if breaks:
            lo = breaks[-1].end()
        for m in _NEGATOR.finditer(text, lo, start):
            if not any(s <= m.start() < e for s, e in spans):
                return True
    return False


def is_prohibition(text: str, spans: list[tuple[int, int]]) -> bool:
    """The sentence forbids or discourages what the cues name."""
    return any(not any(s <= m.start() < e for s, e in spans) for m in _PROHIBITOR.finditer(text))
