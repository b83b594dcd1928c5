"""Creating a project from a cookiecutter template, all or nothing.

The template renders into a temporary folder beside the target, then moves into place, so a
failure leaves no half-written app. Answers arrive as a plain object (``AppAnswers``): asking
is the CLI's business (``lbpy._cli._new_app``), rendering is this module's.
"""

from __future__ import annotations

import filecmp
import keyword
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import LbpyError, UsageError
from ._templates import (
    APP_TEMPLATE,
    app_templates,
    drop_bytecode,
    read_cookiecutter_json,
    template_path,
)
from ._version import __version__

CREATE = "create"
OVERWRITE = "overwrite"
IDENTICAL = "identical"

#: a distribution name (PEP 508) that also starts with a letter, so that it makes an import name
_APP_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class AppAnswers:
    """What ``lbpy new-app`` asks. ``template`` is a built-in template's name or the path of a
    cookiecutter template folder."""

    name: str
    description: str = ""
    template: str = "api-server"
    explorer: bool = True
    #: the default datasource's connector: "sqlite" (a file under data/) or "memory"
    datasource: str = "sqlite"


@dataclass(frozen=True)
class WrittenFile:
    path: str  # relative to the project, with "/" separators
    action: str  # CREATE, OVERWRITE or IDENTICAL


@dataclass
class CreatedProject:
    root: Path
    files: list[WrittenFile] = field(default_factory=list)


# -- names and folders --------------------------------------------------------------------------


def import_name(app_name: str) -> str:
    """The Python package an installed app lives in: ``My-App`` -> ``my_app``."""
    return re.sub(r"[-.]+", "_", app_name).lower()


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dependency_names() -> set[str]:
    """lbpy and what it installs: an app with one of these names could not be installed beside them."""
    from importlib.metadata import PackageNotFoundError, requires

    names = {"lbpy"}
    try:
        for requirement in requires("lbpy") or []:
            if "extra ==" in requirement:
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match:
                names.add(_normalized(match.group(0)))
    except PackageNotFoundError:
        pass
    return names


def validate_app_name(name: Any) -> str:
    """The app name, or a ``UsageError`` that says in one line what is wrong with it."""
    name = "" if name is None else str(name).strip()
    if not name:
        raise UsageError("the app name is empty; give a name such as my-app")
    if "/" in name or "\\" in name or os.sep in name:
        raise UsageError(
            f'app name "{name}" contains a path separator; give a plain name and choose its folder with --dir'
        )
    if name in (".", ".."):
        raise UsageError(f'"{name}" is not an app name; give a name such as my-app')
    if not _APP_NAME.match(name):
        raise UsageError(
            f'app name "{name}" is not valid: use letters, digits, "-", "_" and ".", '
            "starting with a letter and ending with a letter or digit"
        )
    package = import_name(name)
    reason = None
    if _normalized(name) in _dependency_names():
        reason = "lbpy or one of its dependencies has that name"
    elif name.split(".")[0].lower() in _WINDOWS_DEVICES:
        reason = "it is a Windows device name"
    elif keyword.iskeyword(package):
        reason = "it is a Python keyword"
    elif package in sys.stdlib_module_names:
        reason = "the installed app would collide with Python's standard module of that name"
    if reason:
        raise UsageError(f'app name "{name}" is reserved: {reason}; choose another, e.g. "{name}-api"')
    result: str = name
    return result


def check_target(target: Path, *, force: bool = False) -> Path:
    """The folder to write into: missing, empty, or (with ``force``) anything but a file."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file; choose another folder with --dir")
    if target.is_dir() and not force and any(target.iterdir()):
        raise UsageError(f"{target} is not empty; choose another folder with --dir, or pass --force to write into it")
    return target


# -- templates ----------------------------------------------------------------------------------


def resolve_template(choice: str) -> tuple[Path, bool]:
    """``(folder, is_builtin)`` for a built-in template's name or a cookiecutter template folder."""
    builtins = app_templates()
    if choice in builtins:
        return template_path(APP_TEMPLATE), True
    path = Path(choice).expanduser()
    if path.is_dir():
        if not (path / "cookiecutter.json").is_file():
            raise UsageError(
                f"--template {choice}: the folder has no cookiecutter.json, so it is not a cookiecutter template"
            )
        return path.resolve(), False
    raise UsageError(
        f"--template {choice}: not a built-in template ({', '.join(builtins)}) nor a cookiecutter template folder"
    )


#: the variables a template may declare to receive each answer
_ANSWER_KEYS = {
    "name": ("app_name", "project_name"),
    "directory": ("directory", "project_slug"),
    "description": ("description", "project_short_description"),
    "explorer": ("explorer",),
    "datasource": ("datasource_connector",),
}


def _fit(declared: Any, value: Any) -> Any:
    """An answer in the shape the template declared (bool, choice list, text); ``None``: no fit."""
    if isinstance(value, bool) and not isinstance(declared, bool):
        spellings = ("yes", "y", "true", "1") if value else ("no", "n", "false", "0")
        if isinstance(declared, list):
            return next((c for c in declared if str(c).lower() in spellings), None)
        if isinstance(declared, str) and declared.lower() in ("y", "n"):
            return "y" if value else "n"
        return "yes" if value else "no"
    if isinstance(declared, list):
        return value if value in declared else None
    return value


def template_answers(template: Path, answers: AppAnswers, directory: str, *, builtin: bool) -> dict[str, Any]:
    """The extra context for ``template``: each answer under the keys the template declares."""
    declared = read_cookiecutter_json(template)
    values = {
        "name": answers.name,
        "directory": directory,
        "description": answers.description,
        "explorer": answers.explorer,
        "datasource": answers.datasource,
    }
    extra: dict[str, Any] = {}
    for answer, keys in _ANSWER_KEYS.items():
        for key in keys:
            if key in declared:
                fitted = _fit(declared[key], values[answer])
                if fitted is not None:
                    extra[key] = fitted
    if builtin:
        extra["template"] = answers.template

        extra["lbpy_requirement"] = f"lbpy>={__version__}"
    return extra


def _render(template: Path, extra: dict[str, Any], output_dir: Path) -> Path:
    from cookiecutter.exceptions import (
        CookiecutterException,
        UndefinedVariableInTemplate,
    )
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config
    from jinja2 import TemplateError

    try:
        context = generate_context(str(template / "cookiecutter.json"), extra_context=extra)
        context["cookiecutter"] = prompt_for_config(context, no_input=True)
        context["cookiecutter"]["_template"] = str(template)
        context["cookiecutter"]["_output_dir"] = str(output_dir)
        return Path(generate_files(str(template), context, output_dir=str(output_dir), accept_hooks=True))
    except UndefinedVariableInTemplate as exc:
        raise LbpyError(f"template {template}: {exc.message}: {exc.error.message}") from None
    except TemplateError as exc:
        # jinja2's syntax errors name the file and line; its other template errors do not
        line = getattr(exc, "lineno", None)
        where = f"{getattr(exc, 'filename', None)}:{line}: " if line else ""
        raise LbpyError(f"template {template}: {where}{exc.message or exc}") from None
    except (CookiecutterException, ValueError) as exc:
        raise LbpyError(f"template {template}: {exc}") from None


# -- writing ------------------------------------------------------------------------------------


def create_app_project(target: Path | str, answers: AppAnswers, *, force: bool = False) -> CreatedProject:
    """Render the app template (or the cookiecutter template ``answers.template`` names) into
    ``target``. ``target`` must be missing or empty unless ``force``; with ``force`` the files
    are written into it, replacing those with the same path."""
    validate_app_name(answers.name)
    target = check_target(Path(target).absolute(), force=force)
    template, builtin = resolve_template(answers.template)
    extra = template_answers(template, answers, target.name, builtin=builtin)
    anchor = target.parent
    while not anchor.exists():
        anchor = anchor.parent
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".lbpy-new", dir=anchor))
    try:
        rendered = _render(template, extra, staging)
        drop_bytecode(rendered)
        return CreatedProject(target, _move_into_place(rendered, target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _files_under(root: Path) -> list[str]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            found.append(Path(folder, name).relative_to(root).as_posix())
    return found


def _move_into_place(rendered: Path, target: Path) -> list[WrittenFile]:
    files = _files_under(rendered)
    if not target.exists() or not any(target.iterdir()):
        if target.exists():
            target.rmdir()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(rendered, target)
        return [WrittenFile(path, CREATE) for path in files]
    for path in files:  # every clash is found before anything moves
        for parent in Path(path).parents:
            if parent != Path(".") and (target / parent).exists() and not (target / parent).is_dir():
                raise UsageError(f"{target / parent} is a file where the template puts a folder; move it away")
        if (target / path).is_dir():
            raise UsageError(f"{target / path} is a folder where the template puts a file; move it away")
    written = []
    for path in files:
        source, dest = rendered / path, target / path
        if dest.exists():
            action = IDENTICAL if filecmp.cmp(source, dest, shallow=False) else OVERWRITE
        else:
            action = CREATE
        if action != IDENTICAL:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest)
        written.append(WrittenFile(path, action))
    return written
