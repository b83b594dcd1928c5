"""Methods a model gets from its datasource's connector, as LoopBack's connectors mixed
functions into the models attached to them (the REST connector's template operations, every
operation of an OpenAPI spec).

A connector lists them in ``Connector.model_functions(model)``, each with LoopBack's remoting
metadata. The builder sets ``Model.<name>`` to a coroutine function that maps positional
arguments onto the declared ``accepts`` and calls the connector through the datasource, and
declares a remote method from the same metadata, so that the function is served over REST and
described in the explorer; a model JSON's ``methods`` entry of the same name replaces that
declaration, and ``"shared": false`` leaves the function off the REST API.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._errors import BootError
from . import _remote_methods

if TYPE_CHECKING:
    from .._datasource import DataSource
    from ._persisted import Model


def bind_connector_functions(model: type[Model]) -> list[str]:
    """Add the connector's functions to ``model``; returns their names."""
    datasource = model.datasource
    if datasource is None or datasource.connector is None:
        return []
    name = model.spec.name
    try:
        functions = datasource.connector.model_functions(name)
    except BootError as exc:
        raise BootError(f'model "{name}": {exc}') from None
    added = []
    for function, meta in (functions or {}).items():
        where = f'{model.spec.source}: the {datasource.connector_name} function "{function}"'
        if not isinstance(function, str) or not function.isidentifier() or keyword.iskeyword(function):
            raise BootError(f"{where} is not a valid method name; use letters, digits and _")
        if model._is_builtin_attribute(function):
            raise BootError(
                f"{where} would replace {name}.{function}, which lbpy's own methods "
                "use; rename it in the datasource's settings"
            )
        accepts = _accept_names(meta.get("accepts"), where)
        setattr(model, function, _caller(datasource, name, function, accepts))
        if meta.get("shared", True) is not False:
            remote = {k: v for k, v in meta.items() if k != "shared"}
            try:
                _remote_methods.define(model, function, None, remote)
            except ValueError as exc:
                raise BootError(f"{where}: {exc}") from None
        added.append(function)
    return added


def _accept_names(accepts: Any, where: str) -> list[str]:
    if accepts is None:
        return []
    items = accepts if isinstance(accepts, list) else [accepts]
    names = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("arg"), str):
            raise BootError(f'{where}: each "accepts" item needs an "arg" name')
        names.append(item["arg"])
    return names


def _caller(datasource: DataSource, model: str, function: str, names: list[str]) -> Callable[..., Any]:
    async def call(*args: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if len(args) > len(names):
            raise TypeError(
                f"{model}.{function}() takes {len(names)} argument(s) ({', '.join(names) or 'none'}), {len(args)} given"
            )
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key in values:
                raise TypeError(f"{model}.{function}() got two values for {key}")
            values[key] = value
        return await datasource.call("call_function", model, function, values, options or {})

    call.__name__ = call.__qualname__ = function
    call.__doc__ = f"{model}.{function}({', '.join(names)}): a function of its datasource's connector."
    return call
