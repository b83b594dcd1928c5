"""Editing an app's files from the CLI: JSON edited in place, never regenerated.

Entries keep their order and LoopBack's two-space format; every write is atomic. Commands
(the wizards, discovery, generators) change an app only through ``AppProject``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ._app_files import DEFAULT_MODEL_SOURCES
from ._atomic import write_atomic
from ._errors import UsageError


def dump_json(data: Any) -> str:
    """JSON the way LoopBack's tools write it: two-space indent, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_WORD = re.compile(
    r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+"
    r"|[0-9]*(?:1ST|2ND|3RD|(?![123])[0-9]TH)(?=\b|[a-z_])"  # ordinals stay one word: 5th, 21ST
    r"|[0-9]*(?:1st|2nd|3rd|(?![123])[0-9]th)(?=\b|[A-Z_])"
    r"|[0-9]+",
    re.ASCII,
)


def kebab_case(name: str) -> str:
    """The file name LoopBack gives a model: ``CustomerOrder`` -> ``customer-order``,
    ``HTTPServer`` -> ``http-server``, ``Model1`` -> ``model-1``, ``URL`` -> ``url``.

    loopback-workspace's rule: a name in capitals or with a dash is only lower-cased; any other
    name is split into words (lodash's kebabCase: case changes, digits, punctuation)."""
    if name == name.upper() or "-" in name:
        return name.lower()
    return "-".join(word.lower() for word in _WORD.findall(name))


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
        except json.JSONDecodeError as exc:
            raise UsageError(f"{relative}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}); fix it first") from None

    def write(self, relative: str, data: Any) -> Path:
        path = self.path(relative)
        write_atomic(path, dump_json(data))
        return path

    # -- datasources ----------------------------------------------------------------------

    def datasources(self) -> dict[str, Any]:
        found: dict[str, Any] = self.read("server/datasources.json", {})
        return found

    def datasources_with(self, name: str, settings: dict[str, Any], *, force: bool = False) -> dict[str, Any]:
        """datasources.json's content with ``name`` added (or, with ``force``, replaced in place)."""
        current = self.datasources()
        if name in current and not force:
            raise UsageError(f'datasource "{name}" already exists; pass --force to replace it')
        current[name] = {"name": name, **{k: v for k, v in settings.items() if k != "name"}}
        return current

    # -- models ---------------------------------------------------------------------------

    def model_config(self) -> dict[str, Any]:
        found: dict[str, Any] = self.read("server/model-config.json")
        return found

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

    def model_definitions(self, *, strict: bool = False) -> dict[str, tuple[Path, dict[str, Any]]]:
        """Every model definition of the app: name -> (file, JSON).

        A file that is not a model definition is passed over, unless ``strict``: then it is an
        error naming the file (a change meant for every model must not miss one silently)."""
        found: dict[str, tuple[Path, dict[str, Any]]] = {}
        for folder in self.model_dirs():
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")):
                try:
                    data = json.loads(path.read_text("utf-8"))
                except ValueError as exc:
                    if strict:
                        where, why = (
                            (f":{exc.lineno}:{exc.colno}", exc.msg)
                            if isinstance(exc, json.JSONDecodeError)
                            else ("", "not UTF-8 text")
                        )
                        raise UsageError(f"{self.relative(path)}{where}: invalid JSON ({why}); fix it first") from None
                    continue
                if isinstance(data, dict) and isinstance(data.get("name"), str):
                    found.setdefault(data["name"], (path, data))
                elif strict:
                    raise UsageError(
                        f'{self.relative(path)} is not a model definition (a JSON object with a "name"); fix it first'
                    )
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

    # -- several files as one change --------------------------------------------------------

    def write_files(self, files: dict[str, str]) -> list[Path]:
        """Write several files (relative path -> text) as one change.

        Each file is replaced atomically, in the order given; if one write fails, the files
        already written get their old content back (or are removed if they were new), so a
        failed command leaves the app as it found it."""
        done: list[tuple[Path, bytes | None]] = []
        try:
            for relative, text in files.items():
                path = self.path(relative)
                before = path.read_bytes() if path.exists() else None
                write_atomic(path, text)
                done.append((path, before))
        except BaseException:
            for path, before in reversed(done):
                try:
                    if before is None:
                        path.unlink()
                    else:
                        write_atomic(path, before.decode("utf-8"))
                except OSError:
                    pass
            raise
        return [path for path, _ in done]

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    # -- looking models up ----------------------------------------------------------------

    def require_model(self, name: str, *, flag: str = "MODEL") -> tuple[Path, dict[str, Any]]:
        """The file and JSON of the app's model ``name``, or a UsageError naming the choices."""
        definitions = self.model_definitions()
        if name not in definitions:
            known = ", ".join(definitions) or "none yet"
            raise UsageError(
                f'{flag}: the app has no model "{name}" (models: {known}); create it with: lbpy model {name}'
            )
        return definitions[name]

    def model_source_for(self, facet: str) -> str | None:
        """The ``_meta.sources`` entry to add so that boot finds models in ``facet``'s folder,
        or None when the sources already cover it."""
        folder = self.facet_dir(facet).resolve()
        if folder in self.model_dirs():
            return None
        return "../common/models" if facet == "common" else "./models"
