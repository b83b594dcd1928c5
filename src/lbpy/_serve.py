"""Serving an app: its ``server/app.py`` (else lbpy's own factory) under uvicorn."""

from __future__ import annotations

import errno
import gc
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp

from ._app import Application, create_app
from ._app_files import HttpConfig
from ._errors import BootError, LbpyError
from ._loader import load_python_file
from ._ops._metrics import multiprocess_dir
from ._serve_http import Config

if TYPE_CHECKING:
    from uvicorn.supervisors import Multiprocess
from ._serve_logs import LOG_FORMATS, BatchingStreamHandler, formatter, redact_tokens, uvicorn_log_config

__all__ = ["LOG_FORMATS", "configure_logging", "factory", "load_app", "redact_tokens", "serve"]

APP_DIR_ENV = "LBPY_APP_DIR"
#: how the worker processes of --workers and --reload learn the log format
LOG_FORMAT_ENV = "LBPY_LOG_FORMAT"


def load_app(root: str | Path) -> ASGIApp:
    """The ASGI app of the lbpy app in ``root``."""
    root = Path(root).resolve()
    entry = root / "server" / "app.py"
    if entry.is_file():
        try:
            module = load_python_file(entry, "lbpy_app.server_app", root)
        except BootError as exc:
            # create_app() failing inside server/app.py: its own message says what to fix
            if isinstance(exc.__cause__, LbpyError):
                raise exc.__cause__ from None
            raise
        app: ASGIApp | None = getattr(module, "app", None)
        if app is None:
            raise BootError("server/app.py must define `app`, e.g. app = create_app(APP_ROOT)")
        return app
    return create_app(root)


def factory() -> ASGIApp:
    """For ``uvicorn --factory``, ``--workers`` and ``--reload``: the app in $LBPY_APP_DIR."""
    configure_logging(os.environ.get(LOG_FORMAT_ENV, "text"))
    app = load_app(os.environ.get(APP_DIR_ENV, "."))
    _drain_on_exit(app)
    freeze_boot_objects()
    return app


def _drain_on_exit(app: ASGIApp) -> None:
    """In a worker process uvicorn's own server loads the app, with its signal handlers already
    set: on SIGTERM or SIGINT the app drains too (``/ready`` answers 503, open change streams
    end, or they would hold the worker until ``shutdownTimeout`` cancels them)."""
    if not isinstance(app, Application) or threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous) -> None:
            app.drain()
            previous(signum, frame)

        signal.signal(sig, handler)


def freeze_boot_objects() -> None:
    """What boot built (models, tables, routes, SQLAlchemy's metadata) lives as long as the
    process: move it out of the garbage collector's sight. Full collections then look at what
    requests made only; without this, under 128 concurrent requests they paused the process
    for about 85 ms each (measured on PostgreSQL, get by id)."""
    gc.collect()
    gc.freeze()


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """lbpy's loggers (``lbpy``, ``lbpy.access``...) on stderr, as text lines or JSON objects."""
    logger = logging.getLogger("lbpy")
    for handler in logger.handlers:
        if getattr(handler, "_lbpy", False):
            handler.setFormatter(formatter(log_format))
            return
    handler = BatchingStreamHandler()
    handler.setFormatter(formatter(log_format))
    handler._lbpy = True  # type: ignore[attr-defined]  # marks lbpy's own handler, found again above
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def check_port_free(host: str, port: int) -> None:
    """A clear error before uvicorn tries, when something already listens on host:port."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BootError(f'cannot listen on host "{host}": {exc.strerror}; pass --host, e.g. --host 127.0.0.1') from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)):
                raise BootError(
                    f"port {port} on {host} is in use; stop what uses it, or pick another with --port or PORT"
                ) from None
            raise BootError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(
    app: ASGIApp,
    root: Path,
    *,
    host: str,
    port: int,
    http: HttpConfig | None = None,
    reload: bool = False,
    workers: int = 1,
    access_log: bool = False,
    log_format: str = "text",
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM; a stop asked for is a clean return, not an error.

    One process serves ``app`` itself and calls ``on_ready(host, port)`` once it listens.
    ``--reload`` and ``--workers`` need an import string, so each of their processes builds the
    app again from $LBPY_APP_DIR through ``factory``. On SIGTERM every process stops accepting,
    lets the requests in flight finish (within ``http.shutdownTimeout``), ends change streams
    and closes its datasources' pools."""
    from uvicorn.supervisors import ChangeReload

    check_port_free(host, port)
    http = http or HttpConfig()
    # proxy_headers off: lbpy reads X-Forwarded-For itself, as server/config.json's "trust proxy" says
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": None,
        "log_config": uvicorn_log_config(log_format),
        "proxy_headers": False,
        "http": http,
    }
    previous_term = signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        if reload or workers > 1:
            os.environ[APP_DIR_ENV] = str(root)
            os.environ[LOG_FORMAT_ENV] = log_format
            if port == 0:
                port = options["port"] = _free_port(host)
            if on_ready is not None:
                _announce_when_listening(host, port, on_ready)
            config = Config(
                "lbpy._serve:factory",
                factory=True,
                reload=reload,
                reload_dirs=[str(root)] if reload else None,
                reload_includes=["*.json", "*.py"] if reload else None,
                workers=None if reload else workers,
                **options,
            )
            sockets = [config.bind_socket()]
            with multiprocess_dir(1 if reload else workers):  # metrics add up across workers
                if reload:
                    ChangeReload(config, target=_server_class()(config).run, sockets=sockets).run()
                else:
                    _supervisor_class()(config, sockets=sockets).run()
            return

        server = _server_class()(Config(app, **options))
        server.on_ready = on_ready
        server.quiet_lifespan = isinstance(app, Application)
        server.run()
        if not server.started:
            raise SystemExit(1)
    except KeyboardInterrupt:
        # uvicorn shut down gracefully, then re-raised the Ctrl-C it had caught
        pass
    finally:
        signal.signal(signal.SIGTERM, previous_term)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM, once uvicorn has stopped gracefully and raised it again: exit 0, as for Ctrl-C."""
    raise SystemExit(0)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _announce_when_listening(host: str, port: int, on_ready: Callable[[str, int], None]) -> None:
    """With --workers or --reload uvicorn's processes listen, not this one: watch for the port
    to accept connections, then announce, so that the printed URL answers when it is shown."""
    import threading
    import time

    target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection((target, port), timeout=0.5).close()
            except OSError:
                time.sleep(0.05)
                continue
            on_ready(host, port)
            return

    threading.Thread(target=watch, name="lbpy-announce", daemon=True).start()


def _supervisor_class() -> type[Multiprocess]:
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def terminate_all(self) -> None:
            # the workers share this process's listening socket: once they have closed theirs,
            # new connections are refused at once rather than queued until every worker is gone
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    return Supervisor


def _server_class() -> Any:  # a uvicorn.Server subclass, with on_ready and quiet_lifespan
    import uvicorn

    class Server(uvicorn.Server):
        on_ready: Callable[[str, int], None] | None = None
        quiet_lifespan = False

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            # /ready answers 503 from now on; open change streams would keep uvicorn waiting
            # for their connections forever
            if isinstance(self.config.app, Application):
                self.config.app.drain()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            if self.quiet_lifespan:
                # lbpy's app says in one line why it could not start; uvicorn would say it
                # again and add "Application startup failed. Exiting."
                self.lifespan.logger = _silent_logger()
            await super().startup(sockets=sockets)
            if self.started:
                freeze_boot_objects()
            if self.started and self.on_ready is not None:
                port = self.config.port
                if self.servers and self.servers[0].sockets:
                    port = self.servers[0].sockets[0].getsockname()[1]
                self.on_ready(self.config.host, port)

    return Server


def _silent_logger() -> logging.Logger:
    logger = logging.getLogger("lbpy.uvicorn.lifespan")
    logger.disabled = True
    return logger
