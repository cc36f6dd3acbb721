"""Ingest a corpus folder into the store, extracting only what changed.

A file is identified by (org_id, relpath) and its sha256: unchanged files cost one hash, changed
ones are re-extracted and their rows replaced in one transaction, removed ones are deleted.
Extraction runs in worker processes; only the main process writes to the database, so SQLite
never sees concurrent writers.
"""

from __future__ import annotations

import csv
import os
import socket
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from policyaudit import __version__
from policyaudit import extract as extract_pkg
from policyaudit.corpus import Corpus, CorpusFile, Problem, discover
from policyaudit.extract.model import ExtractedDocument, ExtractionError
from policyaudit.hashing import sha256_file, sha256_text
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


@dataclass(frozen=True)
class Limits:
    """Per-file limits: a file over either is refused with a problems.csv row, not extracted."""

    max_bytes: int = extract_pkg.MAX_BYTES
    max_pages: int = extract_pkg.MAX_PAGES

    @classmethod
    def from_options(cls, max_file_mb: float | None = None, max_pages: int | None = None) -> Limits:
        return cls(
            int(max_file_mb * 2**20) if max_file_mb is not None else extract_pkg.MAX_BYTES,
            max_pages if max_pages is not None else extract_pkg.MAX_PAGES,
        )

    @property
    def is_default(self) -> bool:
        return (self.max_bytes, self.max_pages) == (extract_pkg.MAX_BYTES, extract_pkg.MAX_PAGES)


def extract_safely(path: Path, limits: Limits | None = None) -> Outcome:
    """Run the extractor in a worker; any failure becomes a ``Failure`` so the run goes on."""
    try:
        if limits is None or limits.is_default:
            return extract_pkg.extract_document(path)
        extract_pkg.check_limits(path, limits.max_bytes, limits.max_pages)
        return extract_pkg.extract_document(path, limits.max_bytes, limits.max_pages)
    except ExtractionError as exc:
        return Failure(exc.problem, exc.detail)
    except Exception as exc:  # a bug or a pathological file must not stop the whole corpus
        return Failure("extraction failed", f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------------
# Executors: where extraction and judging tasks run. The main process always owns the database.


class ExecutorError(RuntimeError):
    """An executor that cannot start (dask missing, scheduler unreachable): one line for the CLI."""


Done = tuple[int, Any, BaseException | None]  # (index of the item, result, error)


class Executor(Protocol):
    """``map`` over picklable tasks, results in completion order; errors are returned, not raised,
    so one failed task never loses the others."""

    name: str
    workers: int

    def map_unordered(
        self, fn: Callable[..., Any], items: Sequence[Any], **kw: Any
    ) -> Iterator[Done]: ...

    def close(self) -> None: ...


def _in_process(fn: Callable[..., Any], items: Sequence[Any], kw: dict) -> Iterator[Done]:
    for i, item in enumerate(items):
        try:
            yield i, fn(item, **kw), None
        except Exception as exc:
            yield i, None, exc


class LocalExecutor:
    """A process pool on this machine, started once and reused by every stage of a run.

    It forks its workers on ``start()`` (or first use), which callers do before any thread or
    model session exists in the main process: a fork copies only the calling thread, so forking
    later could copy a lock some other thread holds. ``workers <= 1`` runs tasks in-process.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> LocalExecutor:
        if self.workers > 1 and self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
            self._pool.submit(int).result()  # forks every worker now
        return self

    def map_unordered(
        self, fn: Callable[..., Any], items: Sequence[Any], **kw: Any
    ) -> Iterator[Done]:
        if self.workers <= 1 or len(items) <= 1:
            yield from _in_process(fn, items, kw)
            return
        pool = self.start()._pool
        assert pool is not None
        futures = {pool.submit(fn, item, **kw): i for i, item in enumerate(items)}
        try:
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result(), None
                except Exception as exc:  # e.g. BrokenProcessPool after a worker crashed
                    yield futures[future], None, exc
        finally:
            for future in futures:
                future.cancel()
            if any(f.done() and isinstance(f.exception(), BrokenProcessPool) for f in futures):
                self.close()  # a crashed worker breaks the pool: the next map starts a new one

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Tasks on a Dask cluster (``dask.distributed``); workers must see the corpus at the same
    paths (a shared filesystem) and have policyaudit installed."""

    name = "dask"

    def __init__(self, scheduler: str) -> None:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise ExecutorError(
                "--executor dask needs dask.distributed: pip install 'policyaudit[dask]'"
            ) from exc
        try:
            self.client = Client(scheduler, timeout="20s")
        except Exception as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map_unordered(
        self, fn: Callable[..., Any], items: Sequence[Any], **kw: Any
    ) -> Iterator[Done]:
        from dask.distributed import as_completed as dask_completed

        if not items:
            return
        futures = self.client.map(fn, list(items), pure=False, **kw)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            try:
                yield index[future.key], future.result(), None
            except Exception as exc:
                yield index[future.key], None, exc
            future.release()

    def close(self) -> None:
        self.client.close()


def make_executor(kind: str = "local", scheduler: str | None = None, workers: int | None = None):
    """The executor named on the command line (``--executor local|dask --scheduler ADDRESS``)."""
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "dask":
        if not scheduler:
            raise ExecutorError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        return DaskExecutor(scheduler)
    raise ExecutorError(f"unknown executor '{kind}' (local or dask)")


def run_extraction(
    paths: list[Path],
    workers: int | None = None,
    executor: Executor | None = None,
    limits: Limits | None = None,
) -> Iterator[tuple[Path, Outcome]]:
    """Yield (path, outcome) as extractions finish, on ``executor`` (default: a local pool)."""
    own = executor is None
    executor = executor or LocalExecutor(workers).start()
    try:
        kw = {"limits": limits} if limits is not None else {}
        for i, outcome, error in executor.map_unordered(extract_safely, paths, **kw):
            if error is not None:
                outcome = Failure("extractor crashed", f"{type(error).__name__}: {error}")
            yield paths[i], outcome
    finally:
        if own:
            executor.close()


def _document_row(state: FileState, doc: ExtractedDocument) -> m.Document:
    path, meta = state.file.path, doc.metadata
    return m.Document(
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


def build_document(state: FileState, doc: ExtractedDocument) -> m.Document:
    """The ORM rows (document, sections, passages) for one extracted file."""
    row = _document_row(state, doc)
    ordinal = 0
    for index, section in enumerate(doc.sections):
        section_row = m.Section(**_section_values(index, section))
        row.sections.append(section_row)
        for passage in section.passages:
            passage_row = m.Passage(**_passage_values(ordinal, passage))
            section_row.passages.append(passage_row)
            row.passages.append(passage_row)
            ordinal += 1
    return row


def _section_values(index: int, section: Any) -> dict[str, Any]:
    return {
        "ordinal": index,
        "heading": section.heading,
        "level": section.level,
        "path": list(section.path),
        "page_start": section.page_start,
        "page_end": section.page_end,
    }


def _passage_values(ordinal: int, passage: Any) -> dict[str, Any]:
    return {
        "ordinal": ordinal,
        "text": passage.text,
        "start": passage.start,
        "end": passage.end,
        "page": passage.page,
        "kind": str(passage.kind),
        "text_hash": sha256_text(passage.text),
    }


def insert_document(session: Session, state: FileState, doc: ExtractedDocument) -> int:
    """Insert one extracted file with bulk statements: one row for the document, one
    ``executemany`` for its sections and one for its passages.

    Why: the ORM's unit of work spent more time on a large corpus's passages than extraction.
    """
    row = _document_row(state, doc)
    session.add(row)
    session.flush()
    sections = [dict(_section_values(i, s), document_id=row.id) for i, s in enumerate(doc.sections)]
    section_ids: list[int] = []
    if sections:
        stmt = insert(m.Section).returning(m.Section.id, sort_by_parameter_order=True)
        section_ids = list(session.scalars(stmt, sections))
    passages = []
    for section_id, section in zip(section_ids, doc.sections, strict=True):
        for passage in section.passages:
            values = _passage_values(len(passages), passage)
            passages.append(dict(values, document_id=row.id, section_id=section_id))
    if passages:
        session.execute(insert(m.Passage.__table__), passages)
    return row.id


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
    executor: Executor | None = None,
    limits: Limits | None = None,
) -> IngestReport:
    """Bring the store in line with ``corpus_dir``; write ``problems.csv`` into ``out_dir``.

    Each document is stored in its own transaction, so an interrupted ingest keeps what it
    finished and the next one extracts only the rest. Raises ``CorpusNotFoundError`` when the
    corpus folder is missing (exit status 2).
    """
    corpus = discover(Path(corpus_dir))
    workers = workers or (executor.workers if executor else None) or os.cpu_count() or 1
    engine = make_engine(to_url(db_url))
    mark_interrupted_runs(engine)
    run_id = start_run(engine, "ingest", corpus=str(corpus.root.resolve()), workers=workers)
    report = IngestReport(run_id=run_id)
    own = executor is None
    executor = executor or LocalExecutor(workers)
    try:
        _ingest(corpus, engine, executor, limits, progress, report)
    except BaseException as exc:
        _finish_run(engine, run_id, _end_status(exc), [])
        raise
    finally:
        if own:
            executor.close()
    _finish_run(engine, report.run_id, "complete", report.problems)
    if out_dir is not None:
        report.problems_csv = write_problems_csv(report.problems, Path(out_dir) / PROBLEMS_CSV)
    return report


def _end_status(exc: BaseException) -> str:
    return "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"


def start_run(engine: Engine, kind: str, **settings: Any) -> int:
    """Record a run as 'running', with what identifies its process so that a later start can
    tell a live run from one whose process was killed."""
    fields = {k: settings.pop(k) for k in list(settings) if k in _RUN_FIELDS}
    settings |= {"pid": os.getpid(), "host": socket.gethostname()}
    with session_scope(engine) as session:
        run = m.Run(
            kind=kind, engine_version=__version__, settings=settings, status="running", **fields
        )
        session.add(run)
        session.flush()
        return run.id


_RUN_FIELDS = ("corpus", "framework_id", "framework_version", "framework_hash")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted_runs(engine: Engine) -> int:
    """Mark runs left 'running' by a process of this host that no longer exists 'interrupted'.

    Runs of other hosts (workers sharing a PostgreSQL database) are left alone: their process
    cannot be checked from here. Returns how many were marked.
    """
    host = socket.gethostname()
    with session_scope(engine) as session:
        stale = [
            run
            for run in session.scalars(select(m.Run).where(m.Run.status == "running"))
            if (run.settings or {}).get("host") == host
            and isinstance((run.settings or {}).get("pid"), int)
            and run.settings["pid"] != os.getpid()
            and not _process_alive(run.settings["pid"])
        ]
        for run in stale:
            run.status = "interrupted"
            run.finished_at = datetime.now(UTC)
        return len(stale)


def _ingest(
    corpus: Corpus,
    engine: Engine,
    executor: Executor,
    limits: Limits | None,
    progress: bool,
    report: IngestReport,
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
    # largest first, so that the pool does not finish on one big straggler
    paths = [s.file.path for s in sorted(todo, key=lambda s: -s.size)]
    if todo and isinstance(executor, LocalExecutor):
        executor.start()  # fork the workers before the progress bar starts its thread
    outcomes = run_extraction(paths, executor=executor, limits=limits)
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
            select(
                m.Document.org_id, m.Document.relpath, m.Document.content_hash, m.Document.warnings
            )
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
    insert_document(session, state, outcome)
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
