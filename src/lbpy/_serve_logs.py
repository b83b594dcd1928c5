"""How a served app's log records are written: lines for people (the default) or one JSON
object per line for machines (``lbpy start --log-format json``).

Both formats cover lbpy's loggers (``lbpy``, ``lbpy.access`` and the rest under ``lbpy``) and
uvicorn's. A JSON line carries the record's time, level, logger and message, then every field
the code that logged put in the record's ``extra`` (``request_id``, ``status``, ``duration_ms``...).
Access tokens in logged paths and fields that name a secret (passwords, tokens, cookies,
authorization) are never written out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")

_TOKEN_IN_QUERY = re.compile(r"(?i)((?:^|[?&])access_token=)[^&#\s\"]*")
_SECRET_FIELD = re.compile(r"(?i)(passw|secret|token|authoriz|cookie|api[-_]?key|credential)")
#: fields that look like secrets by name but hold none
_NOT_SECRET = frozenset({"request_id"})
#: what every LogRecord has: not a field the caller added
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def redact_tokens(text: str) -> str:
    """A request path (or a message) as logged: an ``access_token`` in a query is never written out."""
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text) if "access_token" in text.lower() else text


class TextFormatter(logging.Formatter):
    """lbpy's lines: the message, prefixed with ``error:`` or ``warning:`` when it is one."""

    def format(self, record: logging.LogRecord) -> str:
        text = redact_tokens(super().format(record))
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_tokens(record.getMessage()),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            entry.update(client=client, method=method, path=path, http_version=version, status=status)
        for key, value in vars(record).items():
            if key in _RECORD_ATTRIBUTES or key.startswith("_") or key in entry:
                continue
            entry[key] = _field(key, value)
        if record.exc_info:
            entry["exception"] = redact_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def _field(key: str, value: Any) -> Any:
    if key not in _NOT_SECRET and _SECRET_FIELD.search(key) and value is not None:
        return "[redacted]"
    if isinstance(value, str):
        return redact_tokens(value)
    return value


class BatchingStreamHandler(logging.StreamHandler[Any]):
    """A stream handler that, on an event loop, writes the lines of one loop turn with one write
    and one flush (an access line per request would otherwise cost a system call each); outside a
    loop, and at exit (``logging.shutdown`` flushes), each line is written at once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._pending.append(line)
            self.flush()
            return
        if not self._pending:
            loop.call_soon(self.flush)
        self._pending.append(line)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        self.acquire()
        try:
            self.stream.write("".join(pending))
            self.stream.flush()
        except Exception:
            pass  # a closed or broken stream: nothing more can be written to it
        finally:
            self.release()


class AccessTokenFilter(logging.Filter):
    """uvicorn's access log (``--access-log``) without access tokens in request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_tokens(args[2]), *args[3:])
        return True


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter("%(message)s")


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's logging in lbpy's format: its messages on stderr, requests (with --access-log)
    on stdout."""
    json_lines = log_format == "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": (
                {"()": "lbpy._serve_logs.JsonFormatter"}
                if json_lines
                else {"()": "lbpy._serve_logs.TextFormatter", "fmt": "%(message)s"}
            ),
            "access": (
                {"()": "lbpy._serve_logs.JsonFormatter"}
                if json_lines
                else {
                    "()": "uvicorn.logging.AccessFormatter",
                    "fmt": '%(client_addr)s - "%(request_line)s" %(status_code)s',
                    "use_colors": False,
                }
            ),
        },
        "filters": {"tokens": {"()": "lbpy._serve_logs.AccessTokenFilter"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
                "filters": ["tokens"],
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
