"""Discover the tables a datasource's connector exposes and write them as LoopBack models."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from .._app_files import read_app
from .._connectors._discovery import merge_relations, model_name
from .._datasource import DataSource
from .._errors import UsageError
from .._project import AppProject
from ._ask import Asker
from ._errors import reported
from ._options import AppDir, Yes


def command(
    datasource: str | None = typer.Option(None, "--datasource", help="The datasource to discover."),
    models: str | None = typer.Option(
        None, "--models", help="Comma-separated tables to write as models (default: every one)."
    ),
    all_models: bool = typer.Option(False, "--all", help="Write every table as a model."),
    relations: bool = typer.Option(
        False, "--relations", help="Turn foreign keys into belongsTo and hasMany relations."
    ),
    app_dir: AppDir = Path("."),
    yes: Yes = False,
    force: bool = typer.Option(False, "--force", help="Overwrite models that exist."),
) -> None:
    """List what a datasource's connector exposes and write the chosen tables as models."""
    with reported():
        import anyio

        if models is not None and all_models:
            raise UsageError("pass --models or --all, not both")
        project = AppProject(app_dir)
        names = [n for n, s in project.datasources().items() if isinstance(s, dict)]
        if not names:
            raise UsageError("server/datasources.json defines no datasource; add one with lbpy datasource")
        ask = Asker(yes=yes)
        default = next((n for n in names if project.datasources()[n].get("connector") != "memory"), names[0])
        chosen_ds = ask.select("Datasource to discover", names, value=datasource, default=default, flag="--datasource")
        ds = open_datasource(project.root, chosen_ds)
        wanted = [m.strip() for m in models.split(",") if m.strip()] if models is not None else None

        async def run() -> DiscoveryResult:
            try:
                tables = await list_tables(ds)
                _show_tables(chosen_ds, tables, project)
                picked = _pick(ask, tables, wanted, all_models)
                found = await discover_models(ds, picked, relations=relations)
            finally:
                await ds.disconnect()
            return DiscoveryResult(chosen_ds, tables, found)

        result = anyio.run(run)
        if not result.models:
            typer.echo("No model written.")
            return
        result.written = write_models(project, chosen_ds, result.models, force=force)
        _report(result, project)


def _pick(ask: Asker, tables: list[dict[str, Any]], wanted: list[str] | None, all_models: bool) -> list[str]:
    names = [str(t["name"]) for t in tables]
    if wanted is not None:
        lowered = {n.lower(): n for n in names}
        unknown = [w for w in wanted if w not in names and w.lower() not in lowered]
        if unknown:
            raise UsageError(
                f"--models: no table {', '.join(unknown)} in the datasource; tables: {', '.join(names) or 'none'}"
            )
        return [w if w in names else lowered[w.lower()] for w in wanted]
    if all_models or not ask.prompting:
        return names
    if not names:
        return []
    import questionary

    picked = questionary.checkbox("Tables to write as models:", choices=names).unsafe_ask()
    return list(picked or [])


def _show_tables(datasource: str, tables: list[dict[str, Any]], project: AppProject) -> None:
    from rich.console import Console
    from rich.table import Table

    existing = project.model_definitions()
    table = Table(title=f'Datasource "{datasource}"')
    table.add_column("table")
    table.add_column("type")
    table.add_column("owner")
    table.add_column("model")
    for entry in tables:
        model = model_name(str(entry["name"]))
        shown = f"{model} (exists)" if model in existing else model
        table.add_row(str(entry["name"]), str(entry.get("type") or ""), str(entry.get("owner") or ""), shown)
    Console(highlight=False).print(table)


def _report(result: DiscoveryResult, project: AppProject) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    for path in result.written:
        console.print(f"wrote {path.relative_to(project.root)}")
    names = ", ".join(result.models)
    console.print(f'server/model-config.json: {names} on datasource "{result.datasource}"')
    for name, model in result.models.items():
        for rel_name, relation in model.get("relations", {}).items():
            console.print(f"  {name}.{rel_name}: {relation['type']} {relation['model']}")


# -- the work, without a terminal --------------------------------------------------------------


@dataclass
class DiscoveryResult:
    datasource: str
    tables: list[dict[str, Any]]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def open_datasource(root: Path, name: str) -> DataSource:
    """The app's datasource ``name``, as the app would build it (env overrides, connectors/)."""
    settings = read_app(root).datasources.get(name)
    if settings is None:
        raise UsageError(f'--datasource {name}: server/datasources.json has no datasource "{name}"')
    return DataSource(name, settings, app_dir=root)


async def list_tables(datasource: DataSource) -> list[dict[str, Any]]:
    tables = await datasource.discover_model_definitions()
    return sorted(tables, key=lambda t: (str(t.get("owner") or ""), str(t["name"])))


async def discover_models(datasource: DataSource, tables: list[str], *, relations: bool) -> dict[str, dict[str, Any]]:
    """Model JSON for ``tables`` (and, with relations, the tables their foreign keys reach)."""
    models: dict[str, dict[str, Any]] = {}
    by_table: dict[str, str] = {}
    for table in tables:
        schemas = await datasource.discover_schemas(table, {"relations": relations})
        for model, schema in schemas.items():
            source = (schema.get("options", {}).get(datasource.connector_name) or {}).get("table", model)
            if model in models and by_table.get(model) != source:
                raise UsageError(
                    f'tables "{by_table[model]}" and "{source}" would both become model "{model}"; '
                    "discover them one at a time"
                )
            by_table.setdefault(model, source)
        merge_relations(models, schemas)
    return models


def write_models(project: AppProject, datasource: str, models: dict[str, dict[str, Any]], *, force: bool) -> list[Path]:
    """Each model's JSON file and its model-config.json entry; nothing is written when one exists."""
    config = project.model_config()
    existing = project.model_definitions()
    if not force:
        taken = sorted(name for name in models if name in existing or name in config)
        if taken:
            raise UsageError(
                f"model(s) {', '.join(taken)} already exist; pass --force to overwrite them, "
                "or leave them out with --models"
            )
    written = []
    for name, definition in models.items():
        written.append(project.write_model(definition, force=force))
        project.set_model_config(name, {"dataSource": datasource, "public": True}, force=True)
    return written
