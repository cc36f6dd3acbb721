"""``policyaudit audit``: ingest, judge every organisation x standard, write the outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from policyaudit.cli.common import (
    MaxFileMbOption,
    MaxPagesOption,
    ProgressOption,
    SchedulerOption,
    fail,
)
from policyaudit.corpus import CorpusNotFoundError
from policyaudit.corpus.ingest import EXIT_NO_CORPUS
from policyaudit.framework.loader import FrameworkError


def _rejudge(url: str, model: str, threshold: float, framework):
    """An external judge for low-confidence cells (off unless --judge-url is given)."""
    from policyaudit.assess.llm import OpenAICompatibleJudge, rejudge_low_confidence

    judge = OpenAICompatibleJudge(url, model)
    standards = {s.id: s for s in framework.standards}

    def run(judgements, orgs) -> int:
        by_org = {o.org_id: o for o in orgs}

        def passages_for(j):
            org = by_org[j.org_id]
            ids = [e.passage_id for e in j.nearest] + [
                f.evidence.passage_id for f in j.elements if f.evidence
            ]
            by_id = {p.id: p for p in org.passages}
            return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

        return rejudge_low_confidence(judgements, standards, passages_for, judge, threshold)

    return run


def audit_command(
    corpus: Annotated[
        Path | None,
        typer.Argument(help="Corpus folder (one sub-folder per organisation). Default: the demo."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLite file or SQLAlchemy URL (default: OUT/audit.sqlite)."),
    ] = None,
    framework: Annotated[
        str | None,
        typer.Option("--framework", help="Built-in framework id or a framework YAML file."),
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1)] = None,
    semantic: Annotated[
        bool,
        typer.Option("--semantic/--lexical", help="Rank evidence with the offline embedder."),
    ] = True,
    judge_url: Annotated[
        str | None,
        typer.Option("--judge-url", help="OpenAI-compatible endpoint for low-confidence cells."),
    ] = None,
    judge_model: Annotated[str, typer.Option("--judge-model")] = "llama3.1",
    judge_below: Annotated[float, typer.Option("--judge-below", min=0.0, max=1.0)] = 0.6,
    progress: ProgressOption = True,
    executor: Annotated[
        str,
        typer.Option("--executor", help="Where extraction and judging run: local or dask."),
    ] = "local",
    scheduler: SchedulerOption = None,
    max_file_mb: MaxFileMbOption = None,
    max_pages: MaxPagesOption = None,
) -> None:
    """Audit every organisation against the framework and write the report files.

    Exit status: 0 done, 1 done but some input files were skipped, 2 nothing could be audited.
    """
    from policyaudit.assess.audit import audit
    from policyaudit.framework.loader import load_framework
    from policyaudit.report.rebuild import write_audit_outputs
    from policyaudit.report.terminal import print_terminal_summary

    if corpus is None:
        from policyaudit.demo import corpus_path

        corpus = corpus_path()
    db = db or str(out / "audit.sqlite")
    try:
        loaded = load_framework(framework)
    except FrameworkError as exc:
        fail(str(exc).replace("\n", "; "))
    rejudge = _rejudge(judge_url, judge_model, judge_below, loaded.framework) if judge_url else None
    from policyaudit.corpus.ingest import ExecutorError, Limits, make_executor

    limits = Limits.from_options(max_file_mb, max_pages)
    try:
        pool = make_executor(executor, scheduler, workers)
    except ExecutorError as exc:
        fail(str(exc))
    try:
        result = audit(corpus, db, framework, workers, semantic, progress, rejudge, pool, limits)
    except CorpusNotFoundError as exc:
        fail(str(exc), EXIT_NO_CORPUS)
    finally:
        pool.close()
    for problem in result.problems:
        typer.echo(problem.line(), err=True)
    paths = write_audit_outputs(out, loaded, result, db, corpus)
    console = Console()
    print_terminal_summary(console, loaded.framework, result.judgements, _summaries(result))
    console.print(
        f"{len(result.organisations)} organisations x {len(loaded.framework.standards)} standards"
        f" ({result.judged} judged, {len(result.judgements) - result.judged} from cache); "
        f"outputs in {out}: {', '.join(p.name for p in paths.values())}"
    )
    if not result.organisations:
        raise typer.Exit(2)
    raise typer.Exit(1 if result.problems else 0)


def _summaries(result):
    from policyaudit.report.outputs import summarise_organisation

    by_org = {}
    for j in result.judgements:
        by_org.setdefault(j.org_id, []).append(j)
    return [
        summarise_organisation(a, by_org.get(a.org_id, []), o.name, o.n_documents)
        for a, o in zip(result.attributes, result.organisations, strict=True)
    ]
