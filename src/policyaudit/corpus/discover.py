"""Find the organisations and documents of a corpus folder.

Discovery only looks at names and folders; it never opens a document, so it is cheap and its
problems (a listed organisation with no folder, an unsupported file) are known before extraction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ORGANISATIONS_CSV = "organisations.csv"

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


class CorpusNotFoundError(FileNotFoundError):
    """The corpus folder does not exist (or is not a folder): nothing can be audited."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"corpus folder not found: {path}")
        self.path = path


@dataclass(frozen=True, order=True)
class Problem:
    """An input that was skipped or degraded; ``file`` is relative to the corpus folder."""

    file: str
    problem: str
    detail: str = ""

    def line(self) -> str:
        """One-line human form, e.g. ``D03/scan.pdf: no text layer: needs OCR``."""
        return ": ".join(part for part in (self.file, self.problem, self.detail) if part)


@dataclass(frozen=True)
class CorpusFile:
    """A document file of one organisation; ``relpath`` is relative to the organisation folder."""

    org_id: str
    relpath: str
    path: Path

    @property
    def corpus_path(self) -> str:
        """The path relative to the corpus folder, as reports and problems.csv name files."""
        return f"{self.org_id}/{self.relpath}"


@dataclass
class Organisation:
    org_id: str
    folder: Path
    name: str | None = None
    region: str | None = None
    has_dedicated_policy_override: bool | None = None  # from organisations.csv, if given
    files: list[CorpusFile] = field(default_factory=list)


@dataclass
class Corpus:
    root: Path
    organisations: list[Organisation]
    problems: list[Problem]

    @property
    def files(self) -> list[CorpusFile]:
        return [f for org in self.organisations for f in org.files]


@dataclass(frozen=True)
class OrgListing:
    """One row of organisations.csv."""

    org_id: str
    name: str | None
    region: str | None
    has_dedicated_policy: bool | None


def parse_bool(value: str | None) -> bool | None:
    """Parse an override cell; empty means "no override". Raises ValueError on anything else."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def read_organisations_csv(path: Path) -> tuple[dict[str, OrgListing], list[Problem]]:
    """Read organisations.csv; bad rows become problems rather than aborting the run."""
    listings: dict[str, OrgListing] = {}
    problems: list[Problem] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:  # utf-8-sig: Excel writes a BOM
        reader = csv.DictReader(fh)
        if "org_id" not in (reader.fieldnames or []):
            return {}, [Problem(ORGANISATIONS_CSV, "invalid organisations.csv", "no org_id column")]
        for lineno, row in enumerate(reader, start=2):
            org_id = (row.get("org_id") or "").strip()
            if not org_id:
                continue
            if org_id in listings:
                problems.append(
                    Problem(ORGANISATIONS_CSV, "duplicate organisation", f"line {lineno}: {org_id}")
                )
                continue
            try:
                override = parse_bool(row.get("has_dedicated_policy"))
            except ValueError as exc:
                problems.append(
                    Problem(ORGANISATIONS_CSV, "invalid value", f"line {lineno}: {exc}")
                )
                override = None
            listings[org_id] = OrgListing(
                org_id=org_id,
                name=_blank_to_none(row.get("name")),
                region=_blank_to_none(row.get("region")),
                has_dedicated_policy=override,
            )
    return listings, problems


def _blank_to_none(value: str | None) -> str | None:
    return (value or "").strip() or None


def is_ignored(name: str) -> bool:
    """Hidden files and Office lock files (``~$report.docx``) are never documents."""
    return name.startswith(".") or name.startswith("~$")


def walk_files(folder: Path) -> Iterable[Path]:
    """All files below ``folder`` (recursively), skipping ignored names and hidden folders."""
    for entry in sorted(folder.iterdir()):
        if is_ignored(entry.name):
            continue
        if entry.is_dir():
            yield from walk_files(entry)
        elif entry.is_file():
            yield entry


def discover(corpus_dir: Path, suffixes: Iterable[str] | None = None) -> Corpus:
    """Discover organisations (every non-hidden sub-folder) and their documents.

    ``suffixes`` defaults to what the extractor supports (``policyaudit.extract``).
    """
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusNotFoundError(root)
    supported = {s.lower() for s in (suffixes if suffixes is not None else _extract_suffixes())}

    listings: dict[str, OrgListing] = {}
    problems: list[Problem] = []
    csv_path = root / ORGANISATIONS_CSV
    if csv_path.is_file():
        listings, problems = read_organisations_csv(csv_path)

    organisations: list[Organisation] = []
    for entry in sorted(root.iterdir()):
        if is_ignored(entry.name):
            continue
        if entry.is_file():
            if entry.name != ORGANISATIONS_CSV:
                problems.append(
                    Problem(entry.name, "not in an organisation folder", "file skipped")
                )
            continue
        org = _organisation(entry, listings.get(entry.name), supported, problems)
        organisations.append(org)

    found = {org.org_id for org in organisations}
    problems.extend(
        Problem(f"{org_id}/", "missing organisation folder", f"listed in {ORGANISATIONS_CSV}")
        for org_id in listings
        if org_id not in found
    )
    return Corpus(root=root, organisations=organisations, problems=problems)


def _organisation(
    folder: Path, listing: OrgListing | None, supported: set[str], problems: list[Problem]
) -> Organisation:
    org = Organisation(org_id=folder.name, folder=folder)
    if listing is not None:
        org.name = listing.name
        org.region = listing.region
        org.has_dedicated_policy_override = listing.has_dedicated_policy
    for path in walk_files(folder):
        relpath = path.relative_to(folder).as_posix()
        if path.suffix.lower() in supported:
            org.files.append(CorpusFile(org_id=org.org_id, relpath=relpath, path=path))
        else:
            problems.append(
                Problem(
                    f"{org.org_id}/{relpath}",
                    "unsupported format",
                    f"'{path.suffix or '(no extension)'}' is not one of "
                    + ", ".join(sorted(supported)),
                )
            )
    if not org.files:
        problems.append(
            Problem(f"{org.org_id}/", "no documents", "organisation has no readable files")
        )
    return org


def _extract_suffixes() -> frozenset[str]:
    """Read at call time so the extractor decides (e.g. .doc only where LibreOffice exists)."""
    from policyaudit import extract

    return frozenset(extract.SUPPORTED_SUFFIXES)
