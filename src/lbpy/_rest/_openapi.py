"""The API documents: LoopBack 3's Swagger 2.0 document and an OpenAPI 3.0 document.

Both are generated from the declarations the router serves: every exposed model's
``RemoteMethod`` list (``exposed_methods``) and its ``ModelSpec``. Nothing here knows a built-in
method by name, so remote methods and relation routes an app adds appear on their own.

The Swagger 2.0 document has the shape loopback-swagger gave it (``/explorer/swagger.json``), so
tooling written for LoopBack 3 keeps working: the same paths, operation ids (``Note.find``,
``Note.prototype.patchAttributes``, ``Note.exists__head_Notes_{id}`` when one method has several
routes), parameters, responses and ``definitions``. The OpenAPI 3.0 document describes the same
operations with request bodies and ``components.schemas``.

Each document is built once per app and kept until the app's remote methods change.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._model._definition import MISSING, ModelSpec
from .._model._remote_definition import (
    Accept,
    Endpoint,
    RemoteMethod,
    Returns,
    default_source,
)
from .._model._types import ArrayType, Type
from .._remoting import exposed_methods
from ._filter_schemas import SCALAR, component_names, filter_schema, scope_schema, where_schema

if TYPE_CHECKING:
    from .._model._persisted import Model
    from ._served import ServedApp

__all__ = ["ApiDocuments", "openapi_document", "swagger_document"]

OPENAPI_VERSION = "3.0.3"

#: what lbpy's REST layer reads (JSON and url-encoded bodies) and answers (JSON)
CONSUMES = ["application/json", "application/x-www-form-urlencoded"]
PRODUCES = ["application/json"]

#: schemas loopback-swagger always knows, by lower-case name
_LOOPBACK_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "x-any": ("x-any", {"properties": {}}),
    "objectid": ("ObjectID", {"type": "string", "pattern": "^[a-fA-F\\d]{24}$"}),
    "geopoint": ("GeoPoint", {"properties": {"lat": {"type": "number"}, "lng": {"type": "number"}}}),
    "datestring": ("DateString", {"type": "string", "format": "date-time"}),
}
_PRIMITIVES = {"boolean", "integer", "number", "null", "string", "object", "array", "file"}
#: other spellings of LoopBack types that lbpy's models accept
_ALIASES = {
    "float": "number",
    "double": "number",
    "text": "string",
    "json": "object",
    "bool": "boolean",
    "datetime": "date",
    "*": "any",
}
#: property and argument settings copied into a schema, in loopback-swagger's order
_RENAMED_FIELDS = {"min": "minimum", "max": "maximum", "length": "maxLength"}
_SCHEMA_FIELDS = (
    "format",
    "default",
    "enum",
    "minimum",
    "minItems",
    "minLength",
    "maximum",
    "maxItems",
    "maxLength",
    "uniqueItems",
    "pattern",
)
_MANY_RELATIONS = {"hasMany", "hasAndBelongsToMany", "embedsMany", "referencesMany"}
_WITH_RELATIONS_RETURNS = re.compile(r"\.(find|findOne|findById|__(get|findById)__)")
_REF = "#/definitions/"

#: no ``maximum``: 2**63 - 1 is not a JavaScript number, and Swagger UI's example of it is refused
_COUNT = {"type": "integer", "minimum": 0}
_OPERAND_TEXT = {"type": "string"}
#: an include of relations by name, each true or false (a scope needs the relation's model)
_INCLUDE_OBJECT = {"type": "object", "additionalProperties": {"type": "boolean"}}
#: a value an ordered operator compares with (never null)
_SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
#: the filter language's shapes, for the OpenAPI 3 document's ``filter`` and ``where`` parameters
#: (``lbpy._filter`` reads them; a value of the wrong type for its property is still a 400), named
#: so that no model's name can take theirs
_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "lbpy.Filter": {
        "type": "object",
        "description": "LoopBack's filter: where, fields, order, limit, skip (or offset) and include",
        "example": {},  # what the explorer's "Try it out" starts from: every record
        "properties": {
            "where": {"$ref": _REF + "lbpy.Where"},
            "fields": {
                "oneOf": [
                    {"type": "object", "additionalProperties": {"type": "boolean"}},
                    {"type": "array", "items": {"type": "string"}},
                ]
            },
            "order": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "limit": _COUNT,
            "skip": _COUNT,
            "offset": _COUNT,
            "include": {
                "description": "relation names, or {relation, scope} objects",
                "anyOf": [
                    {"type": "string"},
                    _INCLUDE_OBJECT,
                    {"type": "array", "items": {"anyOf": [{"type": "string"}, _INCLUDE_OBJECT]}},
                ],
            },
        },
    },
    "lbpy.Where": {
        "type": "object",
        "description": "Conditions by property: a value, or an object of operators",
        "example": {},
        "properties": {
            "and": {"type": "array", "items": {"type": "object", "additionalProperties": SCALAR}},
            "or": {"type": "array", "items": {"type": "object", "additionalProperties": SCALAR}},
        },
        "additionalProperties": {
            "anyOf": [
                SCALAR,
                {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": {
                        **dict.fromkeys(("eq", "neq"), SCALAR),
                        **dict.fromkeys(("gt", "gte", "lt", "lte"), _SCALAR),
                        "between": {"type": "array", "minItems": 2, "maxItems": 2, "items": _SCALAR},
                        "inq": {"type": "array"},
                        "nin": {"type": "array"},
                        **dict.fromkeys(("like", "nlike", "ilike", "nilike", "regexp", "options"), _OPERAND_TEXT),
                    },
                },
            ]
        },
    },
}


# ---------------------------------------------------------------------------------------------
# Public entry points


def swagger_document(app: ServedApp) -> dict[str, Any]:
    """The app's Swagger 2.0 document, as LoopBack 3's ``/explorer/swagger.json`` had it."""
    return ApiDocuments(app).current().swagger


def openapi_document(app: ServedApp) -> dict[str, Any]:
    """The app's OpenAPI 3.0 document (``/openapi.json``)."""
    return ApiDocuments(app).current().openapi


@dataclass
class _Documents:
    key: tuple[Any, ...]
    swagger: dict[str, Any]
    openapi: dict[str, Any]
    swagger_bytes: bytes = b""
    openapi_bytes: bytes = b""

    def __post_init__(self) -> None:
        self.swagger_bytes = _dumps(self.swagger)
        self.openapi_bytes = _dumps(self.openapi)


class ApiDocuments:
    """A served app's two documents, built on first use and again only when its methods change:
    boot scripts and customisations may add or disable remote methods after a first build."""

    def __init__(self, app: ServedApp) -> None:
        self.app = app
        self._built: _Documents | None = None

    def current(self) -> _Documents:
        exposed = [(model, exposed_methods(model)) for model in self.app.exposed_models()]
        # the built-in table is fixed per model; an app's own methods compare by value
        key = tuple(
            (
                model.spec.name,
                tuple((m.full_name, tuple((e.verb, e.path) for e in m.http)) if m.builtin else m for m in methods),
            )
            for model, methods in exposed
        )
        if self._built is None or self._built.key != key:
            self._built = _Documents(
                key, _Builder(self.app, exposed).swagger(), _Builder(self.app, exposed, truthful=True).openapi()
            )
        return self._built

    def body(self, kind: str) -> bytes:
        """A document serialized once: ``kind`` is ``"openapi"`` or ``"swagger"``."""
        documents = self.current()
        return documents.openapi_bytes if kind == "openapi" else documents.swagger_bytes


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Options


@dataclass
class _Options:
    operation_scoped_models: bool = True
    relation_properties: bool = False
    api_info: dict[str, Any] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def _options(app: ServedApp) -> _Options:
    """loopback-component-explorer's options (component-config.json) over config.json's."""
    extra = app.config.model_extra or {}
    swagger = dict(extra.get("swagger") or {}) if isinstance(extra.get("swagger"), dict) else {}
    explorer = app.files.explorer_settings or {}

    def flag(name: str, default: bool) -> bool:
        for source in (explorer, swagger):
            if name in source:
                return bool(source[name])
        return default

    api_info = explorer.get("apiInfo") or extra.get("apiInfo") or {}
    return _Options(
        # lbpy's generated apps turn this on, as LoopBack's generator did
        operation_scoped_models=flag("generateOperationScopedModels", True),
        relation_properties=flag("generateRelationProperties", False),
        api_info=dict(api_info) if isinstance(api_info, dict) else {},
        extensions={
            k: v for k, v in swagger.items() if k not in ("generateOperationScopedModels", "generateRelationProperties")
        },
    )


def _info(app: ServedApp, options: _Options) -> dict[str, Any]:
    info = {k: _text(v) for k, v in options.api_info.items()}
    package = _package_metadata(app)
    info["version"] = str(info.get("version") or package.get("version") or "1.0.0")
    if not info.get("title"):
        info["title"] = package.get("name") or app.root.name or "LoopBack Application"
    if not info.get("description"):
        info["description"] = package.get("description") or "LoopBack Application"
    return info


def _package_metadata(app: ServedApp) -> dict[str, Any]:
    """name, version, description of the app: its pyproject.toml, else a LoopBack package.json."""
    pyproject = app.root / "pyproject.toml"
    if pyproject.is_file():
        project: dict[str, Any] = {}
        if sys.version_info >= (3, 11):  # Python 3.10 has no TOML reader: package.json is read then
            import tomllib

            try:
                project = tomllib.loads(pyproject.read_text("utf-8")).get("project") or {}
            except (ValueError, OSError):
                project = {}
        if project.get("name"):
            return {k: project.get(k) for k in ("name", "version", "description") if project.get(k)}
    package_json = app.root / "package.json"
    if package_json.is_file():
        try:
            package = json.loads(package_json.read_text("utf-8"))
        except (ValueError, OSError):
            package = {}
        if isinstance(package, dict):
            return {k: package.get(k) for k in ("name", "version", "description") if package.get(k)}
    return {}


def _text(value: Any) -> Any:
    return "\n".join(str(v) for v in value) if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------------
# Schemas: LoopBack type declarations -> Swagger 2.0 schemas, definitions kept in a registry


class _Definitions:
    """The model schemas a document refers to, built when first referenced (in reference order).

    loopback-swagger's (the Swagger 2.0 document) leave hidden properties out and forbid other
    properties unless the model says ``additionalProperties``. The ``truthful`` ones (the
    OpenAPI 3 document) say what lbpy answers and accepts: a model's schema is what an answer
    holds (any property may be missing, as ``fields`` chooses; null where a stored value can be
    null; hidden properties ``writeOnly``; other properties only where the model is not strict),
    ``$new_<Model>`` is a whole instance a create, a replace or an upsert sends (its required
    properties, a required text not empty, as LoopBack's presence check wants), and
    ``$patch_<Model>`` the properties a patch changes (no id a client may not set)."""

    def __init__(self, models: dict[str, type[Model]], options: _Options, *, truthful: bool = False) -> None:
        self.models = models
        self.options = options
        self.truthful = truthful
        self.referenced: dict[str, None] = {}

    # -- naming ---------------------------------------------------------------------------

    def ref(self, name: str) -> dict[str, Any]:
        builtin = _LOOPBACK_TYPES.get(name.lower())
        if builtin is not None:
            name = builtin[0]
        self.referenced.setdefault(name, None)
        return {"$ref": _REF + name}

    def create_only_name(self, model_name: str) -> str | None:
        """``$new_<Model>``: the model without the properties a create request must not send
        (in the truthful document, every model's whole instance)."""
        model = self.models.get(model_name)
        if model is None:
            return None
        if not self.truthful and (not self.options.operation_scoped_models or not _update_only(model.spec)):
            return None
        return "$new_" + model_name

    def patch_name(self, model_name: str) -> str | None:
        """``$patch_<Model>`` (truthful document only): what a patch of the model may send."""
        return "$patch_" + model_name if self.truthful and model_name in self.models else None

    # -- schemas --------------------------------------------------------------------------

    def schema(self, declaration: Any) -> dict[str, Any]:
        """A schema for a LoopBack type declaration: ``"string"``, ``["Note"]``, ``{"type": ...,
        "description": ...}``, an anonymous object type ``{"count": "number"}`` in ``type``."""
        ldl = declaration if isinstance(declaration, dict) else {"type": declaration}
        if not ldl.get("type"):
            ldl = {"type": "any"}
        schema = _metadata(ldl)
        kind = ldl["type"]
        if isinstance(kind, Type):
            kind = _declared(kind)
        if kind == "array":
            kind = ["any"]
        elif isinstance(kind, str) and len(kind) > 1 and kind[0] == "[" and kind[-1] == "]":
            kind = [kind[1:-1] or "any"]
        if isinstance(kind, list):
            schema["type"] = "array"
            schema["items"] = self.schema(kind[0] if kind else "any")
            return schema
        if isinstance(kind, dict):
            schema["type"] = "object"
            schema["properties"] = {name: self.schema(value) for name, value in kind.items()}
            return schema
        name = str(kind)
        lower = _ALIASES.get(name.lower(), name.lower())
        if lower == "date":
            schema["type"] = "string"
            schema["format"] = "date-time"
        elif lower == "buffer":
            schema["type"] = "string"
            schema["format"] = "byte"
        elif lower == "number":
            schema["type"] = "number"
            schema["format"] = schema.get("format") or "double"
        elif lower == "any":
            schema.update(self.ref("x-any"))
        elif lower in _PRIMITIVES:
            schema["type"] = lower
        elif (
            name in self.models
            or lower in _LOOPBACK_TYPES
            or self._variant(name)
            or (self.truthful and (name in _QUERY_SCHEMAS or self._filter_model(name) is not None))
        ):
            schema.update(self.ref(name))
        else:
            # a type lbpy cannot describe (e.g. a LoopBack built-in model it does not provide)
            schema["type"] = "object"
        return schema

    def _filter_model(self, name: str) -> ModelSpec | None:
        """The model of a per-model filter component (``lbpy.Filter.<Model>`` and its parts)."""
        if not name.startswith("lbpy."):
            model = None
        else:
            model = self.models.get(name.split(".", 2)[-1])
        return model.spec if model is not None and name in component_names(model.spec.name) else None

    def _variant(self, name: str) -> bool:
        if name.startswith("$new_"):
            return self.create_only_name(name[len("$new_") :]) == name
        if name.startswith("$patch_"):
            return self.patch_name(name[len("$patch_") :]) == name
        return name.endswith("WithRelations") and name[: -len("WithRelations")] in self.models

    # -- definitions ----------------------------------------------------------------------

    def build(self) -> dict[str, dict[str, Any]]:
        definitions: dict[str, dict[str, Any]] = {}
        while True:
            pending = [name for name in self.referenced if name not in definitions]
            if not pending:
                return definitions
            for name in pending:
                definitions[name] = self._definition(name)

    def _definition(self, name: str) -> dict[str, Any]:
        builtin = _LOOPBACK_TYPES.get(name.lower())
        if builtin is not None:
            return copy.deepcopy(builtin[1])
        if name in _QUERY_SCHEMAS:
            return copy.deepcopy(_QUERY_SCHEMAS[name])
        spec = self._filter_model(name)
        if spec is not None:
            specs = {model_name: model.spec for model_name, model in self.models.items()}
            kind = component_names(spec.name).index(name)
            if kind == 0:
                return filter_schema(spec, specs, self.ref)
            if kind == 3:
                return scope_schema(spec, self.ref)
            return where_schema(spec, self.ref, level={1: 0, 2: 1, 4: 2}[kind])
        if name.startswith("$new_"):
            spec = self.models[name[len("$new_") :]].spec
            return self._model_schema(spec, exclude=_update_only(spec), body="whole")
        if name.startswith("$patch_"):
            spec = self.models[name[len("$patch_") :]].spec
            return self._model_schema(spec, exclude=_update_only(spec), body="patch")
        if name.endswith("WithRelations") and name not in self.models:
            return self._model_schema(self.models[name[: -len("WithRelations")]].spec, relations=True)
        return self._model_schema(self.models[name].spec)

    def _model_schema(
        self, spec: ModelSpec, *, exclude: Iterable[str] = (), relations: bool = False, body: str | None = None
    ) -> dict[str, Any]:
        """A model's schema as answered, or as a request's ``body`` ("whole" or "patch") sends
        it; see the class."""
        truthful = self.truthful
        settings = spec.settings
        definition: dict[str, Any] = {"type": "object"} if truthful else {}
        description = spec.description or _text(settings.get("description"))
        if description:
            definition["description"] = description
        properties: dict[str, Any] = {}
        required: list[str] = []
        definition["properties"] = properties
        definition["required"] = required
        swagger_settings = given_swagger if isinstance(given_swagger := settings.get("swagger"), dict) else {}
        if "example" in swagger_settings:
            definition["example"] = swagger_settings["example"]
        for key, value in settings.items():
            if key.startswith("x-"):
                definition[key] = value
        # without validateUpsert, an upsert may store a required property empty, as in LoopBack
        validated = spec.options.get("validateUpsert", spec.settings.get("validateUpsert")) is True
        for prop in spec.properties.values():
            hidden = prop.name in spec.hidden
            if hidden and not truthful:
                continue
            needed = prop.required or (prop.is_id and not prop.generated)
            if needed and ((not truthful and not hidden) or body == "whole"):
                required.append(prop.name)
            if prop.name in exclude:
                continue
            ldl = {**prop.settings, "type": prop.type}
            if prop.description:
                ldl["description"] = prop.description
            if prop.default is not MISSING:
                ldl["default"] = prop.default
            schema = self.schema(ldl)
            if truthful:
                if hidden:
                    schema["writeOnly"] = True  # accepted in a request, never answered
                if not prop.required or not (body or validated):
                    schema["nullable"] = True
                    _nullable_items(schema)
                elif schema.get("type") == "string" and not schema.get("format"):
                    schema["minLength"] = max(schema.get("minLength") or 0, 1)
                if body:
                    schema = _as_sent(schema)
            properties[prop.name] = schema
        if truthful:
            if spec.strict is True or spec.strict in ("throw", "validate"):
                definition["additionalProperties"] = False
        elif spec.strict or settings.get("additionalProperties") is not True:
            definition["additionalProperties"] = False
        if not required:
            del definition["required"]
        if relations:
            for relation in spec.relations.values():
                if relation.model not in self.models or (relation.options or {}).get("disableInclude"):
                    continue
                target = relation.model + "WithRelations"
                declared = [target] if relation.type in _MANY_RELATIONS else target
                properties[relation.name] = self.schema(declared)
        return definition


#: the milliseconds since 1970 a date may be sent as: years 1 to 9999
_DATE_MILLISECONDS = {"type": "number", "minimum": -62135596800000, "maximum": 253402300799999}


def _as_sent(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema in a request body, with the values LoopBack 3 coerces and lbpy keeps
    (see tests/rest/test_lb3_coercions.py): a number or a boolean for a string (stored as its
    text), milliseconds since 1970 for a date."""
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return {**schema, "items": _as_sent(schema["items"])}
    if schema.get("type") != "string" or schema.get("enum") or schema.get("pattern"):
        return schema
    nullable = {"nullable": True} if schema.get("nullable") else {}
    text = {k: v for k, v in schema.items() if k not in ("nullable", "description", "default", "writeOnly")}
    outer: dict[str, Any] = {k: schema[k] for k in ("description", "default", "writeOnly") if k in schema}
    if schema.get("format") == "date-time":
        return {**outer, "anyOf": [text, _DATE_MILLISECONDS], **nullable}
    if schema.get("format"):
        return schema
    return {**outer, "anyOf": [text, {"type": "number"}, {"type": "boolean"}], **nullable}


def _nullable_items(schema: dict[str, Any]) -> None:
    """An array's items may be null too (``[null]`` is stored as sent)."""
    items = schema.get("items")
    if isinstance(items, dict):
        items["nullable"] = True


def _update_only(spec: ModelSpec) -> list[str]:
    """Properties a client may update but never set on create: a forced id, ``updateOnly`` ones."""
    names = [p.name for p in spec.properties.values() if p.settings.get("updateOnly")]
    if spec.force_id and spec.id_name and spec.id_name not in names:
        names.append(spec.id_name)
    return names


def _declared(kind: Type) -> Any:
    """A Type object back as the declaration LoopBack would have read (a model type's name is
    the model's)."""
    if isinstance(kind, ArrayType):
        return [_declared(kind.item)]
    return kind.name


def _metadata(ldl: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, renamed in _RENAMED_FIELDS.items():
        if ldl.get(key) is not None:
            result[renamed] = ldl[key]
    for key in _SCHEMA_FIELDS:
        if key in ldl:
            result[key] = ldl[key]
    if "default" in result:
        # Swagger 2.0 has no null
        if result["default"] is None:
            del result["default"]
        elif isinstance(result["default"], (dict, list)):
            result["default"] = _without_nulls(result["default"])
    description = ldl.get("description") or ldl.get("doc")
    if description:
        result["description"] = _text(description)
    if ldl.get("example") is not None:
        result["example"] = ldl["example"]
    return result


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _is_complex(schema: dict[str, Any]) -> bool:
    return schema.get("type") in ("object", "array") or "$ref" in schema


# ---------------------------------------------------------------------------------------------
# Operations: one per (remote method, HTTP endpoint), shared by both documents


@dataclass
class _Parameter:
    name: str
    location: str  # path, query, header, formData, body
    description: str
    required: bool
    schema: dict[str, Any]


@dataclass
class _Operation:
    path: str
    verb: str
    tag: str
    summary: str
    operation_id: str
    parameters: list[_Parameter]
    status: int
    response: dict[str, Any] | None
    #: the error statuses lbpy answers for this operation (OpenAPI 3 documents them)
    errors: tuple[int, ...] = ()
    #: an app's own method: its code may raise any error, documented as the default response
    any_error: bool = False
    #: a list whose page ``remoting.rest.maxLimit`` bounds (answers X-Max-Limit when cut)
    pages: bool = False
    #: the result may be null or ``{}`` (a belongsTo)
    optional: bool = False
    #: the OpenAPI 3 security requirements, where the app's access control is enforced
    security: list[dict[str, Any]] | None = None
    #: a create that also takes an array and answers one (``create`` and a to-many relation's)
    batch: bool = False


#: how a caller sends its access token: LoopBack's bare token, or the standard Bearer form
SECURITY_SCHEMES = {
    "AccessToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An access token from POST /<users>/login, as LoopBack took it: "
        "the token's id alone in the Authorization header",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from POST /<users>/login, as `Authorization: Bearer <id>`",
    },
}
_NEEDS_TOKEN: list[dict[str, list[str]]] = [{"AccessToken": []}, {"Bearer": []}]
_TOKEN_OPTIONAL: list[dict[str, list[str]]] = [{"AccessToken": []}, {"Bearer": []}, {}]


class _Builder:
    """The operations of one document and the definitions they refer to: loopback-swagger's, or
    (``truthful``) the OpenAPI 3 document's (see ``_Definitions``)."""

    def __init__(
        self, app: ServedApp, exposed: list[tuple[type[Model], list[RemoteMethod]]], *, truthful: bool = False
    ) -> None:
        self.app = app
        self.exposed = exposed
        self.options = _options(app)
        self.truthful = truthful
        self.definitions = _Definitions(dict(app.models), self.options, truthful=truthful)
        self.operations: list[_Operation] = []
        self.by_operation_id: dict[str, _Operation | None] = {}
        self.tags: list[dict[str, Any]] = []
        for model, methods in exposed:
            if not methods:
                continue
            self.tags.append(self._tag(model.spec))
            for method in methods:
                for endpoint in method.http:
                    self._add(model, method, endpoint)
        self.info = _info(app, self.options)
        self.base_path = app.rest_api_root or "/"

    def swagger(self) -> dict[str, Any]:
        return _swagger(
            self.info, self.base_path, self.tags, self.operations, self.definitions.build(), self.options.extensions
        )

    def openapi(self) -> dict[str, Any]:
        document = _openapi(
            self.info,
            self.base_path,
            self.tags,
            self.operations,
            self.definitions.build(),
            self.options.extensions,
            max_limit=self.app.config.remoting.rest.max_limit,
        )
        if any(operation.security is not None for operation in self.operations):
            document["components"]["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
        return document

    def _tag(self, spec: ModelSpec) -> dict[str, Any]:
        swagger_settings = given_swagger if isinstance(given_swagger := spec.settings.get("swagger"), dict) else {}
        tag_settings = given_tag if isinstance(given_tag := swagger_settings.get("tag"), dict) else {}
        tag: dict[str, Any] = {"name": tag_settings.get("name") or spec.name}
        description = spec.description or _text(spec.settings.get("description"))
        if description:
            tag["description"] = description
        if tag_settings.get("externalDocs"):
            tag["externalDocs"] = tag_settings["externalDocs"]
        return tag

    def _add(self, model: type[Model], method: RemoteMethod, endpoint: Endpoint) -> None:
        spec = model.spec
        path = _swagger_path(spec.plural, endpoint.path)
        verb = endpoint.verb.lower()
        parameters = self._parameters(spec, method, endpoint, path)
        status = method.status if method.status != 200 else (200 if method.returns else 204)
        base_id = f"{spec.name}.{method.full_name}"
        auth = getattr(self.app, "auth", None)
        security = None
        if auth is not None and auth.enforced:
            security = _TOKEN_OPTIONAL if auth.anonymous_allowed(model, method) else _NEEDS_TOKEN
        operation = _Operation(
            path=path,
            verb=verb,
            tag=self._tag(spec)["name"],
            summary=method.description,
            operation_id=self._unique_id(base_id, verb, path),
            parameters=parameters,
            status=status,
            response=self._response(method.returns, f"{spec.name}.{method.full_name}"),
            errors=_error_statuses(
                method, parameters, secured=security is not None, rate_limited=getattr(self.app, "rate_limited", False)
            ),
            any_error=not method.builtin,
            pages=method.pages,
            optional=len(method.returns) == 1 and method.returns[0].optional,
            security=security,
            batch=_creates_batches(spec, method),
        )
        self.by_operation_id[operation.operation_id] = operation
        self.operations.append(operation)

    def _unique_id(self, base_id: str, verb: str, path: str) -> str:
        """``Model.method``; when one method serves several routes, every one of them gets
        ``Model.method__<verb>_<path>``, as loopback-swagger named them."""
        if base_id not in self.by_operation_id:
            return base_id
        first = self.by_operation_id.get(base_id)
        if first is not None:
            long_id = _long_operation_id(base_id, first.verb, first.path)
            first.operation_id = long_id
            self.by_operation_id[long_id] = first
            self.by_operation_id[base_id] = None
        return _long_operation_id(base_id, verb, path)

    def _parameters(self, spec: ModelSpec, method: RemoteMethod, endpoint: Endpoint, path: str) -> list[_Parameter]:
        accepts = list(method.accepts)
        if not method.is_static and not any(a.arg == "id" for a in accepts):
            # the instance is found by its id in the path, as LoopBack's shared constructor did
            accepts.insert(0, Accept("id", "any", "path", True, f"{spec.name} id"))
        parameters = []
        for accept in accepts:
            source = default_source(accept, endpoint)
            if source in ("req", "res", "context", "options"):
                continue
            location = "formData" if source == "form" else source
            ldl: dict[str, Any] = {"type": accept.type}
            if accept.description:
                ldl["description"] = accept.description
            if accept.default is not None:
                ldl["default"] = accept.default
            if location == "body":
                schema = self._body_schema(spec, method, accept, ldl)
            elif self.truthful and method.builtin and accept.arg in ("filter", "where") and accept.type == "object":
                target = _filtered_model(spec, method, self.definitions.models)
                kind = "lbpy." + accept.arg.capitalize()
                if target is not None:
                    kind = component_names(target)[0 if accept.arg == "filter" else 1]
                schema = self.definitions.schema({**ldl, "type": kind})
            else:
                schema = self.definitions.schema(ldl)
            # a where that limits a write is required over REST (a missing one is a 400)
            writes_where = accept.arg == "where" and any(default_source(a, endpoint) == "body" for a in method.accepts)
            parameters.append(
                _Parameter(
                    name=accept.arg,
                    location=location,
                    description=accept.description,
                    required=location == "path" or accept.required or (method.builtin and writes_where),
                    schema=schema,
                )
            )
        declared = {p.name for p in parameters if p.location == "path"}
        for name in re.findall(r"\{([^}/]+)\}", path):
            if name not in declared:
                # a path parameter no argument reads still has to be described
                parameters.append(_Parameter(name, "path", "", True, {"type": "string"}))
        return parameters

    def _body_schema(
        self, spec: ModelSpec, method: RemoteMethod, accept: Accept, ldl: dict[str, Any]
    ) -> dict[str, Any]:
        creates = method.name == "create" or method.name.startswith("__create__")
        if self.truthful and isinstance(accept.type, str) and accept.type in self.definitions.models:
            if creates or method.name in _WHOLE_INSTANCE_WRITES:
                return self.definitions.schema({**ldl, "type": self.definitions.create_only_name(accept.type)})
            return self.definitions.schema({**ldl, "type": self.definitions.patch_name(accept.type)})
        if creates and isinstance(accept.type, str):
            create_only = self.definitions.create_only_name(accept.type)
            if create_only is not None:
                return self.definitions.schema({**ldl, "type": create_only})
        return self.definitions.schema(ldl)

    def _response(self, returns: list[Returns], method_name: str) -> dict[str, Any] | None:
        if not returns:
            return None
        if self.options.relation_properties and _WITH_RELATIONS_RETURNS.search(method_name):
            returns = [_with_relations(returns[0], self.definitions)] + list(returns[1:])
        if len(returns) == 1 and returns[0].root:
            return self.definitions.schema(_returns_ldl(returns[0]))
        properties = {}
        for ret in returns:
            properties[ret.arg or "data"] = self.definitions.schema(_returns_ldl(ret))
        return {"type": "object", "properties": properties}


#: built-in methods whose body is a whole instance (a patch's body may leave properties out)
_WHOLE_INSTANCE_WRITES = frozenset(["replaceOrCreate", "replaceById", "patchOrCreate", "upsertWithWhere"])

#: the methods that write a record whose id a client may choose: a taken id is a 409
_ID_WRITES = re.compile(
    r"^(create|patchOrCreate|replaceOrCreate|upsertWithWhere|replaceById|patchAttributes"
    r"|__(create|link|updateById|update)__.*)$"
)


def _error_statuses(
    method: RemoteMethod, parameters: list[_Parameter], *, secured: bool = False, rate_limited: bool = False
) -> tuple[int, ...]:
    """The errors lbpy answers for ``method``: 400 for a request it cannot read, 401 and 403 where
    access control is enforced, 404 for an id that names nothing, 409 for a conflicting write,
    413 and 422 for a body too large or not a valid instance, 429 for a throttled login or reset
    or for any request where the app limits its clients' rate, 503 while a datasource is down."""
    errors = {400, 503}
    if rate_limited:
        errors.add(429)
    if secured:
        errors |= {401, 403}
        if method.name in ("login", "resetPassword") and not method.builtin:
            errors.add(429)
    has_body = any(p.location in ("body", "formData") for p in parameters)
    if has_body:
        errors |= {413, 422}
    if (
        any(p.location == "path" for p in parameters)
        or method.not_found is not None
        or (method.builtin and method.name in ("findOne", "patchOrCreate", "replaceOrCreate"))
    ):
        errors.add(404)
    if method.builtin and _ID_WRITES.match(method.name):
        errors.add(409)
    return tuple(sorted(errors))


def _with_relations(ret: Returns, definitions: _Definitions) -> Returns:
    kind = ret.type
    if isinstance(kind, list) and len(kind) == 1 and kind[0] in definitions.models:
        kind = [kind[0] + "WithRelations"]
    elif isinstance(kind, str) and kind in definitions.models:
        kind = kind + "WithRelations"
    return Returns(ret.arg, kind, ret.root, ret.description, ret.optional)


def _returns_ldl(ret: Returns) -> dict[str, Any]:
    ldl: dict[str, Any] = {"type": ret.type}
    if ret.description:
        ldl["description"] = ret.description
    return ldl


def _filtered_model(spec: ModelSpec, method: RemoteMethod, models: dict[str, type[Model]]) -> str | None:
    """The model a built-in method's filter or where applies to: its own, or a relation's target
    (``__get__orders``); None where it is not known (a scope's, a relation to an unknown model)."""
    match = re.fullmatch(r"__[A-Za-z]+__(.+)", method.name)
    if match is None:
        return spec.name
    relation = spec.relations.get(match.group(1))
    return relation.model if relation is not None and relation.model in models else None


def _creates_batches(spec: ModelSpec, method: RemoteMethod) -> bool:
    """``create`` and a to-many relation's ``__create__`` take an array as well as an object."""
    if not method.builtin:
        return False
    if method.name == "create":
        return True
    relation = spec.relations.get(method.name[len("__create__") :]) if method.name.startswith("__create__") else None
    return relation is not None and relation.type in _MANY_RELATIONS


def _swagger_path(plural: str, method_path: str) -> str:
    path = "/" + plural.strip("/") + "/" + method_path.strip("/")
    path = path.rstrip("/") or "/"
    return "/".join("{" + part[1:] + "}" if part.startswith(":") else part for part in path.split("/"))


def _long_operation_id(base_id: str, verb: str, path: str) -> str:
    return f"{base_id}__{verb}{re.sub(r'[/:]+', '_', path)}"


# ---------------------------------------------------------------------------------------------
# Swagger 2.0


def _swagger(
    info: dict[str, Any],
    base_path: str,
    tags: list[dict[str, Any]],
    operations: list[_Operation],
    definitions: dict[str, Any],
    extensions: dict[str, Any],
) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        entry: dict[str, Any] = {"tags": [operation.tag]}
        if operation.summary:
            entry["summary"] = operation.summary
        entry["operationId"] = operation.operation_id
        entry["parameters"] = [_swagger_parameter(p) for p in operation.parameters]
        response: dict[str, Any] = {"description": "Request was successful"}
        if operation.response is not None:
            response["schema"] = operation.response
        entry["responses"] = {str(operation.status): response}
        entry["deprecated"] = False
        paths.setdefault(operation.path, {})[operation.verb] = entry
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": info,
        "basePath": base_path,
        "paths": paths,
        "tags": tags,
    }
    for key, value in extensions.items():
        document.setdefault(key, value)
    document.setdefault("consumes", list(CONSUMES))
    document.setdefault("produces", list(PRODUCES))
    document.setdefault("definitions", definitions)
    return copy.deepcopy(document)


def _swagger_parameter(parameter: _Parameter) -> dict[str, Any]:
    result: dict[str, Any] = {"name": parameter.name, "in": parameter.location}
    if parameter.description:
        result["description"] = parameter.description
    result["required"] = parameter.required
    if parameter.location == "body":
        result["schema"] = parameter.schema
    elif _is_complex(parameter.schema):
        # LoopBack reads objects and arrays from the query string or a form field as JSON text
        result["type"] = "string"
        result["format"] = "JSON"
    else:
        result.update(parameter.schema)
    return result


# ---------------------------------------------------------------------------------------------
# OpenAPI 3.0


#: LoopBack's error body, as every error answer has it (``lbpy._rest._errors``)
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["statusCode", "message"],
            "properties": {
                "statusCode": {"type": "integer"},
                "name": {"type": "string"},
                "message": {"type": "string"},
                "code": {"type": "string"},
                "details": {},
                "stack": {"type": "string"},
            },
        }
    },
}
_ERROR_DESCRIPTIONS = {
    400: "The request cannot be read: a parameter or the body is malformed",
    401: "Authorization Required: no valid access token, or the caller may not call this (AUTHORIZATION_REQUIRED)",
    403: "Access Denied: the caller may not call this, where aclErrorStatus is 403 (ACCESS_DENIED)",
    429: "Too many requests or failed attempts: try again after Retry-After seconds",
    404: "No record has that id",
    409: "The write conflicts with a stored record (an id already taken)",
    413: "The body is larger than remoting.json.limit",
    422: "The data is not a valid instance of the model",
    503: "A datasource cannot be reached",
}


def _openapi(
    info: dict[str, Any],
    base_path: str,
    tags: list[dict[str, Any]],
    operations: list[_Operation],
    definitions: dict[str, Any],
    extensions: dict[str, Any],
    *,
    max_limit: int | None = None,
) -> dict[str, Any]:
    names = _component_names(definitions)
    convert = _Converter(names, definitions)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.verb] = _openapi_operation(operation, convert, max_limit)
    schemas = {names[name]: convert(schema) for name, schema in definitions.items() if name != "x-any"}
    schemas["Error"] = copy.deepcopy(ERROR_SCHEMA)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": copy.deepcopy(info),
        "servers": [{"url": base_path}],
        "paths": paths,
        "tags": copy.deepcopy(tags),
        "components": {"schemas": schemas},
    }
    for key, value in extensions.items():
        if key.startswith("x-"):
            document.setdefault(key, value)
    return document


def _component_names(definitions: dict[str, Any]) -> dict[str, str]:
    """OpenAPI 3 component names allow ``[A-Za-z0-9._-]`` only: ``$new_Note`` becomes ``NewNote``,
    ``$patch_Note`` ``NotePatch``."""
    names = {name: name for name in definitions if not name.startswith(("$new_", "$patch_"))}
    taken = set(names.values())
    for name in definitions:
        if name.startswith(("$new_", "$patch_")):
            candidate = ("New" + name[len("$new_") :]) if name.startswith("$new_") else name[len("$patch_") :] + "Patch"
            while candidate in taken:
                candidate += "_"
            names[name] = candidate
            taken.add(candidate)
    return names


class _Converter:
    """Swagger 2.0 schemas to OpenAPI 3.0 ones: component references, ``any``, ``file``."""

    def __init__(self, names: dict[str, str], definitions: dict[str, Any] | None = None) -> None:
        self.names = names
        self.definitions = definitions or {}

    def requires_properties(self, schema: dict[str, Any]) -> bool:
        """Whether a body of ``schema`` must name some properties (a missing body is then a 422)."""
        ref = schema.get("$ref")
        if ref is not None:
            schema = self.definitions.get(ref[len(_REF) :], {})
        return bool(schema.get("required"))

    def __call__(self, schema: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref":
                continue
            if key == "items" and isinstance(value, dict):
                result[key] = self(value)
            elif key == "properties" and isinstance(value, dict):
                result[key] = {name: self(item) for name, item in value.items()}
            elif key in ("additionalProperties", "not") and isinstance(value, dict):
                result[key] = self(value)
            elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
                result[key] = [self(item) if isinstance(item, dict) else item for item in value]
            else:
                result[key] = copy.deepcopy(value)
        if result.get("type") == "file":
            result["type"] = "string"
            result["format"] = "binary"
        ref = schema.get("$ref")
        if ref is None:
            return result
        name = ref[len(_REF) :]
        if name == "x-any":
            return result  # any value: no constraint
        target = {"$ref": "#/components/schemas/" + self.names.get(name, name)}
        if not result:
            return target
        # a reference cannot carry siblings in OpenAPI 3.0
        result["allOf"] = [target]
        return result


def _openapi_operation(operation: _Operation, convert: _Converter, max_limit: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"tags": [operation.tag]}
    if operation.summary:
        entry["summary"] = operation.summary
    entry["operationId"] = operation.operation_id
    body = next((p for p in operation.parameters if p.location == "body"), None)
    form = [p for p in operation.parameters if p.location == "formData"]
    parameters = []
    for parameter in operation.parameters:
        if parameter.location == "body":
            continue
        if parameter.location == "formData" and body is None:
            continue
        # with a whole-body argument, form arguments are still read from the query string
        location = "query" if parameter.location == "formData" else parameter.location
        parameters.append(_openapi_parameter(parameter, location, convert))
    if parameters:
        entry["parameters"] = parameters
    if body is not None:
        entry["requestBody"] = _request_body(body, convert, batch=operation.batch)
    elif form:
        entry["requestBody"] = _form_body(form, convert)
    response: dict[str, Any] = {"description": "Request was successful"}
    if operation.response is not None and operation.verb != "head":
        schema = convert(operation.response)
        if operation.optional:
            schema = {"anyOf": [schema, {"type": "object", "maxProperties": 0}], "nullable": True}
        if operation.batch:
            schema = {"oneOf": [schema, {"type": "array", "items": copy.deepcopy(schema)}]}
        response["content"] = {"application/json": {"schema": schema}}
    if operation.pages and max_limit is not None:
        response["headers"] = {
            "X-Max-Limit": {
                "description": f"Sent when the answer was cut at remoting.rest.maxLimit ({max_limit}): "
                "page with filter.limit and filter.skip",
                "schema": {"type": "integer"},
            }
        }
    responses = {str(operation.status): response}
    for status in operation.errors:
        responses[str(status)] = _error_response(_ERROR_DESCRIPTIONS[status])
    if operation.any_error:
        responses["default"] = _error_response("An error the method raised")
    entry["responses"] = responses
    if operation.security is not None:
        entry["security"] = copy.deepcopy(operation.security)
    entry["deprecated"] = False
    return entry


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _openapi_parameter(parameter: _Parameter, location: str, convert: _Converter) -> dict[str, Any]:
    result: dict[str, Any] = {"name": parameter.name, "in": location}
    if parameter.description:
        result["description"] = parameter.description
    result["required"] = parameter.required
    schema = convert({k: v for k, v in parameter.schema.items() if k != "description"})
    if location == "path" and (not schema or _is_complex(parameter.schema)):
        result["schema"] = {"type": "string"}
    elif _is_complex(parameter.schema) and schema:
        # LoopBack reads objects and arrays in a URL as JSON text
        result["content"] = {"application/json": {"schema": schema}}
    else:
        result["schema"] = schema
    return result


def _request_body(parameter: _Parameter, convert: _Converter, *, batch: bool = False) -> dict[str, Any]:
    # the description belongs to the request body; without it a model body is a plain reference.
    # JSON only: a url-encoded body cannot carry the types of a model's properties faithfully
    schema = convert({k: v for k, v in parameter.schema.items() if k != "description"})
    if batch:
        # a batch is an array of instances; as in LoopBack 3, a null item is read as {}, so it is
        # one where the model requires nothing (and a 422 where it does)
        item = schema if convert.requires_properties(parameter.schema) else {"allOf": [schema], "nullable": True}
        schema = {"oneOf": [schema, {"type": "array", "items": item}]}
    body: dict[str, Any] = {}
    if parameter.description:
        body["description"] = parameter.description
    body["content"] = {"application/json": {"schema": schema}}
    body["required"] = parameter.required or convert.requires_properties(parameter.schema)
    return body


def _form_body(parameters: list[_Parameter], convert: _Converter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {p.name: convert(p.schema) for p in parameters}}
    required = [p.name for p in parameters if p.required]
    if required:
        schema["required"] = required
    return {
        "content": {media: {"schema": copy.deepcopy(schema)} for media in CONSUMES},
        "required": bool(required),
    }
