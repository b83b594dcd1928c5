"""One migration at a time per database, whichever machine runs it.

``lbpy migrate`` is a release step, and two machines releasing at once must not interleave their
DDL. PostgreSQL: an advisory lock held by the migration's own transaction (released at its
commit or rollback). MySQL/MariaDB: ``GET_LOCK`` on the migration's session, named after the
database. SQLite: an exclusive ``flock`` on a file beside the database, taken before SQLite's own
write lock. A second migration waits (saying so once, through ``on_wait``) up to ``timeout``
seconds, then plans against what the first one left, so it finds nothing more to do.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ..._errors import LbpyError

if sys.platform == "win32":  # SQLite's own write lock is all there is
    fcntl = None
else:
    import fcntl

NAME = "lbpy migrate"
#: the advisory lock's key: a fixed 64-bit number that names lbpy's migrations
PG_KEY = int.from_bytes(hashlib.sha256(NAME.encode()).digest()[:8], "big", signed=True)


class MigrationLockTimeout(LbpyError):
    """Another migration held the lock for longer than the wait allowed."""


def _timed_out(datasource: str, timeout: float) -> MigrationLockTimeout:
    return MigrationLockTimeout(
        f'datasource "{datasource}": another migration still runs after {timeout:g} s; '
        "wait for it, or give more time with --lock-timeout"
    )


def take_in_transaction(conn: sa.Connection, datasource: str, timeout: float, on_wait: Callable[[], None]) -> None:
    """PostgreSQL and MySQL: take the lock on ``conn``, the migration's connection, waiting up to
    ``timeout`` seconds in the database. PostgreSQL releases it when the transaction ends;
    MySQL's lasts for the session, so ``release`` it."""
    backend = conn.dialect.name
    if backend == "postgresql":
        if conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PG_KEY}).scalar():
            return
        on_wait()
        conn.execute(sa.text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))
        try:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_KEY})
        except sa.exc.DBAPIError as exc:
            if "lock timeout" in str(exc.orig):
                raise _timed_out(datasource, timeout) from None
            raise
        conn.execute(sa.text("SET LOCAL lock_timeout TO DEFAULT"))
    elif backend in ("mysql", "mariadb"):
        name = _mysql_name(conn)
        if conn.execute(sa.text("SELECT GET_LOCK(:name, 0)"), {"name": name}).scalar() == 1:
            return
        on_wait()
        got = conn.execute(sa.text("SELECT GET_LOCK(:name, :wait)"), {"name": name, "wait": timeout}).scalar()
        if got != 1:
            raise _timed_out(datasource, timeout)


def release(conn: sa.Connection) -> None:
    """MySQL: let the next migration go (PostgreSQL's lock ends with the transaction)."""
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": _mysql_name(conn)})


def _mysql_name(conn: sa.Connection) -> str:
    # GET_LOCK's names are server-wide (64 characters at most): one lock per database
    database = conn.execute(sa.text("SELECT DATABASE()")).scalar() or ""
    return f"{NAME} {database}"[:64]


@contextmanager
def sqlite_file_lock(
    database: str | None, datasource: str, timeout: float, on_wait: Callable[[], None]
) -> Iterator[None]:
    """SQLite: hold ``<database>.migrate-lock`` exclusively (no lock for an in-memory database)."""
    if fcntl is None or not database or database == ":memory:" or database.startswith("file::memory:"):
        yield
        return
    path = Path(database).with_name(Path(database).name + ".migrate-lock")
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    waited = True
                    on_wait()
                if time.monotonic() >= deadline:
                    raise _timed_out(datasource, timeout) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
