"""Generate models and a datasource from an OpenAPI document (LoopBack 3's lb swagger)."""

from __future__ import annotations

from pathlib import Path

import typer

from .._errors import UsageError
from .._openapi_project import OpenApiPlan, base_url_option, plan_openapi, write_plan
from .._project import AppProject
from ._ask import Asker
from ._errors import reported
from ._model import report
from ._options import AppDir, Yes


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
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="The API's base URL, e.g. https://api.example.com/v1; asked for when the document's servers "
        "URL is relative (or absent) and the document is a file.",
        show_default="the document's servers URL",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be written; write nothing."),
    force: bool = typer.Option(False, "--force", help="Replace models and a datasource of the same names."),
    yes: Yes = False,
    app_dir: AppDir = Path("."),
) -> None:
    """Generate models and a datasource from an OpenAPI document (LoopBack 3's lb swagger)."""
    with reported():
        project = AppProject(app_dir)

        def make_plan(url: str | None) -> OpenApiPlan:
            return plan_openapi(project, spec, datasource=datasource, model=model, force=force, base_url=url)

        plan = make_plan(base_url)
        if dry_run:
            typer.echo("Would write:")
            report({path: action for path, (action, _text) in plan.files.items()})
            typer.echo(f"{len(plan.operations)} operation(s) would become methods of {plan.model}.")
            if plan.base_url_needed:
                typer.echo(f"Note: {plan.base_url_needed}.")
            return
        if plan.base_url_needed:
            asker = Asker(yes=yes)
            if not asker.prompting:
                raise UsageError(plan.base_url_needed)
            answer = asker.text(
                "The API's base URL (the document does not say it)",
                flag="--base-url",
                validate=base_url_option,
                instruction="e.g. https://api.example.com/v1",
            )
            plan = make_plan(answer)
        write_plan(project, plan)
        report({path: action for path, (action, _text) in plan.files.items()})
        typer.echo(
            f"{plan.model} serves {len(plan.operations)} operation(s) of the document through "
            f"datasource {plan.datasource}; models from its schemas: "
            f"{', '.join(plan.schema_models) or 'none'}."
        )
        typer.echo("Next: lbpy start, then open /explorer")
