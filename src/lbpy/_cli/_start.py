"""Serve the app in the current folder (or --app DIR): its REST API and the API explorer."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .._app import Application
from .._app_files import AppFiles, read_app
from .._errors import UsageError
from .._ops._settings import ACCESS_LOG_ENV
from .._serve import LOG_FORMATS, configure_logging, load_app, serve
from ._errors import reported
from ._options import AppDir


def command(
    app_dir: AppDir = Path("."),
    host: str | None = typer.Option(None, "--host", help="Interface to bind (default: $HOST, then config.json host)."),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="Port (default: $PORT, then config.json port)."
    ),
    reload: bool = typer.Option(False, "--reload", help="Restart when the app's files change."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes (default: $WEB_CONCURRENCY, then 1)."
    ),
    access_log: bool = typer.Option(
        False, "--access-log", help="Log every request: method, path, status, time taken, request id."
    ),
    log_format: str = typer.Option(
        "text", "--log-format", help="text (lines for people) or json (one JSON object per line)."
    ),
    debug: bool | None = typer.Option(
        None, "--debug/--no-debug", help="Put error details (stack traces) in error responses."
    ),
) -> None:

    with reported():
        if log_format not in LOG_FORMATS:
            raise UsageError(f"--log-format {log_format}: use one of {', '.join(LOG_FORMATS)}")
        configure_logging(log_format)
        workers = _workers(workers)
        root = app_dir.resolve()
        if not root.is_dir():
            raise UsageError(f"--app {app_dir}: no such folder")
        if debug is not None:
            os.environ["LBPY_DEBUG"] = "1" if debug else "0"
        if access_log:
            os.environ[ACCESS_LOG_ENV] = "1"  # lbpy's access log, in every worker
        files = read_app(root)
        port = _port(port, files.config.port)
        host = host or os.environ.get("HOST") or files.config.host
        app = load_app(root)  # boot errors surface here, once, without a traceback
        if workers > 1 and not reload:
            _warn_memory_per_process(files, workers)
        explorer = files.explorer_path

        def announce(bound_host: str, bound_port: int) -> None:
            _announce(bound_host, bound_port, files.config.rest_api_root, explorer, log_format)

        # an lbpy app writes its own access log (with request ids); uvicorn's would repeat it
        serve(
            app,
            root,
            host=host,
            port=port,
            http=files.config.http,
            reload=reload,
            workers=workers,
            access_log=access_log and not isinstance(app, Application),
            log_format=log_format,
            on_ready=announce,
        )


def _port(flag: int | None, configured: int) -> int:
    """--port, then $PORT, then server/config.json."""
    if flag is not None:
        return flag
    from_env = os.environ.get("PORT", "").strip()
    if from_env:
        if not from_env.isdigit() or int(from_env) > 65535:
            raise UsageError(f"PORT={from_env!r} is not a port number; set PORT to 0-65535 or pass --port")
        return int(from_env)
    return configured


def _workers(flag: int | None) -> int:
    """--workers, then $WEB_CONCURRENCY (the variable Heroku, Render and gunicorn agree on), then 1."""
    if flag is not None:
        return flag
    from_env = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not from_env:
        return 1
    if not from_env.isdigit() or int(from_env) < 1:
        raise UsageError(
            f"WEB_CONCURRENCY={from_env!r} is not a number of workers; set it to 1 or more, or pass --workers"
        )
    return int(from_env)


def _warn_memory_per_process(files: AppFiles, workers: int) -> None:
    import logging

    memory = [name for name, settings in files.datasources.items() if settings.get("connector") == "memory"]
    if memory:
        logging.getLogger("lbpy").warning(
            "datasource(s) %s use the memory connector: each of the %d workers keeps its own copy "
            "of the data; use one worker, or a database connector",
            ", ".join(memory),
            workers,
        )


def _announce(host: str, port: int, api_root: str, explorer: str | None, log_format: str = "text") -> None:
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    if ":" in shown:
        shown = f"[{shown}]"
    base = f"http://{shown}:{port}"
    api = f"{base}{'/' + api_root.strip('/') if api_root.strip('/') else ''}"
    if log_format == "json":
        import logging

        fields = {"url": base, "api": api, **({"explorer": base + explorer} if explorer else {})}
        logging.getLogger("lbpy").info("Web server listening at: %s", base, extra=fields)
        return
    from rich.console import Console

    console = Console(highlight=False)
    console.print(f"Web server listening at: [bold]{base}[/bold]")
    console.print(f"REST API at [bold]{api}[/bold]")
    if explorer:
        console.print(f"Browse your REST API at [bold]{base}{explorer}[/bold]")
    console.print("Press Ctrl-C to stop")
