"""Create a new app: its server/ and common/ folders, pyproject.toml, README and a smoke test."""

from __future__ import annotations

from pathlib import Path

import typer

from .._scaffold import (
    AppAnswers,
    CreatedProject,
    check_target,
    create_app_project,
    resolve_template,
    validate_app_name,
)
from .._templates import app_datasources, app_templates
from ._ask import Asker
from ._errors import reported


def command(
    name: str | None = typer.Argument(None, metavar="NAME", help="The app's name (a valid package name)."),
    directory: Path | None = typer.Option(None, "--dir", help="The folder to create.", show_default="the app's name"),
    description: str | None = typer.Option(None, "--description", help="One line about the app."),
    template: str | None = typer.Option(
        None,
        "--template",
        help="api-server, empty-server, hello-world, notes, or the path of any cookiecutter template folder.",
        show_default="api-server",
    ),
    explorer: bool | None = typer.Option(
        None, "--explorer/--no-explorer", help="Serve the API explorer.", show_default="yes"
    ),
    datasource: str | None = typer.Option(
        None,
        "--datasource",
        help="The default datasource: sqlite (a database file in data/) or memory.",
        show_default="sqlite",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Take the default of every question not answered by a flag."),
    force: bool = typer.Option(False, "--force", help="Write into a folder that is not empty."),
) -> None:

    with reported():
        asker = Asker(yes=yes)
        name = asker.text("App name", value=name, flag="NAME, e.g. lbpy new-app my-app", validate=validate_app_name)
        target = asker.text(
            "Directory",
            value=None if directory is None else str(directory),
            default=name,
            flag="--dir",
            validate=lambda folder: check_target(Path(folder), force=force),
        )
        description = (
            asker.text("Description", value=description, default="", flag="--description", required=False) or ""
        )
        choices = app_templates()

        def check_template(choice: str) -> str:
            resolve_template(choice)
            return choice

        template = asker.select(
            "Template",
            list(choices),
            value=template,
            default=next(iter(choices)),
            flag="--template",
            validate=check_template,
            titles={key: f"{key}: {text}" for key, text in choices.items()},
        )
        explorer = asker.confirm(
            "Include the API explorer", value=explorer, default=True, flag="--explorer/--no-explorer"
        )
        connectors = app_datasources()
        datasource = asker.select(
            "Default datasource",
            list(connectors),
            value=datasource,
            default=next(iter(connectors)),
            flag="--datasource",
            titles={key: f"{key}: {text}" for key, text in connectors.items()},
        )
        answers = AppAnswers(
            name=name, description=description, template=template, explorer=explorer, datasource=datasource
        )
        project = create_app_project(Path(target), answers, force=force)
        _report(project)


def _report(project: CreatedProject) -> None:
    import os
    import shlex

    from rich.console import Console

    console = Console(highlight=False)
    styles = {"create": "green", "overwrite": "yellow", "identical": "dim"}
    for written in project.files:
        console.print(f"  [{styles[written.action]}]{written.action:>9}[/] {written.path}")
    shown = os.path.relpath(project.root)
    if shown.startswith(".."):
        shown = str(project.root)
    console.print("\n[bold]Next steps:[/bold]\n")
    console.print("  Change directory to your app")
    console.print(f"    $ cd {shlex.quote(shown)}\n", markup=False)
    urls = _urls(project.root)
    if urls is None:  # a template that does not make an lbpy app
        return
    console.print("  Create a model in your app")
    console.print("    $ lbpy model\n")
    console.print("  Run the app")
    console.print("    $ lbpy start")
    for label, url in urls:
        console.print(f"    {label:<9} {url}")


def _urls(root: Path) -> list[tuple[str, str]] | None:
    import json

    try:
        config = json.loads((root / "server" / "config.json").read_text("utf-8"))
        (root / "server" / "model-config.json").stat()
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    host = config.get("host") or "127.0.0.1"
    host = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    base = f"http://{host}:{config.get('port', 3000)}"
    urls = [("REST API", f"{base}{config.get('restApiRoot', '/api')}")]
    try:
        components = json.loads((root / "server" / "component-config.json").read_text("utf-8"))
        explorer = components.get("loopback-component-explorer")
    except (OSError, ValueError, AttributeError):
        explorer = None
    if explorer:
        mount = explorer.get("mountPath", "/explorer") if isinstance(explorer, dict) else "/explorer"
        urls.append(("Explorer", f"{base}{mount}"))
    return urls
