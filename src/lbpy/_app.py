"""The application: models, datasources and the ASGI app serving them, built once at boot."""

from __future__ import annotations

import inspect
import logging
import os
from pathlib import Path
from typing import Any, Callable

from ._boot import AppFiles, ModelConfigEntry, read_app
from ._datasource import DataSource
from ._errors import BootError
from ._loader import import_file, line_in, shown_path
from ._model._definition import (
    ROOT_BASES,
    MISSING,
    ModelDefinition,
    ModelSpec,
    RelationSpec,
    build_property,
    injected_id,
    join_description,
    ordered_ids,
    pluralize,
)
from ._model._persisted import Model
from ._model._types import ArrayType, CoercionError, ModelType

log = logging.getLogger("lbpy")


class Application:
    """A booted lbpy application; call it as an ASGI app."""

    def __init__(self, files: AppFiles, *, debug: bool | None = None) -> None:
        self.root = files.root
        self.files = files
        self.config = files.config
        if debug is None:
            env = os.environ.get("LBPY_DEBUG", "").lower()
            debug = env in ("1", "true", "yes") if env else files.config.debug
        self.debug = debug
        self.rest_api_root = "/" + files.config.rest_api_root.strip("/")
        if self.rest_api_root == "/":
            self.rest_api_root = ""
        self.datasources: dict[str, DataSource] = {}
        self.models: dict[str, type[Model]] = {}
        self.model_specs: dict[str, ModelSpec] = {}
        self.model_config: dict[str, ModelConfigEntry] = files.model_config
        self.boot_scripts: list[Callable] = []
        self._model_modules: dict[str, Any] = {}
        self._started = False
        self._asgi: Callable | None = None
        explorer = files.component_config.get("loopback-component-explorer")
        self.explorer_path: str | None = None
        if explorer is not None and explorer is not False:
            mount = (explorer or {}).get("mountPath", "/explorer") if isinstance(explorer, dict) else "/explorer"
            self.explorer_path = "/" + str(mount).strip("/")

    # -- building -------------------------------------------------------------------------

    def _boot(self) -> None:
        files = self.files
        for name, settings in files.datasources.items():
            try:
                self.datasources[name] = DataSource(name, settings, app_dir=self.root)
            except BootError as exc:
                raise BootError(f'server/datasources.json: datasource "{name}": {exc}') from None
        for name, entry in files.model_config.items():
            if name not in files.definitions:
                raise BootError(
                    f'server/model-config.json names model "{name}", but no model definition '
                    f'declares it (looked for "name": "{name}" in the _meta.sources folders)'
                    + _sources_hint(self.root, name)
                )
            if entry.data_source is not None and entry.data_source not in self.datasources:
                known = ", ".join(self.datasources) or "none"
                raise BootError(
                    f'server/model-config.json: model "{name}" uses datasource "{entry.data_source}", '
                    f"which server/datasources.json does not define (defined: {known})"
                )
        order = self._inheritance_order()
        merged: dict[str, dict] = {}
        for name in order:
            merged[name] = self._merged_definition(name, merged)
        for name in order:
            self._build_model(name, merged[name])
        from ._model._relations import setup_relations

        setup_relations(self)  # may add properties, and the through models of hasAndBelongsToMany
        for model in list(self.models.values()):
            self._bind_nested_types(model)
        from ._model._features import apply_model_features, bind_remote_methods

        apply_model_features(self)
        for name in order:
            self._customize(name)
        bind_remote_methods(self, self._model_modules)
        self._load_boot_scripts()
        if files.ignored_js:
            shown = ", ".join(str(p.relative_to(self.root)) for p in files.ignored_js[:3])
            more = f" and {len(files.ignored_js) - 3} more" if len(files.ignored_js) > 3 else ""
            log.warning(
                "ignored %d JavaScript file(s) (%s%s): lbpy runs Python customisations "
                "(common/models/<name>.py, server/boot/*.py)", len(files.ignored_js), shown, more,
            )
        if files.skipped_builtins:
            log.warning(
                "skipped LoopBack built-in model(s) %s: lbpy does not provide LoopBack's "
                "authentication models", ", ".join(files.skipped_builtins),
            )
        with_acls = [n for n, d in files.definitions.items() if d.definition.acls and n in self.model_config]
        if with_acls:
            log.warning(
                "model(s) %s declare acls, which lbpy does not enforce: every route is open",
                ", ".join(with_acls),
            )

    def _inheritance_order(self) -> list[str]:
        definitions = self.files.definitions
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, chain: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise BootError(f"model inheritance loops: {' -> '.join(chain + [name])}")
            state[name] = 1
            base = definitions[name].definition.base
            if base not in ROOT_BASES:
                if base not in definitions:
                    where = definitions[name].path.relative_to(self.root)
                    hint = " (LoopBack's built-in models are not provided by lbpy)" if base in (
                        "User", "AccessToken", "Role", "ACL", "RoleMapping", "Email") else ""
                    raise BootError(f'{where}: base model "{base}" is not defined{hint}')
                visit(base, chain + [name])
            state[name] = 2
            order.append(name)

        for name in definitions:
            visit(name, [])
        return order

    def _merged_definition(self, name: str, merged: dict[str, dict]) -> dict:
        own = self.files.definitions[name].definition.model_dump(by_alias=True, exclude_unset=True)
        base = own.get("base", "PersistedModel")
        if base in ROOT_BASES:
            return own
        parent = dict(merged[base])
        result = {**parent, **own}
        result["properties"] = {**parent.get("properties", {}), **own.get("properties", {})}
        result["relations"] = {**parent.get("relations", {}), **own.get("relations", {})}
        result["hidden"] = list(dict.fromkeys(parent.get("hidden", []) + own.get("hidden", [])))
        result["protected"] = list(dict.fromkeys(parent.get("protected", []) + own.get("protected", [])))
        result["methods"] = {**parent.get("methods", {}), **own.get("methods", {})}
        result["mixins"] = {**parent.get("mixins", {}), **own.get("mixins", {})}
        result["options"] = {**parent.get("options", {}), **own.get("options", {})}
        result["validations"] = parent.get("validations", []) + own.get("validations", [])
        for inherited in ("plural", "http"):
            if inherited not in own:
                result.pop(inherited, None)
        result["_root"] = parent.get("_root", parent.get("base", "PersistedModel"))
        return result

    def _build_model(self, name: str, raw: dict) -> None:
        file = self.files.definitions[name]
        where = file.path.relative_to(self.root)
        definition = ModelDefinition.model_validate({k: v for k, v in raw.items() if k != "_root"})
        entry = self.model_config.get(name)
        datasource = self.datasources.get(entry.data_source) if entry and entry.data_source else None
        names = set(self.files.definitions)
        properties = {}
        for prop_name, prop_raw in definition.properties.items():
            if prop_raw is None or prop_raw is False:
                continue
            try:
                properties[prop_name] = build_property(prop_name, prop_raw, names)
            except (ValueError, TypeError) as exc:
                known = "string, number, boolean, date, object, array, any, buffer, geopoint"
                raise BootError(
                    f'{where}: property "{prop_name}" has an {exc}; use one of: {known}, [type], '
                    "or the name of another model"
                ) from None
        for hidden in definition.hidden:
            if hidden in properties:
                properties[hidden].hidden = True
        hidden = frozenset(definition.hidden) | {p.name for p in properties.values() if p.hidden}
        root = raw.get("_root", definition.base)
        persisted = root != "Model" and definition.base != "Model"
        id_names = ordered_ids(properties)
        if not id_names and definition.id_injection and persisted:
            id_type = datasource.connector.default_id_type if datasource else "number"
            properties["id"] = injected_id(id_type)
            id_names = ["id"]
        id_prop = properties.get(id_names[0]) if id_names else None
        force_id = definition.force_id
        if force_id is None or force_id == "auto":
            force_id = bool(id_prop and id_prop.generated)
        for prop_name, prop in properties.items():
            if prop.default is not MISSING and prop.default is not None:
                try:
                    prop.type.coerce(prop.default)
                except CoercionError as exc:
                    raise BootError(f'{where}: the default of property "{prop_name}" {exc}') from None
        strict: Any = definition.strict
        if strict in ("throw", "validate"):
            strict = True
        relations = {
            rel_name: RelationSpec(
                name=rel_name, type=rel.type, model=rel.model, foreign_key=rel.foreign_key,
                primary_key=rel.primary_key, through=rel.through, key_through=rel.key_through,
                polymorphic=rel.polymorphic, property=rel.property, scope=rel.scope,
                options=rel.options, settings=rel.model_dump(by_alias=True, exclude_unset=True),
            )
            for rel_name, rel in definition.relations.items()
        }
        settings = {k: v for k, v in raw.items() if k not in ("properties", "relations", "_root")}
        if entry is not None and entry.options:
            settings["options"] = {**settings.get("options", {}), **entry.options}
        spec = ModelSpec(
            name=name,
            base=definition.base,
            plural=definition.plural or (definition.http or {}).get("path", "").strip("/") or pluralize(name),
            properties=properties,
            id_names=id_names,
            strict=strict,
            force_id=bool(force_id),
            hidden=frozenset(hidden),
            protected=frozenset(definition.protected),
            relations=relations,
            persisted=persisted,
            settings=settings,
            source=str(where),
            description=join_description(definition.description),
        )
        base_class = self.models.get(definition.base, Model)
        cls = type(name, (base_class,), {"__slots__": (), "spec": spec, "datasource": datasource,
                                         "app": self, "__module__": "lbpy.models"})
        cls._load_converters = [
            (p.name, p.type.coerce) for p in properties.values() if p.type.name in ("date", "buffer")
        ]
        self.models[name] = cls
        self.model_specs[name] = spec
        if datasource is not None:
            datasource.attach(cls)

    def _bind_nested_types(self, cls: type[Model]) -> None:
        for prop in cls.spec.properties.values():
            kind = prop.type.item if isinstance(prop.type, ArrayType) else prop.type
            if isinstance(kind, ModelType):
                nested = self.models[kind.name]
                kind.coerce_record = _embedded_coercer(nested)

    def _customize(self, name: str) -> None:
        file = self.files.definitions[name]
        if file.python is None:
            return
        module = load_python_file(file.python, f"lbpy_app.models.{file.python.stem.replace('-', '_')}",
                                  self.root)
        self._model_modules[name] = module
        customize = getattr(module, "customize", None)
        if customize is None:
            if not file.definition.methods:
                log.warning("%s defines no customize(%s) function; nothing to apply",
                            file.python.relative_to(self.root), name)
            return
        try:
            customize(self.models[name])
        except BootError:
            raise
        except Exception as exc:
            raise BootError(
                f"{file.python.relative_to(self.root)}{line_in(exc, file.python)}: customize({name}) "
                f"failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _load_boot_scripts(self) -> None:
        boot_dir = self.root / "server" / "boot"
        if not boot_dir.is_dir():
            return
        for path in sorted(boot_dir.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = load_python_file(path, f"lbpy_app.boot.{path.stem.replace('-', '_')}", self.root)
            fn = getattr(module, "boot", None)
            if fn is None:
                log.warning("%s defines no boot(app) function; nothing to run", path.relative_to(self.root))
                continue
            self.boot_scripts.append(fn)

    # -- using ----------------------------------------------------------------------------

    def model(self, name: str) -> type[Model]:
        try:
            return self.models[name]
        except KeyError:
            raise LookupError(f'no model named "{name}" (models: {", ".join(self.models)})') from None

    def exposed_models(self) -> list[type[Model]]:
        """Models served over REST: public in model-config.json and attached to a datasource."""
        return [
            self.models[name] for name, entry in self.model_config.items()
            if entry.public and name in self.models
        ]

    async def start(self) -> None:
        """Connect datasources and run boot scripts; idempotent, run before the first request."""
        if self._started:
            return
        self._started = True
        try:
            for datasource in self.datasources.values():
                await datasource.connect()
            for fn in self.boot_scripts:
                await self._run_boot_script(fn)
        except BaseException:
            self._started = False
            raise

    async def _run_boot_script(self, fn: Callable) -> None:
        try:
            result = fn(self)
            if inspect.isawaitable(result):
                await result
        except BootError:
            raise
        except Exception as exc:
            path = Path(fn.__code__.co_filename) if hasattr(fn, "__code__") else None
            shown = shown_path(path, self.root) if path else getattr(fn, "__qualname__", "boot script")
            raise BootError(
                f"{shown}{line_in(exc, path) if path else ''}: boot(app) failed: {type(exc).__name__}: {exc}"
            ) from exc

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        for datasource in self.datasources.values():
            await datasource.disconnect()

    async def __call__(self, scope, receive, send) -> None:
        if self._asgi is None:
            from ._rest._app import build_asgi

            self._asgi = build_asgi(self)
        await self._asgi(scope, receive, send)


def _sources_hint(root: Path, name: str) -> str:
    """When the definition sits in common/models but _meta.sources does not list it."""
    import json

    for path in sorted((root / "common" / "models").glob("*.json")):
        try:
            if json.loads(path.read_text("utf-8")).get("name") == name:
                return (f"; it is in {path.relative_to(root)}: add \"../common/models\" to "
                        "_meta.sources in server/model-config.json")
        except (ValueError, AttributeError, OSError):
            continue
    return ""


def _embedded_coercer(model: type[Model]) -> Callable[[dict], dict]:
    def coerce(data: dict) -> dict:
        values, errors = model._prepare(data, "create")
        if errors:
            prop, items = next(iter(errors.items()))
            raise CoercionError(f"is not a valid {model.spec.name}: `{prop}` {items[0][1]}")
        return values

    return coerce


def load_python_file(path: Path, module_name: str, root: Path):
    """Import a Python file of the app (a model customisation or a boot script)."""
    try:
        return import_file(module_name, path)
    except Exception as exc:
        raise BootError(f"{shown_path(path, root)}{line_in(exc, path)}: {type(exc).__name__}: {exc}") from exc


def create_app(root: str | Path = ".", *, debug: bool | None = None) -> Application:
    """Boot the app in ``root`` (its ``server/`` and ``common/`` files) and return it, an ASGI app."""
    files = read_app(root)
    app = Application(files, debug=debug)
    app._boot()
    return app
