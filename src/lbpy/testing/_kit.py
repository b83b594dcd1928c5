"""The kit's harness: an app holding the kit's models on the connector under test, and one
driver per way of reaching the connector (its own methods, or lbpy's model layer)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from .._app import Application
from .._app_files import AppConfig, AppFiles, DefinitionFile, ModelConfigEntry
from .._connectors._base import Connector
from .._datasource import DataSource
from .._errors import NotFoundError
from .._model._definition import ModelDefinition
from .._model._persisted import Model

MODES = ("connector", "model")

#: the models every check uses; names that are plain identifiers in every SQL dialect
KIT_MODELS: dict[str, dict[str, Any]] = {
    "KitItem": {
        "name": "KitItem",
        "base": "PersistedModel",
        "idInjection": True,
        "properties": {
            "name": {"type": "string"},
            "price": {"type": "number"},
            "quantity": {"type": "number"},
            "active": {"type": "boolean"},
            "created": {"type": "date"},
            "tags": {"type": ["string"]},
            "meta": {"type": "object"},
        },
    },
    "KitNote": {
        "name": "KitNote",
        "base": "PersistedModel",
        "idInjection": False,
        "properties": {
            "code": {"type": "string", "id": True},
            "title": {"type": "string"},
        },
    },
}


#: the models of the relation checks (loaded only for them): an owner with pets, each pet with
#: tags through a link model, as LoopBack model JSON with the keys left for lbpy to infer
RELATION_MODELS: dict[str, dict[str, Any]] = {
    "KitOwner": {
        "name": "KitOwner",
        "base": "PersistedModel",
        "properties": {"name": {"type": "string"}},
        "relations": {
            "pets": {"type": "hasMany", "model": "KitPet", "foreignKey": "ownerId"},
            "license": {"type": "hasOne", "model": "KitLicense", "foreignKey": "ownerId"},
            "favorites": {"type": "referencesMany", "model": "KitTag"},
        },
    },
    "KitPet": {
        "name": "KitPet",
        "base": "PersistedModel",
        "properties": {"name": {"type": "string"}, "age": {"type": "number"}},
        "relations": {
            "owner": {"type": "belongsTo", "model": "KitOwner", "foreignKey": "ownerId"},
            "tags": {"type": "hasMany", "model": "KitTag", "through": "KitPetTag"},
        },
    },
    "KitLicense": {
        "name": "KitLicense",
        "base": "PersistedModel",
        "properties": {"code": {"type": "string"}},
        "relations": {"owner": {"type": "belongsTo", "model": "KitOwner", "foreignKey": "ownerId"}},
    },
    "KitTag": {
        "name": "KitTag",
        "base": "PersistedModel",
        "properties": {"label": {"type": "string"}},
        "relations": {"pets": {"type": "hasMany", "model": "KitPet", "through": "KitPetTag"}},
    },
    "KitPetTag": {
        "name": "KitPetTag",
        "base": "PersistedModel",
        "properties": {},
        "relations": {
            "pet": {"type": "belongsTo", "model": "KitPet", "foreignKey": "petId"},
            "tag": {"type": "belongsTo", "model": "KitTag", "foreignKey": "tagId"},
        },
    },
}


def day(year: int, month: int, date: int) -> datetime:
    return datetime(year, month, date, tzinfo=timezone.utc)


#: the records most checks query; expected results are written out by hand in each check
ITEMS: list[dict[str, Any]] = [
    {
        "name": "apple",
        "price": 1.5,
        "quantity": 10,
        "active": True,
        "created": day(2024, 1, 1),
        "tags": ["fruit", "red"],
        "meta": {"color": "red", "size": 3},
    },
    {
        "name": "banana",
        "price": 0.25,
        "quantity": 0,
        "active": False,
        "created": day(2024, 2, 1),
        "tags": ["fruit", "yellow"],
        "meta": {"color": "yellow", "size": 2},
    },
    {
        "name": "cherry",
        "price": 3,
        "quantity": 100,
        "active": True,
        "created": day(2024, 3, 1),
        "tags": [],
        "meta": {"color": "red", "size": 1},
    },
    {
        "name": "date",
        "price": None,
        "quantity": 5,
        "active": None,
        "created": day(2024, 4, 1),
        "tags": None,
        "meta": None,
    },
    {"name": "elderberry", "quantity": 7, "created": day(2023, 12, 31)},
]


# -- comparing what came back with what was expected -------------------------------------------

_MISSING = object()


def same(actual: Any, expected: Any) -> bool:
    """Equal as lbpy sees values: booleans are not numbers, numbers compare by value
    (int, float, Decimal), dates as instants, missing and null alike inside records."""
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, (int, float, Decimal)) and isinstance(actual, (int, float, Decimal)):
        return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, datetime) and isinstance(actual, datetime):
        return _aware(actual) == _aware(expected)
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = set(expected) | set(actual)
        return all(same(actual.get(k), expected.get(k)) for k in keys)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    return type(actual) is type(expected) and actual == expected


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 400 else text[:397] + "..."


def expect(actual: Any, expected: Any, what: str) -> None:
    """Fail with what was expected and what came back."""
    __tracebackhide__ = True
    if not same(actual, expected):
        raise AssertionError(f"{what}: expected {show(expected)}, got {show(actual)}")


def expect_that(condition: bool, what: str, got: Any) -> None:
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(f"{what}; got {show(got)}")


_E = TypeVar("_E", bound=BaseException)


async def expect_raises(kinds: type[_E] | tuple[type[_E], ...], call: Awaitable[Any], what: str) -> _E:
    __tracebackhide__ = True
    try:
        result = await call
    except kinds as exc:
        return exc
    except Exception as exc:
        names = kinds.__name__ if isinstance(kinds, type) else " or ".join(k.__name__ for k in kinds)
        raise AssertionError(f"{what}: expected {names}, got {type(exc).__name__}: {exc}") from exc
    names = kinds.__name__ if isinstance(kinds, type) else " or ".join(k.__name__ for k in kinds)
    raise AssertionError(f"{what}: expected {names} to be raised, got the result {show(result)}")


# -- the harness ------------------------------------------------------------------------------


def build_app(
    settings: dict[str, Any], app_dir: Path | None = None, models: dict[str, dict[str, Any]] | None = None
) -> Application:
    """An lbpy Application holding the kit's models (or ``models``) on a datasource called ``kit``."""
    models = KIT_MODELS if models is None else models
    root = Path(app_dir) if app_dir is not None else Path(tempfile.gettempdir()) / "lbpy-kit-app"
    files = AppFiles(
        root=root,
        config=AppConfig(),
        datasources={"kit": {"name": "kit", **settings}},
        model_config={name: ModelConfigEntry(data_source="kit", public=True) for name in models},
        definitions={
            name: DefinitionFile(
                ModelDefinition.model_validate(definition), root / "common" / "models" / f"{name}.json"
            )
            for name, definition in models.items()
        },
        mixin_dirs=[],
        component_config={},
    )
    app = Application(files, debug=True)
    return app


@dataclass
class Kit:
    """What a check works with: the datasource under test and one way of calling it.

    In ``connector`` mode calls go to the connector's own methods (through lbpy's
    capability handling, so a connector that evaluates part of a filter gets the rest done as
    in an app); in ``model`` mode they go through lbpy's model layer, as a REST request does."""

    app: Application
    mode: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def datasource(self) -> DataSource:
        return self.app.datasources["kit"]

    @property
    def connector(self) -> Connector:
        return self.datasource.connector

    def model(self, name: str) -> type[Model]:
        return self.app.models[name]

    # -- reading --------------------------------------------------------------------------

    def _rows(self, model: str, rows: Any) -> list[dict[str, Any]]:
        if self.mode == "model":
            return [row.to_dict() for row in rows]
        expect_that(isinstance(rows, list), f"{model}: all() must return a list", rows)
        for row in rows:
            expect_that(isinstance(row, dict), f"{model}: all() must return dicts", row)
        return [self._loaded(model, dict(row)) for row in rows]

    def _loaded(self, model: str, row: dict[str, Any]) -> dict[str, Any]:
        # the values lbpy would hand on: dates as datetime, whatever the backend returned
        for name, coerce in self.model(model)._runtime.load_converters:
            if row.get(name) is not None:
                row[name] = coerce(row[name])
        return row

    async def find(self, model: str, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        Model = self.model(model)
        if self.mode == "model":
            return self._rows(model, await Model.find(filter, self.options))
        parsed = Model.parse_filter(filter)
        return self._rows(model, await self.datasource.all(model, parsed, self.options))

    async def names(self, filter: dict[str, Any] | None = None) -> list[Any]:
        """The names of the KitItem records ``filter`` finds, in the order they came."""
        return [row.get("name") for row in await self.find("KitItem", filter)]

    async def find_by_id(self, model: str, id: Any) -> dict[str, Any] | None:
        Model = self.model(model)
        if self.mode == "model":
            found = await Model.find_by_id(id, None, self.options)
            return found.to_dict() if found is not None else None
        rows = await self.find(model, {"where": {Model.spec.id_name: id}})
        return rows[0] if rows else None

    async def count(self, model: str, where: dict[str, Any] | None = None) -> int:
        Model = self.model(model)
        if self.mode == "model":
            result: int = await Model.count(where, self.options)
            return result
        result = await self.datasource.count(model, Model.parse_where(where), self.options)
        return result

    # -- writing --------------------------------------------------------------------------

    async def create(self, model: str, data: dict[str, Any]) -> Any:
        """Create a record; returns its id."""
        if self.mode == "model":
            return (await self.model(model).create(dict(data), self.options)).id
        return await self.datasource.call("create", model, dict(data), self.options)

    async def seed(self) -> dict[str, Any]:
        """Create ``ITEMS``; returns name -> id."""
        return {item["name"]: await self.create("KitItem", item) for item in ITEMS}

    async def update(self, model: str, where: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
        Model = self.model(model)
        if self.mode == "model":
            result: dict[str, Any] = await Model.update_all(where, dict(data), self.options)
            return result
        result = await self.datasource.update(model, Model.parse_where(where), dict(data), self.options)
        return result

    async def destroy_all(self, model: str, where: dict[str, Any] | None = None) -> dict[str, Any]:
        Model = self.model(model)
        if self.mode == "model":
            result: dict[str, Any] = await Model.destroy_all(where, self.options)
            return result
        result = await self.datasource.destroy_all(model, Model.parse_where(where), self.options)
        return result

    async def update_attributes(self, model: str, id: Any, data: dict[str, Any]) -> dict[str, Any]:
        Model = self.model(model)
        if self.mode == "model":
            # an instance that only knows its id, so that the connector decides what exists
            instance = Model({Model._id_name(): id})
            result: dict[str, Any] = (await instance.update_attributes(dict(data), self.options)).to_dict()
            return result
        return await self._record(model, "update_attributes", id, dict(data))

    async def replace_by_id(self, model: str, id: Any, data: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "model":
            result = (await self.model(model).replace_by_id(id, dict(data), self.options)).to_dict()
            return result
        return await self._record(model, "replace_by_id", id, dict(data))

    async def update_or_create(self, model: str, data: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "model":
            result: dict[str, Any] = (await self.model(model).upsert(dict(data), self.options)).to_dict()
            return result
        return await self._record(model, "update_or_create", dict(data))

    async def replace_or_create(self, model: str, data: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "model":
            result = (await self.model(model).replace_or_create(dict(data), self.options)).to_dict()
            return result
        return await self._record(model, "replace_or_create", dict(data))

    async def _record(self, model: str, method: str, *args: Any) -> dict[str, Any]:
        record = await self.datasource.call(method, model, *args, self.options)
        expect_that(isinstance(record, dict), f"{method}() must return the record as a dict", record)
        return self._loaded(model, dict(record))

    async def raw(self, method: str, *args: Any) -> Any:
        """Call a connector method as lbpy does, with nothing in between."""
        return await self.datasource.call(method, *args)


async def run_in_kit(
    settings: dict[str, Any],
    mode: str,
    check: Callable[[Kit], Awaitable[None]],
    app_dir: Path | None = None,
    *,
    relations: bool = False,
) -> None:
    """Boot the kit's app, empty the kit's tables, run ``check``, disconnect. ``relations``
    adds the models of the relation checks (``RELATION_MODELS``)."""
    __tracebackhide__ = True
    models = {**KIT_MODELS, **RELATION_MODELS} if relations else KIT_MODELS
    app = build_app(settings, app_dir, models)
    kit = Kit(app, mode)
    datasource = kit.datasource
    try:
        await datasource.connect()
        await datasource.automigrate(list(models))
        for name in models:
            # automigrate may be a no-op for a service that cannot drop tables: empty them
            await datasource.destroy_all(name, None)
        await check(kit)
    finally:
        await datasource.disconnect()


__all__ = [
    "ITEMS",
    "KIT_MODELS",
    "MODES",
    "RELATION_MODELS",
    "Kit",
    "NotFoundError",
    "build_app",
    "day",
    "expect",
    "expect_raises",
    "expect_that",
    "run_in_kit",
    "same",
]
