"""Database errors as lbpy errors: what a client sees, and what an operator should do."""

from __future__ import annotations

from ..._errors import BadRequestError, HttpError, LbpyError, ServiceUnavailableError

# SQLSTATE classes and driver codes that mean "the database cannot be reached"
_UNREACHABLE_MYSQL = {
    1040,
    1042,
    1043,
    1044,
    1045,
    1049,
    1053,
    1077,
    1129,
    1130,
    1152,
    1184,
    1205,
    2002,
    2003,
    2005,
    2006,
    2013,
    2026,
    2055,
}
_MISSING_TABLE_HINTS = (
    "no such table",
    "does not exist",
    "doesn't exist",
    "undefinedtable",
    "undefined_table",
    "no such column",
    "unknown column",
    "undefinedcolumn",
)


def is_disconnect(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError)) or (
        isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)
    )


def translate(exc: BaseException, datasource: str, where: str) -> BaseException:
    """The lbpy error for a failure talking to the database of ``datasource``."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, LbpyError):
        return exc
    if isinstance(exc, sa_exc.TimeoutError):
        return ServiceUnavailableError(
            f'The database of datasource "{datasource}" is too busy: no connection became free in time; '
            'raise its pool\'s max ("max", "connectionLimit" or "pool": {"max": n}) or try again',
            code="DATABASE_BUSY",
        )
    detail = _first_line(exc)
    if "0x00" in detail or "\\u0000 cannot be converted" in detail:
        return BadRequestError(
            "A value in the filter holds the NUL character (\\u0000), which PostgreSQL text cannot "
            "hold, so nothing stored can match it; leave it out",
            code="INVALID_FILTER",
        )
    if "user-defined function raised exception" in detail:
        # lbpy's own SQLite functions (regexp, ilike) refuse only a pattern over its time budget
        return BadRequestError(
            "A regexp in the filter takes too long to match; write it so that it cannot backtrack "
            "(for example a+ rather than (a+)+)",
            code="INVALID_FILTER",
        )
    if _unreachable(exc):
        return ServiceUnavailableError(
            f'The database of datasource "{datasource}" cannot be reached ({detail}); lbpy retries on the next request',
            code="DATABASE_UNAVAILABLE",
        )
    if isinstance(exc, sa_exc.IntegrityError):
        return HttpError(
            f"The database refused the change: {detail}",
            status_code=409,
            code="DATABASE_CONSTRAINT",
            name="ConstraintError",
        )
    if isinstance(exc, sa_exc.DataError):
        if "regular expression" in detail.lower():
            return BadRequestError(f"The regular expression cannot be used: {detail}", code="INVALID_FILTER")
        return HttpError(
            f"The database cannot store a value: {detail}",
            status_code=422,
            code="INVALID_VALUE",
            name="ValidationError",
        )
    if isinstance(exc, sa_exc.DBAPIError) and any(h in detail.lower() for h in _MISSING_TABLE_HINTS):
        return HttpError(
            f'The database of datasource "{datasource}" does not match the models ({detail}); '
            "run `lbpy migrate` to create the missing tables and columns",
            code="SCHEMA_MISMATCH",
        )
    if isinstance(exc, sa_exc.OperationalError) and "regexp" in detail.lower():
        return BadRequestError(f"The regular expression cannot be used: {detail}", code="INVALID_FILTER")
    return exc


def _unreachable(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc

    if is_disconnect(exc):
        return True
    if isinstance(exc, sa_exc.OperationalError):
        orig = exc.orig
        code = getattr(orig, "args", (None,))[0] if orig is not None and getattr(orig, "args", None) else None
        if isinstance(code, int):
            return code in _UNREACHABLE_MYSQL
        text = _first_line(exc).lower()
        if "database is locked" in text:
            return True
        return any(
            h in text
            for h in (
                "connect",
                "connection",
                "refused",
                "timeout",
                "timed out",
                "server closed",
                "terminating",
                "shutting down",
                "unable to open",
            )
        )
    if isinstance(exc, sa_exc.InterfaceError):
        return True
    orig = getattr(exc, "orig", None)
    return orig is not None and is_disconnect(orig)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip() or type(orig).__name__
    line = text.splitlines()[0]
    return line[:300]
