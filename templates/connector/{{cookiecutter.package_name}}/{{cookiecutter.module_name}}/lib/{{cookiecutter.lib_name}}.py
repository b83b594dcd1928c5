"""The {{ cookiecutter.name }} connector: lbpy's connector contract on top of a client for the
system it wraps.

As generated, the system is ``{{ cookiecutter.client_class }}`` below: tables kept in memory, each
new one holding the two records of LoopBack's "hello world" connector article. It is a complete,
working connector (it passes lbpy's conformance kit: ``pytest``); to wrap a real system, keep
the connector class and replace what the client does with calls to that system. Comments marked
"YOUR SYSTEM" say where those calls go.

lbpy calls the methods of ``{{ cookiecutter.class_name }}`` with a model name first. The required
core is ``all``, ``create``, ``update_attributes`` and ``destroy_all``; lbpy builds every other
operation on them unless the connector does it better itself, as this one does for ``count``,
``update`` and ``replace_by_id``.
"""

from __future__ import annotations

import copy
import itertools
import threading
from datetime import datetime
from typing import Any

from lbpy import Capabilities, ConflictError, Connector, Filter, NotFoundError, Setting

#: what a new table holds when the "seed" setting is on: the article's two records
SEED_ROWS = ({"id": 1, "name": "hello"}, {"id": 2, "name": "world"})

#: the table the system has before any model uses it, so that discovery has one to show
GREETING_TABLE = "Greeting"


class _Table:
    def __init__(self, rows: tuple[dict, ...] = ()) -> None:
        self.rows: dict[Any, dict] = {row["id"]: dict(row) for row in rows}
        # a counter, not max(id) + 1: an id is never given twice, even after a delete
        self.ids = itertools.count(max((k for k in self.rows if isinstance(k, int)), default=0) + 1)


class {{ cookiecutter.client_class }}:
    """Stands in for the system this connector wraps (a SaaS API, a database).

    YOUR SYSTEM: replace this class with your system's client (an HTTP session, a driver
    connection); each method below is one call to the system, and its docstring says which.
    Creating the client does no I/O; ``open()`` does.
    """

    def __init__(self, seed: bool = True) -> None:
        self.seed = seed
        self.opened = False
        self._tables: dict[str, _Table] = {GREETING_TABLE: _Table(SEED_ROWS if seed else ())}
{%- if cookiecutter.is_async %}
        # one lock for the whole store, never held across an await (so it never stalls the
        # event loop): each call stays atomic even if the client is shared with threads
{%- else %}
        # one lock for the whole store: the connector's methods run in worker threads, so two
        # requests can reach the client at the same time
{%- endif %}
        self._lock = threading.Lock()

    def _table(self, name: str) -> _Table:
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = _Table(SEED_ROWS if self.seed else ())
        return table

    {{ cookiecutter.def_ }} open(self) -> None:
        """YOUR SYSTEM: log in, open a session or a connection pool."""
        self.opened = True

    {{ cookiecutter.def_ }} close(self) -> None:
        """YOUR SYSTEM: log out, close the session."""
        self.opened = False

    {{ cookiecutter.def_ }} check(self) -> None:
        """YOUR SYSTEM: the cheapest call that proves the system answers (a status endpoint)."""
        if not self.opened:
            raise ConnectionError("the {{ cookiecutter.name }} client is not open")

    {{ cookiecutter.def_ }} tables(self) -> list[str]:
        """YOUR SYSTEM: list the kinds of record the system holds (GET /tables)."""
        with self._lock:
            return sorted(self._tables)

    {{ cookiecutter.def_ }} find(self, table: str, equals: dict[str, Any]) -> list[dict]:
        """YOUR SYSTEM: the records whose properties equal ``equals`` (GET /{table}?name=hello)."""
        with self._lock:
            rows = self._table(table).rows
            if "id" in equals and len(equals) == 1:
                found = rows.get(equals["id"])  # a lookup by id needs no scan
                candidates = [] if found is None else [found]
            else:
                candidates = list(rows.values())
            return [copy.deepcopy(row) for row in candidates if _matches(row, equals)]

    {{ cookiecutter.def_ }} insert(self, table: str, row: dict) -> Any:
        """YOUR SYSTEM: create a record, get its id back (POST /{table})."""
        with self._lock:
            store = self._table(table)
            id = row.get("id")
            if id is None:
                id = next(store.ids)
                while id in store.rows:
                    id = next(store.ids)
            elif id in store.rows:
                raise KeyError(id)
            store.rows[id] = {**copy.deepcopy(row), "id": id}
            return id

    {{ cookiecutter.def_ }} patch(self, table: str, id: Any, changes: dict) -> dict | None:
        """YOUR SYSTEM: change some properties of one record (PATCH /{table}/{id})."""
        with self._lock:
            row = self._table(table).rows.get(id)
            if row is None:
                return None
            row.update(copy.deepcopy({k: v for k, v in changes.items() if k != "id"}))
            return copy.deepcopy(row)

    {{ cookiecutter.def_ }} put(self, table: str, id: Any, row: dict) -> dict | None:
        """YOUR SYSTEM: replace one record whole (PUT /{table}/{id})."""
        with self._lock:
            rows = self._table(table).rows
            if id not in rows:
                return None
            rows[id] = {**copy.deepcopy(row), "id": id}
            return copy.deepcopy(rows[id])

    {{ cookiecutter.def_ }} patch_where(self, table: str, equals: dict[str, Any], changes: dict) -> int:
        """YOUR SYSTEM: change every record matching ``equals``; how many changed."""
        with self._lock:
            matched = [row for row in self._table(table).rows.values() if _matches(row, equals)]
            for row in matched:
                row.update(copy.deepcopy({k: v for k, v in changes.items() if k != "id"}))
            return len(matched)

    {{ cookiecutter.def_ }} delete_where(self, table: str, equals: dict[str, Any]) -> int:
        """YOUR SYSTEM: delete every record matching ``equals`` (DELETE /{table}?...); how many."""
        with self._lock:
            rows = self._table(table).rows
            doomed = [id for id, row in rows.items() if _matches(row, equals)]
            for id in doomed:
                del rows[id]
            return len(doomed)

    {{ cookiecutter.def_ }} reset(self, table: str, *, seed: bool) -> None:
        """YOUR SYSTEM: drop and re-create a table (only for tests and set-up scripts)."""
        with self._lock:
            self._tables[table] = _Table(SEED_ROWS if seed else ())


def _matches(row: dict, equals: dict[str, Any]) -> bool:
    return all(_equal(row.get(name), value) for name, value in equals.items())


def _equal(stored: Any, wanted: Any) -> bool:
    """Equality as lbpy defines it: null matches null or missing, true is not 1."""
    if wanted is None or stored is None:
        return stored is None and wanted is None
    if isinstance(stored, bool) != isinstance(wanted, bool):
        return False
    return stored == wanted


def _column_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


class {{ cookiecutter.class_name }}(Connector):
    """{{ cookiecutter.description }}."""

    #: the name datasources.json uses: "connector": "{{ cookiecutter.name }}"
    name = "{{ cookiecutter.name }}"

    #: the settings `lbpy datasource` asks for; datasource.settings holds their values
    settings_schema = (
        Setting("seed", type="boolean", default=True,
                description="start each new table with the two records of the hello world article"),
        # YOUR SYSTEM: declare what connecting needs, e.g.
        # Setting("url", required=True, description="the API's base address"),
        # Setting("token", required=True, secret=True, description="an API token"),
    )

    #: what all/count/update/destroy_all evaluate themselves: equality on plain properties.
    #: lbpy does the rest (other operators, and/or, order, fields, limit and skip) on what
    #: all() returns, so every filter still gets the right answer. Declare more as your system
    #: learns to filter, sort and page.
    capabilities = Capabilities(
        operators=frozenset({"eq"}), fields=False, order=False, limit=False, nested_paths=False
    )
{%- if cookiecutter.is_async %}

    # every method is async: lbpy awaits them on its event loop, so they must never block;
    # use an async client (httpx.AsyncClient, asyncpg, ...) for your system
{%- else %}

    #: plain methods may block on I/O: lbpy runs them in a worker thread, never on its event loop
    blocking = True
{%- endif %}

    def __init__(self, settings: dict | None = None, models=None, *, app_dir=None) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        seed = self.settings.get("seed", True)
        if isinstance(seed, str):  # from an environment variable
            seed = seed.lower() not in ("false", "0", "no", "")
        # YOUR SYSTEM: build the client from the settings; no I/O until connect()
        self.client = {{ cookiecutter.client_class }}(seed=bool(seed))

    # -- lifecycle ----------------------------------------------------------------------------

    {{ cookiecutter.def_ }} connect(self) -> None:
        {{ cookiecutter.await_ }}self.client.open()

    {{ cookiecutter.def_ }} disconnect(self) -> None:
        {{ cookiecutter.await_ }}self.client.close()

    {{ cookiecutter.def_ }} ping(self) -> None:
        {{ cookiecutter.await_ }}self.client.check()

    # -- the required core --------------------------------------------------------------------

    {{ cookiecutter.def_ }} all(self, model: str, filter: Filter, options: dict) -> list[dict]:
        """The records ``filter`` selects, as one list (the article's version called back once
        per match). ``filter.where`` is None or one equality, as ``capabilities`` declares."""
        rows = {{ cookiecutter.await_ }}self.client.find(self.table_name(model), self._equals(model, filter.where))
        return [self._record(model, row) for row in rows]

    {{ cookiecutter.def_ }} create(self, model: str, data: dict, options: dict) -> Any:
        """Store a new record; return its id (the article's version never stored it)."""
        try:
            return {{ cookiecutter.await_ }}self.client.insert(self.table_name(model), self._row(model, data))
        except KeyError:
            # answered 409, as LoopBack did; raise lbpy.ValidationError (422) for refused data
            id_name = self.id_name(model)
            raise ConflictError(f"Duplicate entry for {model}.{id_name}", code="DUPLICATE_ID") from None

    {{ cookiecutter.def_ }} update_attributes(self, model: str, id: Any, data: dict, options: dict) -> dict:
        """Change some properties of one record; return the whole record."""
        record = {{ cookiecutter.await_ }}self.client.patch(self.table_name(model), id, self._row(model, data))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return self._record(model, record)

    {{ cookiecutter.def_ }} destroy_all(self, model: str, where: dict | None, options: dict) -> dict:
        """Delete what ``where`` selects; return {"count": n}."""
        count = {{ cookiecutter.await_ }}self.client.delete_where(
            self.table_name(model), self._equals(model, where)
        )
        return {"count": count}

    # -- done natively instead of lbpy's defaults ---------------------------------------------

    {{ cookiecutter.def_ }} count(self, model: str, where: dict | None, options: dict) -> int:
        rows = {{ cookiecutter.await_ }}self.client.find(self.table_name(model), self._equals(model, where))
        return len(rows)

    {{ cookiecutter.def_ }} update(self, model: str, where: dict | None, data: dict, options: dict) -> dict:
        count = {{ cookiecutter.await_ }}self.client.patch_where(
            self.table_name(model), self._equals(model, where), self._row(model, data)
        )
        return {"count": count}

    {{ cookiecutter.def_ }} replace_by_id(self, model: str, id: Any, data: dict, options: dict) -> dict:
        record = {{ cookiecutter.await_ }}self.client.put(self.table_name(model), id, self._row(model, data))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return self._record(model, record)

    # update_or_create and replace_or_create: lbpy's defaults, built on the methods above

    # -- discovery: what `lbpy discover` shows and writes as model JSON ------------------------

    {{ cookiecutter.def_ }} discover_model_definitions(self, options: dict | None = None) -> list[dict]:
        tables = set({{ cookiecutter.await_ }}self.client.tables())
        tables.update(self.table_name(model) for model in self.models)
        return [{"name": name, "type": "table", "owner": None} for name in sorted(tables)]

    {{ cookiecutter.def_ }} discover_model_properties(self, name: str, options: dict | None = None) -> list[dict]:
        """The table's columns: those of a model that uses it, then what its records hold."""
        columns: dict[str, str] = {}
        model = self._model_of(name)
        if model is not None:
            for prop_name, prop in self.properties(model).items():
                columns["id" if prop.is_id else prop_name] = prop.type.describe()
        if name in {{ cookiecutter.await_ }}self.client.tables():
            for row in {{ cookiecutter.await_ }}self.client.find(name, {}):
                for key, value in row.items():
                    if value is not None and key not in columns:
                        columns[key] = _column_type(value)
        return [
            {"owner": None, "tableName": name, "columnName": column, "type": kind,
             "dataType": kind, "nullable": "N" if column == "id" else "Y",
             "generated": True if column == "id" else None}
            for column, kind in columns.items()
        ]

    {{ cookiecutter.def_ }} discover_primary_keys(self, name: str, options: dict | None = None) -> list[dict]:
        columns = {{ cookiecutter.await_ }}self.discover_model_properties(name, options)
        if not columns:
            return []
        return [{"owner": None, "tableName": name, "columnName": "id", "keySeq": 1, "pkName": f"{name}_pk"}]

    {{ cookiecutter.def_ }} discover_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        return []  # YOUR SYSTEM: references between record kinds, if it has any

    # -- migration: used by tests and set-up scripts --------------------------------------------

    {{ cookiecutter.def_ }} automigrate(self, models: list[str] | None = None) -> None:
        """Empty the tables of ``models`` (every attached model when None)."""
        for model in models if models is not None else list(self.models):
            {{ cookiecutter.await_ }}self.client.reset(self.table_name(model), seed=False)

    {{ cookiecutter.def_ }} autoupdate(self, models: list[str] | None = None) -> None:
        """Tables are made on first use: nothing to do."""

    # -- helpers ------------------------------------------------------------------------------

    # the client calls every id "id"; a model may call its id something else ("code")

    def _equals(self, model: str, where: dict | None) -> dict[str, Any]:
        return self._row(model, _equalities(where))

    def _row(self, model: str, data: dict) -> dict:
        """Model data as the client's row."""
        id_name = self.id_name(model)
        if id_name == "id" or id_name not in data:
            return dict(data)
        return {("id" if key == id_name else key): value for key, value in data.items()}

    def _record(self, model: str, row: dict) -> dict:
        """A client's row as a record of the model."""
        id_name = self.id_name(model)
        if id_name != "id" and "id" in row:
            row = {**{k: v for k, v in row.items() if k != "id"}, id_name: row["id"]}
        return row

    def _model_of(self, table: str) -> str | None:
        return next((model for model in self.models if self.table_name(model) == table), None)


def _equalities(where: dict | None) -> dict[str, Any]:
    """``{"name": {"eq": "hello"}}`` as ``{"name": "hello"}``; None as no condition."""
    if where is None:
        return {}
    (path, condition), = where.items()
    return {path: condition["eq"]}
