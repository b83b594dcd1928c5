"""Write the app's API document -- OpenAPI 3, or LoopBack 3's Swagger 2.0 -- without serving it
(LoopBack 3's ``loopback:export-api-def``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from .._app import create_app
from .._atomic import write_atomic
from .._errors import UsageError
from .._project import AppProject
from .._rest._openapi import openapi_document, swagger_document
from ._errors import reported
from ._options import AppDir

FORMATS = ("json", "yaml")


def document(root: Path, *, swagger2: bool = False) -> dict[str, Any]:
    """The document ``lbpy start`` serves for the app in ``root`` (``/openapi.json``, or
    ``/explorer/swagger.json`` with ``swagger2``). The app boots as it does to serve --
    datasources connect and boot scripts run, since they may add remote methods -- then stops."""
    import asyncio

    app = create_app(root)

    async def build() -> dict[str, Any]:
        await app.start()
        try:
            return swagger_document(app) if swagger2 else openapi_document(app)
        finally:
            await app.stop()

    # plain asyncio: anyio's backend machinery would double the command's start-up time
    return asyncio.run(build())


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def pick_format(fmt: str | None, output: Path | None) -> str:

    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f'--format must be "json" or "yaml", not "{fmt}"')
        return fmt
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".json":
            return "json"
        if suffix in (".yaml", ".yml"):
            return "yaml"
        raise UsageError(f"-o {output}: cannot tell the format from its name; pass --format json or --format yaml")
    return "yaml"  # LoopBack 3's export-api-def wrote YAML unless told otherwise


def command(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="The file to write (default: standard output).", show_default=False
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="json or yaml (default: from the file name, else yaml).", show_default=False
    ),
    swagger2: bool = typer.Option(False, "--swagger2", help="LoopBack 3's Swagger 2.0 document instead."),
    app_dir: AppDir = Path("."),
) -> None:
    """Write the app's OpenAPI document, or its Swagger 2.0 document, without starting a server."""
    with reported():
        chosen = pick_format(fmt, output)
        project = AppProject(app_dir)
        text = render(document(project.root, swagger2=swagger2), chosen)
        if output is None:
            sys.stdout.write(text)
            return
        write_atomic(output, text)
        kind = "Swagger 2.0" if swagger2 else "OpenAPI 3"
        typer.echo(f"Wrote the {kind} document to {output}", err=True)
