"""Document text as safe HTML, with the words that matched wrapped in ``<mark>``.

Policy documents are untrusted input (an HTML policy may hold a script). Matches are found on
the raw text, then every piece of text is escaped and only our own ``<mark>`` tags are added:
the same guarantee as "escape, then wrap", without a pattern ever matching inside an entity
such as ``&amp;`` and cutting it in two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

_STOPWORDS = (
    "a an and are as at be by for from has have in into is it its of on or that the their them "
    "there these this to was were what when where which who will with within without"
)
STOPWORDS = frozenset(_STOPWORDS.split())
MAX_CUE_SPAN = 200  # a cue matching more than this is a sentence, not a word: do not mark it


def query_terms(query: str) -> list[str]:
    """The content words of a query, lower-cased, in order, each once."""
    words = re.findall(r"[^\W\d_][\w'-]*", query.lower())
    return list(dict.fromkeys(w for w in words if len(w) >= 3 and w not in STOPWORDS))


def term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    """Words starting with a term's stem, so 'assessment' also marks 'assessed'."""
    stems = sorted({_stem(t) for t in terms}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def literal_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """The words exactly as searched (case-insensitive), as the passage search matches them."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def _stem(term: str) -> str:
    return term[: max(4, len(term) - 3)] if len(term) > 6 else term


def compile_cues(cues: Iterable[str | list[str]]) -> list[re.Pattern[str]]:
    """The framework's cue regexes (each pattern of an all-of cue on its own)."""
    out = []
    for cue in cues:
        for pattern in [cue] if isinstance(cue, str) else cue:
            try:
                out.append(re.compile(pattern, re.IGNORECASE))
            except re.error:
                continue
    return out


def highlight(text: str, patterns: Sequence[re.Pattern[str] | None]) -> Markup:
    """``text`` escaped, with every match of ``patterns`` inside ``<mark>``."""
    spans = _merge(
        (m.start(), m.end())
        for p in patterns
        if p is not None
        for m in p.finditer(text)
        if 0 < m.end() - m.start() <= MAX_CUE_SPAN
    )
    parts: list[str] = []
    at = 0
    for start, end in spans:
        parts.append(str(escape(text[at:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(str(escape(text[at:])))
    return Markup("".join(parts))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
