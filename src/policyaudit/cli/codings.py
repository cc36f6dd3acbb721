"""``policyaudit codings``: move codings in and out of a review database.

CSV in the output contract's format (plus ``coder,note``) so coders can work in a spreadsheet or
another tool and bring the result back, and REFI-QDA (.qdpx) so the codebook and codings open in
NVivo, ATLAS.ti or MAXQDA.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from policyaudit.cli.common import existing_db_url, fail

app = typer.Typer(no_args_is_help=True, help="Import and export codings (CSV, REFI-QDA).")

RunOption = Annotated[
    int | None, typer.Option("--run", help="Audit run id (default: the latest audit run).")
]


def _run(engine, run_id: int | None):
    from policyaudit.report.rebuild import RunNotFoundError, select_run

    try:
        return select_run(engine, run_id)
    except RunNotFoundError as exc:
        fail(str(exc))


def _coder_codings(session, run_id: int, coder: str):
    """One coder's codings as contract rows, with the passage they chose as evidence."""
    from policyaudit.review.exchange import Coding
    from policyaudit.store import models as m
    from policyaudit.store.review_models import Coding as Stored

    rows = session.scalars(
        select(Stored).where(Stored.run_id == run_id, Stored.coder == coder)
    ).all()
    out = []
    for c in sorted(rows, key=lambda c: (c.org_id, c.standard_id)):
        passage = session.get(m.Passage, c.evidence_passage_id) if c.evidence_passage_id else None
        out.append(
            Coding(
                org_id=c.org_id,
                standard_id=c.standard_id,
                verdict=c.verdict,
                conflicts=c.conflicts,
                evidence_document=passage.document.stem if passage else "",
                evidence_page=passage.page if passage else None,
                evidence_section=" > ".join(passage.section.path) if passage else "",
                evidence_quote=passage.text[:400] if passage else "",
                coder=coder,
                note=c.note or None,
            )
        )
    return out


def _final_codings(engine, run_id: int):
    """Every cell's final verdict (consensus, else human, else engine) as contract rows."""
    from policyaudit.report.rebuild import stored_judgements
    from policyaudit.review.exchange import Coding

    out = []
    for j in sorted(stored_judgements(engine, run_id), key=lambda j: (j.org_id, j.standard_id)):
        ev, cf = j.evidence, j.conflict if j.conflicts else None
        out.append(
            Coding(
                org_id=j.org_id,
                standard_id=j.standard_id,
                verdict=j.verdict,
                conflicts=j.conflicts,
                confidence=j.confidence if j.source == "engine" else None,
                evidence_document=ev.document if ev else "",
                evidence_page=ev.page if ev else None,
                evidence_section=ev.section if ev else "",
                evidence_quote=ev.quote if ev else "",
                conflict_document=cf.document if cf else "",
                conflict_quote=cf.quote if cf else "",
                coder=None if j.source == "engine" else j.source,
            )
        )
    return out


@app.command("export")
def export_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL of an audit.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    coder: Annotated[
        str | None, typer.Option("--coder", help="One coder's codings (default: final verdicts).")
    ] = None,
    run: RunOption = None,
) -> None:
    """Write codings as CSV in the contract's columns, plus coder and note."""
    from policyaudit.review.exchange import write_codings
    from policyaudit.store.db import make_engine, session_scope

    engine = make_engine(existing_db_url(db))
    run_row = _run(engine, run)
    if coder is None:
        codings = _final_codings(engine, run_row.id)
    else:
        with session_scope(engine) as session:
            codings = _coder_codings(session, run_row.id, coder)
    write_codings(out, codings)
    typer.echo(f"{len(codings)} codings of run {run_row.id} written to {out}")


@app.command("import")
def import_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL of an audit.")],
    file: Annotated[Path, typer.Argument(help="CSV in the contract's columns.")],
    coder: Annotated[
        str | None,
        typer.Option("--coder", help="Whose codings these are (default: the file's coder column)."),
    ] = None,
    run: RunOption = None,
) -> None:
    """Record a CSV of codings as human codings of a run, each change in the audit trail.

    A cell the coder already coded is updated (its earlier value stays in the trail); the quote
    is matched to the organisation's passages to record the evidence passage where it is found.
    """
    from policyaudit.review.exchange import CodingFormatError, read_codings
    from policyaudit.review.service import CodingInput, ReviewError, get_coding, save_coding
    from policyaudit.store import models as m
    from policyaudit.store.db import make_engine, session_scope

    try:
        codings = read_codings(file)
    except (CodingFormatError, OSError) as exc:
        fail(str(exc))
    engine = make_engine(existing_db_url(db))
    run_row = _run(engine, run)
    saved = 0
    with session_scope(engine) as session:
        for c in codings:
            who = coder or c.coder
            if not who:
                fail(f"{file}: no coder for {c.org_id} {c.standard_id}: give --coder")
            passage_id = None
            if c.evidence_quote:
                passage_id = session.scalar(
                    select(m.Passage.id)
                    .join(m.Document)
                    .where(
                        m.Document.org_id == c.org_id,
                        m.Passage.text.contains(c.evidence_quote[:200]),
                    )
                    .limit(1)
                )
            current = get_coding(session, run_row.id, c.org_id, c.standard_id, who)
            data = CodingInput(c.verdict, c.conflicts, c.note or "", passage_id)
            try:
                save_coding(
                    session,
                    run_row.id,
                    c.org_id,
                    c.standard_id,
                    who,
                    data,
                    current.version if current else 0,
                    actor=who,
                )
            except ReviewError as exc:
                fail(f"{file}: {c.org_id} {c.standard_id}: {exc}")
            saved += 1
    typer.echo(f"{saved} codings recorded on run {run_row.id}")


@app.command("qdpx")
def qdpx_command(
    db: Annotated[str, typer.Argument(help="SQLite file or SQLAlchemy URL of an audit.")],
    out: Annotated[Path, typer.Option("--out", help=".qdpx file to write.")],
    run: RunOption = None,
) -> None:
    """Export the codebook (the framework) and every coder's codings as a REFI-QDA project.

    The engine's final verdicts are included as the coder "policyaudit", so a project opened in
    NVivo, ATLAS.ti or MAXQDA shows the automated coding beside the human ones.
    """
    from policyaudit.report.rebuild import run_framework
    from policyaudit.review.qdpx import QdpxDocument, export_qdpx, place_codings
    from policyaudit.store import models as m
    from policyaudit.store.db import make_engine, session_scope
    from policyaudit.store.review_models import Coding as Stored

    engine = make_engine(existing_db_url(db))
    run_row = _run(engine, run)
    loaded = run_framework(run_row)
    codings = [c if c.coder else _as_engine(c) for c in _final_codings(engine, run_row.id)]
    with session_scope(engine) as session:
        coders = sorted(
            set(session.scalars(select(Stored.coder).where(Stored.run_id == run_row.id)))
        )
        for name in coders:
            codings.extend(_coder_codings(session, run_row.id, name))
        docs = session.scalars(select(m.Document)).all()
        texts = {(d.org_id, d.stem): d.text for d in docs}
        documents = [
            QdpxDocument(f"{d.org_id}/{d.stem}", f"{d.org_id} {d.filename}", d.text) for d in docs
        ]
    placed, unplaced = place_codings(codings, texts)
    export_qdpx(
        out, loaded.framework, documents, placed, name=f"{loaded.framework.title}, run {run_row.id}"
    )
    typer.echo(
        f"{len(placed)} coded passages in {len(documents)} documents written to {out}"
        + (f"; {len(unplaced)} codings without a quote found in their document" if unplaced else "")
    )


def _as_engine(coding):
    from dataclasses import replace

    return replace(coding, coder="policyaudit")
