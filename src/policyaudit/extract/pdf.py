"""PDF extraction: pypdfium2 for text and geometry, pypdf as a fallback for files pdfium rejects.

A PDF only knows glyphs and positions, so structure is rebuilt from layout: words are grouped into
lines by baseline, running headers/footers are dropped by repetition across pages, borderless
tables are found from column gaps, paragraphs from vertical spacing, and headings from the outline
(bookmarks) where there is one, else from bold/larger fonts and heading-number patterns.
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .assemble import assemble
from .metadata import detect_metadata
from .model import Block, BlockKind, ExtractedDocument, ExtractionError

CELL_GAP = 9.0  # points of empty space between words that separate table cells
HYPHEN_MARK = "\x02"  # pdfium's code for a hyphen at the end of a line
HYPHEN_MARKS = "\x02\ufffe"  # as FPDFText_GetUnicode / FPDFText_GetText report it
_WORD = re.compile(r"[^\s\x00\x02\ufffe]+[\x02\ufffe]?|[\x02\ufffe]")
_LABEL = re.compile(r"^(?:[•●▪■◦○·‣∙*o–-]|\(?[0-9a-zA-Z]{1,3}[.)]|\d+(?:\.\d+)+\.?)$")
BULLETS = "•●▪■◦○·‣∙-–*o"
# Prefix-words that form real hyphenated compounds; a line-end hyphen after them is kept.
KEEP_HYPHEN_PREFIXES = {
    "self",
    "non",
    "co",
    "ex",
    "re",
    "pre",
    "post",
    "anti",
    "multi",
    "inter",
    "intra",
    "cross",
    "well",
    "long",
    "short",
    "high",
    "low",
    "one",
    "two",
    "three",
    "four",
    "face",
    "follow",
    "decision",
    "risk",
    "person",
    "trauma",
    "evidence",
    "time",
    "age",
    "sub",
    "semi",
    "over",
    "under",
    "out",
    "day",
    "night",
    "half",
    "full",
    "part",
    "first",
    "second",
    "third",
    "ward",
    "patient",
    "service",
    "user",
    "staff",
    "in",
    "on",
    "off",
    "up",
    "all",
    "mid",
    "e",
}

_PAGE_FURNITURE = re.compile(
    r"^(?:page\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s*(?:of|/)\s*\d+|[-–]?\s*\d+\s*[-–]?|"
    r"uncontrolled (?:copy )?when printed\.?)$",
    re.I,
)
_PAGE_NUMBER_TAIL = re.compile(r"\s*\bpage\s*\d+(?:\s*(?:of|/)\s*\d+)?\s*$", re.I)
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:section|part|chapter)\s+\d+[.:]?|appendix\s+[\dA-Z]+[.:]?|\d{1,2}(?:\.\d{1,2}){0,3}\.?)"
    r"\s+\S",
    re.I,
)
_LIST_START = re.compile(r"^(?:\(?[a-z]\)|\(?[ivx]+\)|\d{1,2}[.)])\s")
_NUMBERED_PARA = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,4}\.?\s")
_TERMINAL = tuple(".!?:;")


# Slots: a long PDF's layout is held as millions of Word objects until its blocks are built, so
# their per-object dicts were most of the extractor's memory on a 5,000-page file.
@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    base: float
    index: int  # pdfium char index of the first character


@dataclass(slots=True)
class Line:
    words: list[Word]
    page: int
    bold: bool = False
    size: float = 0.0
    heading_level: int = 0
    in_table: bool = False

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def base(self) -> float:
        return self.words[0].base

    def chunks(self) -> list[list[Word]]:
        """Runs of words separated by gaps wide enough to be table-cell boundaries."""
        out = [[self.words[0]]]
        for prev, word in zip(self.words, self.words[1:], strict=False):
            label_only = len(out[-1]) == 1 and _LABEL.match(out[-1][0].text)
            if word.x0 - prev.x1 > CELL_GAP and not label_only:
                out.append([word])
            else:
                out[-1].append(word)
        return out


@dataclass(slots=True)
class PageLayout:
    lines: list[Line]
    pitch: float  # usual baseline distance between lines of one paragraph


@dataclass
class TocEntry:
    title: str
    level: int
    page: int | None  # 0-based
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = _key(self.title)


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower().replace(HYPHEN_MARK, ""))


# ---------------------------------------------------------------------------------------------
# Reading pages with pdfium


def _open_pdfium(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError("password-protected", path.name) from exc
        raise


class _CharReader:
    """Cheap access to per-character geometry and font; ctypes out-params allocated once."""

    def __init__(self, textpage: pdfium.PdfTextPage) -> None:
        self.tp = textpage
        self._d = [ctypes.c_double() for _ in range(4)]
        self._refs = [ctypes.byref(d) for d in self._d]
        self._flags = ctypes.c_int()
        self._name = ctypes.create_string_buffer(128)

    def box(self, i: int) -> tuple[float, float, float, float]:
        """(left, right, bottom, top)."""
        pdfium_c.FPDFText_GetCharBox(self.tp, i, *self._refs)
        return self._d[0].value, self._d[1].value, self._d[2].value, self._d[3].value

    def origin(self, i: int) -> tuple[float, float]:
        """(x, baseline y) of a character's origin: one call gives both left edge and baseline."""
        pdfium_c.FPDFText_GetCharOrigin(self.tp, i, self._refs[0], self._refs[1])
        return self._d[0].value, self._d[1].value

    def font(self, i: int) -> tuple[float, bool]:
        size = pdfium_c.FPDFText_GetFontSize(self.tp, i)
        pdfium_c.FPDFText_GetFontInfo(self.tp, i, self._name, 128, ctypes.byref(self._flags))
        name = self._name.value.decode("latin-1").lower()
        weight = pdfium_c.FPDFText_GetFontWeight(self.tp, i)
        bold = "bold" in name or "black" in name or "heavy" in name or weight >= 600
        return size, bold


def _page_words(textpage: pdfium.PdfTextPage, reader: _CharReader) -> list[Word]:
    """Words (maximal non-space runs of pdfium's text) with their horizontal extent and baseline."""
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    words = []
    for m in _WORD.finditer(text):
        s, e = m.start(), m.end() - 1
        left, base = reader.origin(s)
        _, right, _, _ = reader.box(e)
        word_text = m.group(0).replace("\ufffe", HYPHEN_MARK)
        words.append(Word(word_text, left, max(right, left), base, s))
    return words


def _group_lines(words: list[Word], page: int, reader: _CharReader | None) -> list[Line]:
    """Words sharing a baseline (within 2pt) form a line, ordered top to bottom, left to right."""
    words = sorted(words, key=lambda w: (-round(w.base, 1), w.x0))
    lines: list[Line] = []
    for word in words:
        if lines and abs(lines[-1].words[0].base - word.base) <= 2.0:
            lines[-1].words.append(word)
        else:
            lines.append(Line([word], page))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
        if reader is not None:
            first = next((w for w in line.words if w.text not in BULLETS), line.words[0])
            size, bold = reader.font(first.index)
            _, last_bold = reader.font(line.words[-1].index)
            line.size, line.bold = size, bold and last_bold
    return lines


def _typical_pitch(lines: list[Line]) -> float:
    pitches = [round(a.base - b.base) for a, b in zip(lines, lines[1:], strict=False)]
    pitches = [p for p in pitches if 4 <= p <= 40]
    if not pitches:
        return 14.0
    return float(Counter(pitches).most_common(1)[0][0])


def _read_pdfium(pdf: pdfium.PdfDocument) -> list[PageLayout]:
    layouts = []
    for index in range(len(pdf)):
        page = pdf[index]
        textpage = page.get_textpage()
        try:
            reader = _CharReader(textpage)
            lines = _group_lines(_page_words(textpage, reader), index + 1, reader)
        finally:
            textpage.close()
            page.close()
        layouts.append(PageLayout(lines, 0.0))
    pitch = _typical_pitch([li for layout in layouts for li in layout.lines])
    for layout in layouts:
        layout.pitch = pitch
    return layouts


def _read_toc(pdf: pdfium.PdfDocument) -> list[TocEntry]:
    entries = []
    try:
        for item in pdf.get_toc():
            dest = item.get_dest()
            page = dest.get_index() if dest is not None else None
            title = " ".join(item.get_title().split())
            if title:
                entries.append(TocEntry(title, item.level + 1, page))
    except Exception:  # a broken outline only costs us the bookmarks
        return []
    return entries


# ---------------------------------------------------------------------------------------------
# pypdf fallback: text only, synthetic geometry


def _read_pypdf(path: Path) -> tuple[list[PageLayout], list[TocEntry]]:
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ExtractionError("password-protected", path.name)
            except ExtractionError:
                raise
            except Exception as exc:
                raise ExtractionError("password-protected", path.name) from exc
        layouts = []
        for index, page in enumerate(reader.pages):
            lines = []
            for n, raw in enumerate((page.extract_text() or "").splitlines()):
                words = [Word(t, 0.0, 0.0, 1000.0 - 14.0 * n, 0) for t in raw.split()]
                if words:
                    lines.append(Line(words, index + 1, size=12.0))
            layouts.append(PageLayout(lines, 14.0))
        toc = _pypdf_toc(reader)
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError("corrupt file", f"{path.name}: {exc}") from exc
    return layouts, toc


def _pypdf_toc(reader: object) -> list[TocEntry]:
    entries: list[TocEntry] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)  # type: ignore[attr-defined]
            except Exception:
                page = None
            entries.append(TocEntry(" ".join(str(item.title).split()), level, page))

    try:
        walk(reader.outline, 1)  # type: ignore[attr-defined]
    except Exception:
        return []
    return entries


# ---------------------------------------------------------------------------------------------
# Running headers and footers


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.replace(HYPHEN_MARK, "-").lower()).strip()


def remove_page_furniture(pages: list[PageLayout], zone: int = 3) -> None:
    """Drop page numbers and lines repeated (digits aside) near the top or bottom of most pages."""
    counts: Counter[str] = Counter()
    for layout in pages:
        counts.update({_furniture_key(li.text) for li in _edge_lines(layout, zone)})
    threshold = max(2, int(0.5 * len(pages) + 0.5))
    repeated = {k for k, n in counts.items() if n >= threshold} if len(pages) >= 2 else set()
    for layout in pages:
        edge = {id(li) for li in _edge_lines(layout, zone)}
        layout.lines = [
            li for li in layout.lines if id(li) not in edge or not _is_furniture(li.text, repeated)
        ]


def _edge_lines(layout: PageLayout, zone: int) -> list[Line]:
    return layout.lines[:zone] + layout.lines[-zone:]


def _is_furniture(text: str, repeated: set[str]) -> bool:
    clean = text.replace(HYPHEN_MARK, "-").strip()
    if _PAGE_FURNITURE.match(clean) or _furniture_key(clean) in repeated:
        return True
    rest = _PAGE_NUMBER_TAIL.sub("", clean).strip()
    return rest != clean and (not rest or bool(_PAGE_FURNITURE.match(rest)))


# ---------------------------------------------------------------------------------------------
# Headings


def _body_size(pages: list[PageLayout]) -> float:
    sizes: Counter[float] = Counter()
    for layout in pages:
        for line in layout.lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _styled(line: Line, body: float) -> bool:
    return line.bold or line.size > body + 0.5


def mark_toc_headings(pages: list[PageLayout], toc: list[TocEntry]) -> int:
    """Mark lines that carry an outline title (possibly wrapped over lines); return how many.

    Only styled (bold/larger) lines qualify where the document has styled lines, so that a
    table of contents listing the same titles in body text is not taken for the headings.
    """
    body = _body_size(pages)
    any_styled = any(_styled(li, body) for p in pages for li in p.lines)
    pending = list(toc)
    matched = 0
    for index, layout in enumerate(pages):
        lines = layout.lines
        i = 0
        while i < len(lines) and pending:
            line = lines[i]
            if any_styled and not _styled(line, body):
                i += 1
                continue
            candidates = [e for e in pending[:4] if e.page is None or e.page <= index + 1]
            hit = _match_heading(lines, i, candidates)
            if hit is None:
                i += 1
                continue
            entry, span = hit
            for line_in in lines[i : i + span]:
                line_in.heading_level = entry.level
            lines[i].heading_level = entry.level
            pending = pending[pending.index(entry) + 1 :]
            matched += 1
            i += span
    return matched


def _match_heading(
    lines: list[Line], i: int, entries: list[TocEntry]
) -> tuple[TocEntry, int] | None:
    for entry in entries:
        acc = ""
        for span in range(1, 4):
            if i + span - 1 >= len(lines):
                break
            acc += _key(lines[i + span - 1].text)
            if acc == entry.key:
                return entry, span
            if not entry.key.startswith(acc):
                break
    return None


def mark_styled_headings(pages: list[PageLayout]) -> None:
    """Without an outline: short bold/larger lines are headings; level from numbering or size."""
    body = _body_size(pages)
    candidates = [li for p in pages for li in p.lines if _looks_like_heading(li, body)]
    sizes = sorted({round(li.size) for li in candidates if li.size > body + 0.5}, reverse=True)
    for line in candidates:
        depth = _numbering_depth(line.text)
        if depth:
            line.heading_level = depth + (1 if sizes and round(line.size) < sizes[0] else 0)
        elif round(line.size) in sizes:
            line.heading_level = sizes.index(round(line.size)) + 1
        else:
            line.heading_level = len(sizes) + 1


def _looks_like_heading(line: Line, body: float) -> bool:
    text = line.text.replace(HYPHEN_MARK, "-")
    if len(text) > 120 or len(text.split()) > 16 or text.endswith((".", ",", ";")):
        return False
    if _styled(line, body):
        return not text[:1].islower() and not re.match(r"^[\d.]+\s+[^A-Za-z]", text)
    caps_numbered = (
        _NUMBERED_HEADING.match(text)
        and text.upper() == text
        and len(text) < 80
        and sum(c.isalpha() for c in text) >= 3
    )
    return bool(caps_numbered)


def _numbering_depth(text: str) -> int:
    m = re.match(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s", text)
    if not m:
        return 1 if re.match(r"^(section|part|chapter|appendix)\b", text, re.I) else 0
    parts = m.group(1).split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return len(parts)


# ---------------------------------------------------------------------------------------------
# Tables


def mark_tables(layout: PageLayout) -> list[tuple[int, int, list[float]]]:
    """Find borderless tables: runs of lines whose words fall into columns; (start, end, cols)."""
    lines = layout.lines
    multi = [len(li.chunks()) >= 2 and not li.heading_level for li in lines]
    tables = []
    i = 0
    while i < len(lines):
        if not multi[i]:
            i += 1
            continue
        start, end = i, i + 1
        cols = _column_starts([lines[i]])
        while end < len(lines):
            line = lines[end]
            close = lines[end - 1].base - line.base <= 1.5 * layout.pitch
            if line.heading_level or not close:
                break
            if multi[end]:
                cols = _column_starts(lines[start : end + 1])
            elif not _fits_columns(line, cols):
                break
            end += 1
        while start > 0 and not multi[start - 1] and not lines[start - 1].heading_level:
            prev = lines[start - 1]
            near = prev.base - lines[start].base <= 1.5 * layout.pitch
            if near and len(cols) > 1 and any(abs(prev.x0 - c) < 6 for c in cols[1:]):
                start -= 1
            else:
                break
        if len(cols) >= 2:
            for line in lines[start:end]:
                line.in_table = True
            tables.append((start, end, cols))
        i = end
    return tables


def _column_starts(lines: list[Line]) -> list[float]:
    starts = sorted(chunk[0].x0 for li in lines for chunk in li.chunks())
    cols: list[float] = []
    for x in starts:
        if not cols or x - cols[-1] > 6:
            cols.append(x)
    return cols


def _fits_columns(line: Line, cols: list[float]) -> bool:
    """A one-chunk line continues a table if it starts in a later column or stays in the first."""
    if len(cols) < 2:
        return False
    if any(abs(line.x0 - c) < 6 for c in cols[1:]):
        return True
    return abs(line.x0 - cols[0]) < 6 and line.x1 < cols[1] - 2


def table_rows(lines: list[Line], cols: list[float], pitch: float) -> list[list[list[str]]]:
    """Per row, per column, the cell's lines; rows split where the line spacing opens up."""
    rows: list[list[list[str]]] = []
    prev_base = None
    for line in lines:
        if prev_base is None or prev_base - line.base > 1.15 * pitch:
            rows.append([[] for _ in cols])
        prev_base = line.base
        for chunk in line.chunks():
            x = chunk[0].x0 + 6
            col = max((i for i, c in enumerate(cols) if c <= x), default=0)
            rows[-1][col].append(" ".join(w.text for w in chunk))
    return rows


# ---------------------------------------------------------------------------------------------
# Paragraphs and de-hyphenation


class Dehyphenator:
    """Decide, for a word broken at a line-end hyphen, whether the hyphen is real.

    Rule, in order: the document itself decides where it spells the word elsewhere (hyphenated
    -> keep, joined -> join); a prefix-word like "self", "non", "co" keeps the hyphen
    ("self-harm"); a capital or digit after the break keeps it ("Self-Harm", "NG-225"); otherwise
    the break is taken as typesetting hyphenation and the parts are joined ("assess-ment").
    """

    def __init__(self, vocabulary: set[str] | None = None) -> None:
        self.vocabulary = vocabulary or set()

    def join(self, head: str, tail: str) -> str:
        head = head.rstrip()
        if not head.endswith((HYPHEN_MARK, "-")) or len(head) < 2 or not head[-2].isalpha():
            return f"{head} {tail}".strip()
        stem = head[:-1]
        first = re.split(r"[^\w]", stem)[-1].lower()
        second = re.split(r"[^\w]", tail, maxsplit=1)[0]
        hyphenated = f"{first}-{second.lower()}"
        joined = f"{first}{second.lower()}"
        if hyphenated in self.vocabulary:
            keep = True
        elif joined in self.vocabulary:
            keep = False
        elif first.split("-")[-1] in KEEP_HYPHEN_PREFIXES:
            keep = True
        else:
            keep = not second[:1].islower()
        return f"{stem}-{tail}" if keep else f"{stem}{tail}"


_DEFAULT_DEHYPHENATOR = Dehyphenator()


def join_lines(parts: list[str], dehyphenator: Dehyphenator | None = None) -> str:
    d = dehyphenator or _DEFAULT_DEHYPHENATOR
    text = ""
    for part in parts:
        text = d.join(text, part) if text else part
    return text.replace(HYPHEN_MARK, "-")


def document_vocabulary(pages: list[PageLayout]) -> set[str]:
    """Lower-cased words printed mid-line: the document's own spelling settles line-end hyphens."""
    vocab = set()
    for layout in pages:
        for line in layout.lines:
            for w in line.words[:-1]:
                vocab.add(re.sub(r"^[^\w]+|[^\w]+$", "", w.text.lower()))
    return vocab


def _starts_item(text: str) -> bool:
    return (
        text[:1] in BULLETS
        and (len(text) == 1 or text[1] == " ")
        or bool(_LIST_START.match(text) or _NUMBERED_PARA.match(text))
    )


def _strip_bullet(text: str) -> tuple[str, bool]:
    if text[:1] in BULLETS and (len(text) == 1 or text[1] == " "):
        return text[1:].strip(), True
    return text, bool(_LIST_START.match(text))


@dataclass
class _Para:
    lines: list[str]
    page: int
    has_geometry: bool
    last_base: float = 0.0


class BlockBuilder:
    """Accumulates lines into paragraph/list blocks, across page breaks where text runs on."""

    def __init__(self, dehyphenator: Dehyphenator) -> None:
        self.blocks: list[Block] = []
        self.para: _Para | None = None
        self.row: tuple[list[list[str]], list[float], int] | None = None  # last row, may go on
        self.header = ""  # first row of the current table, repeated after page breaks
        self.d = dehyphenator

    def table(self, rows: list[list[list[str]]], cols: list[float], page: int, top: bool) -> None:
        """Emit table rows; a row broken by a page break is rejoined with its continuation.

        The continuation is the first row at the top of the next page in a table with the same
        columns whose first cell is empty (the row's label was printed on the earlier page).
        """
        continuing = top and self.row is not None and _same_columns(self.row[1], cols)
        if continuing and rows and self._cells_text(rows[0]) == self.header:
            rows = rows[1:]  # header row repeated on the new page
        if not continuing and rows:
            self.header = self._cells_text(rows[0])
        if continuing and self.row and rows and not rows[0][0]:
            for cell, more in zip(self.row[0], rows[0], strict=False):
                cell.extend(more)
            rows = rows[1:]
        if not rows:
            return
        self.flush()
        for row in rows[:-1]:
            self._emit_row(row, page)
        self.row = (rows[-1], cols, page)

    def _cells_text(self, row: list[list[str]]) -> str:
        return " | ".join(c for c in (join_lines(cell, self.d) for cell in row) if c)

    def _emit_row(self, row: list[list[str]], page: int) -> None:
        text = self._cells_text(row)
        if text:
            self.blocks.append(Block(BlockKind.TABLE_ROW, text, page))

    def flush(self) -> None:
        if self.row:
            self._emit_row(self.row[0], self.row[2])
            self.row = None
        if self.para and self.para.lines:
            text, is_item = _strip_bullet(join_lines(self.para.lines, self.d))
            kind = BlockKind.LIST_ITEM if is_item else BlockKind.PARAGRAPH
            self.blocks.append(Block(kind, text, self.para.page))
        self.para = None

    def add(self, block: Block) -> None:
        self.flush()
        self.blocks.append(block)

    def line(self, line: Line, pitch: float, geometric: bool, new_page: bool) -> None:
        if self.row:
            self.flush()
        text = line.text
        para = self.para
        if para is not None and self._continues(para, line, pitch, geometric, new_page):
            para.lines.append(text)
            para.last_base = line.base
            return
        self.flush()
        self.para = _Para([text], line.page, geometric, line.base)

    @staticmethod
    def _continues(para: _Para, line: Line, pitch: float, geometric: bool, new_page: bool) -> bool:
        text = line.text
        if _starts_item(text):
            return False
        prev = para.lines[-1]
        if new_page:
            return not prev.rstrip().endswith(_TERMINAL) and text[:1].islower()
        if geometric:
            return para.last_base - line.base <= 1.15 * pitch
        return not (prev.rstrip().endswith(_TERMINAL) and not text[:1].islower())


def build_blocks(pages: list[PageLayout], geometric: bool) -> list[Block]:
    builder = BlockBuilder(Dehyphenator(document_vocabulary(pages)))
    for layout in pages:
        tables = (
            {start: (end, cols) for start, end, cols in mark_tables(layout)} if geometric else {}
        )
        lines = layout.lines
        i = 0
        new_page = True
        while i < len(lines):
            line = lines[i]
            if i in tables:
                end, cols = tables[i]
                rows = table_rows(lines[i:end], cols, layout.pitch)
                builder.table(rows, cols, line.page, top=new_page)
                i = end
            elif line.heading_level:
                parts = [line.text]
                level = line.heading_level
                i += 1
                while (
                    i < len(lines)
                    and (lines[i].heading_level or _wrapped_tail(lines[i - 1], lines[i]))
                    and not lines[i].in_table
                    and _same_heading(lines[i - 1], lines[i], layout.pitch)
                ):
                    parts.append(lines[i].text)
                    i += 1
                text = join_lines(parts, builder.d)
                if text.endswith(".") and len(text) > 80:  # a bold sentence, not a heading
                    builder.add(Block(BlockKind.PARAGRAPH, text, line.page))
                else:
                    builder.add(Block(BlockKind.HEADING, text, line.page, level))
            else:
                builder.line(line, layout.pitch, geometric, new_page)
                i += 1
            new_page = False
    builder.flush()
    return builder.blocks


def _wrapped_tail(prev: Line, line: Line) -> bool:
    """A lower-case bold line right under a bold heading is the rest of that heading."""
    return prev.bold and line.bold and line.text[:1].islower() and len(line.text) < 80


def _same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 10 for x, y in zip(a, b, strict=True))


def _same_heading(prev: Line, line: Line, pitch: float) -> bool:
    """The next line continues a wrapped heading: same font, close below, not its own number."""
    if _NUMBERED_HEADING.match(line.text) or line.bold != prev.bold:
        return False
    close = prev.base - line.base <= 1.5 * max(pitch, line.size)
    return close and abs(line.size - prev.size) < 0.5


# ---------------------------------------------------------------------------------------------
# Entry point


def _layout(path: Path) -> tuple[list[PageLayout], list[TocEntry], bool, list[str]]:
    warnings: list[str] = []
    try:
        pdf = _open_pdfium(path)
    except ExtractionError:
        raise
    except Exception:
        pages, toc = _read_pypdf(path)
        warnings.append("fallback: pypdf")
        return pages, toc, False, warnings
    try:
        return _read_pdfium(pdf), _read_toc(pdf), True, warnings
    finally:
        pdf.close()


def extract_pdf(path: Path) -> ExtractedDocument:
    """Extract a PDF into sections and passages (see module docstring for the approach)."""
    pages, toc, geometric, warnings = _layout(path)
    if not pages:
        raise ExtractionError("empty file", f"{path.name} has no pages")
    if not any(layout.lines for layout in pages):
        raise ExtractionError("no text layer: needs OCR", f"{path.name}: {len(pages)} page(s)")
    remove_page_furniture(pages)
    matched = mark_toc_headings(pages, toc) if toc else 0
    if matched < max(1, len(toc) // 2):
        if toc:
            warnings.append("outline did not match the text: headings from fonts")
            for layout in pages:
                for line in layout.lines:
                    line.heading_level = 0
        mark_styled_headings(pages)
    blocks = build_blocks(pages, geometric)
    doc = assemble(blocks, pages=len(pages), warnings=warnings)
    doc.metadata = detect_metadata(blocks)
    return doc


def iter_page_texts(path: Path) -> Iterator[str]:
    """Plain text per page, for quick checks and benchmarks."""
    pdf = _open_pdfium(path)
    try:
        for page in pdf:
            tp = page.get_textpage()
            yield tp.get_text_range()
            tp.close()
    finally:
        pdf.close()
