"""What a model definition declares beyond its properties, and the Python API for the same.

``ModelFeatures`` is a base of ``Model``: remote methods and remote hooks, validations, named
scopes, properties added by mixins, change streams. ``apply_model_features`` builds what each
model JSON declares (``mixins``, ``validations``, ``scope``, ``scopes``) before the app's
customisations run; ``bind_remote_methods`` reads the JSON ``methods`` after them, because their
functions are defined there.

A JSON method is bound to Python the way LoopBack bound it to JavaScript: ``"greet"`` calls
``Model.greet`` and ``"prototype.shout"`` calls ``instance.shout``, set in ``customize(Model)``
(``Model.greet = greet``). When customize() sets none, a function of that name (or its
snake_case form) at the top level of ``common/models/<model>.py`` is used: called as
``greet(Model, **args)`` for a static method and ``shout(instance, **args)`` for an instance one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from .._errors import BootError

if TYPE_CHECKING:
    from .._app import Application
    from .._remoting import RemoteMethod
    from ._change_stream import ChangeStream
    from ._persisted import Model


class ModelFeatures:
    """Remote methods, remote hooks, validations, scopes: LoopBack's model API in snake_case."""

    __slots__ = ()

    # -- remote methods ---------------------------------------------------------------------

    @classmethod
    def remote_method(cls, name: str, fn: Callable | None = None, *, accepts: Any = None,
                      returns: Any = None, http: Any = None, description: str | list[str] | None = None,
                      is_static: bool | None = None, notes: Any = None) -> Callable:
        """Expose a method over REST, as LoopBack's ``Model.remoteMethod(name, options)``.

        ``accepts``/``returns`` take LoopBack's argument declarations (dicts such as
        ``{"arg": "msg", "type": "string", "required": True}``, or a list of them); ``http``
        is ``{"verb": "get", "path": "/greet", "status": 200}``. ``"prototype.<name>"`` (or
        ``is_static=False``) makes an instance method, found by the id in ``/:id/<path>``.

        Usable as a decorator, which sets the function on the model::

            @Model.remote_method("greet", accepts={"arg": "msg", "type": "string"},
                                 returns={"arg": "greeting", "type": "string"}, http={"verb": "get"})
            async def greet(msg=None):
                return f"Sender says {msg} to receiver"
        """
        from . import _remote

        meta: dict[str, Any] = {"accepts": accepts, "returns": returns, "http": http,
                                "description": description, "notes": notes}
        if is_static is not None:
            meta["isStatic"] = is_static
        method = _remote.define(cls, name, fn, {k: v for k, v in meta.items() if v is not None})
        if fn is not None:
            return fn

        def decorate(func: Callable) -> Callable:
            setattr(cls, method.name, func)
            return func

        return decorate

    @classmethod
    def disable_remote_method_by_name(cls, name: str) -> None:
        """Stop serving a remote method (``"create"``, ``"prototype.patchAttributes"``,
        ``"upsert"``, or one of the app's own) over REST, as LoopBack's method of that name."""
        from . import _remote

        _remote.disable(cls, name)

    @classmethod
    def remote_methods(cls) -> list["RemoteMethod"]:
        """The app's own remote methods of this model (built-ins and named scopes not included)."""
        from . import _remote

        return _remote.own_methods(cls)

    @classmethod
    def before_remote(cls, name: str, fn: Callable | None = None) -> Callable:
        """Run ``fn(ctx)`` before the remote methods ``name`` matches (``"create"``, ``"*"``,
        ``"prototype.*"``); it may change ``ctx.args``, and raising stops the call."""
        return cls._remote_hook("before", name, fn)

    @classmethod
    def after_remote(cls, name: str, fn: Callable | None = None) -> Callable:
        """Run ``fn(ctx)`` after a successful call; ``ctx.result`` may be read and replaced."""
        return cls._remote_hook("after", name, fn)

    @classmethod
    def after_remote_error(cls, name: str, fn: Callable | None = None) -> Callable:
        """Run ``fn(ctx)`` when a call fails; ``ctx.error`` is the exception (raise another to
        replace it)."""
        return cls._remote_hook("error", name, fn)

    @classmethod
    def _remote_hook(cls, phase: str, name: str, fn: Callable | None) -> Callable:
        from . import _remote

        if fn is not None:
            _remote.add_hook(cls, phase, name, fn)
            return fn

        def decorate(func: Callable) -> Callable:
            _remote.add_hook(cls, phase, name, func)
            return func

        return decorate

    # -- validations -------------------------------------------------------------------------

    @classmethod
    def validates_presence_of(cls, *properties: str, message: str | None = None,
                              if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``presence`` ("can't be blank") when a property is missing, null or empty."""
        cls._validates("presence", properties, locals(), options)

    @classmethod
    def validates_absence_of(cls, *properties: str, message: str | None = None,
                             if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``absence`` ("can't be set") when a property has a value."""
        cls._validates("absence", properties, locals(), options)

    @classmethod
    def validates_length_of(cls, *properties: str, min: int | None = None, max: int | None = None,
                            is_: int | None = None, message: str | dict | None = None,
                            allow_null: bool | None = None, allow_blank: bool | None = None,
                            if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``length.min`` ("too short"), ``length.max`` ("too long") or ``length.is``
        ("length is wrong"); ``message`` may be ``{"min": "...", "max": "..."}``."""
        cls._validates("length", properties, locals(), options)

    @classmethod
    def validates_format_of(cls, *properties: str, with_: Any = None, message: str | None = None,
                            allow_null: bool | None = None, allow_blank: bool | None = None,
                            if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``format`` ("is invalid") unless the regular expression ``with_`` matches."""
        cls._validates("format", properties, locals(), options)

    @classmethod
    def validates_inclusion_of(cls, *properties: str, in_: Any = None, message: str | None = None,
                               allow_null: bool | None = None, allow_blank: bool | None = None,
                               if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``inclusion`` ("is not included in the list") unless the value is in ``in_``."""
        cls._validates("inclusion", properties, locals(), options)

    @classmethod
    def validates_exclusion_of(cls, *properties: str, in_: Any = None, message: str | None = None,
                               allow_null: bool | None = None, allow_blank: bool | None = None,
                               if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``exclusion`` ("is reserved") when the value is in ``in_``."""
        cls._validates("exclusion", properties, locals(), options)

    @classmethod
    def validates_numericality_of(cls, *properties: str, int: bool | None = None,
                                  message: str | dict | None = None, allow_null: bool | None = None,
                                  allow_blank: bool | None = None, if_: Any = None, unless: Any = None,
                                  **options: Any) -> None:
        """Fail with ``numericality.number`` ("is not a number"), or ``numericality.int`` ("is not
        an integer") when ``int`` is true."""
        cls._validates("numericality", properties, locals(), options)

    @classmethod
    def validates_uniqueness_of(cls, *properties: str, scoped_to: list[str] | None = None,
                                ignore_case: bool | None = None, message: str | None = None,
                                if_: Any = None, unless: Any = None, **options: Any) -> None:
        """Fail with ``uniqueness`` ("is not unique") when another stored record has the value
        (among the records with the same ``scoped_to`` values)."""
        cls._validates("uniqueness", properties, locals(), options)

    @classmethod
    def _validates(cls, kind: str, properties: tuple, given: dict, extra: dict) -> None:
        from . import _validations

        keywords = {k: v for k, v in given.items() if k not in ("cls", "properties", "options", "__class__")}
        _validations.add(cls, kind, properties, _validations.python_options({**keywords, **extra}))

    @classmethod
    async def _validate_async(cls, values: dict, mode: str, current_id: Any, options: dict,
                              record: dict | None = None) -> None:
        """The validations that ask the datasource (uniqueness), run before a record is stored;
        ``record`` is the whole record a partial update leaves."""
        if not cls.__dict__.get("_unique_rules"):
            return
        from ._validations import unique_errors

        errors = await unique_errors(cls, values, mode, current_id, options, record)
        if errors:
            cls._raise_invalid(errors, values)  # type: ignore[attr-defined]

    @classmethod
    async def _validate_batch_async(cls, items: list[dict], options: dict) -> None:
        if not cls.__dict__.get("_unique_rules"):
            return
        from .._errors import ValidationError
        from ._validations import batch_duplicates, unique_errors

        inside = batch_duplicates(cls, items)
        failures: list[ValidationError | None] = []
        for values, duplicates in zip(items, inside):
            errors = await unique_errors(cls, values, "create", None, options)
            for prop, items_ in duplicates.items():
                if prop not in errors:
                    errors[prop] = items_
            failures.append(ValidationError(cls.spec.name, errors, values=values) if errors else None)
        if any(failures):
            cls._raise_batch(failures)  # type: ignore[attr-defined]

    # -- scopes, properties, change streams -----------------------------------------------------

    @classmethod
    def scope(cls, name: str, filter: dict) -> Any:
        """Define the named scope ``name`` (``Model.scope("vips", {"where": {"vip": True}})``),
        as a model JSON's ``scopes`` does; returns ``Model.<name>``."""
        from ._scopes import add_named_scope

        try:
            return add_named_scope(cls, name, filter, cls.spec.name)
        except BootError as exc:
            raise ValueError(str(exc)) from None

    @classmethod
    def define_property(cls, name: str, definition: Any) -> None:
        """Add a property, as a model JSON's ``properties`` entry declares it (mixins use this)."""
        from ._definition import build_property

        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f'"{name}" is not a valid property name')
        names = set(cls.app.models) if getattr(cls, "app", None) is not None else set()
        prop = build_property(name, definition, names)
        cls.spec.properties[name] = prop
        if prop.hidden:
            cls.spec.hidden = cls.spec.hidden | {name}
        if prop.type.name in ("date", "buffer"):
            converters = [c for c in cls._load_converters if c[0] != name]  # type: ignore[attr-defined]
            cls._load_converters = converters + [(name, prop.type.coerce)]

    @classmethod
    def create_change_stream(cls, options: Any = None) -> "ChangeStream":
        """An async iterator of this model's changes (LoopBack's createChangeStream)."""
        from ._change_stream import ChangeStream

        return ChangeStream(cls, options)


# -- building what the JSON declares ------------------------------------------------------------


def apply_model_features(app: "Application") -> None:
    """Mixins, validations, the default scope and named scopes of every model, from its JSON."""
    from . import _scopes, _validations
    from ._mixins import Mixins

    mixins = Mixins(app)
    for model in app.models.values():
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


def bind_remote_methods(app: "Application", modules: dict[str, Any]) -> None:
    """The JSON ``methods`` of every model, bound to the Python functions that implement them.
    ``modules`` maps a model name to its loaded customisation module."""
    from . import _remote

    for name, model in app.models.items():
        if name not in app.model_config:
            continue  # like LoopBack, lbpy uses only the models model-config.json names
        methods = model.spec.settings.get("methods") or {}
        source = model.spec.source
        if not isinstance(methods, dict):
            raise BootError(f'{source}: "methods" must be an object: method name -> its remoting metadata')
        for method_name, meta in methods.items():
            where = f'{source}: methods.{method_name}'
            if not isinstance(meta, dict):
                raise BootError(f"{where} must be an object with accepts, returns and http")
            try:
                method = _remote.define(model, method_name, None, meta)
            except ValueError as exc:
                raise BootError(f"{where}: {exc}") from None
            if not _has_function(model, method):
                _attach_module_function(model, method, modules.get(name), where)


def _has_function(model: type["Model"], method: "RemoteMethod") -> bool:
    return callable(getattr(model, method.name, None))


def _attach_module_function(model: type["Model"], method: "RemoteMethod", module: Any, where: str) -> None:
    candidates = [method.name, snake_case(method.name)]
    fn = None
    for candidate in candidates:
        found = getattr(module, candidate, None) if module is not None else None
        if callable(found) and candidate != "customize":
            fn = found
            break
    if fn is None:
        python = _python_file(model)
        signature = (f"{snake_case(method.name)}({model.spec.name}, ...)" if method.is_static
                     else f"{snake_case(method.name)}(self, ...)")
        raise BootError(
            f"{where} has no Python function: define {signature} in {python}, or set "
            f"{model.spec.name}.{method.name} in its customize()"
        )
    setattr(model, method.name, classmethod(fn) if method.is_static else fn)


def _python_file(model: type["Model"]) -> str:
    source = model.spec.source
    return re.sub(r"\.json$", ".py", source) if source.endswith(".json") else "common/models/<model>.py"


def snake_case(name: str) -> str:
    """``getStats`` -> ``get_stats``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text).lower()
