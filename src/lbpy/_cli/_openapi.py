"""Generate models and a datasource from an OpenAPI document (LoopBack 3's lb swagger)."""

from __future__ import annotations

from pathlib import Path

import typer

from .._openapi_project import plan_openapi, write_plan
from .._project import AppProject
from ._errors import reported
from ._model import report
from ._options import AppDir


def command(
    spec: str = typer.Argument(..., help="The OpenAPI 2 or 3 document: a JSON or YAML file, or an http(s) URL."),
    datasource: str | None = typer.Option(
        None, "--datasource", help="The datasource's name.", show_default="the document's title, camelCase"
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="The model whose methods are the operations.",
        show_default="the document's title, PascalCase",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be written; write nothing."),
    force: bool = typer.Option(False, "--force", help="Replace models and a datasource of the same names."),
    app_dir: AppDir = Path("."),
) -> None:
    """Generate models and a datasource from an OpenAPI document (LoopBack 3's lb swagger)."""
    with reported():
        project = AppProject(app_dir)
        plan = plan_openapi(project, spec, datasource=datasource, model=model, force=force)
        if dry_run:
            typer.echo("Would write:")
            report({path: action for path, (action, _text) in plan.files.items()})
            typer.echo(f"{len(plan.operations)} operation(s) would become methods of {plan.model}.")
            return
        write_plan(project, plan)
        report({path: action for path, (action, _text) in plan.files.items()})
        typer.echo(
            f"{plan.model} serves {len(plan.operations)} operation(s) of the document through "
            f"datasource {plan.datasource}; models from its schemas: "
            f"{', '.join(plan.schema_models) or 'none'}."
        )
        typer.echo("Next: lbpy start, then open /explorer")
