"""Finding a connector by name.

Order: the built-ins, the app's ``connectors/`` folder, the ``lbpy.connectors`` entry-point group,
then an importable module ``lbpy_connector_<name>``. Built-ins are named in a table of
``"module"`` strings and imported only when used, so their drivers stay optional.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from .._errors import BootError, ConnectorNotFoundError
from .._loader import import_file

BUILTINS: dict[str, str] = {
    "memory": "lbpy._connectors.memory",
    "transient": "lbpy._connectors.transient",
    "sqlite": "lbpy._connectors.sql",
    "postgresql": "lbpy._connectors.sql",
    "mysql": "lbpy._connectors.sql",
    "rest": "lbpy._connectors.rest",
    "openapi": "lbpy._connectors.openapi",
    "mail": "lbpy._connectors.mail",
}

#: names LoopBack 3 apps use for the same connectors
ALIASES = {
    "sqlite3": "sqlite",
    "postgres": "postgresql",
    "mariadb": "mysql",
    "swagger": "openapi",
}

ENTRY_POINT_GROUP = "lbpy.connectors"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def canonical_name(name: str) -> str:
    """``loopback-connector-mysql`` and ``lbpy-connector-x`` name connectors ``mysql`` and ``x``."""
    for prefix in ("loopback-connector-", "lbpy-connector-", "lbpy_connector_"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return ALIASES.get(name, name)


def module_name(name: str) -> str:
    return "lbpy_connector_" + name.replace("-", "_").replace(".", "_")


def find_initializer(name: str, app_dir: Path | None = None) -> Callable[..., Any]:
    """The ``initialize(datasource)`` function of the connector called ``name``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConnectorNotFoundError(f'"{name}" is not a valid connector name')
    short = canonical_name(name)
    module = _find_module(short, app_dir)
    initialize: object = getattr(module, "initialize", None)
    if not callable(initialize):
        raise BootError(
            f'connector "{short}" ({module.__name__}) does not export initialize(datasource) from its top-level module'
        )
    return initialize


def _find_module(short: str, app_dir: Path | None) -> ModuleType:
    if short in BUILTINS:
        return _import(BUILTINS[short], short)
    if app_dir is not None:
        local = _local_package(short, app_dir / "connectors")
        if local is not None:
            return local
    entry = _entry_point(short)
    if entry is not None:
        return entry
    target = module_name(short)
    if importlib.util.find_spec(target) is not None:
        return _import(target, short)
    where = f"{app_dir / 'connectors'}/, " if app_dir is not None else ""
    raise ConnectorNotFoundError(
        f'connector "{short}" was not found; lbpy looked in its built-ins '
        f'({", ".join(BUILTINS)}), {where}the "{ENTRY_POINT_GROUP}" entry points and the '
        f"module {target}. Install it (pip install lbpy-connector-{short}) or put its package "
        "in the app's connectors/ folder"
    )


def _import(module: str, short: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BootError(f'connector "{short}" could not be loaded: {exc}') from None


def local_candidates(short: str, folder: Path) -> list[Path]:
    """Where a connector package may sit in an app's ``connectors/`` folder."""
    mod = module_name(short)
    return [
        folder / short,
        folder / mod,
        folder / f"lbpy-connector-{short}" / mod,
        folder / f"{short}.py",
    ]


def _local_package(short: str, folder: Path) -> ModuleType | None:
    if not folder.is_dir():
        return None
    for candidate in local_candidates(short, folder):
        if candidate.is_dir() and (candidate / "__init__.py").is_file():
            return _load_path(module_name(short), candidate / "__init__.py", package=True)
        if candidate.suffix == ".py" and candidate.is_file():
            return _load_path(module_name(short), candidate, package=False)
    return None


def _load_path(name: str, init: Path, *, package: bool) -> ModuleType:
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == str(init):
        return existing
    try:
        return import_file(name, init, package=package)
    except Exception as exc:
        raise BootError(f"the connector in {init.parent} failed to load: {exc}") from exc


def _entry_point(short: str) -> ModuleType | None:
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if canonical_name(entry.name) == short:
            try:
                loaded = entry.load()
            except Exception as exc:
                raise BootError(f'connector "{short}" (entry point {entry.value}) failed to load: {exc}') from exc
            if isinstance(loaded, ModuleType):
                return loaded
            module = ModuleType(entry.value)
            module.initialize = loaded  # type: ignore[attr-defined]  # a module made for the entry point's function
            return module
    return None


def available_connectors(app_dir: Path | None = None) -> dict[str, str]:
    """Every connector lbpy can find now, name -> where it comes from (for the wizards)."""
    from importlib.metadata import entry_points

    found = dict.fromkeys(BUILTINS, "built-in")
    if app_dir is not None and (app_dir / "connectors").is_dir():
        for child in sorted((app_dir / "connectors").iterdir()):
            short = canonical_name(child.stem if child.suffix == ".py" else child.name)
            if child.name.startswith((".", "_")):
                continue
            if any(c.exists() for c in local_candidates(short, app_dir / "connectors")):
                found.setdefault(short, "connectors/")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(canonical_name(entry.name), f"installed ({entry.value.split(':')[0]})")
    return found
