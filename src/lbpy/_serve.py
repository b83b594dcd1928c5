"""Loading an app to serve: its ``server/app.py`` when present, else lbpy's own factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ._errors import BootError

APP_DIR_ENV = "LBPY_APP_DIR"


def load_app(root: str | Path):
    """The ASGI app of the lbpy app in ``root``."""
    root = Path(root).resolve()
    entry = root / "server" / "app.py"
    if entry.is_file():
        from ._app import load_python_file

        module = load_python_file(entry, "lbpy_app.server_app", root)
        app = getattr(module, "app", None)
        if app is None:
            raise BootError("server/app.py must define `app`, e.g. app = create_app(APP_ROOT)")
        return app
    from ._app import create_app

    return create_app(root)


def factory():
    """For ``uvicorn --factory``, ``--workers`` and ``--reload``: the app in $LBPY_APP_DIR."""
    configure_logging()
    return load_app(os.environ.get(APP_DIR_ENV, "."))


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
