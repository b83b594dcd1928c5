"""lbpy: a LoopBack 3 style API toolkit for Python.

The public API is listed in ``__all__``; names load on first use so that the CLI starts fast.
"""

from __future__ import annotations

from ._version import __version__

_EXPORTS = {
    "create_app": "lbpy._app",
    "Application": "lbpy._app",
    "Model": "lbpy._model._persisted",
    "Context": "lbpy._model._persisted",
    "RemoteContext": "lbpy._model._remote_methods",
    "ChangeStream": "lbpy._model._change_stream",
    "DataSource": "lbpy._datasource",
    "Connector": "lbpy._connectors._base",
    "Setting": "lbpy._connectors._base",
    "Filter": "lbpy._filter",
    "Include": "lbpy._filter",
    "Capabilities": "lbpy._filter",
    "LbpyError": "lbpy._errors",
    "UsageError": "lbpy._errors",
    "BootError": "lbpy._errors",
    "ConnectorNotFoundError": "lbpy._errors",
    "HttpError": "lbpy._errors",
    "BadRequestError": "lbpy._errors",
    "UnauthorizedError": "lbpy._errors",
    "ForbiddenError": "lbpy._errors",
    "NotFoundError": "lbpy._errors",
    "ConflictError": "lbpy._errors",
    "ValidationError": "lbpy._errors",
    "TooManyRequestsError": "lbpy._errors",
    "ServiceUnavailableError": "lbpy._errors",
    "BadGatewayError": "lbpy._errors",
    "GatewayTimeoutError": "lbpy._errors",
    "AccessContext": "lbpy._auth",
}

__all__ = ["__version__", *_EXPORTS]  # noqa: PLE0604 (the names above, listed once)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lbpy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
