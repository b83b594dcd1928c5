"""Change events through Redis pub/sub, for any store (``"changeStream": {"redis": "redis://..."}``).

One connection subscribes to the channel and another publishes, both made by redis-py's asyncio
client (the ``lbpy[redis]`` extra). Redis carries messages of any size, so a message is one frame.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from ._change_bus import BusConnectionLost, ChangeBus

REDIS_SCHEMES = ("redis", "rediss", "unix")


def shown_redis_url(url: str) -> str:
    """The URL as messages show it: scheme, host and port, never a user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"Redis at {parts.path}"
    host = parts.hostname or "localhost"
    return f"Redis at {host}:{parts.port or 6379}"


class RedisChangeBus(ChangeBus):
    def __init__(self, url: str, channel: str) -> None:
        super().__init__(channel, shown_redis_url(url))
        self.url = url
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[Any] | None = None

    async def _open(self) -> None:
        try:
            import redis.asyncio as redis
        except ImportError:
            raise RuntimeError("the redis package is not installed: pip install 'lbpy[redis]'") from None
        # lbpy reconnects itself (and says so once): redis-py's own retries would hide an outage
        self._client = redis.from_url(self.url, socket_connect_timeout=10, retry_on_error=[], health_check_interval=0)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.channel)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                message = await self._pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message.get("type") == "message":
                    data = message["data"]
                    self._received(data.decode() if isinstance(data, bytes) else data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._lost(exc)
        else:  # pragma: no cover - the loop only ends by an exception
            self._lost(BusConnectionLost("the subscription ended"))

    async def _send(self, batch: list[str]) -> None:
        if len(batch) == 1:
            await self._client.publish(self.channel, batch[0])
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for frame in batch:
                pipe.publish(self.channel, frame)
            await pipe.execute()

    async def _check(self) -> None:
        await self._client.ping()
        await self._pubsub.ping()  # on the subscribed connection; its answer reaches the reader

    async def _close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):
                pass
        pubsub, self._pubsub = self._pubsub, None
        client, self._client = self._client, None
        if pubsub is not None:
            await pubsub.aclose()
        if client is not None:
            await client.aclose()
