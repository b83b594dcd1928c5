"""The application: the composition root that boots an app's files into a served API.

``create_app`` reads the app's files (``lbpy._app_files``), makes its datasources, has the model
builder make its models, loads its boot scripts, and gives the lot to the REST layer, which
serves it as an ASGI app. Nothing below this module knows the application object.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from ._app_files import AppFiles, ModelConfigEntry, read_app
from ._auth import BUILTIN_CLASSES, AccessControl, AccessTokenModel, AuthSettings, UserModel
from ._connectors._closing import CLOSE_WITHIN, close_within
from ._datasource import DataSource
from ._errors import BootError
from ._loader import line_in, load_python_file, shown_path
from ._model._builder import ModelBuilder
from ._model._change_relay import plan_relays
from ._model._change_stream import close_all
from ._model._email import EmailModel
from ._model._persisted import Model
from ._model._registry import ModelRegistry
from ._ops._layer import Operations
from ._ops._settings import OpsSettings
from ._pipeline._build import Pipeline
from ._rest._asgi import build_asgi, root_status
from ._rest._invoke import cors_enabled

log = logging.getLogger("lbpy")


class Application:
    """A booted lbpy application; call it as an ASGI app."""

    def __init__(self, files: AppFiles, *, debug: bool | None = None) -> None:
        self.root = files.root
        self.files = files
        self.config = files.config
        if debug is None:
            env = os.environ.get("LBPY_DEBUG", "").lower()
            debug = env in ("1", "true", "yes") if env else (files.config.debug or _error_handler_debug(files))
        self.debug = debug
        self.rest_api_root = "/" + files.config.rest_api_root.strip("/")
        if self.rest_api_root == "/":
            self.rest_api_root = ""
        self.explorer_path: str | None = files.explorer_path
        self.model_config: dict[str, ModelConfigEntry] = files.model_config
        #: the process is stopping: requests under way finish, /ready answers 503
        self.draining = False
        try:
            ops_settings = OpsSettings.from_config(dict(files.config.model_extra or {}))
        except ValueError as exc:
            raise BootError(f"server/config.json: {exc}") from None
        self.datasources: dict[str, DataSource] = {}
        for name, declared in files.datasources.items():
            ds_settings = _with_shared_rate(declared, ops_settings.rate_limit.storage)
            try:
                self.datasources[name] = DataSource(name, ds_settings, app_dir=self.root, missing_ok=True)
            except BootError as exc:
                raise BootError(f'server/datasources.json: datasource "{name}": {exc}') from None
            if self.datasources[name].missing:
                log.warning("%s; its models answer 503 until then", self.datasources[name].missing)
        try:
            settings = AuthSettings.from_config(dict(files.config.model_extra or {}))
        except ValueError as exc:
            raise BootError(f"server/config.json: {exc}") from None
        self.auth = AccessControl(
            settings, enforced=False, base_url=f"http://{files.config.host}:{files.config.port}{self.rest_api_root}"
        )
        self.models: ModelRegistry = ModelBuilder(
            files, self.datasources, classes={**BUILTIN_CLASSES, "Email": EmailModel}, extensions=[self.auth.setup]
        ).build()
        self.protected_models = self._protected_models()
        self.auth.enforced = settings.enabled if settings.enabled is not None else bool(self.protected_models)
        # change streams across processes; access tokens' ids are credentials and never travel
        self.change_relays = plan_relays(
            self.datasources,
            self.models,
            (files.config.model_extra or {}).get("changeStream"),
            private=frozenset(n for n, m in self.models.items() if issubclass(m, AccessTokenModel)),
        )
        self.rate_limited = ops_settings.rate_limit.enabled
        #: health, readiness, metrics, access log and rate limits, around the REST API
        self.operations = Operations(
            ops_settings,
            datasources=self.datasources,
            auth=self.auth,
            start=self.start,
            stopping=lambda: self.draining,
            cors=cors_enabled(self),
            debug=self.debug,
        )
        #: server/middleware.json's phases, and what boot scripts add with use() and mount()
        self.pipeline = Pipeline(root=self.root, debug=self.debug, entries=files.middleware)
        self.boot_scripts: list[Callable[..., Any]] = []
        self._load_boot_scripts()
        self.started = False
        #: seconds each background task, change relay and datasource may take to close on stop
        self.close_within = files.config.http.shutdown_timeout / 1000 or CLOSE_WITHIN
        self._asgi: Callable[..., Any] | None = None
        self._warn_unsupported()

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

    def _warn_unsupported(self) -> None:
        files = self.files
        if files.ignored_js:
            shown = ", ".join(str(p.relative_to(self.root)) for p in files.ignored_js[:3])
            more = f" and {len(files.ignored_js) - 3} more" if len(files.ignored_js) > 3 else ""
            log.warning(
                "%d JavaScript file(s) not ported to Python (%s%s) do not run under lbpy: "
                "run `lbpy import-lb3` to port them",
                len(files.ignored_js),
                shown,
                more,
            )
        for component in files.component_config:
            if component != "loopback-component-explorer" and files.component_config[component] not in (None, False):
                log.warning(
                    'component "%s" (server/component-config.json) is not part of lbpy and is not loaded: '
                    "do what it did in a boot script (server/boot/*.py), or remove it",
                    component,
                )
        if files.skipped_builtins:
            log.warning(
                "skipped LoopBack built-in model(s) %s: lbpy provides User, AccessToken, ACL, Role, "
                "RoleMapping and Email, not LoopBack's application or replication models",
                ", ".join(files.skipped_builtins),
            )
        if not self.auth.enforced and self.protected_models:
            log.warning(
                'access control is off (server/config.json says "auth": {"enabled": false}): the '
                "acls of %s are not enforced and every route is open to every caller",
                ", ".join(self.protected_models),
            )

    def _protected_models(self) -> list[str]:
        """The served models whose access control lbpy enforces by default: those derived from
        User and those that declare acls (LoopBack enforced them only after enableAuth())."""
        return [
            name
            for name in self.model_config
            if name in self.models
            and (issubclass(self.models[name], UserModel) or self.models[name].spec.settings.get("acls"))
        ]

    # -- using ----------------------------------------------------------------------------

    def enable_auth(self, options: dict[str, Any] | None = None) -> None:
        """Enforce the models' acls, as LoopBack's ``app.enableAuth()`` did (a boot script calls it;
        ``options`` is accepted for LoopBack's ``{"dataSource": ...}``, which lbpy works out itself)."""
        self.auth.enforced = True

    def model(self, name: str) -> type[Model]:
        return self.models.get_model(name)

    def use(
        self, middleware: Callable[..., Any], *, phase: str = "routes", paths: tuple[str, ...] = (), **options: Any
    ) -> None:
        """Add an ASGI middleware factory (``middleware(app, **options)``, a Starlette middleware class
        is one) in one of LoopBack's phases, as ``app.middleware(phase, fn)`` did in LoopBack 3."""
        self.pipeline.use(middleware, phase=phase, paths=tuple(paths), **options)
        self._asgi = None

    def mount(self, path: str, asgi_app: Callable[..., Any], *, phase: str = "routes") -> None:
        """Serve ``asgi_app`` (a Starlette router, a FastAPI app, a static folder) under ``path``."""
        self.pipeline.mount(path, asgi_app, phase=phase)
        self._asgi = None

    def exposed_models(self) -> list[type[Model]]:
        """Models served over REST: public in model-config.json and attached to a datasource."""
        return [self.models[name] for name, entry in self.model_config.items() if entry.public and name in self.models]

    async def start(self) -> None:
        """Connect datasources and run boot scripts; idempotent, run before the first request."""
        if self.started:
            return
        self.started = True
        try:
            for datasource in self.datasources.values():
                if datasource.missing is None:
                    await datasource.connect()
            for relay in self.change_relays:
                await relay.start()
            for fn in self.boot_scripts:
                await self._run_boot_script(fn)
        except BaseException:
            self.started = False
            raise

    async def _run_boot_script(self, fn: Callable[..., Any]) -> None:
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
        """Wait for the access control's background tasks, stop the change relays and close the
        datasources, each within ``close_within`` seconds."""
        if not self.started:
            return
        self.started = False
        # each part gets its bound, so a pool that waits for a lost connection or a listener
        # that does not end cannot hold the process; what was left is logged
        within = self.close_within
        for task in list(self.auth.background):
            await close_within(task, "a background task of the access control", within)
        for relay in self.change_relays:
            await close_within(relay.stop(), f'the change relay of datasource "{relay.datasource.name}"', within)
        for name, datasource in self.datasources.items():
            await close_within(datasource.disconnect(), f'datasource "{name}"', within)

    def drain(self) -> None:
        """The process is stopping (SIGTERM, Ctrl-C): ``/ready`` answers 503 from now on and open
        change streams end, while the requests under way finish; safe from a signal handler."""
        self.draining = True
        self.close_change_streams()

    def close_change_streams(self) -> None:
        """End every open change stream (the server is stopping); safe from any thread."""
        close_all(self.models.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._asgi is None:
            self._asgi = self.operations.wrap(self._compose())
        await self._asgi(scope, receive, send)

    def _compose(self) -> Callable[..., Any]:
        if not self.pipeline.active:
            return build_asgi(self)
        return self.pipeline.build(lambda fallback: build_asgi(self, fallback), root_status(cors=False))


def _error_handler_debug(files: AppFiles) -> bool:
    """strong-error-handler's ``debug`` in server/middleware.json (its development variant sets it)."""
    for entry in files.middleware or ():
        if entry.name in ("strong-error-handler", "loopback#errorHandler") and isinstance(entry.params, dict):
            return entry.params.get("debug") is True
    return False


def _with_shared_rate(settings: dict[str, Any], storage: str) -> dict[str, Any]:
    """A datasource's settings, its rate bound counted in the app's rate-limit storage when that
    is Redis (``rateLimit.storage`` in server/config.json) and the datasource names none itself:
    every process of the app then keeps the remote's rate together."""
    if "rateLimit" in settings and "rateLimitStorage" not in settings and storage.startswith("redis"):
        return {**settings, "rateLimitStorage": storage}
    return settings


def create_app(root: str | Path = ".", *, debug: bool | None = None) -> Application:
    """Boot the app in ``root`` (its ``server/`` and ``common/`` files) and return it, an ASGI app."""
    return Application(read_app(root), debug=debug)
