"""An application's declarative files, read and checked the way loopback-boot read them.

Everything is read and checked once: ``server/config.json``, ``server/datasources.json``,
``server/model-config.json`` (each with its ``*.local.json`` and ``*.<env>.json`` overrides), and
the model definitions found through ``_meta.sources``. Any problem is a ``BootError`` with a
one-line message naming the file. Building models from them is the model builder's job
(``lbpy._model._builder``).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from ._errors import BootError
from ._model._builtins import AUTH_MODELS, BUILTIN_DEFINITIONS, RELATED, SOURCES
from ._model._definition import ModelDefinition
from ._pipeline._config import Entry, middleware_entries

log = logging.getLogger("lbpy")

#: what loopback-boot uses when _meta is absent
DEFAULT_MODEL_SOURCES = ["./models"]
DEFAULT_MIXIN_SOURCES = ["./mixins"]

#: LoopBack's own models that lbpy does not provide (applications, replication)
LOOPBACK_BUILTIN_MODELS = {
    "Scope",
    "Application",
    "Change",
    "Checkpoint",
    "KeyValueModel",
    "Model",
    "PersistedModel",
}


class RestConfig(BaseModel):
    """``remoting.rest``: LoopBack's REST settings, and lbpy's bound on a page."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    #: the most records one list answer carries (a request asking for more, or for no limit, is
    #: capped); None keeps LoopBack's unbounded answers
    max_limit: int | None = Field(None, alias="maxLimit", ge=1)


class RemotingConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    json_: dict[str, Any] = Field(default_factory=dict, alias="json")
    rest: RestConfig = Field(default_factory=RestConfig)


class HttpConfig(BaseModel):
    """``http``: the bounds a server needs against slow or too many clients, in Node's names and
    units (milliseconds), as LoopBack 3's Node server had them. 0 turns a timeout off."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    #: a request's line and headers must arrive within this time of its first byte
    headers_timeout: int = Field(20_000, alias="headersTimeout", ge=0)
    #: a request's body must arrive within this time of its headers (else 408)
    request_timeout: int = Field(30_000, alias="requestTimeout", ge=0)
    #: an idle kept-alive connection is closed after this time
    keep_alive_timeout: int = Field(5_000, alias="keepAliveTimeout", ge=1)
    #: connections (and requests in flight) one process serves at once; beyond, 503
    max_connections: int = Field(1000, alias="maxConnections", ge=1)
    #: the most bytes of request line and headers one request may send (else 431)
    max_header_size: int = Field(16 * 1024, alias="maxHeaderSize", ge=1024)
    #: on SIGTERM, requests in flight get this long to finish before they are cancelled; then
    #: each datasource and change relay gets this long to close (10 s when 0) before it is left
    shutdown_timeout: int = Field(10_000, alias="shutdownTimeout", ge=0)
    #: an open change stream sends a comment line (``:``) this often, so that proxies and load
    #: balancers that close a connection idle for a while (nginx: 60 s) keep it open
    stream_heartbeat: int = Field(15_000, alias="streamHeartbeat", ge=0)


class AppConfig(BaseModel):
    """``server/config.json``; unknown keys are kept, as LoopBack kept them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    rest_api_root: str = Field("/api", alias="restApiRoot")
    host: str = "127.0.0.1"
    port: int = 3000
    debug: bool = False
    remoting: RemotingConfig = Field(default_factory=RemotingConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)


class ModelConfigEntry(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    data_source: str | None = Field(None, alias="dataSource")
    public: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


@dataclass
class DefinitionFile:
    definition: ModelDefinition
    path: Path
    python: Path | None = None
    #: one of LoopBack's built-in models (User, AccessToken, ACL, Role, RoleMapping)
    builtin: bool = False

    def shown(self, root: Path) -> str:
        """How messages name the file: relative to the app, or LoopBack's path for a built-in."""
        return str(self.path) if self.builtin else _relative(self.path, root)


@dataclass
class AppFiles:
    """An application's declarative files, read and checked."""

    root: Path
    config: AppConfig
    datasources: dict[str, dict[str, Any]]
    model_config: dict[str, ModelConfigEntry]
    definitions: dict[str, DefinitionFile]
    mixin_dirs: list[Path]
    component_config: dict[str, Any]
    #: server/middleware.json's entries in request order (variants merged), or None without the file
    middleware: list[Entry] | None = None
    ignored_js: list[Path] = field(default_factory=list)
    skipped_builtins: list[str] = field(default_factory=list)
    #: auth models lbpy attached to the user model's datasource because model-config.json did not
    auto_attached: list[str] = field(default_factory=list)

    @property
    def explorer_settings(self) -> dict[str, Any] | None:
        """loopback-component-explorer's settings from component-config.json; None when the
        explorer is off (absent, or set to false or null)."""
        explorer = self.component_config.get("loopback-component-explorer")
        if explorer is None or explorer is False:
            return None
        return explorer if isinstance(explorer, dict) else {}

    @property
    def explorer_path(self) -> str | None:
        """Where the explorer is served (``/explorer`` unless ``mountPath`` says), or None."""
        settings = self.explorer_settings
        if settings is None:
            return None
        return "/" + str(settings.get("mountPath", "/explorer")).strip("/")


def app_env() -> str:
    return os.environ.get("LBPY_ENV") or os.environ.get("NODE_ENV") or "development"


def read_json(path: Path, *, root: Path | None = None) -> Any:
    """A JSON file, or a BootError naming the file, line and column of the mistake."""
    shown = _relative(path, root)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise BootError(f"{shown} is missing") from None
    except OSError as exc:
        raise BootError(f"{shown} cannot be read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BootError(
            f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; fix the file and start again"
        ) from None


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _read_layers(server: Path, stem: str, root: Path, *, required: bool) -> dict[str, Any]:
    """``stem.json`` merged with ``stem.local.json`` and ``stem.<env>.json``, as loopback-boot did."""
    base = server / f"{stem}.json"
    if not base.exists():
        if required:
            raise BootError(f"{_relative(base, root)} is missing; is {root} an lbpy or LoopBack app?")
        merged: dict[str, Any] = {}
    else:
        merged = read_json(base, root=root)
        if not isinstance(merged, dict):
            raise BootError(f"{_relative(base, root)} must hold a JSON object")
    for extra in (f"{stem}.local.json", f"{stem}.{app_env()}.json"):
        path = server / extra
        if path.exists():
            layer = read_json(path, root=root)
            if not isinstance(layer, dict):
                raise BootError(f"{_relative(path, root)} must hold a JSON object")
            merged = _merge(merged, layer)
    return merged


def _merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute_env(value: Any, where: str) -> Any:
    """``"${DATABASE_URL}"`` (or ``"${PORT:-3000}"``) in a setting reads the environment."""
    if isinstance(value, dict):
        return {k: substitute_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, where) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise BootError(f"{where} needs the environment variable {name}, which is not set")

    return _ENV_REF.sub(replace, value)


def _pydantic_message(exc: PydanticError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden" and first["loc"][:1] == ("http",):
        known = ", ".join(field.alias or name for name, field in HttpConfig.model_fields.items())
        return f"{where}: unknown setting; the http settings are {known}"
    if first["loc"][:1] == ("http",) and first["type"].startswith("int"):
        return f"{where}: {first['msg']} (milliseconds, e.g. 30000)"
    return f"{where}: {first['msg']}" if where else first["msg"]


def read_app(root: Path | str) -> AppFiles:
    """Read and check every declarative file of the app in ``root``."""
    root = Path(root).resolve()
    server = root / "server"
    if not server.is_dir():
        raise BootError(f"{root} has no server/ folder; run lbpy in an app folder, or pass --app DIR")
    raw_config = _read_layers(server, "config", root, required=False)
    try:
        config = AppConfig.model_validate(raw_config)
    except PydanticError as exc:
        raise BootError(f"server/config.json: {_pydantic_message(exc)}") from None
    if not config.rest_api_root.startswith("/"):
        raise BootError('server/config.json: restApiRoot must start with "/", e.g. "/api"')

    raw_ds = _read_layers(server, "datasources", root, required=False)
    datasources: dict[str, dict[str, Any]] = {}
    for name, given in raw_ds.items():
        if not isinstance(given, dict):
            raise BootError(f'server/datasources.json: datasource "{name}" must be an object')
        settings = substitute_env(given, f'server/datasources.json: datasource "{name}"')
        if not settings.get("connector"):
            raise BootError(
                f'server/datasources.json: datasource "{name}" has no "connector"; add one, e.g. "connector": "memory"'
            )
        datasources[name] = {"name": name, **settings}

    raw_mc = _read_layers(server, "model-config", root, required=True)
    meta = raw_mc.pop("_meta", None) or {}
    if not isinstance(meta, dict):
        raise BootError("server/model-config.json: _meta must be an object")
    sources = meta.get("sources") or DEFAULT_MODEL_SOURCES
    mixin_sources = meta.get("mixins") or DEFAULT_MIXIN_SOURCES
    model_config: dict[str, ModelConfigEntry] = {}
    for name, given_entry in raw_mc.items():
        entry = {} if given_entry is None else given_entry
        if not isinstance(entry, dict):
            raise BootError(f'server/model-config.json: the entry for "{name}" must be an object')
        try:
            model_config[name] = ModelConfigEntry.model_validate(entry)
        except PydanticError as exc:
            raise BootError(f'server/model-config.json: "{name}".{_pydantic_message(exc)}') from None
        if "dataSource" not in entry:
            log.warning(
                'server/model-config.json: "%s" has no "dataSource"; its methods will fail. '
                "Name a datasource, or use null to mark a model not attached to one",
                name,
            )

    files = AppFiles(
        root=root,
        config=config,
        datasources=datasources,
        model_config=model_config,
        definitions={},
        mixin_dirs=[server / src for src in mixin_sources if not src.startswith("loopback/")],
        component_config=_read_layers(server, "component-config", root, required=False),
    )
    _read_definitions(files, server, sources)
    files.middleware = _read_middleware(server, root, raw_config)
    return files


def _read_middleware(server: Path, root: Path, raw_config: dict[str, Any]) -> list[Entry] | None:
    """server/middleware.json with ``middleware.local.json`` and ``middleware.<env>.json`` over it."""
    main = server / "middleware.json"
    if not main.is_file():
        return None
    variants = [
        (f"server/{name}", read_json(server / name, root=root))
        for name in ("middleware.local.json", f"middleware.{app_env()}.json")
        if (server / name).is_file()
    ]
    settings = {"restApiRoot": "/api", **raw_config}
    return middleware_entries(read_json(main, root=root), variants, server, settings)


def _read_definitions(files: AppFiles, server: Path, sources: list[str]) -> None:
    seen_dirs: set[Path] = set()
    for source in sources:
        if source.startswith("loopback/"):
            continue
        folder = (server / source).resolve()
        if folder in seen_dirs or not folder.is_dir():
            continue
        seen_dirs.add(folder)
        for path in sorted(folder.glob("*.json")):
            raw = read_json(path, root=files.root)
            shown = _relative(path, files.root)
            if not isinstance(raw, dict):
                raise BootError(f"{shown} must hold a JSON object (a model definition)")
            try:
                definition = ModelDefinition.model_validate(raw)
            except PydanticError as exc:
                raise BootError(f"{shown}: {_pydantic_message(exc)}") from None
            if definition.name in files.definitions:
                other = _relative(files.definitions[definition.name].path, files.root)
                raise BootError(f'{shown} defines "{definition.name}" again (first in {other})')
            python = path.with_suffix(".py")
            files.definitions[definition.name] = DefinitionFile(definition, path, python if python.is_file() else None)
        files.ignored_js.extend(_unported(folder))
    for folder in files.mixin_dirs:
        if folder.is_dir():
            files.ignored_js.extend(_unported(folder))
    boot_dir = server / "boot"
    if boot_dir.is_dir():
        files.ignored_js.extend(_unported(boot_dir))
    for name in list(files.model_config):
        if name not in files.definitions and name in LOOPBACK_BUILTIN_MODELS:
            files.skipped_builtins.append(name)
            del files.model_config[name]
    _add_auth_models(files)


def _unported(folder: Path) -> list[Path]:
    """The JavaScript files of ``folder`` with no Python file beside them (``lbpy import-lb3`` writes one)."""
    return [path for path in sorted(folder.glob("*.js")) if not path.with_suffix(".py").is_file()]


def _add_auth_models(files: AppFiles) -> None:
    """LoopBack's User, AccessToken, ACL, Role and RoleMapping, where model-config.json names them
    or an app model derives from one (an app's own definition of the name wins). When a User-based
    model is served and model-config.json leaves the others out, they are attached to its
    datasource, not public, as LoopBack's ``enableAuth({dataSource})`` attached them."""
    provided = (*AUTH_MODELS, "Email")
    wanted = [name for name in files.model_config if name in provided]
    for file in list(files.definitions.values()):
        base = file.definition.base
        if base in provided:
            wanted.append(base)
    while wanted:
        name = wanted.pop()
        if name not in files.definitions:
            files.definitions[name] = DefinitionFile(
                ModelDefinition.model_validate(BUILTIN_DEFINITIONS[name]), Path(SOURCES[name]), builtin=True
            )
            wanted.extend(RELATED[name])
    user_models = [name for name in files.model_config if _derives_from(files, name, "User")]
    datasource = next(
        (files.model_config[name].data_source for name in user_models if files.model_config[name].data_source), None
    )
    if datasource is None:
        return
    for name in ("AccessToken", "ACL", "RoleMapping", "Role"):
        if not any(_derives_from(files, other, name) for other in files.model_config):
            if name not in files.definitions:
                files.definitions[name] = DefinitionFile(
                    ModelDefinition.model_validate(BUILTIN_DEFINITIONS[name]), Path(SOURCES[name]), builtin=True
                )
            files.model_config[name] = ModelConfigEntry(data_source=datasource, public=False)
            files.auto_attached.append(name)


def _derives_from(files: AppFiles, name: str, root: str) -> bool:
    """Whether model ``name`` is ``root`` or has it among its bases."""
    seen: set[str] = set()
    while name and name not in seen:
        if name == root:
            return True
        seen.add(name)
        file = files.definitions.get(name)
        name = file.definition.base if file is not None else ""
    return False
