"""``policyaudit frameworks``: list, show, validate, scaffold and test framework files.

Framework authors write YAML; these commands let them start from a working file, check it, see
how the engine will read it, and measure it against a few hand-coded organisations before
running an audit. Errors are one line each (file:line: what), never tracebacks.
"""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policyaudit.framework.loader import (
    FrameworkError,
    LoadedFramework,
    builtin_paths,
    load_framework,
)
from policyaudit.framework.schema import Cue, Element, Standard

if TYPE_CHECKING:
    from policyaudit.assess.evaluate import Accuracy

EXIT_INVALID = 1
EXIT_UNUSABLE = 2  # no corpus, no gold, an existing file in the way

app = typer.Typer(
    name="frameworks",
    no_args_is_help=True,
    add_completion=False,
    help="List, show, validate, scaffold and test frameworks of standards.",
)


def _fail_lines(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """A FrameworkError may hold several validation errors: one ``error:`` line each."""
    for line in message.splitlines() or [message]:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


def _load(name_or_path: str | Path) -> LoadedFramework:
    try:
        return load_framework(name_or_path)
    except FrameworkError as exc:
        _fail_lines(str(exc))
    except OSError as exc:  # unreadable file: still one line
        _fail_lines(f"{name_or_path}: {exc.strerror or exc}")


def met_rule(standard: Standard) -> str:
    """The met sets as a reader says them: ``a + b or c``."""
    return " or ".join(" + ".join(group) for group in standard.met)


def cue_text(cue: Cue) -> str:
    return cue if isinstance(cue, str) else "all of: " + "  &  ".join(cue)


@app.command("list")
def list_command() -> None:
    """The built-in frameworks: id, title, version, number of standards and file."""
    table = Table(title="built-in frameworks")
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("version", no_wrap=True)
    table.add_column("standards", justify="right", no_wrap=True)
    table.add_column("path", overflow="fold")
    broken = []
    for name, path in builtin_paths().items():
        try:
            loaded = load_framework(path)
        except FrameworkError as exc:
            broken.append(str(exc).splitlines()[0])
            table.add_row(escape(name), "[red]invalid[/]", "", "", escape(str(path)))
            continue
        fw = loaded.framework
        table.add_row(
            escape(fw.id),
            escape(fw.title),
            escape(fw.version),
            str(len(fw.standards)),
            escape(str(path)),
        )
    Console().print(table)
    if broken:
        _fail_lines("\n".join(broken))


@app.command("show")
def show_command(
    framework: Annotated[
        str, typer.Argument(metavar="ID_OR_FILE", help="A built-in framework id or a YAML file.")
    ],
    standard: Annotated[
        str | None,
        typer.Option(
            "--standard", "-s", help="Print one standard's criteria and elements in full."
        ),
    ] = None,
) -> None:
    """The standards of a framework, or one standard in full."""
    loaded = _load(framework)
    fw = loaded.framework
    if standard is None:
        Console().print(standards_table(loaded))
        return
    try:
        std = fw.standard(standard)
    except KeyError:
        known = ", ".join(s.id for s in fw.standards)
        _fail_lines(f"{fw.id}: no standard {standard!r} (standards: {known})", code=2)
    typer.echo("\n".join(standard_lines(std)))


def standards_table(loaded: LoadedFramework) -> Table:
    fw = loaded.framework
    table = Table(title=escape(f"{fw.id} {fw.version}: {fw.title} ({len(fw.standards)} standards)"))
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("NICE refs")
    table.add_column("elements")
    table.add_column("met when")
    for s in fw.standards:
        table.add_row(
            escape(s.id),
            escape(s.title),
            escape("; ".join(s.nice_refs)),
            escape(", ".join(e.id for e in s.elements)),
            escape(met_rule(s)),
        )
    return table


def element_lines(element: Element, indent: str = "  ") -> list[str]:
    """Everything that decides whether an element is found, in the file's own terms."""
    lines = [f"{indent}{element.id}: {element.description} (negation: {element.negation})"]
    fields = (
        ("cue", [cue_text(c) for c in element.cues]),
        ("exclude", element.exclude),
        ("context", element.context),
        ("sentence context", element.sentence_context),
        ("example", element.examples),
    )
    for label, values in fields:
        lines += [f"{indent}  {label}: {v}" for v in values]
    return lines


def standard_lines(std: Standard) -> list[str]:
    """One standard in full, as plain text (regexes would be mangled by rich markup)."""
    c = std.criteria
    lines = [f"{std.id} {std.title}"]
    if std.nice_refs:
        lines.append(f"NICE: {'; '.join(std.nice_refs)}")
    lines += ["", "Criteria", f"  met: {c.met}"]
    if c.partial:
        lines.append(f"  partial: {c.partial}")
    lines.append(f"  not met: {c.not_met}")
    if c.conflicts:
        lines.append(f"  conflicts: {c.conflicts}")
    lines += [
        "",
        f"Retrieval query: {std.retrieval_query}",
        f"Elements found together within: {std.together}",
        "",
        "Elements",
    ]
    for element in std.elements:
        lines += element_lines(element)
    lines += [
        "",
        "Rules",
        f"  met when: {met_rule(std)}",
        f"  partial when any of: {', '.join(std.partial) or '(none)'}",
    ]
    if std.conflicts:
        lines += ["", "Conflicts (any one found sets conflicts = true)"]
        for element in std.conflicts:
            lines += element_lines(element)
    return lines


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="The framework YAML file to check.")],
) -> None:
    """Check a framework file; errors name the file and line. Exit 1 if it is invalid."""
    loaded = _load(file)
    fw = loaded.framework
    typer.echo(f"ok: {len(fw.standards)} standards, version {fw.version}, sha256 {loaded.sha256}")


@app.command("new")
def new_command(
    name: Annotated[
        str, typer.Argument(help="The framework id: lower case letters, digits, - and _.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: NAME.yaml here).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The framework's title.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new framework file with one working, fully commented example standard."""
    from policyaudit.framework.scaffold import ScaffoldError, scaffold

    try:
        text = scaffold(name, title)
    except ScaffoldError as exc:
        _fail_lines(str(exc), code=EXIT_UNUSABLE)
    path = out or Path(f"{name}.yaml")
    if path.exists() and not force:
        _fail_lines(f"{path}: already exists (use --force to overwrite it)", code=EXIT_UNUSABLE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    loaded = _load(path)  # the template must always validate; fail loudly if it ever does not
    typer.echo(
        f"wrote {path}: {len(loaded.framework.standards)} example standard; next: "
        f"policyaudit frameworks validate {path}"
    )


@app.command("test")
def test_command(
    framework: Annotated[
        str, typer.Argument(metavar="ID_OR_FILE", help="A built-in framework id or a YAML file.")
    ],
    corpus: Annotated[Path, typer.Argument(help="Corpus folder: one sub-folder per organisation.")],
    gold: Annotated[
        Path,
        typer.Argument(
            help="Folder with the hand-coded judgements.csv (org_id,standard_id,verdict,"
            "conflicts) and optionally organisations.csv."
        ),
    ],
    semantic: Annotated[
        bool,
        typer.Option("--semantic/--lexical", help="Rank evidence with the offline embedder."),
    ] = False,
    show: Annotated[
        int, typer.Option("--show", min=0, help="Print up to N disagreements with their quotes.")
    ] = 0,
) -> None:
    """Audit CORPUS with the framework and print its agreement with hand-coded GOLD labels.

    Only the gold cells of this framework's standards and of the corpus's organisations are
    scored, so a few hand-coded organisations are enough to tune a standard's cues.
    """
    from policyaudit.assess.evaluate import measure
    from policyaudit.corpus import CorpusNotFoundError, discover

    loaded = _load(framework)
    fw = loaded.framework
    try:
        org_ids = {o.org_id for o in discover(corpus).organisations}
    except CorpusNotFoundError as exc:
        _fail_lines(str(exc), code=EXIT_UNUSABLE)
    gold_file = gold / "judgements.csv"
    if not gold_file.is_file():
        _fail_lines(f"{gold_file}: no such file (the hand-coded judgements)", code=EXIT_UNUSABLE)
    standard_ids = {s.id for s in fw.standards}
    with tempfile.TemporaryDirectory() as tmp:
        kept, ignored = _scored_gold(gold, Path(tmp), standard_ids, org_ids)
        if not kept:
            _fail_lines(
                f"{gold_file}: no rows for this framework's standards "
                f"({', '.join(sorted(standard_ids))}) and this corpus's organisations",
                code=EXIT_UNUSABLE,
            )
        acc = measure(corpus, Path(tmp), loaded.path, semantic=semantic)
    typer.echo("\n".join(agreement_lines(acc, fw.id, fw.version, loaded.sha256, show)))
    coded = {row.standard_id for row in acc.per_standard}
    uncoded = [s.id for s in fw.standards if s.id not in coded]
    if uncoded:
        typer.echo(f"not scored (no hand-coded cells): {', '.join(uncoded)}")
    if ignored:
        typer.echo(f"ignored {ignored} gold rows for other standards or organisations")


def _scored_gold(
    gold: Path, dest: Path, standard_ids: set[str], org_ids: set[str]
) -> tuple[int, int]:
    """Copy the gold rows this framework and corpus can be scored on into ``dest``.

    ``measure`` expects every gold cell to have been judged; an author's gold folder often
    holds more (another framework's standards, organisations left out of a small test corpus).
    """
    with (gold / "judgements.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    kept = [r for r in rows if r.get("standard_id") in standard_ids and r.get("org_id") in org_ids]
    with (dest / "judgements.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    orgs_file = gold / "organisations.csv"
    if orgs_file.is_file():
        with orgs_file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            org_fields = list(reader.fieldnames or [])
            org_rows = [r for r in reader if r.get("org_id") in org_ids]
        with (dest / "organisations.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=org_fields)
            writer.writeheader()
            writer.writerows(org_rows)
    return len(kept), len(rows) - len(kept)


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def agreement_lines(acc: Accuracy, fw_id: str, version: str, sha256: str, show: int) -> list[str]:
    """Per-standard agreement, then the overall figures: what an author tunes against."""
    k3, km = acc.kappa3, acc.kappa_met
    conflict_changes: dict[str, list[str]] = {}
    for g, j in acc.disagreements:
        if g.conflicts != j.conflicts:
            conflict_changes.setdefault(g.standard_id, []).append(
                f"{g.org_id}:conflicts {str(g.conflicts).lower()}->{str(j.conflicts).lower()}"
            )
    lines = [
        f"{fw_id} {version} (sha256 {sha256[:12]}): {acc.n} hand-coded cells",
        "",
        "standard   n  agree  kappa  disagreements (org:gold->engine)",
    ]
    for row in acc.per_standard:
        notes = " ".join(row.confusions + conflict_changes.get(row.standard_id, []))
        lines.append(
            f"{row.standard_id:<8} {row.n:>3}  {_fmt(row.agreement):>5}  {_fmt(row.kappa):>5}  "
            f"{notes}".rstrip()
        )
    lines += [
        "",
        f"overall kappa 3-class {_fmt(k3.kappa, 3)} [{_fmt(k3.low, 3)}, {_fmt(k3.high, 3)}]; "
        f"met vs not {_fmt(km.kappa, 3)}; accuracy {_fmt(acc.accuracy, 3)}; "
        f"conflicts F1 {_fmt(acc.conflicts_f1, 3)}",
    ]
    for g, j in acc.disagreements[:show]:
        lines += [
            "",
            f"- {g.org_id} {g.standard_id}: gold {g.verdict}{' +conflicts' if g.conflicts else ''}"
            f", engine {j.verdict}{' +conflicts' if j.conflicts else ''} ({j.rationale})",
        ]
        if g.evidence_quote:
            lines.append(f"    gold   [{g.evidence_document}] {g.evidence_quote[:200]}")
        if j.evidence:
            lines.append(f"    engine [{j.evidence.document}] {j.evidence.quote[:200]}")
        if j.conflict:
            lines.append(f"    conflict [{j.conflict.document}] {j.conflict.quote[:200]}")
    return lines
