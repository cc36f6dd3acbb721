"""Compiled framework rules: find an element's hits among an organisation's sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from policyaudit.assess.sentences import Sentence, is_negated_outside, is_prohibition
from policyaudit.framework.schema import Element, Framework

_FLAGS = re.IGNORECASE | re.MULTILINE


@lru_cache(maxsize=4096)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


@dataclass(frozen=True)
class Hit:
    """One sentence that shows an element, with the spans its cue matched."""

    sentence: Sentence
    spans: tuple[tuple[int, int], ...]


def _match_cue(cue: str | list[str], text: str) -> tuple[tuple[int, int], ...] | None:
    patterns = [cue] if isinstance(cue, str) else cue
    spans = []
    for p in patterns:
        m = _rx(p).search(text)
        if m is None:
            return None
        spans.append(m.span())
    return tuple(spans)


def _any(patterns: list[str], *texts: str) -> bool:
    return any(_rx(p).search(t) for p in patterns for t in texts if t)


def _polarity_ok(element: Element, text: str, spans: tuple[tuple[int, int], ...]) -> bool:
    if element.negation == "ignore":
        return True
    if element.negation == "require":
        return is_prohibition(text, list(spans))
    return not is_negated_outside(text, list(spans))


def element_hits(
    element: Element, sentences: list[Sentence], delegating: bool = False
) -> list[Hit]:
    """Every sentence that shows the element, in document order.

    With ``delegating`` it instead returns the cross-references to other documents that would
    have shown it: not evidence, but a near miss that lowers confidence in "not met".
    """
    if element.scope == "passage":
        sentences = passage_units(sentences)
    sections = _by_section(sentences) if element.scope == "section" else {}
    hits = []
    for sent in sentences:
        if element.in_references:
            if delegating:  # cross-references already count as this element's evidence
                continue
            text = sent.passage.text[sent.start : sent.end]
        else:
            if sent.delegating != delegating:
                continue
            text = sent.match_text
        if element.exclude and _any(element.exclude, text):
            continue
        if element.scope == "section":
            spans = _section_match(element, sent, text, sections)
        else:
            spans = next((s for cue in element.cues if (s := _match_cue(cue, text))), None)
        if spans is None or not _polarity_ok(element, text, spans):
            continue
        p = sent.passage
        heading = p.section_text
        if element.context and not _any(element.context, p.text, heading, p.doc_title):
            continue
        last_heading = p.section[-1] if p.section else ""
        if element.sentence_context and not _any(element.sentence_context, text, last_heading):
            continue
        hits.append(Hit(sent, spans))
    return hits


def _by_section(sentences: list[Sentence]) -> dict[tuple, list[Sentence]]:
    out: dict[tuple, list[Sentence]] = {}
    for sent in sentences:
        out.setdefault((sent.passage.document, sent.passage.section), []).append(sent)
    return out


def _section_match(
    element: Element, sent: Sentence, text: str, sections: dict[tuple, list[Sentence]]
) -> tuple[tuple[int, int], ...] | None:
    """An all-of cue whose first pattern matches this sentence and whose other patterns match,
    unnegated, somewhere in the same section ("A psychosocial assessment is completed. ...
    This assessment should be repeated after every new episode")."""
    for cue in element.cues:
        patterns = [cue] if isinstance(cue, str) else cue
        first = _rx(patterns[0]).search(text)
        if first is None:
            continue
        others = sections.get((sent.passage.document, sent.passage.section), [])
        if all(_matches_unnegated(p, others) for p in patterns[1:]):
            return (first.span(),)
    return None


def _matches_unnegated(pattern: str, sentences: list[Sentence]) -> bool:
    for other in sentences:
        m = _rx(pattern).search(other.match_text)
        if m and not is_negated_outside(other.match_text, [m.span()]):
            return True
    return False


def passage_units(sentences: list[Sentence]) -> list[Sentence]:
    """Merge the sentences of each passage into one unit (for passage-scope elements)."""
    units: list[Sentence] = []
    for sent in sentences:
        last = units[-1] if units else None
        if last is not None and last.passage.id == sent.passage.id:
            gap = " " * (sent.start - last.end)
            units[-1] = replace(
                last,
                end=sent.end,
                match_text=last.match_text + gap + sent.match_text,
                delegating=last.delegating and sent.delegating,
            )
        else:
            units.append(sent)
    return units


def is_non_evidence(framework: Framework, section: tuple[str, ...]) -> bool:
    """Contents lists, references and document control are about documents, not practice.

    Only the section's own heading counts: a heading misread as the parent (a contents entry
    taken for a heading) must not hide the real sections that follow it.
    """
    return bool(section) and _any(framework.non_evidence_sections, section[-1])


def matches_any(patterns: list[str], text: str) -> bool:
    return _any(patterns, text)
