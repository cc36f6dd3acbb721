"""``policyaudit frameworks``: list, show and validate framework files.

Framework authors write YAML; these commands let them check a file and see how the engine will
read it before running an audit. Errors are one line each (file:line: what), never tracebacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

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

EXIT_INVALID = 1

app = typer.Typer(
    name="frameworks",
    no_args_is_help=True,
    add_completion=False,
    help="List, show and validate frameworks of standards.",
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
