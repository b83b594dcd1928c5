"""The HTTP pipeline: server/middleware.json's entries, the middleware and apps a boot script adds,
and lbpy's REST API, composed in LoopBack's phase order into one ASGI app.

Each entry becomes a *layer maker* at boot (so a bad entry stops the boot, naming it); the chain is
composed when the app is first called, and again after a boot script adds to it. Requests meet
the layers in phase order; lbpy's REST API (with its documents and explorer) sits in ``routes``
where ``loopback#rest`` is, or first in that phase; what nothing answers reaches LoopBack's 404.
``strong-error-handler`` sees every answer, wherever it is written, as it saw every error.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import BootError
from .._loader import load_python_file
from ._compression import compression
from ._config import PHASES, Entry, ordered_phases, phase_key
from ._cors import cors
from ._error_pages import error_handler, url_not_found
from ._favicon import favicon
from ._headers import ASGIApp, Headers, Message, Receive, Scope, Send, on_paths, under
from ._helmet import NAMES as HELMET_NAMES
from ._helmet import helmet_headers
from ._static import serve_static

log = logging.getLogger("lbpy")

Maker = Callable[[ASGIApp], ASGIApp]

#: entries lbpy does itself on every request, whatever middleware.json says
_BUILT_IN = {
    "loopback#token": "lbpy reads access tokens on every request",
    "body-parser": "lbpy parses JSON and form bodies itself, within server/config.json's limits",
    "body-parser#json": "lbpy parses JSON bodies itself, within server/config.json's limits",
    "body-parser#urlencoded": "lbpy parses form bodies itself, within server/config.json's limits",
}


@dataclass
class _Layer:
    phase: str
    make: Maker
    #: fixed headers from helmet entries, merged with the helmet entries next to it
    headers: Headers | None = None
    hide_powered_by: bool = False
    powered_by: bytes | None = None
    paths: tuple[str, ...] = ()
    rest: bool = False


def _object(params: Any) -> dict[str, Any]:
    if isinstance(params, list):
        params = params[0] if params else None
    return params if isinstance(params, dict) else {}


def _path_and_options(params: Any, where: str, what: str) -> tuple[str | None, dict[str, Any]]:
    """``"$!../client"``, or ``["$!../client", {options}]``, or ``{"root": ..., options}``."""
    if isinstance(params, str):
        return params, {}
    if isinstance(params, list) and params and isinstance(params[0], str):
        return params[0], _object(params[1:])
    if isinstance(params, dict):
        options = dict(params)
        return options.pop("root", None) or options.pop("path", None), options
    if params is None:
        return None, {}
    raise BootError(f'{where}: params must be the {what}, e.g. "$!../client", or [path, {{options}}]')


@dataclass
class Pipeline:
    """What runs around lbpy's REST API; ``active`` once middleware.json exists or a boot script adds."""

    root: Path
    debug: bool
    entries: list[Entry] | None = None
    layers: list[_Layer] = field(default_factory=list)
    error_options: dict[str, Any] | None = None
    phases: list[str] = field(default_factory=lambda: list(PHASES))
    added: int = 0

    def __post_init__(self) -> None:
        if self.entries is None:
            return
        self.phases = ordered_phases([e.phase for e in self.entries])
        for entry in self.entries:
            self._add_entry(entry)
        if not any(layer.rest for layer in self.layers):
            self.layers.append(_Layer("routes", lambda app: app, rest=True))

    @property
    def active(self) -> bool:
        return self.entries is not None or self.added > 0

    # -- from middleware.json ------------------------------------------------------------------

    def _add_entry(self, entry: Entry) -> None:
        name, where, params = entry.name, entry.where, entry.params
        if name == "helmet" or name.startswith("helmet#"):
            part = name.partition("#")[2]
            if part and part not in HELMET_NAMES:
                log.warning(
                    "%s: helmet has no %r; known: %s. The entry is skipped",
                    where,
                    part,
                    ", ".join(sorted(HELMET_NAMES)),
                )
                return
            headers, hide, powered_by = helmet_headers(part, params, where)
            self.layers.append(
                _Layer(
                    entry.phase,
                    _unused,
                    headers=headers,
                    hide_powered_by=hide,
                    powered_by=powered_by,
                    paths=entry.paths,
                )
            )
            return
        make = self._maker(entry)
        if make is None:
            return
        if name == "loopback#rest":
            self.layers.append(_Layer(entry.phase, make, rest=True))
            return
        if name in ("strong-error-handler", "loopback#errorHandler"):
            self.error_options = _object(params)
            return
        wrap_paths = entry.paths if name not in ("serve-static", "loopback#static") else ()
        self.layers.append(_Layer(entry.phase, make, paths=wrap_paths))

    def _maker(self, entry: Entry) -> Maker | None:
        name, where, params = entry.name, entry.where, entry.params
        if name == "compression":
            options = _object(params)
            compression(_unused_app, options, where=where)  # checks the options at boot
            return lambda app: compression(app, options, where=where)
        if name == "cors":
            options = _object(params)
            return lambda app: cors(app, options, where=where)
        if name in ("loopback#favicon", "serve-favicon"):
            path, options = _path_and_options(params, where, "icon's path")
            favicon(_unused_app, path, options, where=where)
            return lambda app: favicon(app, path, options, where=where)
        if name in ("serve-static", "loopback#static"):
            folder, options = _path_and_options(params, where, "folder to serve")
            if folder is None:
                raise BootError(f'{where}: name the folder to serve, e.g. "params": "$!../client"')
            folder_path = Path(folder) if Path(folder).is_absolute() else self.root / folder
            serve_static(_unused_app, folder_path, options, mount=entry.paths, where=where)
            return lambda app: serve_static(app, folder_path, options, mount=entry.paths, where=where)
        if name == "loopback#urlNotFound":
            debug = self.debug
            return lambda app: url_not_found(debug)
        if name == "loopback#rest":
            return lambda app: app
        if name in ("strong-error-handler", "loopback#errorHandler"):
            return lambda app: app
        if name in _BUILT_IN:
            return None
        if ":" in name:
            factory = self._factory(name, where)
            return lambda app: _call_factory(factory, app, params, where)
        log.warning(
            "%s: lbpy has no middleware named %r; the entry is skipped. Write it as an ASGI middleware "
            'factory and name it "module:factory" or "./server/middleware/file.py:factory"',
            where,
            name,
        )
        return None

    def _factory(self, name: str, where: str) -> Callable[..., Any]:
        reference, _, attribute = name.rpartition(":")
        if reference.endswith(".py") or reference.startswith((".", "/")):
            path = (self.root / reference).resolve() if not Path(reference).is_absolute() else Path(reference)
            if not path.is_file():
                raise BootError(f"{where}: {path} does not exist; fix the path (relative to the app folder)")
            module = load_python_file(path, f"lbpy_app.middleware.{path.stem.replace('-', '_')}", self.root)
        else:
            try:
                module = importlib.import_module(reference)
            except ImportError as exc:
                raise BootError(f"{where}: cannot import {reference}: {exc}; install it or fix the name") from None
        factory: Callable[..., Any] | None = getattr(module, attribute, None)
        if not callable(factory):
            raise BootError(f"{where}: {reference} has no function {attribute!r}")
        return factory

    # -- from Python -----------------------------------------------------------------------------

    def use(
        self, middleware: Callable[..., Any], *, phase: str = "routes", paths: tuple[str, ...] = (), **options: Any
    ) -> None:
        """``middleware(app, **options)``, an ASGI middleware factory (a Starlette middleware class
        is one), in ``phase`` for requests under ``paths``."""
        self._check_phase(phase)
        if not callable(middleware):
            raise TypeError("app.use() takes an ASGI middleware factory: middleware(app, **options) -> ASGI app")
        where = f"app.use({getattr(middleware, '__name__', middleware)!r})"
        self.layers.append(
            _Layer(phase, lambda app: _call_factory(middleware, app, options, where), paths=tuple(paths))
        )
        self._added()

    def mount(self, path: str, asgi_app: Callable[..., Any], *, phase: str = "routes") -> None:
        """``asgi_app`` (a Starlette router, a FastAPI app, StaticFiles) answers the requests under ``path``."""
        self._check_phase(phase)
        prefix = "/" + path.strip("/")
        if prefix == "/":
            raise ValueError('app.mount() needs a path below "/", e.g. "/reports"')

        def make(next_app: ASGIApp) -> ASGIApp:
            async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] in ("http", "websocket") and under(scope["path"], (prefix,)):
                    root_path = scope.get("root_path", "")
                    child = {
                        **scope,
                        "app_root_path": scope.get("app_root_path", root_path),
                        "root_path": root_path + prefix,
                    }
                    await asgi_app(child, receive, send)
                else:
                    await next_app(scope, receive, send)

            return mounted

        self.layers.append(_Layer(phase, make))
        self._added()

    def _check_phase(self, phase: str) -> None:
        base, _, sub = phase.partition(":")
        if base not in self.phases or sub not in ("", "before", "after"):
            raise ValueError(
                f"unknown phase {phase!r}; the phases are {', '.join(self.phases)} (each with :before and :after)"
            )

    def _added(self) -> None:
        if self.added == 0 and self.entries is None:
            self.layers.append(_Layer("routes", lambda app: app, rest=True))
        self.added += 1

    # -- composing ------------------------------------------------------------------------------

    def build(self, rest: Callable[[ASGIApp], ASGIApp], root_status: ASGIApp | None) -> ASGIApp:
        """The chain around ``rest(next)``, lbpy's REST app that passes what it does not serve to ``next``."""
        order = sorted(enumerate(self.layers), key=lambda item: (phase_key(item[1].phase, self.phases), item[0]))
        layers = _merge_headers([layer for _, layer in order])
        makers: list[Maker] = []
        for layer in layers:
            if layer.rest:
                makers.append(rest)
            elif layer.paths:
                makers.append(_routed(layer.paths, layer.make))
            else:
                makers.append(layer.make)
        if root_status is not None:
            # lbpy's own "/" (LoopBack's boot/root.js) answers after the files phase, so that a
            # client's index.html wins, as it did with serve-static
            after_files = phase_key("files:after", self.phases)
            cut = next(
                (i for i, layer in enumerate(layers) if phase_key(layer.phase, self.phases) > after_files), len(makers)
            )
            makers.insert(cut, _status_at_root(root_status))
        app = url_not_found(self.debug)
        for make in reversed(makers):
            app = make(app)
        if self.error_options is not None:
            app = error_handler(app, self.error_options)
        return app


def _unused(app: ASGIApp) -> ASGIApp:
    return app


async def _unused_app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover - never called
    raise RuntimeError("a middleware checked at boot was called")


def _call_factory(factory: Callable[..., Any], app: ASGIApp, params: Any, where: str) -> ASGIApp:
    made: ASGIApp
    try:
        if isinstance(params, dict):
            made = factory(app, **params)
        elif isinstance(params, list):
            made = factory(app, *params)
        elif params is None:
            made = factory(app)
        else:
            made = factory(app, params)
    except Exception as exc:
        raise BootError(f"{where}: the middleware factory failed: {type(exc).__name__}: {exc}") from exc
    if not callable(made):
        raise BootError(f"{where}: the factory must return an ASGI app (a callable), not {type(made).__name__}")
    return made


def _routed(paths: tuple[str, ...], make: Maker) -> Maker:
    return lambda next_app: on_paths(paths, make(next_app), next_app)


def _status_at_root(status: ASGIApp) -> Maker:
    def make(next_app: ASGIApp) -> ASGIApp:
        async def root(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
                await status(scope, receive, send)
            else:
                await next_app(scope, receive, send)

        return root

    return make


def _merge_headers(layers: list[_Layer]) -> list[_Layer]:
    """Adjacent helmet layers of one phase and the same paths as one layer of fixed headers."""
    out: list[_Layer] = []
    for layer in layers:
        if layer.headers is None:
            out.append(layer)
            continue
        last = out[-1] if out else None
        if last is not None and last.headers is not None and last.paths == layer.paths and last.phase == layer.phase:
            merged = _Layer(
                last.phase,
                _unused,
                headers=[*last.headers, *layer.headers],
                hide_powered_by=last.hide_powered_by or layer.hide_powered_by,
                powered_by=layer.powered_by or last.powered_by,
                paths=last.paths,
            )
            out[-1] = merged
        else:
            out.append(layer)
    for index, layer in enumerate(out):
        if layer.headers is not None:
            out[index] = _Layer(layer.phase, _header_maker(layer), paths=layer.paths)
    return out


def _header_maker(layer: _Layer) -> Maker:
    own = list(layer.headers or [])
    own_names = frozenset(key for key, _ in own)
    hide = layer.hide_powered_by
    powered_by = layer.powered_by

    def make(app: ASGIApp) -> ASGIApp:
        async def headers(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    theirs = list(message.get("headers", ()))
                    if hide or powered_by is not None:
                        theirs = [(k, v) for k, v in theirs if k != b"x-powered-by"]
                        if powered_by is not None:
                            theirs.append((b"x-powered-by", powered_by))
                    present = {key for key, _ in theirs}
                    if present.isdisjoint(own_names):
                        message["headers"] = own + theirs
                    else:  # a header the answer set itself was set later, so it wins, as in Express
                        message["headers"] = [*(h for h in own if h[0] not in present), *theirs]
                await send(message)

            await app(scope, receive, sending)

        return headers

    return make
