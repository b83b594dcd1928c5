"""Change streams across processes: each datasource's change events to and from the other
processes (``lbpy start --workers``, other machines) that serve the same store.

A ``ChangeRelay`` belongs to one datasource. Every change a model of it makes is sent on the
datasource's change bus (``lbpy._connectors._change_bus``) as the JSON a change stream sends,
right after the write; what other processes send is handed to this process's open change streams
of that model, which filter it by their ``where`` and send it as they send their own. A process
never receives its own events back (its streams had them at once).

Which bus, from the datasource's ``changeStream`` setting, else ``changeStream`` in
``server/config.json``, else the connector's own (PostgreSQL: LISTEN/NOTIFY):

    "changeStream": "local"                                  this process only
    "changeStream": "database"                               the database's own (PostgreSQL)
    "changeStream": {"redis": "redis://host:6379/0", "channel": "shop"}     Redis pub/sub

A store each process holds for itself (memory, transient) keeps its events in the process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from .._app_files import substitute_env
from .._connectors._change_bus import ChangeBus
from .._connectors._redis_changes import REDIS_SCHEMES, RedisChangeBus
from .._errors import BootError
from ._change_stream import change_json

if TYPE_CHECKING:
    from .._datasource import DataSource
    from ._persisted import Model

SETTING = "changeStream"
_KEYS = ("redis", "channel")


class ChangeRelay:
    """One datasource's change events, sent on ``bus`` and received from it."""

    def __init__(self, datasource: DataSource, bus: ChangeBus, models: Mapping[str, type[Model]]) -> None:
        self.datasource = datasource
        self.bus = bus
        #: the models whose changes travel, by name
        self.models = dict(models)
        self.started = False

    def __repr__(self) -> str:
        return f"<ChangeRelay {self.datasource.name} via {self.bus!r}>"

    async def start(self) -> None:
        """Subscribe (in the background) and send the models' changes from now on."""
        if not self.started:
            self.started = True
            await self.bus.start(self._received)
            for model in self.models.values():
                model._runtime.change_relay = self

    async def stop(self) -> None:
        if self.started:
            self.started = False
            for model in self.models.values():
                model._runtime.change_relay = None
            await self.bus.close()

    def publish(self, model: type[Model], event: dict[str, Any]) -> None:
        """Send a change this process made (``Model._changed`` calls it after the write)."""
        if not self.started:
            return
        name = model.spec.name
        if name not in self.models:
            return
        self.bus.publish(orjson.dumps({"model": name, "change": change_json(model, event)}).decode())

    def _received(self, text: str) -> None:
        message: Any = orjson.loads(text)
        model = self.models.get(message.get("model", "")) if isinstance(message, dict) else None
        change = message.get("change") if model is not None else None
        if model is None or not isinstance(change, dict):
            return  # another app's model, or not lbpy's message
        streams = model._runtime.change_streams
        if not streams:
            return
        data = change.get("data")
        record = model._converted([dict(data)])[0] if isinstance(data, dict) else None
        for stream in list(streams):
            stream.deliver(change, record)


def plan_relays(
    datasources: Mapping[str, DataSource],
    models: Mapping[str, type[Model]],
    app_setting: Any = None,
    *,
    private: frozenset[str] = frozenset(),
) -> list[ChangeRelay]:
    """The relays the app's datasources need (not started); a wrong setting is a BootError
    naming the datasource (or ``server/config.json``) and the fix. ``private`` models' events
    never leave the process (access tokens: their ids are credentials)."""
    if app_setting is not None:
        app_setting = substitute_env(app_setting, f"server/config.json: {SETTING}")
        _check("server/config.json", app_setting)
    relays = []
    for name, datasource in datasources.items():
        own = datasource.settings.get(SETTING)
        where = f'server/datasources.json: datasource "{name}"'
        if own is not None:
            _check(where, own)
        if datasource.connector is None or datasource.connector.per_process:
            if own not in (None, "local"):
                raise BootError(
                    f"{where}: the {datasource.connector_name} connector keeps its records in each "
                    f'process, so its changes cannot reach other processes; remove "{SETTING}" or '
                    f"keep the data in a shared database"
                )
            continue
        attached = {m: cls for m, cls in models.items() if cls.datasource is datasource and m not in private}
        if not attached:
            continue
        bus = _bus(where, datasource, own if own is not None else app_setting, explicit=own is not None)
        if bus is not None:
            relays.append(ChangeRelay(datasource, bus, attached))
    return relays


def _check(where: str, setting: Any) -> None:
    if setting in ("local", "database"):
        return
    if not isinstance(setting, dict):
        raise BootError(
            f'{where}: "{SETTING}" must be "local", "database" or {{"redis": "redis://host:6379"}}, '
            f"not {orjson.dumps(setting).decode()}"
        )
    unknown = [key for key in setting if key not in _KEYS]
    if unknown:
        raise BootError(f'{where}: "{SETTING}" has no setting "{unknown[0]}" (it takes "redis" and "channel")')
    url = setting.get("redis")
    if url is not None and (not isinstance(url, str) or url.partition("://")[0] not in REDIS_SCHEMES):
        raise BootError(f'{where}: "{SETTING}.redis" must be a Redis URL such as redis://127.0.0.1:6379/0')
    channel = setting.get("channel")
    if channel is not None and (not isinstance(channel, str) or not channel or len(channel.encode()) > 63):
        raise BootError(f'{where}: "{SETTING}.channel" must be a name of 1 to 63 bytes')


def _bus(where: str, datasource: DataSource, setting: Any, *, explicit: bool) -> ChangeBus | None:
    connector = datasource.connector
    if setting == "local":
        return None
    if isinstance(setting, dict) and setting.get("redis"):
        channel = setting.get("channel") or (
            "lbpy:changes:" + hashlib.sha256(connector.store_identity().encode()).hexdigest()[:24]
        )
        return RedisChangeBus(setting["redis"], channel)
    channel = setting.get("channel") if isinstance(setting, dict) else None
    bus = connector.change_bus(channel)
    if bus is None and explicit:
        raise BootError(
            f"{where}: the {datasource.connector_name} connector cannot carry change events itself; "
            f'say "{SETTING}": {{"redis": "redis://host:6379"}} to share them through Redis, or "local"'
        )
    return bus
