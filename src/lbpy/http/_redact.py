"""Secrets kept out of logs and error messages.

Every credential a datasource's settings hold (passwords, tokens, API keys, client secrets, and
the access tokens lbpy obtains with them) is registered here; ``redact`` replaces each one in a
text. A logging filter on httpx's logger applies the same to its request lines, whose URLs may
carry an API key in the query string.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable

MASK = "[redacted]"
#: values shorter than this are not treated as secrets (a one-letter "password" would mask
#: every occurrence of that letter in every message)
_MIN_LENGTH = 4


class Secrets:
    """The secret values of one datasource (or one client)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        for value in values:
            self.add(value)
        _ALL.add(self)

    def add(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= _MIN_LENGTH:
            with self._lock:
                self._values.add(value)

    def values(self) -> list[str]:
        with self._lock:
            # longest first, so that a secret containing another is masked whole
            return sorted(self._values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self.values():
            if value in text:
                text = text.replace(value, MASK)
        return text


#: every live Secrets, for the logging filter
_ALL: weakref.WeakSet[Secrets] = weakref.WeakSet()


def redact_all(text: str) -> str:
    """``text`` with every secret of every live datasource masked."""
    for secrets in list(_ALL):
        text = secrets.redact(text)
    return text


class RedactingFilter(logging.Filter):
    """Masks registered secrets in a log record's message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact_all(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


_FILTER = RedactingFilter()


def install_log_filter() -> None:
    """Attach the filter to the loggers that print request URLs (httpx's) and to lbpy's own."""
    for name in ("httpx", "lbpy", "lbpy.http"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
