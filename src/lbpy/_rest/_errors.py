"""Exceptions to HTTP responses, in one place: LoopBack's ``{"error": {...}}`` body and status."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from .._errors import HttpError

log = logging.getLogger("lbpy")


def error_body(exc: BaseException, *, debug: bool = False) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for ``exc``; unexpected errors are logged and answered generically."""
    if isinstance(exc, HttpError):
        error: dict[str, Any] = {
            "statusCode": exc.status_code,
            "name": exc.error_name,
            "message": exc.message,
        }
        if exc.code:
            error["code"] = exc.code
        if exc.details is not None:
            error["details"] = exc.details
        if exc.status_code >= 500:
            log.error("%s %s", exc.status_code, exc.message)
            if not debug:
                kept = {"details": exc.details} if exc.public_details and exc.details is not None else {}
                error = {
                    "statusCode": exc.status_code,
                    "message": exc.message,
                    **({"code": exc.code} if exc.code else {}),
                    **kept,
                }
        if debug:
            error["stack"] = "".join(traceback.format_exception(exc))
        return exc.status_code, {"error": error}
    log.error("unhandled error while serving a request", exc_info=exc)
    if debug:
        return 500, {
            "error": {
                "statusCode": 500,
                "name": type(exc).__name__,
                "message": str(exc),
                "stack": "".join(traceback.format_exception(exc)),
            }
        }
    return 500, {"error": {"statusCode": 500, "message": "Internal Server Error"}}
