"""Create or update the database tables of the app's models, printing the SQL.

Without --drop this is LoopBack's autoupdate: missing tables, columns and indexes are added and
nothing is dropped. With --drop it is automigrate: each model's table is dropped and created
again, and its data is lost. --dry-run prints the SQL without running it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from .._app import create_app
from .._errors import LbpyError, UsageError
from ._ask import Asker
from ._errors import reported


@dataclass
class DatasourceMigration:
    """What ``lbpy migrate`` did (or would do) to one datasource."""

    datasource: str
    connector: str
    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


def migrate_app(
    root: Path,
    *,
    datasources: list[str] | None = None,
    models: list[str] | None = None,
    drop: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 60,
    on_wait: Callable[[str], None] | None = None,
) -> list[DatasourceMigration]:
    """Migrate the datasources of the app in ``root``; a plain function the command calls.
    A connector that locks its migrations waits up to ``lock_timeout`` seconds for another one,
    calling ``on_wait(datasource)`` when it starts waiting."""
    app = create_app(root)
    known = list(app.datasources)
    for name in datasources or ():
        if name not in app.datasources:
            raise UsageError(
                f'--datasource {name}: server/datasources.json has no datasource "{name}" '
                f"(it has: {', '.join(known) or 'none'})"
            )
    wanted = list(models or [])
    for model in wanted:
        if model not in app.models:
            raise UsageError(f'--model {model}: the app has no model "{model}" (models: {", ".join(app.models)})')
        if app.models[model].datasource is None:
            raise UsageError(f'--model {model}: "{model}" is attached to no datasource')
    if datasources:
        chosen = list(datasources)
    elif wanted:
        chosen = [n for n in known if any(m in app.datasources[n].models for m in wanted)]
    else:
        chosen = [n for n in known if app.datasources[n].models]
    for model in wanted:
        attached = app.models[model].datasource
        if attached is not None and attached.name not in chosen:
            raise UsageError(f'--model {model}: "{model}" is not attached to --datasource {", ".join(chosen)}')

    async def run() -> list[DatasourceMigration]:
        results = []
        for name in chosen:
            datasource = app.datasources[name]
            result = DatasourceMigration(name, datasource.connector_name)
            results.append(result)
            names = [m for m in wanted if m in datasource.models] if wanted else list(datasource.models)
            migrate = getattr(datasource.connector, "migrate", None)
            if migrate is None:
                result.skipped = f"the {datasource.connector_name} connector keeps no schema: nothing to migrate"
                continue
            if not names:
                result.skipped = "no model is attached to it"
                continue
            options: dict[str, Any] = {}
            if "lock_timeout" in inspect.signature(migrate).parameters:
                options = {"lock_timeout": lock_timeout, "on_wait": (lambda n=name: on_wait(n)) if on_wait else None}
            await datasource.connect()
            try:
                plan = await migrate(names, drop=drop, dry_run=dry_run, **options)
            finally:
                await datasource.disconnect()
            result.statements = list(plan.statements)
            result.notes = list(plan.notes)
        return results

    return asyncio.run(run())


def confirm_drop(asker: Asker) -> None:
    """--drop loses every row of the tables it re-creates: a person confirms it, a script says
    --yes, and nothing is asked of a terminal that is not there."""
    if not asker.prompting:
        raise UsageError(
            "--drop deletes every row of the tables it re-creates: pass --yes to confirm "
            "(or --dry-run to see the SQL first)"
        )
    if not asker.confirm("Drop and re-create the tables, losing every row in them", default=False, flag="--yes"):
        raise LbpyError("nothing was changed: --drop was not confirmed")


def command(
    app_dir: Path = typer.Option(Path("."), "--app", help="The app folder.", show_default="current folder"),
    datasource: list[str] | None = typer.Option(
        None,
        "--datasource",
        "-d",
        help="Migrate only this datasource (repeat for more).",
        show_default="every datasource with models",
    ),
    model: list[str] | None = typer.Option(None, "--model", "-m", help="Migrate only this model (repeat for more)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the SQL without running it."),
    drop: bool = typer.Option(
        False, "--drop", help="Drop and re-create each table (automigrate); its data is lost. Asks first."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Drop without asking (for scripts)."),
    lock_timeout: float = typer.Option(
        60, "--lock-timeout", min=0, help="Seconds to wait for another migration of the same database to finish."
    ),
) -> None:
    """Create or update the database tables of the app's models, printing the SQL.

    Without --drop this is LoopBack's autoupdate: missing tables, columns and indexes are added, and nothing is dropped.

    With --drop it is automigrate: each model's table is dropped and created again, and its data is lost.
    """
    with reported():
        from rich.console import Console
        from rich.syntax import Syntax

        root = app_dir.resolve()
        if not root.is_dir():
            raise UsageError(f"--app {app_dir}: no such folder")
        if drop and not dry_run and not yes:
            confirm_drop(Asker())
        out = Console(highlight=False, soft_wrap=True)
        err = Console(stderr=True, highlight=False, soft_wrap=True)

        def waiting(name: str) -> None:
            err.print(
                f"{name}: another migration of this database is running; waiting for it "
                f"(up to {lock_timeout:g} s, --lock-timeout)"
            )

        results = migrate_app(
            root,
            datasources=datasource,
            models=model,
            drop=drop,
            dry_run=dry_run,
            lock_timeout=lock_timeout,
            on_wait=waiting,
        )
        verb = "would run" if dry_run else "ran"
        for result in results:
            if result.skipped:
                out.print(f"[bold]{result.datasource}[/bold] ({result.connector}): {result.skipped}")
                continue
            count = len(result.statements)
            summary = f"{count} statement{'s' if count != 1 else ''}" if count else "nothing to change"
            out.print(
                f"-- [bold]{result.datasource}[/bold] ({result.connector}): {summary}" + (f" ({verb})" if count else "")
            )
            for statement in result.statements:
                out.print(Syntax(statement.rstrip(";") + ";", "sql", theme="ansi_dark", background_color="default"))
            for note in result.notes:
                err.print(f"[yellow]note:[/yellow] {note}")
        if not results:
            out.print("No datasource has models to migrate.")
