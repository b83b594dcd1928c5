"""Editing an app's files from the CLI: JSON edited in place, never regenerated.

Entries keep their order and LoopBack's two-space format; every write is atomic. Commands
(the wizards, discovery, generators) change an app only through ``AppProject``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ._atomic import write_atomic
from ._boot import DEFAULT_MODEL_SOURCES
from ._errors import UsageError


def dump_json(data: Any) -> str:
    """JSON the way LoopBack's tools write it: two-space indent, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def kebab_case(name: str) -> str:
    """``CustomerOrder`` -> ``customer-order``: the file name LoopBack gives a model."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", text)
    return re.sub(r"[_\s]+", "-", text).lower()


class AppProject:
    """The app in ``root``, as the CLI edits it."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.server = self.root / "server"
        if not (self.server / "model-config.json").is_file():
            raise UsageError(
                f"{self.root} is not an lbpy app (no server/model-config.json); "
                "run the command in an app folder or pass --app DIR"
            )

    # -- generic --------------------------------------------------------------------------

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str, default: Any = None) -> Any:
        path = self.path(relative)
        if not path.exists():
            if default is not None:
                return default
            raise UsageError(f"{relative} is missing")
        try:
            return json.loads(path.read_text("utf-8"))
        except ValueError as exc:
            raise UsageError(
                f"{relative}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}); fix it first"
            ) from None

    def write(self, relative: str, data: Any) -> Path:
        path = self.path(relative)
        write_atomic(path, dump_json(data))
        return path

    # -- datasources ----------------------------------------------------------------------

    def datasources(self) -> dict[str, Any]:
        return self.read("server/datasources.json", {})

    def add_datasource(self, name: str, settings: dict[str, Any], *, force: bool = False) -> Path:
        current = self.datasources()
        if name in current and not force:
            raise UsageError(f'datasource "{name}" already exists; pass --force to replace it')
        current[name] = {"name": name, **{k: v for k, v in settings.items() if k != "name"}}
        return self.write("server/datasources.json", current)

    # -- models ---------------------------------------------------------------------------

    def model_config(self) -> dict[str, Any]:
        return self.read("server/model-config.json")

    def set_model_config(self, name: str, entry: dict[str, Any], *, force: bool = False) -> Path:
        current = self.model_config()
        if name in current and not force:
            raise UsageError(f'model "{name}" is already in server/model-config.json; pass --force')
        current[name] = entry
        return self.write("server/model-config.json", current)

    def model_dirs(self) -> list[Path]:
        meta = self.model_config().get("_meta") or {}
        sources = meta.get("sources") or DEFAULT_MODEL_SOURCES
        return [(self.server / s).resolve() for s in sources if not s.startswith("loopback/")]

    def model_definitions(self) -> dict[str, tuple[Path, dict]]:
        """Every model definition of the app: name -> (file, JSON)."""
        found: dict[str, tuple[Path, dict]] = {}
        for folder in self.model_dirs():
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")):
                try:
                    data = json.loads(path.read_text("utf-8"))
                except ValueError:
                    continue
                if isinstance(data, dict) and isinstance(data.get("name"), str):
                    found.setdefault(data["name"], (path, data))
        return found

    def model_file(self, name: str) -> Path | None:
        entry = self.model_definitions().get(name)
        return entry[0] if entry else None

    def facet_dir(self, facet: str) -> Path:
        if facet not in ("common", "server"):
            raise UsageError(f'--facet must be "common" or "server", not "{facet}"')
        return self.root / facet / "models"

    def write_model(self, definition: dict[str, Any], *, facet: str = "common", force: bool = False) -> Path:
        name = definition["name"]
        existing = self.model_file(name)
        target = existing or self.facet_dir(facet) / f"{kebab_case(name)}.json"
        if existing is not None and not force:
            raise UsageError(f'model "{name}" already exists ({existing.relative_to(self.root)}); pass --force')
        write_atomic(target, dump_json(definition))
        return target
