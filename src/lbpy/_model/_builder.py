"""Building the model classes of an app from its definitions, once, at boot.

The builder reads the validated model definitions (``lbpy._app_files``), merges each with its base
model's, and makes one class per model on its datasource, in base-first order. It then resolves
the relations, applies what each model JSON declares beyond its properties (``mixins``,
``validations``, ``scope``, ``scopes``), runs each model's Python customisation
(``common/models/<model>.py``), and binds the JSON ``methods`` to the Python functions that
implement them: after the customisations, because their functions are defined there.

A JSON method is bound to Python the way LoopBack bound it to JavaScript: ``"greet"`` calls
``Model.greet`` and ``"prototype.shout"`` calls ``instance.shout``, set in ``customize(Model)``
(``Model.greet = greet``). When customize() sets none, a function of that name (or its
snake_case form) at the top level of ``common/models/<model>.py`` is used: called as
``greet(Model, **args)`` for a static method and ``shout(instance, **args)`` for an instance one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from .._app_files import LOOPBACK_BUILTIN_MODELS, AppFiles
from .._errors import BootError
from .._loader import line_in, load_python_file
from . import _remote_methods, _scopes, _validations
from ._connector_functions import bind_connector_functions
from ._definition import (
    MISSING,
    ROOT_BASES,
    ModelDefinition,
    ModelSpec,
    RelationSpec,
    build_property,
    injected_id,
    join_description,
    ordered_ids,
    pluralize,
)
from ._mixins import Mixins
from ._persisted import Model
from ._registry import ModelRegistry
from ._remote_definition import RemoteMethod
from ._types import ArrayType, CoercionError, ModelType
from .relations._resolve import setup_relations

if TYPE_CHECKING:
    from .._datasource import DataSource

log = logging.getLogger("lbpy")


class ModelBuilder:
    """Builds every model of ``files`` on ``datasources`` into ``registry``; ``modules`` keeps
    each model's loaded customisation module.

    ``classes`` gives the Python class a built-in model (``User``, ``AccessToken``, ...) is made
    from, so that it and every model derived from it have the built-in's methods; each of
    ``extensions`` is called with the registry once the models are built and their JSON features
    applied, before the app's own customisations run (LoopBack set up a built-in model's
    behaviour before the app's model scripts ran too)."""

    def __init__(
        self,
        files: AppFiles,
        datasources: Mapping[str, DataSource],
        *,
        classes: Mapping[str, type[Model]] | None = None,
        extensions: Sequence[Callable[[ModelRegistry], None]] = (),
    ) -> None:
        self.files = files
        self.root = files.root
        self.datasources = datasources
        self.model_config = files.model_config
        self.registry = ModelRegistry()
        self.modules: dict[str, ModuleType] = {}
        self.classes = dict(classes or {})
        self.extensions = list(extensions)

    def build(self) -> ModelRegistry:
        files = self.files
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
        merged: dict[str, dict[str, Any]] = {}
        for name in order:
            merged[name] = self._merged_definition(name, merged)
        for name in order:
            self._build_model(name, merged[name])
        # may add properties, and the through models of hasAndBelongsToMany
        setup_relations(self.registry, self.define_model)
        for model in list(self.registry.values()):
            self._bind_nested_types(model)
        self._apply_model_features()
        for extension in self.extensions:
            extension(self.registry)
        for name in order:
            if name in self.model_config:
                bind_connector_functions(self.registry[name])
        for name in order:
            self._customize(name)
        self._bind_remote_methods()
        return self.registry

    def define_model(self, spec: ModelSpec, datasource: DataSource | None, base: type[Model] = Model) -> type[Model]:
        """Make the class of the model ``spec`` on ``datasource`` and add it to the registry."""
        # a class made at boot from its definition
        cls = cast(
            "type[Model]",
            type(
                spec.name,
                (base,),
                {"__slots__": (), "spec": spec, "datasource": datasource, "__module__": "lbpy.models"},
            ),
        )
        cls._runtime.registry = self.registry
        cls._runtime.load_converters = [
            (p.name, p.type.coerce) for p in spec.properties.values() if p.type.name in ("date", "buffer")
        ]
        self.registry.add(cls)
        if datasource is not None:
            datasource.attach(spec)
        return cls

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
                    where = definitions[name].shown(self.root)
                    hint = (
                        " (lbpy does not provide this LoopBack built-in model)"
                        if base in LOOPBACK_BUILTIN_MODELS
                        else ""
                    )
                    raise BootError(f'{where}: base model "{base}" is not defined{hint}')
                visit(base, chain + [name])
            state[name] = 2
            order.append(name)

        for name in definitions:
            visit(name, [])
        return order

    def _merged_definition(self, name: str, merged: dict[str, dict[str, Any]]) -> dict[str, Any]:
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
        # a derived model adds its acls to its base's, as LoopBack merged them
        result["acls"] = parent.get("acls", []) + [
            acl for acl in own.get("acls", []) if acl not in parent.get("acls", [])
        ]
        for inherited in ("plural", "http"):
            if inherited not in own:
                result.pop(inherited, None)
        result["_root"] = parent.get("_root", parent.get("base", "PersistedModel"))
        return result

    def _build_model(self, name: str, raw: dict[str, Any]) -> None:
        file = self.files.definitions[name]
        where = file.shown(self.root)
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
        for hidden_name in definition.hidden:
            if hidden_name in properties:
                properties[hidden_name].hidden = True
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
                name=rel_name,
                type=rel.type,
                model=rel.model,
                foreign_key=rel.foreign_key,
                primary_key=rel.primary_key,
                through=rel.through,
                key_through=rel.key_through,
                polymorphic=rel.polymorphic,
                property=rel.property,
                scope=rel.scope,
                options=rel.options,
                settings=rel.model_dump(by_alias=True, exclude_unset=True),
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
        base = self.registry.get(definition.base) or (self.classes.get(name, Model) if file.builtin else Model)
        self.define_model(spec, datasource, base)

    def _bind_nested_types(self, cls: type[Model]) -> None:
        for prop in cls.spec.properties.values():
            kind = prop.type.item if isinstance(prop.type, ArrayType) else prop.type
            if isinstance(kind, ModelType):
                nested = self.registry[kind.name]
                kind.coerce_record = _embedded_coercer(nested)
                cls.spec.embedded[prop.name] = nested.spec

    def _customize(self, name: str) -> None:
        file = self.files.definitions[name]
        if file.python is None:
            return
        module = load_python_file(file.python, f"lbpy_app.models.{file.python.stem.replace('-', '_')}", self.root)
        self.modules[name] = module
        customize = getattr(module, "customize", None)
        if customize is None:
            if not file.definition.methods:
                log.warning(
                    "%s defines no customize(%s) function; nothing to apply", file.python.relative_to(self.root), name
                )
            return
        try:
            customize(self.registry[name])
        except BootError:
            raise
        except Exception as exc:
            raise BootError(
                f"{file.python.relative_to(self.root)}{line_in(exc, file.python)}: customize({name}) "
                f"failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _apply_model_features(self) -> None:
        """Mixins, validations, the default scope and named scopes of every model, from its JSON."""
        mixins = Mixins(self.files.mixin_dirs, self.root)
        for model in self.registry.values():
            settings = model.spec.settings
            source = model.spec.source
            if settings.get("mixins"):
                if not isinstance(settings["mixins"], dict):
                    raise BootError(f'{source}: "mixins" must be an object, e.g. {{"TimeStamp": true}}')
                mixins.apply(model, settings["mixins"], source)
            validations = settings.get("validations")
            if validations:
                _validations.from_json(model, validations, source)
            if settings.get("scope"):
                _scopes.set_default_scope(model, settings["scope"], source)
            scopes = settings.get("scopes") or {}
            if not isinstance(scopes, dict):
                raise BootError(f'{source}: "scopes" must be an object of named filters')
            for name, raw in scopes.items():
                _scopes.add_named_scope(model, name, raw, source)

    def _bind_remote_methods(self) -> None:
        """The JSON ``methods`` of every model, bound to the Python functions that implement them."""
        for name, model in self.registry.items():
            if name not in self.model_config:
                continue  # like LoopBack, lbpy uses only the models model-config.json names
            methods = model.spec.settings.get("methods") or {}
            source = model.spec.source
            if not isinstance(methods, dict):
                raise BootError(f'{source}: "methods" must be an object: method name -> its remoting metadata')
            for method_name, meta in methods.items():
                where = f"{source}: methods.{method_name}"
                if not isinstance(meta, dict):
                    raise BootError(f"{where} must be an object with accepts, returns and http")
                try:
                    method = _remote_methods.define(model, method_name, None, meta)
                except ValueError as exc:
                    raise BootError(f"{where}: {exc}") from None
                if not _has_function(model, method):
                    _attach_module_function(model, method, self.modules.get(name), where)


def _has_function(model: type[Model], method: RemoteMethod) -> bool:
    return callable(getattr(model, method.name, None))


def _attach_module_function(model: type[Model], method: RemoteMethod, module: Any, where: str) -> None:
    candidates = [method.name, snake_case(method.name)]
    fn = None
    for candidate in candidates:
        found = getattr(module, candidate, None) if module is not None else None
        if callable(found) and candidate != "customize":
            fn = found
            break
    if fn is None:
        python = _python_file(model)
        signature = (
            f"{snake_case(method.name)}({model.spec.name}, ...)"
            if method.is_static
            else f"{snake_case(method.name)}(self, ...)"
        )
        raise BootError(
            f"{where} has no Python function: define {signature} in {python}, or set "
            f"{model.spec.name}.{method.name} in its customize()"
        )
    setattr(model, method.name, classmethod(fn) if method.is_static else fn)


def _python_file(model: type[Model]) -> str:
    source = model.spec.source
    return re.sub(r"\.json$", ".py", source) if source.endswith(".json") else "common/models/<model>.py"


def snake_case(name: str) -> str:
    """``getStats`` -> ``get_stats``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text).lower()


def _sources_hint(root: Path, name: str) -> str:
    """When the definition sits in common/models but _meta.sources does not list it."""
    for path in sorted((root / "common" / "models").glob("*.json")):
        try:
            if json.loads(path.read_text("utf-8")).get("name") == name:
                return (
                    f'; it is in {path.relative_to(root)}: add "../common/models" to '
                    "_meta.sources in server/model-config.json"
                )
        except (ValueError, AttributeError, OSError):
            continue
    return ""


def _embedded_coercer(model: type[Model]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def coerce(data: dict[str, Any]) -> dict[str, Any]:
        values, errors = model._prepare(data, "create")
        if errors:
            prop, items = next(iter(errors.items()))
            raise CoercionError(f"is not a valid {model.spec.name}: `{prop}` {items[0][1]}")
        return values

    return coerce
