"""Port a LoopBack 3 app's JavaScript into the Python lbpy runs, with a report (MIGRATION.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from .._lb3._port import Report, port_app
from ._errors import EXIT_FAILED, reported

APP_DIR = typer.Argument(
    Path("."), metavar="APP_DIR", help="The LoopBack 3 app's folder.", show_default="current folder"
)


def command(
    app_dir: Path = APP_DIR,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be written; write nothing."),
    force: bool = typer.Option(False, "--force", help="Overwrite Python files that exist."),
) -> None:
    """Port a LoopBack 3 app's JavaScript (models, mixins, boot scripts) into Python, with a report.

    Each common/models/<name>.js becomes <name>.py with customize(Model), each server/boot/<name>.js
    <name>.py with boot(app), each mixin <name>.py with mixin(Model, options). Declarations (remote
    methods, scopes, hooks, validations) are always translated; a function body lbpy cannot translate
    faithfully becomes a stub answering 501 with the JavaScript beside it. MIGRATION.md lists it all.
    """
    with reported():
        report = port_app(app_dir, dry_run=dry_run, force=force)
    show(report)
    for error in report.errors:
        typer.secho(f"error: {error}", err=True, fg="red")
    if report.errors:
        raise typer.Exit(EXIT_FAILED)


def show(report: Report) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title="lbpy import-lb3", show_lines=False)
    for column in ("file", "line", "what", "result", "why"):
        table.add_column(column, overflow="fold")
    colours = {"translated": "green", "stubbed": "yellow", "skipped": "red"}
    for ported in report.files:
        t = ported.translation
        if t.error:
            table.add_row(escape(t.source), "", "", "[red]not parsed[/red]", escape(t.error))
            continue
        for entry in t.entries:
            colour = colours[entry.status]
            table.add_row(
                escape(t.source),
                str(entry.line),
                escape(entry.what),
                f"[{colour}]{entry.status}[/{colour}]",
                escape(entry.reason),
            )
    console.print(table)
    console.print(", ".join(f"{value} {name}" for name, value in report.totals().items()))
    if report.dependencies:
        deps = Table(title="npm dependencies")
        for column in ("package", "version", "in lbpy"):
            deps.add_column(column)
        for name, version, counterpart in report.dependencies:
            deps.add_row(escape(name), escape(version), escape(counterpart or "no counterpart known"))
        console.print(deps)
    verb = "would write" if report.dry_run else "wrote"
    for name, action in report.written.items():
        console.print(f"{verb} {escape(name)} ({action})")
