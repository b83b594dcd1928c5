"""``lbpy import-lb3``, the use case: every JavaScript file of a LoopBack 3 app ported once into Python.

``port_app(root)`` finds the app's model files (``common/models``, ``server/models`` and the folders
``_meta.sources`` lists), mixins (``common/mixins`` and ``_meta.mixins``) and boot scripts
(``server/boot``), translates each (``_declarations``), and writes ``<name>.py`` beside each ``.js``
with ``MIGRATION.md``, the report. A file that does not parse is an error in the report and the rest
is still ported; a Python file that exists is replaced only with ``force``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import UsageError
from .._project import AppProject, dump_json
from ._declarations import Entry, FileTranslator, Kind, Translation
from ._javascript import parser

#: npm packages of LoopBack 3 apps and what an lbpy app uses instead
COUNTERPARTS: dict[str, str] = {
    "loopback": "lbpy",
    "loopback-boot": "lbpy (boots the same server/*.json)",
    "loopback-datasource-juggler": "lbpy",
    "loopback-component-explorer": "lbpy (the explorer is built in)",
    "strong-error-handler": "lbpy (LoopBack's error bodies are built in)",
    "strong-remoting": "lbpy",
    "compression": "lbpy (middleware.json's compression)",
    "cors": "lbpy (middleware.json's cors)",
    "helmet": "lbpy (middleware.json's helmet)",
    "serve-favicon": "lbpy (middleware.json's favicon)",
    "loopback-connector-mysql": "lbpy[mysql]",
    "loopback-connector-postgresql": "lbpy[postgresql]",
    "loopback-connector-sqlite3": "lbpy (sqlite is built in)",
    "loopback-connector-rest": "lbpy (the rest connector is built in)",
    "loopback-connector-openapi": "lbpy[openapi]",
    "loopback-connector-swagger": "lbpy[openapi]",
    "loopback-ds-timestamp-mixin": "lbpy (the TimeStamp mixin is built in)",
}

_GENERATED = "Ported from "


@dataclass
class PortedFile:
    translation: Translation
    target: str | None  # the Python file written (app-relative), None when nothing is written
    model_json: str | None = None  # the model JSON that setup-time settings went into


@dataclass
class Report:
    root: Path
    files: list[PortedFile] = field(default_factory=list)
    #: app-relative path -> "create", "overwrite" or "update"
    written: dict[str, str] = field(default_factory=dict)
    dependencies: list[tuple[str, str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def errors(self) -> list[str]:
        return [f.translation.error for f in self.files if f.translation.error]

    def count(self, status: str, *, function: bool = True) -> int:
        return sum(
            1 for f in self.files for e in f.translation.entries if e.function == function and e.status == status
        )

    def totals(self) -> dict[str, int]:
        return {
            "functions translated": self.count("translated"),
            "functions stubbed": self.count("stubbed"),
            "declarations translated": self.count("translated", function=False),
            "skipped": self.count("skipped", function=False) + self.count("skipped"),
            "files that did not parse": len(self.errors),
        }


def _folders(project: AppProject, key: str, defaults: list[str]) -> list[Path]:
    meta = project.model_config().get("_meta") or {}
    listed = meta.get(key) or []
    found: list[Path] = []
    for source in [*defaults, *(listed if isinstance(listed, list) else [])]:
        if not isinstance(source, str) or source.startswith("loopback/"):
            continue
        folder = (project.server / source).resolve()
        if folder.is_dir() and folder not in found:
            found.append(folder)
    return found


def javascript_files(project: AppProject) -> list[tuple[Path, Kind]]:
    """The app's JavaScript that import-lb3 ports, in the order it is reported."""
    files: list[tuple[Path, Kind]] = []
    for folder in _folders(project, "sources", ["../common/models", "./models"]):
        files += [(p, "model") for p in sorted(folder.glob("*.js"))]
    for folder in _folders(project, "mixins", ["../common/mixins", "./mixins"]):
        files += [(p, "mixin") for p in sorted(folder.glob("*.js"))]
    boot = project.server / "boot"
    if boot.is_dir():
        files += [(p, "boot") for p in sorted(boot.glob("*.js"))]
    return files


def port_app(root: Path | str, *, dry_run: bool = False, force: bool = False) -> Report:
    """Translate the app's JavaScript and (unless ``dry_run``) write the Python and MIGRATION.md."""
    parser()  # a UsageError naming the extra when tree-sitter is missing
    project = AppProject(root)
    report = Report(project.root, dry_run=dry_run)
    outputs: dict[str, str] = {}
    json_updates: dict[str, dict[str, Any]] = {}
    for path, kind in javascript_files(project):
        relative = project.relative(path)
        translation = FileTranslator(path.read_bytes(), relative, kind).translate()
        ported = PortedFile(translation, None)
        report.files.append(ported)
        if translation.text is not None:
            ported.target = project.relative(path.with_suffix(".py"))
            outputs[ported.target] = translation.text
        if translation.settings:
            model_json = path.with_suffix(".json")
            if not model_json.is_file():
                translation.entries.append(
                    Entry(1, "Model.settings", "skipped", f"no {project.relative(model_json)} to write the settings in")
                )
                continue
            key = project.relative(model_json)
            data = json_updates.setdefault(key, project.read(key))
            for keys, _, value in translation.settings:
                _set(data, keys, value)
            ported.model_json = key
    report.dependencies = dependencies(project.root)
    existing = [name for name in outputs if project.path(name).exists()]
    if existing and not force:
        raise UsageError(
            f"{existing[0]} exists{f' (and {len(existing) - 1} more Python file(s))' if len(existing) > 1 else ''}; "
            "pass --force to overwrite"
        )
    for name in outputs:
        report.written[name] = "overwrite" if name in existing else "create"
    for name in json_updates:
        report.written[name] = "update"
    report.written["MIGRATION.md"] = "overwrite" if project.path("MIGRATION.md").exists() else "create"
    if dry_run:
        return report
    files = {**outputs, **{name: dump_json(data) for name, data in json_updates.items()}}
    files["MIGRATION.md"] = migration_markdown(report)
    project.write_files(files)
    return report


def _set(data: dict[str, Any], keys: list[str], value: Any) -> None:
    target = data
    for key in keys[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[keys[-1]] = value


def dependencies(root: Path) -> list[tuple[str, str, str]]:
    """package.json's dependencies: (name, version, what lbpy offers instead or "")."""
    path = root / "package.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    found = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return []
    return [(name, str(version), COUNTERPARTS.get(name, "")) for name, version in found.items()]


def migration_markdown(report: Report) -> str:
    """MIGRATION.md: what import-lb3 did to each file and what needs a person."""
    lines = [
        "# Moving this app from LoopBack 3 to lbpy",
        "",
        "Written by `lbpy import-lb3`. Each JavaScript file was ported into the Python file beside it.",
        "A **stubbed** function answers 501 NOT_IMPLEMENTED naming its file and line, with the JavaScript",
        "beside it as a comment: rewrite it in Python. A **skipped** line was not ported: port it by hand.",
        "",
        "## Totals",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in report.totals().items()],
        "",
        "## Files",
        "",
    ]
    for ported in report.files:
        t = ported.translation
        target = f" → `{ported.target}`" if ported.target else ""
        lines += [f"### `{t.source}`{target}", ""]
        if t.error:
            lines += [f"**Not ported**: {t.error}", ""]
            continue
        if not t.entries:
            lines += ["Nothing to port.", ""]
            continue
        lines += ["| line | what | result | why |", "|---|---|---|---|"]
        for entry in t.entries:
            lines.append(f"| {entry.line} | {_cell(entry.what)} | {entry.status} | {_cell(entry.reason)} |")
        lines.append("")
    if report.dependencies:
        lines += ["## npm dependencies", "", "| package | version | in lbpy |", "|---|---|---|"]
        for name, version, counterpart in report.dependencies:
            lines.append(f"| {name} | {_cell(version)} | {_cell(counterpart) or 'no counterpart known'} |")
        lines.append("")
    return "\n".join(lines)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
