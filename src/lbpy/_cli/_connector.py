"""Write a connector package that passes lbpy's conformance kit as generated."""

from __future__ import annotations

from pathlib import Path

import typer

from .._connector_project import (
    TEMPLATES,
    ConnectorAnswers,
    check_name,
    check_package_name,
    default_directory,
    git_user,
    render_connector,
)
from .._errors import UsageError
from ._ask import Asker
from ._errors import reported
from ._options import Yes


def command(
    name: str = typer.Argument(..., help="The connector's name, as datasources.json will spell it."),
    package_name: str | None = typer.Option(
        None, "--package-name", help="The Python package's name.", show_default="lbpy-connector-NAME"
    ),
    directory: Path | None = typer.Option(
        None,
        "--directory",
        "-d",
        help="Where to write the package.",
        show_default="next to the app, or ./PACKAGE-NAME outside an app",
    ),
    description: str | None = typer.Option(None, "--description", help="One line about the connector."),
    author: str | None = typer.Option(None, "--author", help="The package's author.", show_default="git's user.name"),
    is_async: bool | None = typer.Option(
        None,
        "--async/--sync",
        help="async def methods (an asyncio client), or plain ones run in threads.",
        show_default="--sync; the http template is always async",
    ),
    template: str | None = typer.Option(
        None,
        "--template",
        help="memory: an example backend kept in memory; http: a remote REST API "
        "called through lbpy.http, tested against an in-process fake of it.",
        show_default="memory",
    ),
    yes: Yes = False,
    force: bool = typer.Option(False, "--force", help="Write into a directory that is not empty."),
) -> None:
    """Write a connector package that passes lbpy's conformance kit as generated."""
    with reported():
        ask = Asker(yes=yes)
        name = check_name(name)
        template = template or "memory"
        if template not in TEMPLATES:
            raise UsageError(f'--template must be one of: {", ".join(TEMPLATES)} (got "{template}")')
        if template == "http" and is_async is False:
            raise UsageError("--sync: the http template's client is async (httpx); leave --sync out")
        package_name = ask.text(
            "Package name",
            value=package_name,
            default=f"lbpy-connector-{name}",
            flag="--package-name",
            validate=check_package_name,
        )
        cwd = Path.cwd()
        default_dir = default_directory(package_name, cwd)
        shown_default = _shown(default_dir, cwd)
        chosen = ask.text(
            "Directory",
            value=str(directory) if directory is not None else None,
            default=shown_default,
            flag="--directory",
        )
        description = ask.text(
            "Description", value=description, default=f"The {name} connector for lbpy", flag="--description"
        )
        author = ask.text("Author", value=author, default=git_user(), flag="--author", required=False)
        if template == "http":
            is_async = True
        is_async = ask.confirm("Write async methods (async def)", value=is_async, default=False, flag="--async")
        answers = ConnectorAnswers(
            name=name,
            package_name=package_name,
            directory=(cwd / chosen).resolve(),
            description=description,
            author=author or "",
            is_async=is_async,
            template=template,
        )
        render_connector(answers, force=force)
        _report(answers, cwd)


def _shown(path: Path, cwd: Path) -> str:
    import os

    relative = os.path.relpath(path, cwd)
    return relative if not relative.startswith("..") or relative.count("..") == 1 else str(path)


def _report(answers: ConnectorAnswers, cwd: Path) -> None:
    from rich.console import Console
    from rich.markup import escape

    where = escape(_shown(answers.directory, cwd))
    console = Console(highlight=False)
    console.print(f"Created the [bold]{answers.name}[/bold] connector package in {where}")
    console.print("Next steps:")
    console.print(f"  cd {where} && pip install -e {escape(repr('.[test]'))} && pytest")
    console.print(f"  then, in your app: lbpy datasource NAME --connector {answers.name}")
    if answers.template == "http":
        console.print("  (the client's YOUR SYSTEM comments say where your API differs from the fake's)")
