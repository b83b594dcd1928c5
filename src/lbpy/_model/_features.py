"""The Python API for what a model JSON declares beyond its properties.

``ModelFeatures`` is a base of ``Model``: remote methods and remote hooks, validations, named
scopes, properties added by mixins, change streams, each done by its own module; the model
builder applies the same modules to what the model JSON declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import BootError, ValidationError
from . import _remote_methods, _validations
from ._change_stream import ChangeStream
from ._definition import build_property
from ._remote_definition import RemoteMethod
from ._scopes import add_named_scope

if TYPE_CHECKING:
    from ._definition import ModelSpec
    from ._runtime import ModelRuntime


class ModelFeatures:
    """Remote methods, remote hooks, validations, scopes: LoopBack's model API in snake_case."""

    __slots__ = ()

    if TYPE_CHECKING:  # what Model, the class that derives from this one, declares
        spec: ClassVar[ModelSpec]
        _runtime: ClassVar[ModelRuntime]

        @classmethod
        def _raise_invalid(cls, errors: dict[str, Any], data: Any) -> None: ...

        @classmethod
        def _raise_batch(cls, failures: list[ValidationError | None]) -> None: ...

    # -- remote methods ---------------------------------------------------------------------

    @classmethod
    def remote_method(
        cls,
        name: str,
        fn: Callable[..., Any] | None = None,
        *,
        accepts: Any = None,
        returns: Any = None,
        http: Any = None,
        description: str | list[str] | None = None,
        is_static: bool | None = None,
        notes: Any = None,
        access_type: str | None = None,
    ) -> Callable[..., Any]:
        """Expose a method over REST, as LoopBack's ``Model.remoteMethod(name, options)``.

        ``accepts``/``returns`` take LoopBack's argument declarations (dicts such as
        ``{"arg": "msg", "type": "string", "required": True}``, or a list of them); ``http``
        is ``{"verb": "get", "path": "/greet", "status": 200}``. ``"prototype.<name>"`` (or
        ``is_static=False``) makes an instance method, found by the id in ``/:id/<path>``.
        ``access_type`` (``"READ"``, ``"WRITE"``, ``"EXECUTE"``) is what ACLs see it do.

        Usable as a decorator, which sets the function on the model::

            @Model.remote_method("greet", accepts={"arg": "msg", "type": "string"},
                                 returns={"arg": "greeting", "type": "string"}, http={"verb": "get"})
            async def greet(msg=None):
                return f"Sender says {msg} to receiver"
        """
        meta: dict[str, Any] = {
            "accepts": accepts,
            "returns": returns,
            "http": http,
            "description": description,
            "notes": notes,
        }
        if is_static is not None:
            meta["isStatic"] = is_static
        if access_type is not None:
            meta["accessType"] = access_type
        method = _remote_methods.define(cls, name, fn, {k: v for k, v in meta.items() if v is not None})
        if fn is not None:
            return fn

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            setattr(cls, method.name, func)
            return func

        return decorate

    @classmethod
    def disable_remote_method_by_name(cls, name: str) -> None:
        """Stop serving a remote method (``"create"``, ``"prototype.patchAttributes"``,
        ``"upsert"``, or one of the app's own) over REST, as LoopBack's method of that name."""
        _remote_methods.disable(cls, name)

    @classmethod
    def nest_remoting(cls, relation: str) -> None:
        """Serve the relation routes of ``relation``'s target under this model's, as LoopBack's
        ``nestRemoting`` did: with Customer hasMany orders and Order hasMany shipments,
        ``Customer.nest_remoting("orders")`` adds ``GET /Customers/{id}/orders/{nk}/shipments``
        and the rest. ``"options": {"nestRemoting": true}`` on the relation does the same."""
        if relation not in cls.spec.relations:
            known = ", ".join(sorted(cls.spec.relations)) or "none"
            raise ValueError(f'{cls.spec.name} has no relation "{relation}" to nest (its relations: {known})')
        if relation not in cls._runtime.nested_relations:
            cls._runtime.nested_relations.append(relation)

    @classmethod
    def remote_methods(cls) -> list[RemoteMethod]:
        """The app's own remote methods of this model (built-ins and named scopes not included)."""
        return _remote_methods.own_methods(cls)

    @classmethod
    def before_remote(cls, name: str, fn: Callable[..., Any] | None = None) -> Callable[..., Any]:
        """Run ``fn(ctx)`` before the remote methods ``name`` matches (``"create"``, ``"*"``,
        ``"prototype.*"``); it may change ``ctx.args``, and raising stops the call."""
        return cls._remote_hook("before", name, fn)

    @classmethod
    def after_remote(cls, name: str, fn: Callable[..., Any] | None = None) -> Callable[..., Any]:
        """Run ``fn(ctx)`` after a successful call; ``ctx.result`` may be read and replaced."""
        return cls._remote_hook("after", name, fn)

    @classmethod
    def after_remote_error(cls, name: str, fn: Callable[..., Any] | None = None) -> Callable[..., Any]:
        """Run ``fn(ctx)`` when a call fails; ``ctx.error`` is the exception (raise another to
        replace it)."""
        return cls._remote_hook("error", name, fn)

    @classmethod
    def _remote_hook(cls, phase: str, name: str, fn: Callable[..., Any] | None) -> Callable[..., Any]:
        if fn is not None:
            _remote_methods.add_hook(cls, phase, name, fn)
            return fn

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            _remote_methods.add_hook(cls, phase, name, func)
            return func

        return decorate

    # -- validations -------------------------------------------------------------------------

    @classmethod
    def validates_presence_of(
        cls, *properties: str, message: str | None = None, if_: Any = None, unless: Any = None, **options: Any
    ) -> None:
        """Fail with ``presence`` ("can't be blank") when a property is missing, null or empty."""
        cls._validates("presence", properties, locals(), options)

    @classmethod
    def validates_absence_of(
        cls, *properties: str, message: str | None = None, if_: Any = None, unless: Any = None, **options: Any
    ) -> None:
        """Fail with ``absence`` ("can't be set") when a property has a value."""
        cls._validates("absence", properties, locals(), options)

    @classmethod
    def validates_length_of(
        cls,
        *properties: str,
        min: int | None = None,
        max: int | None = None,
        is_: int | None = None,
        message: str | dict[str, Any] | None = None,
        allow_null: bool | None = None,
        allow_blank: bool | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``length.min`` ("too short"), ``length.max`` ("too long") or ``length.is``
        ("length is wrong"); ``message`` may be ``{"min": "...", "max": "..."}``."""
        cls._validates("length", properties, locals(), options)

    @classmethod
    def validates_format_of(
        cls,
        *properties: str,
        with_: Any = None,
        message: str | None = None,
        allow_null: bool | None = None,
        allow_blank: bool | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``format`` ("is invalid") unless the regular expression ``with_`` matches."""
        cls._validates("format", properties, locals(), options)

    @classmethod
    def validates_inclusion_of(
        cls,
        *properties: str,
        in_: Any = None,
        message: str | None = None,
        allow_null: bool | None = None,
        allow_blank: bool | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``inclusion`` ("is not included in the list") unless the value is in ``in_``."""
        cls._validates("inclusion", properties, locals(), options)

    @classmethod
    def validates_exclusion_of(
        cls,
        *properties: str,
        in_: Any = None,
        message: str | None = None,
        allow_null: bool | None = None,
        allow_blank: bool | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``exclusion`` ("is reserved") when the value is in ``in_``."""
        cls._validates("exclusion", properties, locals(), options)

    @classmethod
    def validates_numericality_of(
        cls,
        *properties: str,
        int: bool | None = None,
        message: str | dict[str, Any] | None = None,
        allow_null: bool | None = None,
        allow_blank: bool | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``numericality.number`` ("is not a number"), or ``numericality.int`` ("is not
        an integer") when ``int`` is true."""
        cls._validates("numericality", properties, locals(), options)

    @classmethod
    def validates_uniqueness_of(
        cls,
        *properties: str,
        scoped_to: list[str] | None = None,
        ignore_case: bool | None = None,
        message: str | None = None,
        if_: Any = None,
        unless: Any = None,
        **options: Any,
    ) -> None:
        """Fail with ``uniqueness`` ("is not unique") when another stored record has the value
        (among the records with the same ``scoped_to`` values)."""
        cls._validates("uniqueness", properties, locals(), options)

    @classmethod
    def _validates(cls, kind: str, properties: tuple[Any, ...], given: dict[str, Any], extra: dict[str, Any]) -> None:
        keywords = {k: v for k, v in given.items() if k not in ("cls", "properties", "options", "__class__")}
        _validations.add(cls, kind, properties, _validations.python_options({**keywords, **extra}))

    @classmethod
    async def _validate_async(
        cls,
        values: dict[str, Any],
        mode: str,
        current_id: Any,
        options: dict[str, Any],
        record: dict[str, Any] | None = None,
    ) -> None:
        """The validations that ask the datasource (uniqueness), run before a record is stored;
        ``record`` is the whole record a partial update leaves."""
        if not cls._runtime.unique_rules:
            return
        errors = await _validations.unique_errors(cls, values, mode, current_id, options, record)
        if errors:
            cls._raise_invalid(errors, values)

    @classmethod
    async def _validate_batch_async(cls, items: list[dict[str, Any]], options: dict[str, Any]) -> None:
        if not cls._runtime.unique_rules:
            return
        inside = _validations.batch_duplicates(cls, items)
        failures: list[ValidationError | None] = []
        for values, duplicates in zip(items, inside, strict=True):
            errors = await _validations.unique_errors(cls, values, "create", None, options)
            for prop, items_ in duplicates.items():
                if prop not in errors:
                    errors[prop] = items_
            failures.append(ValidationError(cls.spec.name, errors, values=values) if errors else None)
        if any(failures):
            cls._raise_batch(failures)

    # -- scopes, properties, change streams -----------------------------------------------------

    @classmethod
    def scope(cls, name: str, filter: dict[str, Any]) -> Any:
        """Define the named scope ``name`` (``Model.scope("vips", {"where": {"vip": True}})``),
        as a model JSON's ``scopes`` does; returns ``Model.<name>``."""
        try:
            return add_named_scope(cls, name, filter, cls.spec.name)
        except BootError as exc:
            raise ValueError(str(exc)) from None

    @classmethod
    def define_property(cls, name: str, definition: Any) -> None:
        """Add a property, as a model JSON's ``properties`` entry declares it (mixins use this)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f'"{name}" is not a valid property name')
        registry = cls._runtime.registry
        names = set(registry) if registry is not None else set()
        prop = build_property(name, definition, names)
        cls.spec.properties[name] = prop
        if prop.hidden:
            cls.spec.hidden = cls.spec.hidden | {name}
        if prop.type.name in ("date", "buffer"):
            runtime = cls._runtime
            runtime.load_converters = [c for c in runtime.load_converters if c[0] != name]
            runtime.load_converters.append((name, prop.type.coerce))

    @classmethod
    async def check_access(cls, ctx: Any) -> bool:
        """Whether the caller ``ctx`` describes may do what it says (LoopBack's
        ``Model.checkAccess``): an ``AccessContext``, or a dict with ``accessToken``,
        ``modelId``, ``property`` (a method name) and ``accessType``. The model's acls, the ACL
        records and the roles decide, as for a REST call."""
        auth = cls._runtime.auth
        if auth is None:
            return True  # a model built alone has no app, so no access control
        result: bool = await auth.check_access(cls, ctx)
        return result

    @classmethod
    def get_model(cls, name: str) -> Any:
        """Another model of this model's app, by name (LoopBack's ``Model.app.models[name]``
        and ``registry.getModel(name)``); a LookupError names the models there are."""
        registry = cls._runtime.registry
        if registry is None:
            raise LookupError(f"{cls.spec.name} belongs to no app, so it knows no other model")
        return registry.get_model(name)

    @classmethod
    def create_change_stream(cls, options: Any = None) -> ChangeStream:
        """An async iterator of this model's changes (LoopBack's createChangeStream)."""
        return ChangeStream(cls, options)
