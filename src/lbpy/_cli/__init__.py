"""The ``lbpy`` command.

Commands are listed in ``COMMANDS`` and a command's module is imported only when that command
runs (or shows its own help), so ``lbpy --help`` costs no more than Typer itself, however many
commands there are. Each command module defines ``command``, a plain Typer command function whose docstring is
its help.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from .._version import __version__


class Entry(NamedTuple):
    module: str
    summary: str  # the first line of the command's docstring, shown by `lbpy --help`


COMMANDS: dict[str, Entry] = {
    "new-app": Entry(
        "lbpy._cli._new_app",
        "Create a new app: its server/ and common/ folders, pyproject.toml, README and a smoke test.",
    ),
    "datasource": Entry("lbpy._cli._datasource", "Create a datasource (LoopBack 3's loopback:datasource)."),
    "model": Entry("lbpy._cli._model", "Create a model and its properties (LoopBack 3's loopback:model)."),
    "property": Entry("lbpy._cli._property", "Add a property to a model (LoopBack 3's loopback:property)."),
    "relation": Entry("lbpy._cli._relation", "Add a relation between two models (LoopBack 3's loopback:relation)."),
    "remote-method": Entry(
        "lbpy._cli._remote_method", "Add a remote method to a model (LoopBack 3's loopback:remote-method)."
    ),
    "acl": Entry("lbpy._cli._acl", "Add an ACL entry to a model, or to every model (LoopBack 3's loopback:acl)."),
    "middleware": Entry(
        "lbpy._cli._middleware", "Add a middleware entry to server/middleware.json (LoopBack 3's lb middleware)."
    ),
    "connector": Entry(
        "lbpy._cli._connector", "Write a connector package that passes lbpy's conformance kit as generated."
    ),
    "openapi": Entry(
        "lbpy._cli._openapi", "Generate models and a datasource from an OpenAPI document (LoopBack 3's lb swagger)."
    ),
    "discover": Entry(
        "lbpy._cli._discover", "List what a datasource's connector exposes and write the chosen tables as models."
    ),
    "export-api-def": Entry(
        "lbpy._cli._export", "Write the app's OpenAPI document, or its Swagger 2.0 document, without starting a server."
    ),
    "info": Entry("lbpy._cli._info", "Show the app's models, datasources and connectors."),
    "migrate": Entry(
        "lbpy._cli._migrate", "Create or update the database tables of the app's models, printing the SQL."
    ),
    "import-lb3": Entry(
        "lbpy._cli._import_lb3",
        "Port a LoopBack 3 app's JavaScript (models, mixins, boot scripts) into Python, with a report.",
    ),
    "start": Entry(
        "lbpy._cli._start", "Serve the app in the current folder (or --app DIR): its REST API and the API explorer."
    ),
}


class Command(TyperCommand):
    """A Typer command whose help shows no value after a flag (Typer would show ``<bool>``
    after ``--yes``, ``--force``, ``--help``: they take none)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_metavar(super().get_params(ctx))


def _flags_without_metavar(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


def load_command(name: str) -> Any:  # a click Command: click's own, or the copy newer Typers vendor
    """The real click command for ``name``, built from its module's ``command`` function."""
    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(name, cls=Command, help=module.command.__doc__ or module.__doc__)(module.command)
    command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A group whose commands load when used; listing them needs only ``COMMANDS``."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_metavar(super().get_params(ctx))

    def get_command(self, ctx: Any, name: str) -> TyperCommand | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        # enough for the command list in `lbpy --help`; resolve_command loads the real one
        return TyperCommand(name, help=entry.summary, short_help=entry.summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Any, Any, list[str]]:
        name = str(args[0]) if args else None
        if name in COMMANDS:
            return name, load_command(name), args[1:]
        if name and not name.startswith("-"):
            from difflib import get_close_matches

            matches = get_close_matches(name, list(COMMANDS))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="lbpy",
    cls=LazyGroup,
    help="Scaffold LoopBack 3 style API apps, datasources, models and connectors, and serve them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lbpy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print lbpy's version and exit."
    ),
) -> None:
    """Scaffold LoopBack 3 style API apps, datasources, models and connectors, and serve them."""


def main() -> None:
    app()
