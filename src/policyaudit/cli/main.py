"""The ``policyaudit`` command. Each command lives in its own module; register it here."""

from __future__ import annotations

import typer

from policyaudit.cli import (
    agreement,
    audit,
    codings,
    compare,
    documents,
    frameworks,
    ingest,
    report,
    review,
    stats,
    users,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Audit organisations' policy documents against a framework of standards.",
)


@app.callback()
def main() -> None:
    """Audit organisations' policy documents against a framework of standards."""


app.command("audit")(audit.audit_command)
app.command("ingest")(ingest.ingest_command)
app.command("stats")(stats.stats_command)
app.command("report")(report.report_command)
app.command("compare")(compare.compare_command)
app.command("agreement")(agreement.agreement_command)
app.command("documents")(documents.documents_command)
app.command("review")(review.review_command)
app.add_typer(frameworks.app, name="frameworks")
app.add_typer(users.app, name="users")
app.add_typer(codings.app, name="codings")


if __name__ == "__main__":
    app()
