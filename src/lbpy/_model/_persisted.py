"""The data-access object: LoopBack's PersistedModel statics and prototype methods.

A class deriving from ``Model`` is built once per model at boot. Its class methods
(``find``, ``create``, ``update_all``, ...) are what LoopBack's statics were; its instances hold
one record and have LoopBack's prototype methods (``update_attributes``, ``save``, ``destroy``).
Every method is ``async``. Data flows down to the datasource's connector and back; operation
hooks (``Model.observe``) run on the way.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import BadRequestError, HttpError, NotFoundError, ValidationError
from .._filter import (
    Filter,
    ParsedWhere,
    parse_filter,
    parse_where,
    where_to_json,
)
from .._json_values import json_value
from ._definition import MISSING, ModelSpec
from ._features import ModelFeatures
from ._record_json import to_json
from ._runtime import ModelRuntime
from ._types import CoercionError
from .relations._accessors import Related, accessor
from .relations._include import fetch_with_include

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._datasource import DataSource

log = logging.getLogger("lbpy")

#: codes of values lbpy cannot store at all; LoopBack's validateUpsert never lets these through
_TYPE_CODES = frozenset(
    ["string", "number", "boolean", "date", "object", "array", "geopoint", "buffer", "unknown-property"]
)

HOOKS = ("access", "before save", "after save", "before delete", "after delete", "loaded", "persist")


class Context:
    """What an operation hook receives: LoopBack's ``ctx`` with Python names."""

    def __init__(self, model: type[Model], options: dict[str, Any], **values: Any) -> None:
        self.Model = model
        self.options = options
        self.hook_state: dict[str, Any] = {}
        self.instance: Model | None = None
        self.data: dict[str, Any] | None = None
        self.where: dict[str, Any] | None = None
        self.query: Filter | None = None
        self.is_new_instance: bool | None = None
        self.current_instance: Model | None = None
        self.info: dict[str, Any] | None = None
        for key, value in values.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if v is not None and k != "Model"}
        return f"<Context {self.Model.__name__} {shown}>"


def _now() -> datetime:
    return datetime.now(timezone.utc)


DEFAULT_FNS: dict[str, Callable[[], Any]] = {
    "now": _now,
    "guid": lambda: str(uuid.uuid1()),
    "uuid": lambda: str(uuid.uuid1()),
    "uuidv4": lambda: str(uuid.uuid4()),
}


class Model(ModelFeatures):
    """The base of every model class. Class attributes are set when the app boots.

    Remote methods, remote hooks, validations, scopes and properties added from Python
    (``Model.remote_method``, ``Model.validates_length_of``, ...) come from ``ModelFeatures``."""

    spec: ClassVar[ModelSpec]
    datasource: ClassVar[DataSource | None] = None
    #: what lbpy built for this model: hooks, relations, validations, scopes, remote methods
    _runtime: ClassVar[ModelRuntime] = ModelRuntime()

    __slots__ = ("__data__",)
    __data__: dict[str, Any]

    # -- an instance: one record ---------------------------------------------------------

    def __init__(self, data: dict[str, Any] | None = None, **values: Any) -> None:
        object.__setattr__(self, "__data__", {**(data or {}), **values})

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "__data__")
        if name in data:
            return data[name]
        if name in type(self).spec.properties:
            return None
        if name in type(self).spec.relations:
            raise AttributeError(
                f"{type(self).__name__}.{name} is a relation that was not included: use "
                f"await instance.related({name!r}) methods, or include it in the filter"
            )
        raise AttributeError(f"{type(self).__name__} has no property {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.__data__[name] = value

    def __getitem__(self, name: str) -> Any:
        return self.__data__[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.__data__[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self.__data__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and type(other) is type(self) and other.__data__ == self.__data__

    # a record compares by its values, which change: unhashable, as a dict is
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__data__!r})"

    def get(self, name: str, default: Any = None) -> Any:
        return self.__data__.get(name, default)

    def related(self, name: str) -> Related:
        """This record's relation ``name``: ``await customer.related("orders").find()``
        (see ``lbpy._model.relations._accessors`` for every method)."""
        return accessor(self, name)

    @property
    def id(self) -> Any:
        id_name = type(self).spec.id_name
        return self.__data__.get(id_name) if id_name else None

    def to_dict(self) -> dict[str, Any]:
        """The record as Python values (dates as datetime), hidden properties included."""
        return dict(self.__data__)

    def to_json(self) -> dict[str, Any]:
        """The record as LoopBack answers it over HTTP: JSON values, hidden properties removed."""
        return to_json(type(self).spec, self.__data__)

    # -- class-level set-up --------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = cls._runtime  # the base model's, until this class has its own
        cls._runtime = ModelRuntime(
            registry=inherited.registry,
            observers={name: list(fns) for name, fns in inherited.observers.items()},
            load_converters=list(inherited.load_converters),
        )

    @classmethod
    def _is_builtin_attribute(cls, name: str) -> bool:
        """Whether ``name`` is part of lbpy's own model API, which a remote method or a named
        scope may not replace."""
        return hasattr(Model, name)

    @classmethod
    def observe(cls, operation: str, fn: Callable[..., Any] | None = None) -> Callable[..., Any]:
        """Register an operation hook; usable as ``@Model.observe("before save")``."""
        if operation not in HOOKS:
            raise ValueError(f'unknown operation hook "{operation}"; use one of: {", ".join(HOOKS)}')

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            cls._runtime.observers.setdefault(operation, []).append(func)
            return func

        return register(fn) if fn is not None else register

    @classmethod
    def clear_observers(cls, operation: str | None = None) -> None:
        if operation is None:
            cls._runtime.observers.clear()
        else:
            cls._runtime.observers.pop(operation, None)

    @classmethod
    async def notify_observers(cls, operation: str, ctx: Context) -> None:
        for fn in cls._runtime.observers.get(operation, ()):
            result = fn(ctx)
            if inspect.isawaitable(result):
                await result

    @classmethod
    def _has(cls, operation: str) -> bool:
        return bool(cls._runtime.observers.get(operation))

    @classmethod
    def on_change(cls, listener: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        """Call ``listener`` after every change with LoopBack's change-stream event:
        ``{"target": id, "where"?: where, "data"?: record or values, "type": "create" | "update" |
        "remove"}`` (``target`` is None when a bulk change matched by more than an id); returns an
        unsubscribe function. Listeners hear this process's changes; change streams
        (``create_change_stream``) hear other processes' too."""
        listeners = cls._runtime.listeners
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    @classmethod
    def listener_count(cls) -> int:
        """How many change listeners (``on_change``, open change streams) this model has, as
        ``listenerCount`` told of a LoopBack model."""
        return len(cls._runtime.listeners)

    @classmethod
    def _changed(cls, kind: str, target: Any, *, where: dict[str, Any] | None = None, data: Any = None) -> None:
        runtime = cls._runtime
        listeners, relay = runtime.listeners, runtime.change_relay
        if not listeners and relay is None:
            return
        event: dict[str, Any] = {"target": target}
        if where is not None:
            event["where"] = where
        if data is not None:
            event["data"] = data
        event["type"] = kind
        for listener in list(listeners):
            listener(event)
        if relay is not None:  # the other processes serving this store (``_change_relay``)
            relay.publish(cls, event)

    # -- input ----------------------------------------------------------------------------

    @classmethod
    def parse_filter(cls, filter: Any) -> Filter:
        registry = cls._runtime.registry
        return parse_filter(cls.spec, filter, registry.specs if registry is not None else None)

    @classmethod
    def parse_where(cls, where: Any, *, for_write: bool = False) -> dict[str, Any] | None:
        """A where checked and coerced for this model; ``for_write`` refuses conditions on hidden
        properties rather than ignoring them (see ``lbpy._filter.parse_where``)."""
        return parse_where(cls.spec, where, for_write=for_write)

    @classmethod
    def coerce_id(cls, value: Any) -> Any:
        """An id from a URL or a body, read as the id property's type (404 when it cannot be)."""
        prop = cls.spec.id_property
        if prop is None or value is None:
            return value
        try:
            return prop.type.coerce_query(value)
        except CoercionError:
            raise NotFoundError(f'Unknown "{cls.spec.name}" id "{value}".', code="MODEL_NOT_FOUND") from None

    @classmethod
    def _prepare(cls, data: Any, mode: str) -> tuple[dict[str, Any], dict[str, list[tuple[str, str]]]]:
        """Coerce ``data`` for a write; ``mode`` is create, replace or patch. Returns the values
        and the validation errors (LoopBack's codes) without raising."""
        if isinstance(data, Model):
            data = data.__data__
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise BadRequestError("Value is not an object.", code="INVALID_BODY")
        spec = cls.spec
        properties = spec.properties
        values: dict[str, Any] = {}
        errors: dict[str, list[tuple[str, str]]] = {}
        unknown: list[str] = []
        relations = spec.relations
        for key, value in data.items():
            prop = properties.get(key)
            if prop is None:
                if key in relations:
                    continue  # included related data is not stored (LoopBack drops it too)
                if spec.strict == "filter":
                    continue
                if spec.strict:
                    unknown.append(key)
                else:
                    values[key] = value
                continue
            try:
                values[key] = prop.type.coerce(value)
            except CoercionError as exc:
                errors[key] = [(exc.code, str(exc))]
        if mode != "patch":
            for name, prop in properties.items():
                if name in values or name in errors:
                    continue
                if prop.default is not MISSING:
                    default = prop.default
                    values[name] = prop.type.coerce(default) if default is not None else None
                elif prop.default_fn in DEFAULT_FNS:
                    values[name] = DEFAULT_FNS[prop.default_fn]()
        forced = cls._runtime.scope_values
        if forced:
            # a default scope's where values are written into every record, as in LoopBack
            values.update(forced)
        for name, prop in properties.items():
            if not prop.required or name in errors:
                continue
            if mode == "patch" and name not in values:
                continue
            if _blank(values.get(name)) and not (prop.is_id and prop.generated):
                errors[name] = [("presence", "can't be blank")]
        if errors:
            # LoopBack lists errors in property order, unknown properties last
            errors = {name: errors[name] for name in properties if name in errors}
        for key in unknown:
            errors[key] = [("unknown-property", "is not defined in the model")]
        if errors and any(code != "presence" for items in errors.values() for code, _ in items):
            return values, errors  # values that could not be read are not validated further
        cls._custom_validations(values, errors, mode)
        return values, errors

    @classmethod
    def _custom_validations(cls, values: dict[str, Any], errors: dict[str, Any], mode: str) -> None:
        """Validations declared in the model JSON or from Python (filled in by the validation module)."""
        for validator in cls._runtime.validators:
            validator(values, errors, mode)

    @classmethod
    def _raise_invalid(cls, errors: dict[str, Any], data: Any) -> None:
        raise ValidationError(cls.spec.name, errors, values=data if isinstance(data, dict) else {})

    @classmethod
    def _check_id_not_set(cls, values: dict[str, Any], errors: dict[str, Any]) -> None:
        id_name = cls.spec.id_name
        if cls.spec.force_id and id_name and values.get(id_name) is not None:
            errors.setdefault(id_name, []).append(("absence", "can't be set"))

    # -- reading --------------------------------------------------------------------------

    @classmethod
    async def find(cls, filter: Any = None, options: dict[str, Any] | None = None) -> list[Self]:
        options = {} if options is None else options
        flt = cls.parse_filter(filter) if not isinstance(filter, Filter) else filter
        state: dict[str, Any] = {}
        flt = await cls._apply_access(flt, options, state)
        if flt.include:
            rows = await fetch_with_include(cls, flt, options, state)
        else:
            rows = await cls._fetch(flt, options, state)
        return [cls(row) for row in rows]

    @classmethod
    async def _apply_access(cls, flt: Filter, options: dict[str, Any], state: dict[str, Any] | None = None) -> Filter:
        scope = cls._runtime.default_scope
        if scope is not None:
            flt = scope(flt)
        if cls._has("access"):
            ctx = Context(cls, options, query=flt, hook_state={} if state is None else state)
            await cls.notify_observers("access", ctx)
            if not isinstance(ctx.query, Filter):
                ctx.query = cls.parse_filter(ctx.query)
            flt = ctx.query
        return flt

    @classmethod
    async def _fetch(
        cls, flt: Filter, options: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        ds = cls._require_datasource()
        rows = await ds.all(cls.spec.name, flt, options)
        return await cls._loaded(rows, options, state)

    @classmethod
    async def _loaded(
        cls,
        rows: list[dict[str, Any]],
        options: dict[str, Any],
        state: dict[str, Any] | None = None,
        *,
        is_new_instance: bool = False,
    ) -> list[dict[str, Any]]:
        cls._converted(rows)
        if cls._has("loaded"):
            for i, row in enumerate(rows):
                ctx = Context(
                    cls, options, data=row, is_new_instance=is_new_instance, hook_state={} if state is None else state
                )
                await cls.notify_observers("loaded", ctx)
                # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
                rows[i] = ctx.data  # type: ignore[assignment]
        return rows

    @classmethod
    def _converted(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows from a connector with dates and buffers read back as Python values."""
        convert = cls._runtime.load_converters
        if convert:
            for row in rows:
                for name, coerce in convert:
                    value = row.get(name)
                    if value is not None:
                        try:
                            row[name] = coerce(value)
                        except CoercionError:
                            pass
        return rows

    @classmethod
    async def find_by_id(cls, id: Any, filter: Any = None, options: dict[str, Any] | None = None) -> Self | None:
        """The record with ``id``, or None. As in LoopBack, only the filter's ``fields`` and
        ``include`` apply: its ``where``, ``order``, ``limit`` and ``skip`` are ignored."""
        id = cls.coerce_id(id)
        flt = cls.parse_filter(filter) if not isinstance(filter, Filter) else filter
        flt = Filter(where={cls._id_name(): {"eq": id}}, fields=flt.fields, include=flt.include, limit=1)
        found = await cls.find(flt, options)
        return found[0] if found else None

    @classmethod
    async def find_one(cls, filter: Any = None, options: dict[str, Any] | None = None) -> Self | None:
        flt = cls.parse_filter(filter) if not isinstance(filter, Filter) else filter
        found = await cls.find(_with_limit(flt, 1), options)
        return found[0] if found else None

    @classmethod
    async def count(cls, where: Any = None, options: dict[str, Any] | None = None) -> int:
        options = {} if options is None else options
        where = cls.parse_where(where) if not _is_canonical(where) else where
        flt = await cls._apply_access(Filter(where=where), options)
        ds = cls._require_datasource()
        return await ds.count(cls.spec.name, flt.where, options)

    @classmethod
    async def exists(cls, id: Any, options: dict[str, Any] | None = None) -> bool:
        try:
            id = cls.coerce_id(id)
        except NotFoundError:
            return False
        return await cls.count({cls._id_name(): {"eq": id}}, options) > 0

    # -- writing --------------------------------------------------------------------------

    @classmethod
    async def create(cls, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        options = {} if options is None else options
        if isinstance(data, list):
            prepared = cls._prepared_batch(data)
            await cls._validate_batch_async(prepared, options)
            return [await cls._create_prepared(values, options) for values in prepared]
        return await cls._create_prepared(cls._prepared_for_create(data), options)

    @classmethod
    def _prepared_batch(cls, items: list[Any]) -> list[dict[str, Any]]:
        """A batch is checked whole before anything is written: all of it is stored or none."""
        prepared: list[dict[str, Any]] = []
        failures: list[ValidationError | None] = []
        for item in items:
            try:
                prepared.append(cls._prepared_for_create(item))
                failures.append(None)
            except ValidationError as exc:
                failures.append(exc)
        if any(failures):
            cls._raise_batch(failures)
        return prepared

    @classmethod
    def _raise_batch(cls, failures: list[ValidationError | None]) -> None:
        details = [
            None
            if exc is None
            else {"statusCode": 422, "name": "ValidationError", "message": exc.message, "details": exc.details}
            for exc in failures
        ]
        first, failure = next((i, exc) for i, exc in enumerate(failures) if exc is not None)
        raise HttpError(
            f"The {cls.spec.name} batch is not valid; nothing was created. Item {first}: {failure.message}",
            status_code=422,
            name="ValidationError",
            details=details,
        )

    @classmethod
    def _prepared_for_create(cls, data: Any) -> dict[str, Any]:
        values, errors = cls._prepare(data, "create")
        cls._check_id_not_set(values, errors)
        if errors:
            cls._raise_invalid(errors, data)
        return values

    @classmethod
    async def _create_prepared(
        cls,
        values: dict[str, Any],
        options: dict[str, Any],
        *,
        where: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> Model:
        """Store a new record; ``where`` is set when upsertWithWhere creates (LoopBack then
        gives "before save" the where and the data rather than an instance)."""
        state = {} if state is None else state
        instance = cls(values)
        if cls._has("before save"):
            if where is None:
                ctx = Context(cls, options, instance=instance, is_new_instance=True, hook_state=state)
                await cls.notify_observers("before save", ctx)
                values = instance.__data__ = cls._revalidate(instance.__data__, "create")
            else:
                ctx = Context(cls, options, where=where, data=values, hook_state=state)
                await cls.notify_observers("before save", ctx)
                # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
                values = instance.__data__ = cls._revalidate(ctx.data, "create")  # type: ignore[arg-type]
        await cls._validate_async(values, "create", None, options)
        if cls._has("persist"):
            # upsertWithWhere's create: LoopBack gave the where and no is_new_instance
            extra = {"is_new_instance": True} if where is None else {"where": where}
            ctx = Context(cls, options, data=values, current_instance=instance, hook_state=state, **extra)
            await cls.notify_observers("persist", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = ctx.data  # type: ignore[assignment]
        ds = cls._require_datasource()
        new_id = await ds.call("create", cls.spec.name, values, options)
        id_name = cls.spec.id_name
        if id_name and new_id is not None:
            instance.__data__[id_name] = new_id
        instance.__data__ = cls._as_stored(ds, instance.__data__)
        if cls._has("loaded"):
            ctx = Context(cls, options, data=instance.__data__, is_new_instance=True, hook_state=state)
            await cls.notify_observers("loaded", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            instance.__data__ = ctx.data  # type: ignore[assignment]
        if cls._has("after save"):
            await cls.notify_observers(
                "after save", Context(cls, options, instance=instance, is_new_instance=True, hook_state=state)
            )
        cls._changed("create", instance.id, data=instance)
        return instance

    @classmethod
    def _revalidate(cls, data: dict[str, Any], mode: str) -> dict[str, Any]:
        """Data a hook changed is checked again, so a hook cannot store what a client could not."""
        values, errors = cls._prepare(data, mode)
        if errors:
            cls._raise_invalid(errors, data)
        return values

    @classmethod
    def _upsert_validation(cls) -> str:
        """LoopBack's ``validateUpsert``: true validates, false skips, unset logs and goes on."""
        setting = cls.spec.options.get("validateUpsert", cls.spec.settings.get("validateUpsert"))
        if setting is True:
            return "validate"
        if setting is False:
            return "skip"
        return "warn"

    @classmethod
    def _prepare_upsert(cls, data: Any, mode: str) -> dict[str, Any]:
        values, errors = cls._prepare(data, mode)
        if errors:
            policy = cls._upsert_validation()
            hard = {k: v for k, v in errors.items() if any(code in _TYPE_CODES for code, _ in v)}
            if policy == "validate" or hard:
                cls._raise_invalid(errors if policy == "validate" else hard, data)
            if policy == "warn":
                log.warning(
                    "Ignoring validation errors in upsert of %s (set options.validateUpsert to "
                    "true to refuse them): %s",
                    cls.spec.name,
                    {k: [c for c, _ in v] for k, v in errors.items()},
                )
        return values

    @classmethod
    async def upsert(cls, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        """Patch the record with the id in ``data``, or create one (LoopBack's patchOrCreate)."""
        options = {} if options is None else options
        raw_id = data.get(cls._id_name()) if isinstance(data, dict) else None
        if raw_id is None:
            result: Model = await cls.create(data, options)
            return result
        existing = await cls.find_by_id(raw_id, None, options)
        if existing is None:
            if cls.spec.force_id:
                raise NotFoundError(
                    f"Could not update attributes. Object with id {raw_id} does not exist!",
                    code="MODEL_NOT_FOUND",
                )
            return await cls._create_prepared(cls._prepare_upsert(data, "create"), options)
        values = cls._prepare_upsert(data, "patch")
        return await existing._patch(values, options)

    update_or_create = patch_or_create = upsert

    @classmethod
    async def replace_or_create(cls, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        options = {} if options is None else options
        raw_id = data.get(cls._id_name()) if isinstance(data, dict) else None
        # LoopBack's replaceOrCreate fires no "access" hook for this look-up
        if raw_id is not None and (cls.spec.force_id or await cls._stored(cls.coerce_id(raw_id), options)):
            return await cls.replace_by_id(raw_id, data, options)
        values, errors = cls._prepare(data, "create")
        if errors:
            cls._raise_invalid(errors, data)
        return await cls._create_prepared(values, options)

    @classmethod
    async def upsert_with_where(cls, where: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        """Patch the one record ``where`` matches, or create one; the data must be a whole
        valid instance either way, as in LoopBack."""
        options = {} if options is None else options
        where = cls.parse_where(where, for_write=True) if not _is_canonical(where) else where
        if isinstance(data, dict) and not data:
            raise BadRequestError("data object cannot be empty!", code="EMPTY_DATA")
        values, errors = cls._prepare(data, "create")
        cls._check_id_not_set(values, errors)
        if errors:
            cls._raise_invalid(errors, data)
        state: dict[str, Any] = {}
        flt = await cls._apply_access(Filter(where=where, limit=2), options, state)
        ds = cls._require_datasource()
        found = await ds.all(cls.spec.name, flt, options)
        if len(found) > 1:
            raise BadRequestError(
                "There are multiple instances found.Upsert Operation will not be performed!",
                code="MULTIPLE_INSTANCES",
            )
        if not found:
            return await cls._create_prepared(values, options, where=_json_where(flt.where), state=state)
        given, _ = cls._prepare(data, "patch")
        # LoopBack fires no "loaded" hook for this look-up
        current = cls(cls._converted(found)[0])
        return await current._patch(given, options, where=_json_where(flt.where), state=state)

    @classmethod
    async def replace_by_id(cls, id: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        options = {} if options is None else options
        id = cls.coerce_id(id)
        id_name = cls._id_name()
        body = dict(data.__data__ if isinstance(data, Model) else data or {})
        if body.get(id_name) is not None and cls.coerce_id(body[id_name]) != id:
            raise BadRequestError(
                f"id property ({id_name}) cannot be updated from {id} to {body[id_name]}",
                code="INVALID_ID",
            )
        body[id_name] = id
        values, errors = cls._prepare(body, "replace")
        if errors:
            cls._raise_invalid(errors, body)
        # LoopBack's replaceById fires no "access" or "loaded" hook for this look-up
        if not await cls._stored(id, options):
            raise NotFoundError(f"Could not replace. Object with id {id} does not exist!", code="MODEL_NOT_FOUND")
        state: dict[str, Any] = {}
        instance = cls(values)
        if cls._has("before save"):
            ctx = Context(cls, options, instance=instance, is_new_instance=False, hook_state=state)
            await cls.notify_observers("before save", ctx)
            values = instance.__data__ = cls._revalidate(instance.__data__, "replace")
        await cls._validate_async(values, "replace", id, options)
        if cls._has("persist"):
            ctx = Context(
                cls,
                options,
                where={id_name: id},
                data=values,
                is_new_instance=False,
                current_instance=instance,
                hook_state=state,
            )
            await cls.notify_observers("persist", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = ctx.data  # type: ignore[assignment]
        ds = cls._require_datasource()
        record = await ds.call("replace_by_id", cls.spec.name, id, values, options)
        rows = await cls._loaded([dict(record or values)], options, state)
        instance.__data__ = rows[0]
        if cls._has("after save"):
            await cls.notify_observers(
                "after save", Context(cls, options, instance=instance, is_new_instance=False, hook_state=state)
            )
        cls._changed("update", id, data=instance)
        return instance

    @classmethod
    async def _stored(cls, id: Any, options: dict[str, Any]) -> bool:
        """Whether the datasource holds ``id``, asked without operation hooks."""
        ds = cls._require_datasource()
        return await ds.count(cls.spec.name, {cls._id_name(): {"eq": id}}, options) > 0

    @classmethod
    async def update_all(
        cls, where: Any = None, data: Any = None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Patch every record ``where`` matches; returns ``{"count": n}``."""
        options = {} if options is None else options
        where = cls.parse_where(where, for_write=True) if not _is_canonical(where) else where
        values, errors = cls._prepare(data, "patch")
        id_name = cls._id_name()
        if id_name in values and cls.spec.force_id:
            errors.setdefault(id_name, []).append(("absence", "can't be set"))
        if errors:
            cls._raise_invalid(errors, data)
        state: dict[str, Any] = {}
        flt = await cls._apply_access(Filter(where=where), options, state)
        where = flt.where
        if cls._has("before save"):
            # hooks see the where as LoopBack wrote it ({"id": 1}); what they leave is read again
            ctx = Context(cls, options, where=_json_where(where), data=values, hook_state=state)
            await cls.notify_observers("before save", ctx)
            where = cls.parse_where(ctx.where, for_write=True)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = cls._revalidate(ctx.data, "patch")  # type: ignore[arg-type]
        if cls._has("persist"):
            ctx = Context(cls, options, where=_json_where(where), data=values, hook_state=state)
            await cls.notify_observers("persist", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = ctx.data  # type: ignore[assignment]
        ds = cls._require_datasource()
        if not values:
            return {"count": await cls.count(where, options)}
        info = await ds.update(cls.spec.name, where, values, options)
        if cls._has("after save"):
            await cls.notify_observers(
                "after save", Context(cls, options, where=_json_where(where), data=values, info=info, hook_state=state)
            )
        if info["count"]:
            cls._changed("update", _target(where, id_name), where=where, data=values)
        return info

    update = update_all

    @classmethod
    async def destroy_all(cls, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return await cls._destroy(where, {} if options is None else options)

    @classmethod
    async def _destroy(cls, where: Any, options: dict[str, Any], instance: Model | None = None) -> dict[str, Any]:
        where = cls.parse_where(where, for_write=True) if not _is_canonical(where) else where
        state: dict[str, Any] = {}
        flt = await cls._apply_access(Filter(where=where), options, state)
        where = flt.where
        # instance.destroy() gives its hooks the instance too, as LoopBack's prototype.destroy did
        extra = {"instance": instance} if instance is not None else {}
        if cls._has("before delete"):
            ctx = Context(cls, options, where=_json_where(where), hook_state=state, **extra)
            await cls.notify_observers("before delete", ctx)
            where = cls.parse_where(ctx.where, for_write=True)
        ds = cls._require_datasource()
        info = await ds.destroy_all(cls.spec.name, where, options)
        if cls._has("after delete"):
            await cls.notify_observers(
                "after delete", Context(cls, options, where=_json_where(where), info=info, hook_state=state, **extra)
            )
        if info["count"]:
            cls._changed("remove", _target(where, cls.spec.id_name), where=where)
        return info

    delete_all = remove = destroy_all

    @classmethod
    async def destroy_by_id(cls, id: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            id = cls.coerce_id(id)
        except NotFoundError:
            return {"count": 0}
        info = await cls.destroy_all({cls._id_name(): {"eq": id}}, options)
        return info

    delete_by_id = remove_by_id = destroy_by_id

    # -- prototype methods ----------------------------------------------------------------

    async def update_attributes(self, data: Any, options: dict[str, Any] | None = None) -> Model:
        """Patch this record with ``data`` (LoopBack's patchAttributes)."""
        cls = type(self)
        options = {} if options is None else options
        body = dict(data.__data__ if isinstance(data, Model) else data or {})
        id_name = cls._id_name()
        if id_name in body:
            if body[id_name] is not None and cls.coerce_id(body[id_name]) != self.id:
                raise BadRequestError(
                    f"id cannot be updated from {self.id} to {body[id_name]} when forceId is set to true",
                    code="INVALID_ID",
                )
            body.pop(id_name)
        values, errors = cls._prepare(body, "patch")
        if errors:
            cls._raise_invalid(errors, body)
        return await self._patch(values, options)

    patch_attributes = update_attributes

    async def _patch(
        self,
        values: dict[str, Any],
        options: dict[str, Any],
        *,
        where: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> Model:
        """Store ``values`` over this record. ``where`` is upsertWithWhere's: LoopBack then gives
        "before save" that where and no current instance."""
        cls = type(self)
        state = {} if state is None else state
        id_name = cls._id_name()
        values.pop(id_name, None)
        by_id = {id_name: self.id}
        if cls._has("before save"):
            ctx = (
                Context(cls, options, where=by_id, data=values, current_instance=self, hook_state=state)
                if where is None
                else Context(cls, options, where=where, data=values, hook_state=state)
            )
            await cls.notify_observers("before save", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = cls._revalidate(ctx.data, "patch")  # type: ignore[arg-type]
        await cls._validate_async(values, "patch", self.id, options, {**self.__data__, **values})
        if cls._has("persist"):
            extra = {"where": by_id, "is_new_instance": False} if where is None else {"where": where}
            ctx = Context(
                cls, options, data=values, current_instance=cls({**self.__data__, **values}), hook_state=state, **extra
            )
            await cls.notify_observers("persist", ctx)
            # ctx.data is Optional on Context (a delete has none); the hooks of this operation leave a dict
            values = ctx.data  # type: ignore[assignment]
        ds = cls._require_datasource()
        record = await ds.call("update_attributes", cls.spec.name, self.id, values, options)
        # "loaded" sees what came back from the connector, not the fields this instance already had
        rows = await cls._loaded([cls._as_stored(ds, {**values, **(record or {})})], options, state)
        self.__data__ = {**self.__data__, **rows[0]}
        if cls._has("after save"):
            await cls.notify_observers(
                "after save", Context(cls, options, instance=self, is_new_instance=False, hook_state=state)
            )
        cls._changed("update", self.id, data=self)
        return self

    async def replace_attributes(self, data: Any, options: dict[str, Any] | None = None) -> Model:
        return await type(self).replace_by_id(self.id, data, options)

    async def save(self, options: dict[str, Any] | None = None) -> Model:
        cls = type(self)
        if self.id is None or not await cls.exists(self.id, options):
            created = await cls.create(self.__data__, options)
            self.__data__ = created.__data__
            return self
        replaced = await cls.replace_by_id(self.id, self.__data__, options)
        self.__data__ = replaced.__data__
        return self

    async def destroy(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        cls = type(self)
        return await cls._destroy({cls._id_name(): {"eq": self.id}}, {} if options is None else options, self)

    # LoopBack's static remove (destroyAll) and prototype remove (destroy) share a name: the
    # instance method, defined last, is Model.remove
    delete = remove = destroy  # type: ignore[assignment]

    async def reload(self, options: dict[str, Any] | None = None) -> Model:
        fresh = await type(self).find_by_id(self.id, None, options)
        if fresh is None:
            raise NotFoundError(f'Unknown "{type(self).spec.name}" id "{self.id}".', code="MODEL_NOT_FOUND")
        self.__data__ = fresh.__data__
        return self

    # -- helpers --------------------------------------------------------------------------

    @classmethod
    def _id_name(cls) -> str:
        name = cls.spec.id_name
        if name is None:
            raise BadRequestError(f"{cls.spec.name} has no id property", code="NO_ID")
        return name

    @classmethod
    def _as_stored(cls, ds: DataSource, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as the datasource keeps it: without undeclared properties where its connector
        does not store them, so that an answer is what a later read returns."""
        if ds.connector.stores_undeclared:
            return data
        declared = cls.spec.properties
        return {k: v for k, v in data.items() if k in declared}

    @classmethod
    def _require_datasource(cls) -> DataSource:
        if cls.datasource is None:
            raise HttpError(
                f"{cls.spec.name} is not attached to a datasource; set its dataSource in server/model-config.json",
                code="NO_DATASOURCE",
            )
        return cls.datasource


def _json_where(where: dict[str, Any] | None) -> dict[str, Any]:
    """A canonical where as LoopBack's JSON (``{"id": 1}``), the form operation hooks see."""
    return where_to_json(where, shorthand=True, convert=json_value) if where else {}


def _target(where: dict[str, Any] | None, id_name: str | None) -> Any:
    """The id a where names alone (``{"id": {"eq": 3}}``), else None."""
    if not where or len(where) != 1 or id_name not in where:
        return None
    condition = where[id_name]
    if isinstance(condition, dict):
        return condition.get("eq") if list(condition) == ["eq"] else None
    return condition


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _with_limit(flt: Filter, limit: int) -> Filter:
    return replace(flt, limit=limit)


def _is_canonical(where: Any) -> bool:
    """Only "no where" and a ``ParsedWhere`` skip parsing. A where from a caller
    (``{"age": {"inq": ["25"]}}`` from a query string looks canonical) must still be checked and
    coerced against the model."""
    return where is None or isinstance(where, ParsedWhere)
