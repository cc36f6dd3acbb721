"""Codings as CSV in the judgements.csv contract, so human coders and the engine swap files.

A coder's file uses the contract's columns, in order, plus ``coder`` and ``note`` at the end (the
contract allows additions at the end only). Reading is lenient about what spreadsheets do to a
file (a BOM, ``TRUE``/``FALSE``, extra columns such as the engine's ``rationale``, absent optional
columns as in the gold files) and strict about what changes meaning: an unknown verdict, a
confidence outside [0, 1], a cell coded twice. Every error names the file, the line and the
problem, because the person fixing it has the file open in a spreadsheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from policyaudit.assess.types import VERDICTS as ENGINE_VERDICTS
from policyaudit.report.tables import CONTRACT_COLUMNS

VERDICTS: tuple[str, ...] = ENGINE_VERDICTS
EXCHANGE_COLUMNS: tuple[str, ...] = (*CONTRACT_COLUMNS, "coder", "note")
REQUIRED_COLUMNS: tuple[str, ...] = ("org_id", "standard_id", "verdict", "conflicts")

_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n", ""})


class CodingFormatError(ValueError):
    """A codings file that cannot be read; ``str()`` is one line: ``file:line: problem``."""

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        self.path, self.problem, self.line = Path(path), problem, line
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Coding:
    """One coder's verdict on one organisation x standard cell, with its evidence."""

    org_id: str
    standard_id: str
    verdict: str
    conflicts: bool = False
    confidence: float | None = None
    evidence_document: str = ""
    evidence_page: int | None = None
    evidence_section: str = ""
    evidence_quote: str = ""
    conflict_document: str = ""
    conflict_quote: str = ""
    coder: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.org_id or not self.standard_id:
            raise ValueError("org_id and standard_id must not be empty")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside [0, 1]")
        if self.evidence_page is not None and self.evidence_page < 1:
            raise ValueError(f"evidence_page {self.evidence_page} is not a 1-based page")

    @property
    def cell(self) -> tuple[str, str]:
        return (self.org_id, self.standard_id)


# --- parsing one field -----------------------------------------------------------------------


def parse_bool(value: str, column: str) -> bool:
    """``true``/``false`` per the contract; also what spreadsheets write (TRUE, 1); empty = no."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column} {value!r} is not true or false")


def parse_verdict(value: str) -> str:
    """A contract verdict; case and surrounding spaces are forgiven, anything else is not."""
    text = value.strip().lower()
    if text not in VERDICTS:
        raise ValueError(f"verdict {value!r} is not one of {', '.join(VERDICTS)}")
    return text


def parse_confidence(value: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"confidence {value!r} is not a number") from None


def parse_page(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"evidence_page {value!r} is not a whole number") from None


def _optional(value: str | None) -> str | None:
    return value if value else None


def coding_from_row(row: Mapping[str, str | None]) -> Coding:
    """One CSV row (column -> text) as a Coding; ValueError with the problem otherwise."""
    if None in row:  # DictReader's key for fields beyond the header
        raise ValueError("more fields than the header has columns")

    def text(column: str) -> str:
        value = row.get(column)
        return value if value is not None else ""

    for column in REQUIRED_COLUMNS:
        if row.get(column) is None:
            raise ValueError(f"no value for {column} (fewer fields than the header)")
    return Coding(
        org_id=text("org_id").strip(),
        standard_id=text("standard_id").strip(),
        verdict=parse_verdict(text("verdict")),
        conflicts=parse_bool(text("conflicts"), "conflicts"),
        confidence=parse_confidence(text("confidence")),
        evidence_document=text("evidence_document"),
        evidence_page=parse_page(text("evidence_page")),
        evidence_section=text("evidence_section"),
        evidence_quote=text("evidence_quote"),
        conflict_document=text("conflict_document"),
        conflict_quote=text("conflict_quote"),
        coder=_optional(text("coder").strip()),
        note=_optional(text("note")),
    )


def coding_row(coding: Coding) -> list[str]:
    """A Coding as a row in EXCHANGE_COLUMNS order (the inverse of coding_from_row)."""
    return [
        coding.org_id,
        coding.standard_id,
        coding.verdict,
        "true" if coding.conflicts else "false",
        "" if coding.confidence is None else repr(coding.confidence),
        coding.evidence_document,
        "" if coding.evidence_page is None else str(coding.evidence_page),
        coding.evidence_section,
        coding.evidence_quote,
        coding.conflict_document,
        coding.conflict_quote,
        coding.coder or "",
        coding.note or "",
    ]


# --- files -----------------------------------------------------------------------------------


def _check_header(path: Path, header: list[str] | None) -> None:
    if not header:
        raise CodingFormatError(path, "empty file: expected a header row", 1)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CodingFormatError(path, f"missing column(s) {', '.join(missing)}", 1)
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise CodingFormatError(path, f"duplicate column(s) {', '.join(dupes)}", 1)


def _first_line(last_line: int, row: Mapping[str | None, object]) -> int:
    """The line a record starts on: csv reports where it ends, and a quoted field may span lines."""
    values = [v for v in row.values() if isinstance(v, str)]
    extra = [v for v in row.get(None) or [] if isinstance(v, str)]  # type: ignore[union-attr]
    return last_line - sum(v.count("\n") for v in values + extra)


def read_codings(path: Path) -> list[Coding]:
    """Read a codings CSV (contract format, gold format, or an exchange file with coder/note).

    A cell may appear once per coder: a second row for the same (org_id, standard_id, coder)
    is an error, since silently keeping either would change the agreement figures.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            _check_header(path, reader.fieldnames and list(reader.fieldnames))
            codings: list[Coding] = []
            first_line: dict[tuple[str, str, str | None], int] = {}
            for row in reader:
                line = _first_line(reader.line_num, row)
                try:
                    coding = coding_from_row(row)
                except ValueError as exc:
                    raise CodingFormatError(path, str(exc), line) from None
                key = (coding.org_id, coding.standard_id, coding.coder)
                if key in first_line:
                    twice = f"{coding.org_id} x {coding.standard_id} coded twice"
                    raise CodingFormatError(path, f"{twice} (also line {first_line[key]})", line)
                first_line[key] = line
                codings.append(coding)
    except FileNotFoundError:
        raise CodingFormatError(path, "no such file") from None
    except IsADirectoryError:
        raise CodingFormatError(path, "is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise CodingFormatError(path, f"not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise CodingFormatError(path, f"not a readable CSV file ({exc})") from None
    return codings


def write_codings(path: Path, codings: Iterable[Coding]) -> Path:
    """Write codings with the contract's columns, in order, then ``coder`` and ``note``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXCHANGE_COLUMNS)
        writer.writerows(coding_row(c) for c in codings)
    return path


def verdicts_by_cell(codings: Iterable[Coding]) -> dict[tuple[str, str], str]:
    """(org_id, standard_id) -> verdict, the input of ``analysis.agreement.agreement_report``.

    Raises ValueError when a cell holds more than one coder's verdict: split by coder first.
    """
    out: dict[tuple[str, str], str] = {}
    for c in codings:
        if c.cell in out:
            raise ValueError(f"{c.org_id} x {c.standard_id} has more than one coding")
        out[c.cell] = c.verdict
    return out
