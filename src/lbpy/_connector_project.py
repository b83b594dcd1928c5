"""Writing a connector package: lbpy's connector contract around an example backend, with tests
that run lbpy's conformance kit and pass as generated. Two templates: ``memory`` (the backend is
a table kept in memory) and ``http`` (a remote REST API called through ``lbpy.http``, tested
against an in-process fake of it). ``lbpy connector`` asks, this renders."""

from __future__ import annotations

import keyword
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._connectors._registry import ALIASES, BUILTINS
from ._errors import UsageError
from ._templates import drop_bytecode, templates_dir
from ._version import __version__

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
#: template name -> its folder under templates/
TEMPLATES = {"memory": "connector", "http": "connector-http"}
_PACKAGE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ConnectorAnswers:
    name: str
    package_name: str
    directory: Path
    description: str
    author: str
    is_async: bool
    template: str = "memory"


def check_name(name: str) -> str:
    """A connector name as datasources.json spells it: lowercase words joined by - or _."""
    if not _NAME.match(name or ""):
        raise UsageError(
            f'"{name}" is not a valid connector name: use lowercase letters and digits, words '
            "joined by - or _, starting with a letter (e.g. helloworld, my-crm)"
        )
    if name in BUILTINS or name in ALIASES:
        raise UsageError(
            f'"{name}" is the name of a built-in connector, which would always win over yours; choose another name'
        )
    return name


def check_package_name(value: str) -> str:
    if not _PACKAGE.match(value or ""):
        raise UsageError(f'"{value}" is not a valid Python package name (letters, digits, ".", "_" and "-")')
    return value


def words(name: str) -> list[str]:
    return [part for part in re.split(r"[-_]", name) if part]


def context_for(answers: ConnectorAnswers) -> dict[str, Any]:
    """The template's variables: everything computed here, nothing asked by cookiecutter."""
    camel = "".join(part.capitalize() for part in words(answers.name))
    lib_name = answers.name.replace("-", "_")
    if keyword.iskeyword(lib_name):
        lib_name += "_connector"
    return {
        "name": answers.name,
        "package_name": answers.package_name,
        "module_name": "lbpy_connector_" + answers.name.replace("-", "_"),
        "lib_name": lib_name,
        "class_name": f"{camel}Connector",
        "client_class": f"{camel}Client",
        "description": answers.description,
        "author": answers.author,
        "is_async": answers.is_async,
        "lbpy_version": __version__,
        "def_": "async def" if answers.is_async else "def",
        "await_": "await " if answers.is_async else "",
    }


def render_connector(answers: ConnectorAnswers, *, force: bool = False) -> list[Path]:
    """Write the package into ``answers.directory``; returns the files written.

    Rendering happens in a temporary folder, so a failure leaves nothing behind; a target that
    holds files is refused unless ``force``, which overwrites the package's files and keeps the rest."""
    from cookiecutter.generate import generate_files

    target = answers.directory
    if target.exists() and not target.is_dir():
        raise UsageError(f"--directory {target}: a file is in the way")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(f"--directory {target} is not empty; choose another or pass --force")
    if answers.template not in TEMPLATES:
        raise UsageError(f'--template: "{answers.template}" is not one of {", ".join(TEMPLATES)}')
    template = templates_dir() / TEMPLATES[answers.template]
    if not (template / "cookiecutter.json").is_file():
        raise UsageError(f"the connector template is missing from {template}; reinstall lbpy")
    with tempfile.TemporaryDirectory(prefix="lbpy-connector-") as scratch:
        rendered = Path(
            generate_files(
                repo_dir=str(template),
                context={"cookiecutter": context_for(answers)},
                output_dir=scratch,
                accept_hooks=False,
            )
        )
        drop_bytecode(rendered)
        written = sorted(p.relative_to(rendered) for p in rendered.rglob("*") if p.is_file())
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            shutil.copytree(rendered, target, dirs_exist_ok=True)
        else:
            shutil.move(str(rendered), str(target))
    return [target / path for path in written]


def default_directory(package_name: str, cwd: Path) -> Path:
    """Next to the app when run inside one (a connector is a package of its own), else here."""
    in_app = (cwd / "server" / "model-config.json").is_file()
    return (cwd.parent if in_app else cwd) / package_name


def git_user() -> str:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "config", "--get", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
