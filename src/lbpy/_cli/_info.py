"""Print the app's models, datasources and connectors as tables."""

from __future__ import annotations

from pathlib import Path

from .._connectors._registry import available_connectors, canonical_name
from .._project import AppProject
from ._errors import reported
from ._options import AppDir


def command(
    app_dir: AppDir = Path("."),
) -> None:
    """Show the app's models, datasources and connectors."""
    with reported():
        from rich.console import Console
        from rich.table import Table

        project = AppProject(app_dir)
        config = project.model_config()
        datasources = project.datasources()
        console = Console(highlight=False)

        models = Table(title="Models", title_justify="left")
        for column in ("Name", "File", "Base", "Datasource", "Public", "Properties", "Relations"):
            models.add_column(column)
        for name, (path, definition) in project.model_definitions().items():
            entry = config.get(name)
            relations = definition.get("relations") or {}
            models.add_row(
                name,
                project.relative(path),
                str(definition.get("base", "PersistedModel")),
                "-" if entry is None else str(entry.get("dataSource") or "-"),
                "-" if entry is None else ("yes" if entry.get("public", True) is not False else "no"),
                ", ".join(definition.get("properties") or {}) or "-",
                ", ".join(
                    f"{r} ({(v or {}).get('type', '?')} {(v or {}).get('model', '?')})" for r, v in relations.items()
                )
                or "-",
            )
        console.print(models)

        table = Table(title="Datasources", title_justify="left")
        for column in ("Name", "Connector", "Settings"):
            table.add_column(column)
        for name, given in datasources.items():
            settings = given or {}
            shown = ", ".join(f"{k}={_shown(k, v)}" for k, v in settings.items() if k not in ("name", "connector"))
            table.add_row(name, str(settings.get("connector", "?")), shown or "-")
        console.print(table)

        connectors = Table(title="Connectors", title_justify="left")
        connectors.add_column("Name")
        connectors.add_column("From")
        connectors.add_column("Used by")
        for short, where in available_connectors(project.root).items():
            users = [n for n, s in datasources.items() if canonical_name(str((s or {}).get("connector", ""))) == short]
            connectors.add_row(short, where, ", ".join(users) or "-")
        console.print(connectors)


_SECRET_WORDS = ("password", "secret", "token", "key")


def _shown(key: str, value: object) -> str:
    """A setting as the table shows it: secrets written into the file are masked."""
    text = str(value)
    if any(word in key.lower() for word in _SECRET_WORDS) and not text.startswith("${"):
        return "****"
    return text
