"""Change events through PostgreSQL's LISTEN/NOTIFY, on the datasource's own database.

Each process keeps one asyncpg connection of its own for this, outside the request pool (named
``lbpy change stream <pid>`` in ``pg_stat_activity``): it LISTENs on the channel and sends this
process's events with ``pg_notify`` after their writes committed, in the order they were made.
A NOTIFY payload must stay under 8000 bytes, so a larger event travels in several frames
(``_change_bus.frames``) that arrive together and in order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Any

from .._change_bus import ChangeBus
from ._config import SqlSettings, connect_args

#: a NOTIFY payload is refused at 8000 bytes; the rest is room for the channel name
FRAME_LIMIT = 7800
APPLICATION_NAME = "lbpy change stream"
_NOTIFY = "SELECT pg_notify($1, $2)"


def default_channel(schema: str | None) -> str:
    """The channel of a schema's tables: ``lbpy_changes``, or ``lbpy_changes.<schema>``.

    PostgreSQL's notifications are per database already; names stay under its 64 bytes."""
    if not schema or schema == "public":
        return "lbpy_changes"
    name = f"lbpy_changes.{schema}"
    if len(name.encode()) > 63:
        name = f"lbpy_changes.{hashlib.sha256(schema.encode()).hexdigest()[:40]}"
    return name


def listen_options(config: SqlSettings) -> dict[str, Any]:
    """asyncpg's connect() arguments for the datasource's database, whatever driver its URL names."""
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    url = config.url.set(drivername="postgresql+asyncpg")
    _, options = PGDialect_asyncpg().create_connect_args(url)
    options.pop("prepared_statement_cache_size", None)  # SQLAlchemy's adapter's own options
    options.pop("prepared_statement_name_func", None)
    options.pop("async_fallback", None)
    found = {**options, **connect_args(dataclasses.replace(config, url=url))}
    found["server_settings"] = {**found.get("server_settings", {}), "application_name": APPLICATION_NAME}
    return found


class PostgresChangeBus(ChangeBus):
    frame_limit = FRAME_LIMIT

    def __init__(self, config: SqlSettings, channel: str | None = None) -> None:
        url = config.url
        shown = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
        super().__init__(channel or default_channel(config.schema), shown)
        self._options = listen_options(config)
        self._conn: Any = None

    async def _open(self) -> None:
        try:
            import asyncpg
        except ImportError:
            raise RuntimeError("asyncpg is not installed: pip install 'lbpy[postgresql]'") from None
        options = dict(self._options)
        options["server_settings"] = {
            **options["server_settings"],
            "application_name": f"{APPLICATION_NAME} {os.getpid()}",
        }
        conn = self._conn = await asyncpg.connect(**options)
        conn.add_termination_listener(lambda _conn: self._lost())
        await conn.add_listener(self.channel, self._notified)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._received(payload)

    async def _send(self, batch: list[str]) -> None:
        if len(batch) == 1:
            await self._conn.execute(_NOTIFY, self.channel, batch[0])
        else:  # one round trip and one transaction: the frames arrive together, in order
            await self._conn.executemany(_NOTIFY, [(self.channel, frame) for frame in batch])

    async def _check(self) -> None:
        await self._conn.execute("SELECT 1")

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:
                conn.terminate()
