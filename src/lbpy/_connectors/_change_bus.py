"""Change buses: how the change events of one store reach every process that serves it.

A bus carries text messages from each process to all the others on a channel of a system they
already share: PostgreSQL's LISTEN/NOTIFY (``sql._notify``) or Redis pub/sub (``_redis_changes``).
``ChangeBus`` is the part they share: a queue the sending side fills without waiting, one task that
keeps the connection (reconnecting with a growing pause, and saying so in the log once per outage),
and the framing of messages.

Every frame starts with the sending process's id and the message's number, so a process skips its
own messages (its change streams had them at once) and a message larger than the transport carries
(PostgreSQL's NOTIFY takes fewer than 8000 bytes) travels in several frames, put back together in
order on arrival. Delivery is at most once: what is sent while a connection is down is lost.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from ._closing import CLOSE_WITHIN, cancel_within

log = logging.getLogger("lbpy")

#: frames a process keeps queued while its connection is down; more are dropped
MAX_QUEUED = 10_000
#: frames sent in one round trip
BATCH = 100
#: the pause before reconnecting doubles from the first to the last
FIRST_PAUSE, LAST_PAUSE = 0.1, 5.0
#: an idle connection is checked this often (seconds), so a dead one is noticed
HEARTBEAT = 30.0


def frames(sender: str, number: int, message: str, limit: int) -> list[str]:
    """``message`` as frames of at most ``limit`` UTF-8 bytes each (``limit`` 0: one frame).

    A frame is ``"<sender> <number> <index> <count> <part>"``; parts are cut between characters."""
    header = f"{sender} {number} "
    if not limit or len(message) * 4 + len(header) + 24 <= limit:
        return [f"{header}0 1 {message}"]
    data = message.encode()
    room = limit - len(header) - 24  # index and count take at most 11 digits each, and spaces
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not inside a character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return [f"{header}{i} {len(parts)} {part}" for i, part in enumerate(parts)]


class Reassembly:
    """Frames from every sender back into messages; a sender's own frames are skipped."""

    def __init__(self, own_sender: str) -> None:
        self.own_sender = own_sender
        self._partial: dict[str, tuple[str, list[str]]] = {}

    def feed(self, frame: str) -> str | None:
        """The message ``frame`` completes, or None (a part, its own, or not a frame)."""
        fields = frame.split(" ", 4)
        if len(fields) != 5 or fields[0] == self.own_sender:
            return None
        sender, number, index, count, part = fields
        if count == "1":
            self._partial.pop(sender, None)
            return part
        if index == "0":
            self._partial[sender] = (number, [part])
        else:
            known = self._partial.get(sender)
            # a missing part (lost while reconnecting) loses the whole message
            if known is None or known[0] != number or str(len(known[1])) != index:
                self._partial.pop(sender, None)
                return None
            known[1].append(part)
        parts = self._partial[sender][1]
        if str(len(parts)) == count:
            del self._partial[sender]
            return "".join(parts)
        return None


class BusConnectionLost(Exception):
    """The bus's connection ended; the bus reconnects."""


class ChangeBus:
    """One channel of a shared system; ``start(deliver)``, ``publish(message)``, ``close()``.

    Subclasses open the connection and subscribe (``_open``), send a batch of frames (``_send``),
    check an idle connection (``_check``), close it (``_close``), and hand each frame they receive
    to ``_received``, or report the end of the connection to ``_lost``."""

    #: the longest frame the transport carries, in UTF-8 bytes (0: no limit)
    frame_limit = 0

    def __init__(self, channel: str, shown: str) -> None:
        self.channel = channel
        #: what messages call the system: never a password
        self.shown = shown
        self.sender = secrets.token_hex(6)
        self._number = 0
        self._pending: deque[str] = deque()
        self._wakeup: asyncio.Event | None = None
        self._lost_reason: BaseException | None = None
        self._reassembly = Reassembly(self.sender)
        self._deliver: Callable[[str], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._dropping = False
        #: set while subscribed
        self.connected: asyncio.Event | None = None
        #: set once the first connection attempt succeeded or failed
        self.tried: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.shown} {self.channel!r}>"

    # -- what the relay calls --------------------------------------------------------------

    async def start(self, deliver: Callable[[str], None], wait: float = 3.0) -> None:
        """Subscribe in the background; wait up to ``wait`` seconds for the first attempt, so a
        process that serves has subscribed (a system that is down is retried, and the app serves)."""
        if self._task is not None:
            return
        self._deliver = deliver
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self.connected = asyncio.Event()
        self.tried = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name=f"lbpy change bus {self.channel}")
        try:
            await asyncio.wait_for(self.tried.wait(), wait)
        except asyncio.TimeoutError:
            pass

    def publish(self, message: str) -> None:
        """Queue ``message`` for the other processes; never waits."""
        loop = self._loop
        if loop is None or self._task is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._enqueue(message)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._enqueue, message)

    async def close(self) -> None:
        """Cancel the subscription and wait, within a bound, for its connection to close."""
        task, self._task = self._task, None
        if task is None:
            return
        await cancel_within(task, f"change streams: the connection to {self.shown}", CLOSE_WITHIN)
        self._loop = None

    # -- the connection --------------------------------------------------------------------

    def _enqueue(self, message: str) -> None:
        self._number += 1
        pending = self._pending
        new = frames(self.sender, self._number, message, self.frame_limit)
        if len(pending) + len(new) > MAX_QUEUED:
            if not self._dropping:
                log.warning(
                    "change streams: %d events are waiting for %s; newer ones are dropped until it answers",
                    len(pending),
                    self.shown,
                )
                self._dropping = True
            return
        pending.extend(new)
        if self._wakeup is not None:
            self._wakeup.set()

    def _received(self, frame: str) -> None:
        message = self._reassembly.feed(frame)
        if message is None or self._deliver is None:
            return
        try:
            self._deliver(message)
        except Exception:  # one bad message must not end the subscription
            log.exception("change streams: an event from %s could not be delivered", self.shown)

    def _lost(self, reason: BaseException | None = None) -> None:
        """The connection ended (called by the subclass, from any callback on the loop)."""
        self._lost_reason = reason or BusConnectionLost("the connection closed")
        if self._wakeup is not None:
            self._wakeup.set()

    async def _run(self) -> None:
        pause = FIRST_PAUSE
        down = False
        while True:
            self._lost_reason = None
            try:
                await self._open()
            except asyncio.CancelledError:
                await self._close_quietly()
                raise
            except Exception as exc:
                await self._close_quietly()
                assert self.tried is not None
                self.tried.set()
                if not down:
                    log.warning(
                        "change streams: cannot reach %s (%s); retrying, and changes other "
                        "processes make meanwhile are not seen here",
                        self.shown,
                        _reason(exc),
                    )
                    down = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, LAST_PAUSE)
                continue
            if down:
                log.warning("change streams: connected to %s again", self.shown)
                down = False
            pause = FIRST_PAUSE
            self._dropping = False
            assert self.connected is not None and self.tried is not None
            self.connected.set()
            self.tried.set()
            try:
                await self._pump()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "change streams: lost the connection to %s (%s); reconnecting, and "
                    "changes made meanwhile are not seen here",
                    self.shown,
                    _reason(exc),
                )
                down = True
            finally:
                self.connected.clear()
                await self._close_quietly()

    async def _pump(self) -> None:
        """Send queued frames, in order, until the connection ends (then raise)."""
        pending, wakeup = self._pending, self._wakeup
        assert wakeup is not None
        while True:
            if self._lost_reason is not None:
                raise self._lost_reason
            if not pending:
                wakeup.clear()
                try:
                    await asyncio.wait_for(wakeup.wait(), HEARTBEAT)
                except asyncio.TimeoutError:
                    await self._check()
                continue
            batch = [pending.popleft() for _ in range(min(len(pending), BATCH))]
            await self._send(batch)  # a failure loses this batch: at most once

    async def _close_quietly(self) -> None:
        try:
            await self._close()
        except Exception:  # the connection is gone already
            pass

    # -- for subclasses --------------------------------------------------------------------

    async def _open(self) -> None:
        raise NotImplementedError

    async def _send(self, batch: list[str]) -> None:
        raise NotImplementedError

    async def _check(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
