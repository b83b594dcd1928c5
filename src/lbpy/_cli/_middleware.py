"""Add an entry to server/middleware.json -- LoopBack 3's ``lb middleware``, in its order: the
middleware's name, its phase and sub-phase, the paths it applies to, its params.

A name is a known entry (``compression``, ``cors``, ``helmet#hsts``, ``loopback#static`` ...) or a
Python ASGI middleware factory (``mypackage.audit:factory``, ``./server/middleware/audit.py:factory``).
The file is written with LoopBack's phases when the app has none yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._errors import BootError, UsageError
from .._pipeline._config import PHASES, middleware_entries
from .._project import dump_json
from ._errors import reported
from ._model import report
from ._options import AppDir, ConfigAnswers, Yes
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

FILE = "server/middleware.json"
SUB_PHASES = ("before", "main", "after")
SUB_TITLES = {"before": "before (phase:before)", "main": "the phase itself", "after": "after (phase:after)"}
CONFIG_KEYS = ["name", "phase", "subPhase", "paths", "params"]
_NAME = re.compile(r"[^\s\"]+")


def check_name(name: str) -> str:
    if not name or not _NAME.fullmatch(name):
        raise UsageError(f'middleware name "{name}": write a known entry such as cors, or "module:factory"')
    return name


def check_paths(paths: list[str]) -> list[str]:
    for path in paths:
        if not path.startswith("/") and not path.startswith("${"):
            raise UsageError(f'path "{path}" must start with "/", e.g. /api')
    return paths


def parse_params(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--params must be JSON, e.g. '{{\"origin\": true}}': {exc.msg} at column {exc.colno}"
        ) from None


def add_middleware(
    project: AppProject,
    *,
    name: str,
    phase: str,
    params: Any = None,
    paths: list[str] | None = None,
    force: bool = False,
) -> dict[str, str]:
    """Write the entry into server/middleware.json; returns relative path -> "create" / "update"."""
    check_name(name)
    base, _, sub = phase.partition(":")
    if base not in PHASES or sub not in ("", "before", "after"):
        raise UsageError(f'phase "{phase}": one of {", ".join(PHASES)}, each also with :before or :after')
    existing = project.path(FILE).is_file()
    current = project.read(FILE) if existing else {p: {} for p in PHASES}
    if not isinstance(current, dict):
        raise UsageError(f"{FILE} must hold a JSON object; fix it first")
    entries = current.get(phase)
    if entries is None:
        entries = {}
    if not isinstance(entries, dict):
        raise UsageError(f'{FILE}: the phase "{phase}" must be an object; fix it first')
    if name in entries and not force:
        raise UsageError(f'{FILE} already has "{name}" in phase "{phase}"; pass --force to replace it')
    entry: dict[str, Any] = {}
    if params is not None:
        entry["params"] = params
    if paths:
        entry["paths"] = check_paths(paths)
    reference = name.rpartition(":")[0] if ":" in name else ""
    if reference.endswith(".py") and not (project.root / reference).is_file():
        raise UsageError(f"{reference} does not exist; write the factory there first, or fix the path")
    updated = _with_phase(current, phase, {**entries, name: entry})
    try:  # the file must still boot: its phases, paths and params as lbpy reads them
        middleware_entries(updated, [], project.server, {"restApiRoot": "/api"})
    except BootError as exc:
        raise UsageError(str(exc)) from None
    project.write_files({FILE: dump_json(updated)})
    return {FILE: "update" if existing else "create"}


def _with_phase(current: dict[str, Any], phase: str, entries: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``phase`` set, a new phase placed in LoopBack's order among the others."""
    if phase in current:
        return {**current, phase: entries}
    rank = {name: i for i, name in enumerate(p for base in PHASES for p in (f"{base}:before", base, f"{base}:after"))}
    out: dict[str, Any] = {}
    placed = False
    for key, value in current.items():
        if not placed and rank.get(key, -1) > rank[phase]:
            out[phase] = entries
            placed = True
        out[key] = value
    if not placed:
        out[phase] = entries
    return out


def ask_middleware(
    asker: Asker,
    *,
    name: str | None,
    phase: str | None,
    sub_phase: str | None,
    paths: list[str] | None,
    params: str | None,
) -> tuple[str, str, Any, list[str]]:
    name = asker.text(
        "Middleware name (e.g. cors, helmet#hsts, mypackage.audit:factory)",
        value=name,
        flag="NAME",
        validate=check_name,
        key="name",
    )
    base = asker.select("Phase to use", PHASES, value=phase, default="routes", flag="--phase", key="phase")
    sub = asker.select(
        "Sub-phase", SUB_PHASES, value=sub_phase, default="main", flag="--sub-phase", titles=SUB_TITLES, key="subPhase"
    )
    if paths is None and asker.has_answer("paths"):
        paths = asker.answer("paths")
    if paths is None and asker.prompting:
        text = asker.text(
            "Paths to mount the middleware onto (comma separated, empty for all)", flag="--path", required=False
        )
        paths = [p.strip() for p in (text or "").split(",") if p.strip()]
    params_text = params if params is not None else asker.answer("params")
    if not isinstance(params_text, str) and params_text is not None:
        params_value = params_text
    else:
        if params_text is None and asker.prompting:
            params_text = asker.text("Parameters as JSON (empty for none)", flag="--params", required=False)
        params_value = parse_params(params_text)
    return name, base if sub == "main" else f"{base}:{sub}", params_value, check_paths(list(paths or []))


def command(
    name: str | None = typer.Argument(None, help="The middleware: a known entry, or module:factory for a Python one."),
    phase: str | None = typer.Option(None, "--phase", help=f"One of {', '.join(PHASES)}."),
    sub_phase: str | None = typer.Option(None, "--sub-phase", help="before, main or after."),
    path: list[str] | None = typer.Option(None, "--path", help="A path the middleware applies to (repeat for more)."),
    params: str | None = typer.Option(None, "--params", help="Its params as JSON, e.g. '{\"origin\": true}'."),
    force: bool = typer.Option(False, "--force", help="Replace an entry of the same name in the phase."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Add a middleware entry to server/middleware.json (LoopBack 3's lb middleware)."""
    with reported():
        project, asker = open_wizard(app_dir, yes=yes, config=config, keys=CONFIG_KEYS)
        chosen, full_phase, value, paths = ask_middleware(
            asker, name=name, phase=phase, sub_phase=sub_phase, paths=path or None, params=params
        )
        report(add_middleware(project, name=chosen, phase=full_phase, params=value, paths=paths, force=force))
        typer.echo(f'Added "{chosen}" to phase "{full_phase}" of {FILE}.')
