"""Serve the app in the current folder (or --app DIR): its REST API and the API explorer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from ._errors import reported


def command(
    app_dir: Path = typer.Option(Path("."), "--app", help="The app folder.", show_default="current folder"),
    host: Optional[str] = typer.Option(None, "--host", help="Interface to bind (default: config.json host)."),
    port: Optional[int] = typer.Option(
        None, "--port", min=0, max=65535, help="Port (default: $PORT, then config.json port)."
    ),
    reload: bool = typer.Option(False, "--reload", help="Restart when the app's files change."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request."),
    debug: Optional[bool] = typer.Option(
        None, "--debug/--no-debug", help="Put error details (stack traces) in error responses."
    ),
) -> None:
    with reported():
        from .._errors import UsageError
        from .._serve import APP_DIR_ENV, configure_logging, load_app

        configure_logging()
        root = app_dir.resolve()
        if not root.is_dir():
            raise UsageError(f"--app {app_dir}: no such folder")
        if debug is not None:
            os.environ["LBPY_DEBUG"] = "1" if debug else "0"
        from .._boot import read_app

        files = read_app(root)
        env_port = os.environ.get("PORT")
        if port is None and env_port:
            if not env_port.isdigit() or int(env_port) > 65535:
                raise UsageError(f"PORT={env_port!r} is not a port number; set PORT to 0-65535")
            port = int(env_port)
        port = files.config.port if port is None else port
        host = host or os.environ.get("HOST") or files.config.host
        multi = reload or workers > 1
        app = load_app(root)  # boot errors surface here, once, without a traceback
        import uvicorn

        _announce(host, port, app, files)
        if multi:
            os.environ[APP_DIR_ENV] = str(root)
            uvicorn.run(
                "lbpy._serve:factory", factory=True, host=host, port=port, reload=reload,
                reload_dirs=[str(root)] if reload else None,
                reload_includes=["*.json", "*.py"] if reload else None,
                workers=None if reload else workers, access_log=access_log, log_level="warning",
            )
        else:
            uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="warning")


def _announce(host: str, port: int, app, files) -> None:
    from rich.console import Console

    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    base = f"http://{shown}:{port}"
    console = Console(stderr=True, highlight=False)
    api_root = files.config.rest_api_root
    console.print(f"Web server listening at: [bold]{base}[/bold]")
    console.print(f"REST API at [bold]{base}{api_root}[/bold]")
    explorer = getattr(app, "explorer_path", None)
    if explorer:
        console.print(f"Browse your REST API at [bold]{base}{explorer}[/bold]")
    console.print("Press Ctrl-C to stop")
