"""Remote methods an app adds to a model, and remote hooks around every remote method.

A remote method is looked up on the model when it is called, as LoopBack did: a static method
``greet`` calls ``Model.greet(**args)`` and an instance method ``prototype.shout`` calls
``instance.shout(**args)``, so Python's own binding applies (a plain function set on the class
is called with the arguments only, a ``classmethod`` also receives the class, a method the
instance). ``async def`` functions run on the event loop; plain ``def`` functions run in a worker
thread, so that blocking code does not stall other requests.

Remote hooks (``before_remote``, ``after_remote``, ``after_remote_error``) run on the event loop,
like operation hooks, whether ``def`` or ``async def``; they take LoopBack's name patterns:
``*`` matches one part of a name (``*`` every static method, ``prototype.*`` every instance
method, ``find*``), ``**`` matches everything.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.types import Receive, Scope

from .._errors import HttpError
from ._remote_definition import RemoteMethod, remote_method_from_json

if TYPE_CHECKING:
    from ._persisted import Model

PHASES = ("before", "after", "error")

#: LoopBack's names of built-in methods, as sharedMethods and disableRemoteMethodByName know them
ALIASES = {
    "patchOrCreate": ("upsert", "updateOrCreate"),
    "deleteById": ("destroyById", "removeById"),
    "patchAttributes": ("updateAttributes",),
    "updateAll": ("update",),
}


def method_names(method: RemoteMethod) -> set[str]:
    """Every name that designates ``method``: its own, with and without ``prototype.``, and
    LoopBack's aliases of the built-in ones."""
    names = {method.full_name, method.name}
    for alias in ALIASES.get(method.name, ()):
        names.add(alias if method.is_static else f"prototype.{alias}")
        names.add(alias)
    return names


# -- defining ----------------------------------------------------------------------------------


def define(model: type[Model], name: str, fn: Callable[..., Any] | None, meta: dict[str, Any]) -> RemoteMethod:
    """Add the remote method ``name`` (``"greet"`` or ``"prototype.shout"``) to ``model``.

    ``meta`` is LoopBack's remoting metadata (``accepts``, ``returns``, ``http``,
    ``description``, ``isStatic``), as the model JSON's ``methods`` section writes it."""
    if not isinstance(name, str) or not name:
        raise ValueError('a remote method needs a name, e.g. remote_method("greet", ...)')
    method = remote_method_from_json(name, meta, _unbound)
    attribute = method.name
    if not attribute.isidentifier():
        raise ValueError(f'"{name}" is not a valid method name; use letters, digits and _')
    _check_not_builtin(model, attribute)
    method.fn = _invoker(model, attribute, method.is_static)
    if fn is not None:
        setattr(model, attribute, fn)
    model._runtime.remote_methods[method.full_name] = method
    return method


def _check_not_builtin(model: type[Model], attribute: str) -> None:
    if model._is_builtin_attribute(attribute):
        raise ValueError(
            f'a remote method named "{attribute}" would replace {model.__name__}.{attribute}, which '
            "lbpy's own methods use; give the remote method another name (its http.path can "
            "still be anything)"
        )


async def _unbound(*args: Any, **kwargs: Any) -> Any:  # replaced by define()
    raise RuntimeError("remote method without a function")


def _invoker(model: type[Model], attribute: str, is_static: bool) -> Callable[..., Any]:
    async def invoke(target: Any, **args: Any) -> Any:
        fn = getattr(target, attribute, None) if is_static else _instance_attribute(target, attribute)
        if not callable(fn):
            raise HttpError(
                f"{model.spec.name}.{attribute} is not defined: set it in customize() in "
                f"common/models/<model>.py, or define {attribute}() there",
                code="METHOD_NOT_DEFINED",
            )
        return await call(fn, **args)

    return invoke


def _instance_attribute(instance: Any, attribute: str) -> Any:
    # the class's method, never a stored property of the same name
    found = getattr(type(instance), attribute, None)
    bind = getattr(found, "__get__", None)
    return bind(instance, type(instance)) if bind is not None else found


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``: a coroutine function on the loop, a plain function in a worker thread; an
    awaitable result is awaited."""
    if _is_async(fn):
        return await fn(*args, **kwargs)
    result = await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
    if inspect.isawaitable(result):
        result = await result
    return result


async def run_hook(fn: Callable[..., Any], ctx: Any) -> None:
    """A remote hook runs on the event loop, as operation hooks do: quick code, sync or async."""
    result = fn(ctx)
    if inspect.isawaitable(result):
        await result


def _is_async(fn: Callable[..., Any]) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004 (an object with an async __call__)


def own_methods(model: type[Model]) -> list[RemoteMethod]:
    """The remote methods ``model`` and its bases defined, a subclass's overriding its base's."""
    found: dict[str, RemoteMethod] = {}
    for klass in reversed(model.__mro__):
        runtime = vars(klass).get("_runtime")
        if runtime is not None:
            found.update(runtime.remote_methods)
    return list(found.values())


def disable(model: type[Model], name: str) -> None:
    model._runtime.disabled_methods.add(name)


def is_disabled(model: type[Model], method: RemoteMethod) -> bool:
    disabled = model._runtime.disabled_methods
    return bool(disabled) and not disabled.isdisjoint(method_names(method))


# -- remote hooks ------------------------------------------------------------------------------


def pattern(name: str) -> re.Pattern[str]:
    """LoopBack's hook pattern as a regular expression over ``full_name``."""
    if not isinstance(name, str) or not name:
        raise ValueError('a remote hook needs a method name or a pattern such as "*" or "prototype.*"')
    parts = []
    for piece in re.split(r"(\*\*|\*)", name):
        if piece == "**":
            parts.append(".*")
        elif piece == "*":
            parts.append("[^.]*")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def add_hook(model: type[Model], phase: str, name: str, fn: Callable[..., Any]) -> None:
    if not callable(fn):
        raise TypeError(f"a remote hook must be a function taking ctx, not {type(fn).__name__}")
    runtime = model._runtime
    runtime.remote_hooks.append((phase, pattern(name), fn))
    runtime.remote_hook_index.clear()


def hooks_for(model: type[Model], method: RemoteMethod) -> tuple[list[Any], list[Any], list[Any]] | None:
    """The before, after and error hooks for ``method``, or None when it has none."""
    runtime = model._runtime
    if not runtime.remote_hooks:
        return None
    index = runtime.remote_hook_index
    key = method.full_name
    if key not in index:
        found: dict[str, list[Any]] = {phase: [] for phase in PHASES}
        for phase, compiled, fn in runtime.remote_hooks:
            if compiled.fullmatch(key):
                found[phase].append(fn)
        index[key] = (found["before"], found["after"], found["error"]) if any(found.values()) else None
    result: tuple[list[Any], list[Any], list[Any]] | None = index[key]
    return result


class RemoteContext:
    """What a remote hook receives: LoopBack's ``ctx`` with Python names.

    ``args`` can be changed by a before hook; ``result`` can be replaced by an after hook;
    ``error`` is set for after-error hooks."""

    def __init__(
        self,
        model: type[Model],
        method: RemoteMethod,
        args: dict[str, Any],
        *,
        scope: Scope | None = None,
        receive: Receive | None = None,
        instance: Model | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.Model = model
        self.method = method
        self.method_string = f"{model.spec.name}.{method.full_name}"
        self.args = args
        self.instance = instance
        self.options = {} if options is None else options
        self.result: Any = None
        self.error: BaseException | None = None
        self._scope = scope
        self._receive = receive
        self._request: Any = None

    @property
    def req(self) -> Any:
        """The request (a Starlette ``Request``), or None outside HTTP."""
        if self._request is None and self._scope is not None:
            from starlette.requests import Request

            self._request = Request(self._scope) if self._receive is None else Request(self._scope, self._receive)
        return self._request

    request = req

    def __repr__(self) -> str:
        return f"<RemoteContext {self.method_string} args={self.args!r}>"
