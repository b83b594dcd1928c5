"""The ``lbpy`` command. Each command lives in its own module and imports what it needs when it
runs, so that ``lbpy --help`` loads nothing heavy."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="lbpy",
    help="Scaffold LoopBack 3 style API apps, datasources, models and connectors, and serve them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"lbpy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print lbpy's version and exit."
    ),
) -> None:
    """Scaffold LoopBack 3 style API apps, datasources, models and connectors, and serve them."""


def _register() -> None:
    from . import (
        _connector, _datasource, _discover, _export, _info, _model, _new_app, _property, _relation, _start,
    )

    app.command("new-app", help=_new_app.__doc__)(_new_app.command)
    app.command("datasource", help=_datasource.command.__doc__)(_datasource.command)
    app.command("model", help=_model.command.__doc__)(_model.command)
    app.command("property", help=_property.command.__doc__)(_property.command)
    app.command("relation", help=_relation.command.__doc__)(_relation.command)
    app.command("export-api-def", help=_export.command.__doc__)(_export.command)
    app.command("info", help=_info.command.__doc__)(_info.command)
    app.command("start", help=_start.__doc__)(_start.command)
    app.command("connector")(_connector.command)
    app.command("discover")(_discover.command)


_register()


def main() -> None:
    app()
