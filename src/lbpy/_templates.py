"""Where lbpy's project templates live, and the Jinja2 filters they use.

A built wheel carries the repository's top-level ``templates/`` folder as ``lbpy/templates``
(pyproject's ``force-include``); an editable install reads the repository's folder directly.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

from ._errors import LbpyError

APP_TEMPLATE = "app"


def templates_dir() -> Path:
    """The folder that holds lbpy's cookiecutter templates (``app/``, ...)."""
    packaged = files("lbpy") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent.parent / "templates"


def template_path(name: str) -> Path:
    path = templates_dir() / name
    if not (path / "cookiecutter.json").is_file():
        raise LbpyError(
            f"lbpy's {name} template is missing from {path.parent}; reinstall lbpy (pip install --force-reinstall lbpy)"
        )
    return path


@cache
def app_templates() -> dict[str, str]:
    """The app templates ``lbpy new-app --template`` offers: name -> one-line description.

    The choices are the app template's own ``template`` variable, so adding a template is a
    matter of adding its files and its name there (and a line in ``_templates``).
    """
    declared = read_cookiecutter_json(template_path(APP_TEMPLATE))
    details = declared.get("_templates", {})
    return {name: details.get(name, {}).get("description", "") for name in declared["template"]}


@cache
def app_datasources() -> dict[str, str]:
    """The connectors ``lbpy new-app --datasource`` offers for the default datasource."""
    declared = read_cookiecutter_json(template_path(APP_TEMPLATE))
    details = declared.get("_datasources", {})
    return {name: details.get(name, "") for name in declared["datasource_connector"]}


def read_cookiecutter_json(template: Path) -> dict[str, Any]:
    path = template / "cookiecutter.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise LbpyError(f"{template} is not a cookiecutter template: it has no cookiecutter.json") from None
    except json.JSONDecodeError as exc:
        raise LbpyError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise LbpyError(f"{path} must hold a JSON object of template variables")
    return data


def toml_string(value: object) -> str:
    """A TOML basic string holding ``value`` (JSON's escapes are not all valid TOML)."""
    out = []
    for char in str(value):
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


class TemplateFilters(Extension):
    """Filters for lbpy's templates (cookiecutter.json ``_extensions``)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string


def drop_bytecode(rendered: Path) -> None:
    """Remove the ``__pycache__`` folders a rendered project inherited: pip byte-compiles the
    templates' Python files when it installs lbpy, and those caches belong to no new project."""
    for folder in sorted(rendered.rglob("__pycache__"), reverse=True):
        shutil.rmtree(folder, ignore_errors=True)
    for stray in rendered.rglob("*.py[co]"):
        stray.unlink(missing_ok=True)
