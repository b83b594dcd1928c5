"""Serving an app: its ``server/app.py`` (else lbpy's own factory) under uvicorn."""

from __future__ import annotations

import errno
import gc
import logging
import os
import re
import socket
from pathlib import Path
from typing import Callable

from ._app import Application, create_app
from ._errors import BootError, LbpyError
from ._loader import load_python_file
from ._ops._metrics import multiprocess_dir

APP_DIR_ENV = "LBPY_APP_DIR"


def load_app(root: str | Path):
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
        app = getattr(module, "app", None)
        if app is None:
            raise BootError("server/app.py must define `app`, e.g. app = create_app(APP_ROOT)")
        return app
    return create_app(root)


def factory():
    """For ``uvicorn --factory``, ``--workers`` and ``--reload``: the app in $LBPY_APP_DIR."""
    configure_logging()
    app = load_app(os.environ.get(APP_DIR_ENV, "."))
    freeze_boot_objects()
    return app


def freeze_boot_objects() -> None:
    """What boot built (models, tables, routes, SQLAlchemy's metadata) lives as long as the
    process: move it out of the garbage collector's sight. Full collections then look at what
    requests made only; without this, under 128 concurrent requests they paused the process
    for about 85 ms each (measured on PostgreSQL, get by id)."""
    gc.collect()
    gc.freeze()


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


def configure_logging(level: int = logging.INFO) -> None:
    logger = logging.getLogger("lbpy")
    if any(getattr(h, "_lbpy", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_Format("%(message)s"))
    handler._lbpy = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


_TOKEN_IN_QUERY = re.compile(r"(?i)((?:^|[?&])access_token=)[^&#]*")


def redact_tokens(path: str) -> str:
    """A request path as logged: an ``access_token`` in its query is never written out."""
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", path) if "access_token" in path.lower() else path


class _AccessFilter(logging.Filter):
    """uvicorn's access log without access tokens (``?access_token=`` in a request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_tokens(args[2]), *args[3:])
        return True


def _uvicorn_log_config() -> dict:
    """uvicorn's messages in lbpy's format; requests (with --access-log) on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": "lbpy._serve._Format", "fmt": "%(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(client_addr)s - "%(request_line)s" %(status_code)s',
                "use_colors": False,
            },
        },
        "filters": {"tokens": {"()": "lbpy._serve._AccessFilter"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default",
                        "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout",
                       "filters": ["tokens"]},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


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


def serve(app, root: Path, *, host: str, port: int, reload: bool = False, workers: int = 1,
          access_log: bool = False, on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serve until Ctrl-C (or SIGTERM); a stop asked for is a clean return, not an error.

    One process serves ``app`` itself and calls ``on_ready(host, port)`` once it listens.
    ``--reload`` and ``--workers`` need an import string, so each of their processes builds the
    app again from $LBPY_APP_DIR through ``factory``."""
    import uvicorn

    check_port_free(host, port)
    # proxy_headers off: lbpy reads X-Forwarded-For itself, as server/config.json's "trust proxy" says
    options = dict(host=host, port=port, access_log=access_log, log_level=None,
                   log_config=_uvicorn_log_config(), proxy_headers=False)
    try:
        if reload or workers > 1:
            os.environ[APP_DIR_ENV] = str(root)
            if port == 0:
                port = options["port"] = _free_port(host)
            if on_ready is not None:
                _announce_when_listening(host, port, on_ready)
            with multiprocess_dir(1 if reload else workers):  # metrics add up across workers
                uvicorn.run(
                    "lbpy._serve:factory", factory=True, reload=reload,
                    reload_dirs=[str(root)] if reload else None,
                    reload_includes=["*.json", "*.py"] if reload else None,
                    workers=None if reload else workers, **options,
                )
            return

        server = _server_class()(uvicorn.Config(app, **options))
        server.on_ready = on_ready
        server.quiet_lifespan = isinstance(app, Application)
        server.run()
        if not server.started:
            raise SystemExit(1)
    except KeyboardInterrupt:
        # uvicorn shut down gracefully, then re-raised the Ctrl-C it had caught
        pass


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


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


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        on_ready: Callable[[str, int], None] | None = None
        quiet_lifespan = False

        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            # open change streams would keep uvicorn waiting for their connections forever
            if isinstance(self.config.app, Application):
                self.config.app.close_change_streams()

        async def startup(self, sockets=None) -> None:
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
