"""The memory connector: the reference implementation of the connector contract.

Records live in a dict per model. With the ``file`` setting, the store is loaded at start and
saved after every change in LoopBack's own format::

    {"ids": {"Note": 2}, "models": {"Note": {"1": "{\"title\":\"a\",\"id\":1}", ...}}}

Saves are atomic (a temporary file, fsync, rename) and serialised, so a process killed while
saving leaves either the previous file or the new one. One process only: several workers
would each keep their own copy.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from .._atomic import write_atomic
from .._errors import BootError, ConflictError, NotFoundError
from .._filter import Filter, apply_filter, compile_where
from .._json_values import json_default
from .._model._definition import ModelSpec
from ._base import Connector, ConnectorHost, Setting


class MemoryConnector(Connector):
    name = "memory"
    blocking = False
    per_process = True
    settings_schema = (Setting("file", description="a JSON file that keeps the data between restarts"),)

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        models: Mapping[str, ModelSpec] | None = None,
        *,
        app_dir: Path | None = None,
    ) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        self._tables: dict[str, dict[Any, dict[str, Any]]] = {}
        self._ids: dict[str, int] = {}
        self._raw: dict[str, dict[str, str]] = {}  # loaded from the file, not yet read as records
        file = self.settings.get("file")
        self._file = Path(file) if file else None
        self._dirty = 0
        # tables whose insertion order is not id order (explicit or string ids): sorted on read
        self._unordered: set[str] = set()
        self._save_lock: anyio.Lock | None = None
        self._thread_lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------

    def connect(self) -> None:
        if self._file is None:
            return
        # a process killed while saving can leave its temporary file behind
        for stale in self._file.parent.glob(f".{self._file.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        if not self._file.exists():
            return
        try:
            content = json.loads(self._file.read_text("utf-8") or "{}")
        except ValueError as exc:
            raise BootError(
                f"{self._file}: the memory datasource file is not valid JSON ({exc}); fix or remove it"
            ) from None
        if not isinstance(content, dict):
            raise BootError(f'{self._file}: expected an object with "ids" and "models"')
        self._ids = {name: int(value) for name, value in (content.get("ids") or {}).items()}
        self._raw = {name: dict(rows) for name, rows in (content.get("models") or {}).items()}
        self._tables.clear()

    # -- storage --------------------------------------------------------------------------

    def _table(self, model: str) -> dict[Any, dict[str, Any]]:
        table = self._tables.get(model)
        if table is None:
            table = self._tables[model] = {}
            raw = self._raw.pop(model, None)
            if raw:
                self._load(model, table, raw)
        return table

    def _load(self, model: str, table: dict[Any, dict[str, Any]], raw: dict[str, Any]) -> None:
        spec = self.models.get(model)
        id_name = spec.id_name if spec else "id"
        for key, text in raw.items():
            record = json.loads(text) if isinstance(text, str) else dict(text)
            if spec is not None:
                for name, prop in spec.properties.items():
                    if prop.type.name in ("date", "buffer") and record.get(name) is not None:
                        record[name] = prop.type.coerce(record[name])
            table[record.get(id_name, key)] = record
        keys = list(table)
        if not all(type(k) is int for k in keys) or keys != sorted(keys):
            self._unordered.add(model)

    def _next_id(self, model: str, table: dict[Any, dict[str, Any]]) -> Any:
        # ``ids`` holds the next id to hand out, as LoopBack's file does; ids are never reused
        spec = self.models.get(model)
        number = self._ids.get(model, 1)
        while number in table or str(number) in table:
            number += 1
        self._ids[model] = number + 1
        if spec is not None and spec.id_property is not None and spec.id_property.type.name == "string":
            return str(number)
        return number

    def _note_id(self, model: str, id: Any) -> None:
        if isinstance(id, int) and not isinstance(id, bool) and id >= self._ids.get(model, 1):
            self._ids[model] = id + 1

    # -- the required core ----------------------------------------------------------------

    def all(self, model: str, filter: Filter, options: dict[str, Any]) -> list[dict[str, Any]]:
        table = self._table(model)
        rows: Any = table.values()
        id_name = self.id_name(model)
        where = filter.where
        by_id = where is not None and len(where) == 1 and "eq" in where.get(id_name, ())
        if by_id and where is not None:
            # a lookup by id is the commonest query: the key answers the where, no scan, no test
            record = table.get(where[id_name]["eq"])
            rows = [] if record is None else [record]
        elif not filter.order and model in self._unordered:
            filter = replace(filter, order=((id_name, "ASC"),))  # LoopBack's default order
        return [_clone(r) for r in apply_filter(rows, filter, where=not by_id)]

    async def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        table = self._table(model)
        id_name = self.id_name(model)
        id = data.get(id_name)
        if id is None:
            id = self._next_id(model, table)
        elif id in table:
            raise ConflictError(f"Duplicate entry for {model}.{id_name}", code="DUPLICATE_ID")
        else:
            self._note_id(model, id)
        if table and not (type(id) is int and type(last := next(reversed(table))) is int and id > last):
            self._unordered.add(model)
        table[id] = {**_clone(data), id_name: id}
        await self._save()
        return id

    async def update_attributes(
        self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        table = self._table(model)
        record = table.get(id)
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        id_name = self.id_name(model)
        record.update(_clone({k: v for k, v in data.items() if k != id_name}))
        await self._save()
        return _clone(record)

    async def destroy_all(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
        table = self._table(model)
        if where is None:
            doomed = list(table)
        else:
            test = compile_where(where)
            doomed = [key for key, record in table.items() if test(record)]
        for key in doomed:
            del table[key]
        if doomed:
            await self._save()
        return {"count": len(doomed)}

    # -- what a dict does better than the defaults ------------------------------------------

    # the contract lets a connector answer from a plain def; the runtime awaits only a coroutine
    def count(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> int:  # type: ignore[override]
        table = self._table(model)
        if where is None:
            return len(table)
        test = compile_where(where)
        return sum(1 for record in table.values() if test(record))

    async def update(
        self, model: str, where: dict[str, Any] | None, data: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        table = self._table(model)
        test = compile_where(where)
        id_name = self.id_name(model)
        changes = _clone({k: v for k, v in data.items() if k != id_name})
        count = 0
        for record in table.values():
            if test(record):
                record.update(copy.deepcopy(changes))
                count += 1
        if count:
            await self._save()
        return {"count": count}

    async def replace_by_id(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        table = self._table(model)
        if id not in table:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        id_name = self.id_name(model)
        table[id] = {**_clone(data), id_name: id}
        await self._save()
        return _clone(table[id])

    async def update_or_create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        id = data.get(self.id_name(model))
        if id is not None and id in self._table(model):
            return await self.update_attributes(model, id, data, options)
        id = await self.create(model, data, options)
        return _clone(self._table(model)[id])

    async def replace_or_create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        id = data.get(self.id_name(model))
        if id is not None and id in self._table(model):
            return await self.replace_by_id(model, id, data, options)
        id = await self.create(model, data, options)
        return _clone(self._table(model)[id])

    def automigrate(self, models: list[str] | None = None) -> None:
        for model in models or list(self.models):
            self._tables[model] = {}
            self._raw.pop(model, None)
            self._ids.pop(model, None)

    # -- persistence ----------------------------------------------------------------------

    async def _save(self) -> None:
        """Write the file after a change; concurrent changes share one write."""
        if self._file is None:
            return
        self._dirty += 1
        if self._save_lock is None:
            self._save_lock = anyio.Lock()
        async with self._save_lock:
            if not self._dirty:
                return  # a write that started after our change already saved it
            self._dirty = 0
            content = self._snapshot()
            await anyio.to_thread.run_sync(self._write, content)

    def _snapshot(self) -> str:
        models: dict[str, dict[str, str]] = {name: dict(rows) for name, rows in self._raw.items()}
        for name, table in self._tables.items():
            models[name] = {
                str(key): json.dumps(record, default=json_default, ensure_ascii=False) for key, record in table.items()
            }
        return json.dumps({"ids": self._ids, "models": models}, indent=2, ensure_ascii=False)

    def _write(self, content: str) -> None:
        assert self._file is not None  # written only for a datasource with a file
        with self._thread_lock:
            write_atomic(self._file, content)


_CONTAINERS = (dict, list)


def _clone(record: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without changing the store."""
    out = record.copy()
    for key, value in out.items():
        if value.__class__ in _CONTAINERS:
            out[key] = copy.deepcopy(value)
    return out


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = MemoryConnector(datasource.settings, datasource.models, app_dir=datasource.app_dir)
