"""Create a datasource: name, connector, then the connector's own settings -- the prompts of
LoopBack 3's ``loopback:datasource``, with settings asked from the connector's settings schema."""

from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._app_files import substitute_env
from .._connectors._base import Connector
from .._connectors._registry import (
    available_connectors,
    canonical_name,
    find_initializer,
)
from .._datasource import DataSource
from .._errors import BootError, LbpyError, UsageError
from .._model._types import BooleanType, CoercionError, NumberType
from .._project import AppProject, dump_json
from ._ask import Asker, config_key, load_config
from ._errors import reported
from ._model import report
from ._options import CONFIG_HELP, AppDir, Yes

if TYPE_CHECKING:
    from .._connectors._base import Setting

OTHER = "other"
_DATASOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
CONFIG_KEYS = ("name", "connector", "install", "test", "settings")


@dataclass(frozen=True)
class KnownPackage:
    """A connector whose packages may be missing, and what ``pip install`` brings them."""

    connector: str
    description: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]  # importable once the requirements are installed


#: the short catalogue of connector packages the wizard offers to install: the database drivers
#: of the built-in SQL connector (lbpy's ``postgresql`` and ``mysql`` extras)
CATALOGUE: dict[str, KnownPackage] = {
    p.connector: p
    for p in (
        KnownPackage(
            "postgresql",
            "PostgreSQL",
            ("sqlalchemy[asyncio]>=2.0.43", "asyncpg>=0.29"),
            ("sqlalchemy", "greenlet", "asyncpg"),
        ),
        KnownPackage(
            "mysql",
            "MySQL and MariaDB",
            ("sqlalchemy[asyncio]>=2.0.43", "asyncmy>=0.2.9"),
            ("sqlalchemy", "greenlet", "asyncmy"),
        ),
    )
}
DESCRIPTIONS = {
    "memory": "In memory, optionally kept in a JSON file",
    "sqlite": "SQLite",
    "rest": "A REST API (LoopBack's REST connector: CRUD and templates)",
    "openapi": "An OpenAPI 2 or 3 API: every operation a method",
}


@dataclass
class NewDatasource:
    name: str
    connector: str
    settings: dict[str, Any] = field(default_factory=dict)
    #: the packages the connector needs, recorded in the app's pyproject.toml as LoopBack 3
    #: recorded a connector in package.json
    requirements: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        return {"connector": self.connector, **nested(self.settings)}


def nested(settings: dict[str, Any]) -> dict[str, Any]:
    """Dotted settings as objects: ``{"auth.type": "bearer", "auth.token": "x"}`` is written
    ``{"auth": {"type": "bearer", "token": "x"}}``; an ``auth`` of type ``none`` is left out."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        target = out
        *parents, last = key.split(".")
        for part in parents:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[last] = value
    if isinstance(out.get("auth"), dict) and out["auth"].get("type") == "none":
        del out["auth"]
    return out


# -- connectors ---------------------------------------------------------------------------------


def connector_choices(app_dir: Path) -> dict[str, str]:
    """Connector name -> where it comes from, for the connector list."""
    return available_connectors(app_dir)


def missing_modules(connector: str) -> list[str]:
    import importlib.util

    known = CATALOGUE.get(connector)
    if known is None:
        return []
    return [m for m in known.modules if importlib.util.find_spec(m) is None]


def settings_schema(connector: str, app_dir: Path) -> tuple[Setting, ...] | None:
    """The settings the connector declares, or None when it cannot be loaded here."""
    import inspect
    import sys

    try:
        initialize = find_initializer(connector, app_dir)
    except BootError:
        return None
    try:
        # initialize() does no I/O (the connector contract), so an empty datasource shows the class
        made = DataSource("_wizard", {"connector": connector}, app_dir=app_dir).connector
        if made is not None:
            return tuple(type(made).settings_schema)
    except Exception:
        pass
    # a connector that checks its settings when it is made: find its class in its module instead
    module = sys.modules.get(getattr(initialize, "__module__", ""))
    classes = (
        [c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, Connector) and c is not Connector]
        if module
        else []
    )
    return next((tuple(c.settings_schema) for c in classes if c.settings_schema), ())


def env_name(datasource: str, setting: str) -> str:
    """The environment variable a secret is left to: ``db`` + ``password`` -> ``DB_PASSWORD``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{datasource}_{setting}").strip("_").upper()


def pip_install(requirements: list[str]) -> None:
    """``pip install`` into lbpy's own environment, with a spinner; a failure is one clear line."""
    import subprocess

    from rich.console import Console

    shown = " ".join(requirements)
    console = Console(stderr=True, highlight=False)
    with console.status(f"Installing {shown} ..."):
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *requirements],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")] or lines or ["no output"]
        raise LbpyError(
            f"pip could not install {shown}: {errors[0]} -- install it yourself "
            f"({sys.executable} -m pip install {shown}) and run the command again"
        )
    console.print(f"Installed {shown}", soft_wrap=True)
    import importlib

    importlib.invalidate_caches()


# -- settings -----------------------------------------------------------------------------------


def parse_setting(setting: Setting | None, key: str, value: Any, *, flag: str) -> Any:
    """A setting's value read as the type its schema declares (``--set`` gives text)."""
    kind = setting.type if setting is not None else None
    if not isinstance(value, str):
        text = None
    else:
        text = value
    if kind in (None, "") and text is not None:
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if not isinstance(parsed, str) else text
    if kind == "string":
        return text if text is not None else value
    if kind == "number":
        try:
            return NumberType().coerce(value)
        except CoercionError:
            raise UsageError(f"{flag}: {key} must be a number, not {json.dumps(value)}") from None
    if kind == "boolean":
        try:
            return BooleanType().coerce(value)
        except CoercionError:
            raise UsageError(f"{flag}: {key} must be true or false, not {json.dumps(value)}") from None
    if kind == "json" and text is not None:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{flag}: {key} must be JSON ({exc.msg})") from None
    return value


def parse_set_options(items: list[str] | None) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not _SETTING_NAME.fullmatch(key):
            raise UsageError(f'--set "{item}": write KEY=VALUE, e.g. --set host=localhost')
        given[key] = value
    return given


def ask_settings(asker: Asker, name: str, schema: tuple[Setting, ...], given: dict[str, Any]) -> dict[str, Any]:
    """One prompt per declared setting; a secret is masked and may be left to the environment."""
    settings: dict[str, Any] = {}
    for setting in schema:
        flag = f"--set {setting.name}=VALUE"
        label = f"{setting.name}: {setting.description}" if setting.description else setting.name
        if setting.when and not all(
            _answered(settings, given, key) in accepted for key, accepted in setting.when.items()
        ):
            continue  # asked only when an earlier answer calls for it (a token for bearer auth)
        value = given.pop(setting.name, None)
        if setting.choices:
            settings[setting.name] = asker.select(
                label, list(setting.choices), value=value, default=setting.default, flag=flag, key=setting.name
            )
            continue
        if setting.secret:
            variable = env_name(name, setting.name)
            reference = f"${{{variable}}}" if setting.required else f"${{{variable}:-}}"
            answer = asker.text(
                label,
                value=value,
                flag=flag,
                key=setting.name,
                secret=True,
                required=False,
                instruction=f"(leave blank to read ${variable} when the app starts)",
            )
            if answer not in (None, ""):
                settings[setting.name] = parse_setting(setting, setting.name, answer, flag=flag)
            elif setting.required or asker.prompting:
                # a blank answer, or a required secret nobody gave: the environment holds it
                settings[setting.name] = reference
            continue
        if setting.type == "boolean":
            default_on = bool(setting.default) if setting.default is not None else False
            if value is not None:
                value = parse_setting(setting, setting.name, value, flag=flag)
            settings[setting.name] = asker.confirm(label, value=value, default=default_on, flag=flag, key=setting.name)
            continue
        default = (
            None
            if setting.default is None
            else (json.dumps(setting.default) if setting.type == "json" else str(setting.default))
        )
        answer = asker.text(
            label,
            value=value,
            default=default,
            flag=flag,
            key=setting.name,
            required=setting.required,
            what=f"Setting {setting.name}",
            validate=functools.partial(parse_setting, setting, setting.name, flag=flag),
        )
        if answer is not None and answer != "":
            settings[setting.name] = answer
    for key, value in given.items():
        settings[key] = parse_setting(None, key, value, flag=f"--set {key}")
    return settings


# -- asking ---------------------------------------------------------------------------------------


def _answered(settings: dict[str, Any], given: dict[str, Any], key: str) -> Any:
    value = settings.get(key, given.get(key))
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def check_datasource_name(name: Any, project: AppProject, *, force: bool = False) -> str:
    if not isinstance(name, str) or not _DATASOURCE_NAME.fullmatch(name):
        raise UsageError(
            f'NAME: "{name}" is not a valid datasource name; use a letter or _, then letters, digits, _ or -'
        )
    if name in project.datasources() and not force:
        raise UsageError(f'NAME: datasource "{name}" already exists; pass --force to replace it')
    return name


def ask_datasource(
    project: AppProject,
    asker: Asker,
    *,
    name: Any = None,
    connector: Any = None,
    install: bool | None = None,
    settings: dict[str, Any] | None = None,
    force: bool = False,
) -> NewDatasource:
    name = asker.text(
        "Enter the datasource name",
        value=name,
        flag="NAME",
        key="name",
        what="A datasource name",
        validate=lambda n: check_datasource_name(n, project, force=force),
    )
    available = connector_choices(project.root)
    choices = [*available, OTHER]
    width = max(len(c) for c in choices) + 2
    titles = {}
    for short, where in available.items():
        known = CATALOGUE.get(short)
        description = DESCRIPTIONS.get(short) or (known.description if known else "")
        missing = missing_modules(short)
        notes = "; ".join([where, *([f"installs {', '.join(missing)}"] if missing else [])])
        titles[short] = f"{short:<{width}}{description + ' ' if description else ''}({notes})"
    titles[OTHER] = f"{OTHER:<{width}}a connector package to install by name"

    def valid_connector(answer: Any) -> str:
        if not isinstance(answer, str) or not answer.strip():
            raise UsageError("--connector: a connector name or package is required")
        return answer.strip()

    picked = asker.select(
        f"Select the connector for {name}",
        choices,
        value=connector,
        default="memory",
        flag="--connector",
        key="connector",
        titles=titles,
        validate=valid_connector,
    )
    package = None
    if picked == OTHER:
        package = asker.text(
            "Enter the connector's package name (as pip takes it)",
            flag="--connector",
            key="connector",
            validate=valid_connector,
        )
        picked = package
    short, schema, requirements = resolve_connector(project, asker, picked, install=install)
    given = dict(settings or {})
    return NewDatasource(
        name=name,
        connector=short,
        settings=ask_settings(asker, name, schema, given),
        requirements=[r for r in requirements if _REQUIREMENT.fullmatch(r)],
    )


def resolve_connector(
    project: AppProject, asker: Asker, picked: str, *, install: bool | None
) -> tuple[str, tuple[Setting, ...], list[str]]:
    """The connector's name for datasources.json and its settings schema, installing its package
    first when it is missing and the user agrees."""
    before = connector_choices(project.root)
    short = canonical_name(picked) if _looks_like_name(picked) else picked
    requirements: list[str] = []
    if short in before:
        schema = settings_schema(short, project.root)
        missing = missing_modules(short)
        if missing or schema is None:
            requirements = list(CATALOGUE[short].requirements) if short in CATALOGUE else []
    else:
        requirements = [picked]
        schema = None
    if requirements:
        shown = " ".join(requirements)
        if install is None and asker.has_answer("install"):
            install = asker.answer("install")
        if asker.confirm(f"Install {shown}", value=install, default=True, flag="--install/--no-install"):
            pip_install(requirements)
            after = connector_choices(project.root)
            added = [c for c in after if c not in before]
            if short not in after and len(added) == 1:
                short = added[0]
            elif short not in after:
                if added:
                    raise UsageError(f"{shown} brings several connectors ({', '.join(added)}); pass --connector NAME")
                raise LbpyError(
                    f'{shown} is installed, but no connector "{short}" is found: the package must register '
                    'an "lbpy.connectors" entry point (or be importable as lbpy_connector_<name>)'
                )
            schema = settings_schema(short, project.root)
        else:
            typer.echo(f"Not installed: run `pip install {shown}` before the app starts.", err=True)
            if not _looks_like_name(short):
                raise UsageError(f'--connector "{picked}" is a package path; install it to learn its connector name')
    if schema is None:
        if not requirements:
            find_initializer(short, project.root)  # raises the loader's own message
        return short, (), requirements
    return short, schema, requirements


def _looks_like_name(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_.-]+", text)) and not text.endswith((".whl", ".tar.gz", ".zip"))


def ping(project: AppProject, new: NewDatasource) -> None:
    """Connect to the new datasource and ping it; raise a one-line error if it cannot be reached."""
    import anyio

    settings = substitute_env({"name": new.name, **new.entry()}, f'datasource "{new.name}"')
    datasource = DataSource(new.name, settings, app_dir=project.root)

    async def run() -> None:
        try:
            await datasource.ping()
        finally:
            await datasource.disconnect()

    try:
        anyio.run(run)
    except LbpyError:
        raise
    except Exception as exc:
        raise LbpyError(f'datasource "{new.name}" cannot be reached: {exc}') from None


_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._ -]*\])?\s*([<>=!~]=?[^;]*)?")


def _distribution(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return re.sub(r"[-_.]+", "-", name.group(0)).lower() if name else requirement


def pyproject_with(project: AppProject, requirements: list[str]) -> str | None:
    """The app's pyproject.toml with ``requirements`` added to ``[project] dependencies``, or
    None when there is nothing to add or the file is not laid out as ``lbpy new-app`` writes it
    (a hand-made layout is left for its author)."""
    path = project.root / "pyproject.toml"
    if not requirements or not path.is_file():
        return None
    text = path.read_text("utf-8")
    declared = _toml_dependencies(text)
    if not isinstance(declared, list):
        return None
    have = {_distribution(str(d)) for d in declared}
    new = [r for r in requirements if _distribution(r) not in have]
    if not new:
        return None
    found = re.search(r'(?m)^dependencies[ \t]*=[ \t]*\[[ \t]*\n((?:[ \t]*"[^"\n]*"[ \t]*,?[ \t]*\n)*)\]', text)
    if found is None or text.rfind("\n[", 0, found.start()) != text.find("\n[project]"):
        return None
    body = found.group(1)
    if body.strip() and not body.rstrip().endswith(","):
        body = body.rstrip() + ",\n"
    body += "".join(f'  "{r}",\n' for r in new)
    return text[: found.start(1)] + body + text[found.end(1) :]


def _toml_dependencies(text: str) -> Any:
    """``[project] dependencies`` of a pyproject.toml's text, or None where it cannot be read
    (Python 3.10 has no TOML reader: there the author adds the requirements)."""
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text).get("project", {}).get("dependencies")
        except tomllib.TOMLDecodeError:
            return None
    return None


def create_datasource(project: AppProject, new: NewDatasource, *, force: bool = False) -> dict[str, str]:
    """Write the datasource (and the connector's packages into the app's dependencies) as one
    change. Returns relative path -> what was done."""
    check_datasource_name(new.name, project, force=force)
    files = {"server/datasources.json": dump_json(project.datasources_with(new.name, new.entry(), force=force))}
    pyproject = pyproject_with(project, new.requirements)
    if pyproject is not None:
        files["pyproject.toml"] = pyproject
    project.write_files(files)
    return dict.fromkeys(files, "update")


# -- the command ---------------------------------------------------------------------------------


def command(
    name: str | None = typer.Argument(None, help="The datasource name, e.g. db."),
    connector: str | None = typer.Option(
        None,
        "--connector",
        help="memory, sqlite, postgresql, mysql, rest, openapi, an installed or local "
        "connector, or a package to install.",
    ),
    set_: list[str] | None = typer.Option(None, "--set", help="A connector setting, KEY=VALUE; repeat for several."),
    install: bool | None = typer.Option(
        None, "--install/--no-install", help="Install a missing connector package with pip."
    ),
    test: bool = typer.Option(False, "--test", help="Ping the datasource before saving it."),
    force: bool = typer.Option(False, "--force", help="Replace a datasource of the same name."),
    yes: Yes = False,
    config: str | None = typer.Option(None, "--config", help=CONFIG_HELP + " Other keys are settings."),
    app_dir: AppDir = Path("."),
) -> None:
    """Create a datasource (LoopBack 3's loopback:datasource)."""
    with reported():
        project = AppProject(app_dir)
        answers = load_config(config)
        settings = dict(answers.pop("settings", None) or {})
        own = {config_key(k) for k in CONFIG_KEYS}
        settings.update({k: v for k, v in answers.items() if config_key(k) not in own})
        asker = Asker(yes=yes, config={k: v for k, v in answers.items() if config_key(k) in own})
        settings.update(parse_set_options(set_))
        test = test or asker.answer("test") is True
        new = ask_datasource(
            project, asker, name=name, connector=connector, install=install, settings=settings, force=force
        )
        if test:
            ping(project, new)
            typer.echo(f"Connected to {new.name} ({new.connector}).")
        actions = create_datasource(project, new, force=force)

        report(actions)
        typer.echo(f"Datasource {new.name} ({new.connector}) is ready.")
