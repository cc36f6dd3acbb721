"""Ingest a corpus folder into the store, extracting only what changed.

A file is identified by (org_id, relpath) and its sha256: unchanged files cost one hash, changed
ones are re-extracted and their rows replaced in one transaction, removed ones are deleted.
Extraction runs in worker processes; only the main process writes to the database, so SQLite
never sees concurrent writers.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from policyaudit import __version__
from policyaudit import extract as extract_pkg
from policyaudit.corpus import Corpus, CorpusFile, Problem, discover
from policyaudit.extract.model import ExtractedDocument, ExtractionError
from policyaudit.store import models as m
from policyaudit.store.db import make_engine, session_scope, to_url

EXIT_OK = 0
EXIT_PROBLEMS = 1  # some inputs were skipped or degraded; the rest was ingested
EXIT_NO_CORPUS = 2

PROBLEMS_CSV = "problems.csv"
PROBLEM_COLUMNS = ("file", "problem", "detail")


@dataclass
class IngestReport:
    """What one ingest did. ``seen`` == ``extracted`` + ``unchanged`` + ``failed``."""

    run_id: int
    seen: int = 0  # supported files found in the corpus
    extracted: int = 0  # extracted successfully this run (new or changed)
    unchanged: int = 0  # same content as stored: not extracted again
    replaced: int = 0  # of ``extracted``, those that replaced an older version
    failed: int = 0  # could not be extracted (each has a problem)
    removed: int = 0  # stored documents whose file is gone (or no longer readable)
    problems: list[Problem] = field(default_factory=list)
    problems_csv: Path | None = None

    @property
    def exit_status(self) -> int:
        return EXIT_PROBLEMS if self.problems else EXIT_OK


@dataclass(frozen=True)
class FileState:
    file: CorpusFile
    digest: str
    size: int


@dataclass(frozen=True)
class Failure:
    """A picklable extraction failure (ExtractionError itself does not round-trip pickling)."""

    problem: str
    detail: str


Outcome = ExtractedDocument | Failure


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def extract_safely(path: Path) -> Outcome:
    """Run the extractor in a worker; any failure becomes a ``Failure`` so the run goes on."""
    try:
        return extract_pkg.extract_document(path)
    except ExtractionError as exc:
        return Failure(exc.problem, exc.detail)
    except Exception as exc:  # a bug or a pathological file must not stop the whole corpus
        return Failure("extraction failed", f"{type(exc).__name__}: {exc}")


def run_extraction(paths: list[Path], workers: int) -> Iterator[tuple[Path, Outcome]]:
    """Yield (path, outcome) as extractions finish; ``workers <= 1`` stays in-process.

    Worker processes start here, before the caller starts its progress-bar thread, so that
    forking never copies a process that is running other threads.
    """
    if workers <= 1 or len(paths) <= 1:
        return ((path, extract_safely(path)) for path in paths)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(paths)))
    futures = {pool.submit(extract_safely, path): path for path in paths}
    return _as_completed(pool, futures)


def _as_completed(
    pool: ProcessPoolExecutor, futures: dict[Future[Outcome], Path]
) -> Iterator[tuple[Path, Outcome]]:
    with pool:
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # e.g. BrokenProcessPool after a worker crashed
                outcome = Failure("extractor crashed", f"{type(exc).__name__}: {exc}")
            yield futures[future], outcome


def build_document(state: FileState, doc: ExtractedDocument) -> m.Document:
    """The ORM rows (document, sections, passages) for one extracted file."""
    path, meta = state.file.path, doc.metadata
    row = m.Document(
        org_id=state.file.org_id,
        relpath=state.file.relpath,
        filename=path.name,
        stem=path.stem,
        format=path.suffix.lower().lstrip("."),
        content_hash=state.digest,
        size=state.size,
        pages=doc.pages,
        words=doc.words,
        n_sections=len(doc.sections),
        text=doc.text,
        title=meta.title,
        reference=meta.reference,
        version=meta.version,
        approval_date=meta.approval_date,
        review_date=meta.review_date,
        referenced_documents=list(meta.referenced_documents),
        warnings=list(doc.warnings),
    )
    ordinal = 0
    for index, section in enumerate(doc.sections):
        section_row = m.Section(
            ordinal=index,
            heading=section.heading,
            level=section.level,
            path=list(section.path),
            page_start=section.page_start,
            page_end=section.page_end,
        )
        row.sections.append(section_row)
        for passage in section.passages:
            passage_row = m.Passage(
                ordinal=ordinal,
                text=passage.text,
                start=passage.start,
                end=passage.end,
                page=passage.page,
                kind=str(passage.kind),
                text_hash=sha256_text(passage.text),
            )
            section_row.passages.append(passage_row)
            row.passages.append(passage_row)
            ordinal += 1
    return row


def duplicate_problems(paths_by_hash: dict[str, list[str]]) -> list[Problem]:
    """Identical files at different paths (typically in two organisations): both are kept."""
    problems = []
    for paths in paths_by_hash.values():
        for path in paths:
            others = [p for p in paths if p != path]
            if others:
                problems.append(
                    Problem(path, "duplicate content", "same content as " + ", ".join(others))
                )
    return problems


def degraded_problems(warnings_by_path: dict[str, list[str]]) -> list[Problem]:
    """Documents that were extracted, but with a fallback or a guess worth a human's look."""
    return [
        Problem(path, "degraded", "; ".join(warnings))
        for path, warnings in warnings_by_path.items()
        if warnings
    ]


def write_problems_csv(problems: Iterable[Problem], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(PROBLEM_COLUMNS)
        writer.writerows((p.file, p.problem, p.detail) for p in problems)
    return path


def ingest(
    corpus_dir: Path,
    db_url: str | Path,
    workers: int | None = None,
    progress: bool = True,
    out_dir: Path | None = None,
) -> IngestReport:
    """Bring the store in line with ``corpus_dir``; write ``problems.csv`` into ``out_dir``.

    Raises ``CorpusNotFoundError`` when the corpus folder is missing (exit status 2).
    """
    corpus = discover(Path(corpus_dir))
    workers = workers or os.cpu_count() or 1
    engine = make_engine(to_url(db_url))
    with session_scope(engine) as session:
        run = m.Run(
            kind="ingest",
            corpus=str(corpus.root.resolve()),
            engine_version=__version__,
            settings={"workers": workers},
            status="running",
        )
        session.add(run)
        session.flush()
        report = IngestReport(run_id=run.id)
    try:
        _ingest(corpus, engine, workers, progress, report)
    except BaseException:
        _finish_run(engine, report.run_id, "failed", [])
        raise
    _finish_run(engine, report.run_id, "complete", report.problems)
    if out_dir is not None:
        report.problems_csv = write_problems_csv(report.problems, Path(out_dir) / PROBLEMS_CSV)
    return report


def _ingest(
    corpus: Corpus, engine: Engine, workers: int, progress: bool, report: IngestReport
) -> None:
    problems = list(corpus.problems)
    states: list[FileState] = []
    for file in corpus.files:
        try:
            states.append(FileState(file, sha256_file(file.path), file.path.stat().st_size))
        except OSError as exc:
            problems.append(Problem(file.corpus_path, "unreadable file", str(exc)))
    report.seen = len(corpus.files)
    report.failed = report.seen - len(states)

    current = {s.file.corpus_path for s in states}
    with session_scope(engine) as session:
        stored = _stored_hashes(session)
        gone = [doc_id for path, (doc_id, _) in stored.items() if path not in current]
        report.removed += _delete_documents(session, gone)
        _sync_organisations(session, corpus)

    todo = [s for s in states if stored.get(s.file.corpus_path, (None, None))[1] != s.digest]
    report.unchanged = len(states) - len(todo)
    by_path = {s.file.path: s for s in todo}
    outcomes = run_extraction([s.file.path for s in todo], workers)
    with _progress_bar(progress, len(todo)) as advance:
        for path, outcome in outcomes:
            state = by_path[path]
            old = stored.get(state.file.corpus_path)
            with session_scope(engine) as session:
                problem = _store_outcome(session, state, old[0] if old else None, outcome, report)
            if problem is not None:
                problems.append(problem)
            advance()

    report.problems = sorted(problems + _stored_document_problems(engine))


def _stored_document_problems(engine: Engine) -> list[Problem]:
    """Duplicates and degraded extractions over all stored documents, changed this run or not."""
    with session_scope(engine) as session:
        docs = session.execute(
            select(m.Document.org_id, m.Document.relpath, m.Document.content_hash,
                   m.Document.warnings)
        ).all()
    paths_by_hash: dict[str, list[str]] = defaultdict(list)
    for org_id, relpath, digest, _ in docs:
        paths_by_hash[digest].append(f"{org_id}/{relpath}")
    warnings = {f"{org_id}/{relpath}": w or [] for org_id, relpath, _, w in docs}
    return duplicate_problems(paths_by_hash) + degraded_problems(warnings)


def _store_outcome(
    session: Session, state: FileState, old_id: int | None, outcome: Outcome, report: IngestReport
) -> Problem | None:
    """Replace a file's stored version by its new extraction, within the caller's transaction.

    A file that no longer extracts loses its old rows too: their text is stale.
    """
    if old_id is not None:
        _delete_documents(session, [old_id])
    if isinstance(outcome, Failure):
        report.failed += 1
        report.removed += int(old_id is not None)
        return Problem(state.file.corpus_path, outcome.problem, outcome.detail)
    session.add(build_document(state, outcome))
    report.extracted += 1
    report.replaced += int(old_id is not None)
    return None


def _sync_organisations(session: Session, corpus: Corpus) -> None:
    """Upsert discovered organisations and drop those whose folder is gone.

    Runs after the documents of vanished files (hence of vanished folders) were deleted.
    """
    rows = {o.org_id: o for o in session.scalars(select(m.Organisation))}
    for org in corpus.organisations:
        row = rows.pop(org.org_id, None) or m.Organisation(org_id=org.org_id)
        row.name = org.name
        row.region = org.region
        row.has_dedicated_policy_override = org.has_dedicated_policy_override
        session.add(row)
    for row in rows.values():
        session.delete(row)


def _stored_hashes(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(
        select(m.Document.org_id, m.Document.relpath, m.Document.id, m.Document.content_hash)
    )
    return {f"{org_id}/{relpath}": (doc_id, digest) for org_id, relpath, doc_id, digest in rows}


def _delete_documents(session: Session, doc_ids: list[int]) -> int:
    """Delete documents; their sections and passages go by ON DELETE CASCADE."""
    if not doc_ids:
        return 0
    session.execute(delete(m.Document).where(m.Document.id.in_(doc_ids)))
    return len(doc_ids)


def _finish_run(engine: Engine, run_id: int, status: str, problems: list[Problem]) -> None:
    with session_scope(engine) as session:
        run = session.get_one(m.Run, run_id)
        run.status = status
        run.finished_at = datetime.now(UTC)
        session.add_all(
            m.ProblemRow(run_id=run_id, file=p.file, problem=p.problem, detail=p.detail)
            for p in problems
        )


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[], None]]:
    """Yield an ``advance()`` callback driving a rich progress bar (a no-op when disabled)."""
    if not enabled or total == 0:
        yield lambda: None
        return
    with Progress(
        TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("extracting", total=total)
        yield lambda: bar.advance(task)
