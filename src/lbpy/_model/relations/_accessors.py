"""Relation accessors: what LoopBack's ``customer.orders(...)`` was, for async Python.

``instance.related("orders")`` returns an accessor bound to the instance; every method is
``async`` and takes ``options`` last, like the model's own methods::

    customer = await Customer.find_by_id(1)
    orders = customer.related("orders")
    await orders.find({"where": {"total": {"gt": 10}}, "include": "items"})
    await orders.create({"total": 12})          # customerId is set from the customer
    await orders.count({"total": {"gt": 10}})
    await orders.find_by_id(3)                  # None unless order 3 is one of them
    await orders.update_by_id(3, {"total": 13})
    await orders.destroy_by_id(3)
    await orders.destroy_all()

    await order.related("customer").get()       # belongsTo: the customer, or None
    profile = customer.related("profile")       # hasOne and embedsOne
    await profile.get(); await profile.create({...}); await profile.update({...}); await profile.destroy()

    patients = physician.related("patients")    # through, hasAndBelongsToMany, referencesMany
    await patients.link(7, {"date": "2024-01-01"})   # the through record's own data
    await patients.exists(7); await patients.unlink(7)

Methods that address one related record by its id raise ``NotFoundError`` (404) when it is not
related to the owner, except ``find_by_id`` and ``get``, which return None.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..._errors import BadRequestError, ConflictError, NotFoundError, ValidationError
from ..._filter import Filter, ParsedWhere, apply_filter, compile_where, conjunction
from ._include import _distinct, _merged, fetch_rows
from ._relation import Relation, relation_of

if TYPE_CHECKING:
    from .._persisted import Model


def accessor(instance: Model, name: str) -> Related:
    relation = relation_of(type(instance), name)
    return _ACCESSORS[relation.kind](instance, relation)


def _options(options: dict[str, Any] | None) -> dict[str, Any]:
    return {} if options is None else options


def _body(data: Any, *, many: bool = False) -> Any:
    if data is None:
        return {}
    if isinstance(data, list) and many:
        if not all(isinstance(item, dict) for item in data):
            raise BadRequestError("Value is not an object.", code="INVALID_BODY")
        return data
    if hasattr(data, "to_dict") and not isinstance(data, dict):
        data = data.to_dict()
    if not isinstance(data, dict):
        raise BadRequestError("Value is not an object.", code="INVALID_BODY")
    return data


class Related:
    """The relation ``relation`` of one owner instance."""

    def __init__(self, owner: Model, relation: Relation) -> None:
        self.owner = owner
        self.relation = relation

    def __repr__(self) -> str:
        return f"<{self.relation.type} {type(self.owner).__name__}.{self.relation.name} of {self.owner.id!r}>"

    @property
    def target(self) -> type[Model]:
        # None only for a polymorphic belongsTo, whose accessor reads its target per record
        return self.relation.target  # type: ignore[return-value]

    @property
    def owner_key(self) -> Any:
        return self.owner.get(self.relation.key_from)

    def _parse(self, filter: Any) -> Filter:
        flt = filter if isinstance(filter, Filter) else self.target.parse_filter(filter)
        return _merged(self.relation.scope(self.target), flt)

    def _where(self, where: Any, *, for_write: bool = False, owned: dict[str, Any] | None = None) -> ParsedWhere:
        """The target's where for the owner's records: ``owned`` (by default the owner's
        condition), the relation's scope and the caller's ``where`` (checked for a write: see
        ``Model.parse_where``)."""
        given = self.target.parse_where(where, for_write=for_write)
        if owned is None:
            owned = self.relation.owner_where(self.owner_key)
        return ParsedWhere(conjunction(owned, self._parse(None).where, given))

    def _not_found(self, fk: Any) -> NotFoundError:
        return NotFoundError(f"No instance with id {fk} found for {self.target.spec.name}", code="MODEL_NOT_FOUND")

    def _check_keys(self, data: dict[str, Any]) -> None:
        """A record reached through the relation cannot be moved to another owner by an update."""
        relation = self.relation
        expected = relation.owner_values(self.owner_key)
        for key, value in expected.items():
            if key in data:
                prop = self.target.spec.properties.get(key)
                try:
                    given = prop.type.coerce(data[key]) if prop is not None else data[key]
                except ValueError:
                    given = data[key]
                if given != value:
                    raise BadRequestError(
                        f"Cannot override foreign key {key} from {value} to {data[key]}",
                        code="INVALID_FOREIGN_KEY",
                    )


# -- one related record -------------------------------------------------------------------------


class BelongsTo(Related):
    async def get(self, options: dict[str, Any] | None = None) -> Model | None:
        """The record the owner belongs to, or None (no foreign key, or a dangling one)."""
        relation = self.relation
        value = self.owner.get(relation.key_from)
        target = relation.target_for(self.owner.to_dict())
        if value is None or target is None:
            return None
        scope = relation.scope(target) or Filter()
        where = conjunction({relation.key_to: {"eq": value}}, scope.where)
        scope = replace(scope, where=where, limit=1, skip=0, order=None)
        found = await target.find(scope, _options(options))
        return found[0] if found else None


class HasOne(Related):
    async def get(self, options: dict[str, Any] | None = None) -> Model | None:
        flt = self._parse(None)
        flt = replace(flt, where=conjunction(self.relation.owner_where(self.owner_key), flt.where), limit=1)
        found = await self.target.find(flt, _options(options))
        return found[0] if found else None

    async def _require(self, options: dict[str, Any] | None) -> Model:
        found = await self.get(options)
        if found is None:
            raise NotFoundError(f'No "{self.target.spec.name}" instance(s) found', code="MODEL_NOT_FOUND")
        return found

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        options = _options(options)
        if await self.get(options) is not None:
            raise ConflictError(
                f"HasOne relation cannot create more than one instance of {self.target.spec.name}",
                code="HAS_ONE_EXISTS",
            )
        values = {**_body(data), **self.relation.owner_values(self.owner_key)}
        result: Model = await self.target.create(values, options)
        return result

    async def update(self, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        data = _body(data)
        found = await self._require(options)
        self._check_keys(data)
        return await found.update_attributes(data, _options(options))

    async def destroy(self, options: dict[str, Any] | None = None) -> None:
        found = await self._require(options)
        await found.destroy(_options(options))


class EmbedsOne(Related):
    async def get(self, options: dict[str, Any] | None = None) -> Model | None:
        value = self.owner.get(self.relation.property_name)
        return self.target(dict(value)) if isinstance(value, dict) else None

    async def _require(self, options: dict[str, Any] | None) -> Model:
        found = await self.get(options)
        if found is None:
            raise NotFoundError(f'No "{self.target.spec.name}" instance(s) found', code="MODEL_NOT_FOUND")
        return found

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        values = _embedded_values(self.target, _body(data), "create")
        await self.owner.update_attributes({self.relation.property_name: values}, _options(options))
        return self.target(dict(self.owner.get(self.relation.property_name) or values))

    async def update(self, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        current = self.owner.get(self.relation.property_name)
        values = _embedded_values(self.target, _body(data), "patch")
        merged = {**(current if isinstance(current, dict) else {}), **values}
        await self.owner.update_attributes({self.relation.property_name: merged}, _options(options))
        return self.target(dict(self.owner.get(self.relation.property_name) or merged))

    async def destroy(self, options: dict[str, Any] | None = None) -> None:
        await self.owner.update_attributes({self.relation.property_name: None}, _options(options))


def _embedded_values(target: type[Model], data: dict[str, Any], mode: str) -> dict[str, Any]:
    values, errors = target._prepare(data, mode)
    if errors:
        target._raise_invalid(errors, data)
    return values


# -- many related records -----------------------------------------------------------------------


class HasMany(Related):
    async def find(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        flt = self._parse(filter)
        flt = replace(flt, where=conjunction(self.relation.owner_where(self.owner_key), flt.where))
        return await self.target.find(flt, _options(options))

    async def count(self, where: Any = None, options: dict[str, Any] | None = None) -> int:
        return await self.target.count(self._where(where), _options(options))

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        """Create related records (a dict, or a list for a batch); the keys come from the owner."""
        data = _body(data, many=True)
        keys = self.relation.owner_values(self.owner_key)
        if isinstance(data, list):
            return await self.target.create([{**item, **keys} for item in data], _options(options))
        return await self.target.create({**data, **keys}, _options(options))

    async def find_by_id(self, fk: Any, options: dict[str, Any] | None = None) -> Model | None:
        try:
            return await self._require(fk, options)
        except NotFoundError:
            return None

    async def _require(self, fk: Any, options: dict[str, Any] | None) -> Model:
        try:
            id = self.target.coerce_id(fk)
        except NotFoundError:
            raise self._not_found(fk) from None
        where = conjunction(self.relation.owner_where(self.owner_key), {self.target._id_name(): {"eq": id}})
        scope = self._parse(None)
        found = await self.target.find(Filter(where=conjunction(where, scope.where), limit=1), _options(options))
        if not found:
            raise self._not_found(fk)
        return found[0]

    async def exists(self, fk: Any, options: dict[str, Any] | None = None) -> bool:
        return await self.find_by_id(fk, options) is not None

    async def update_by_id(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        data = _body(data)
        found = await self._require(fk, options)
        self._check_keys(data)
        return await found.update_attributes(data, _options(options))

    async def destroy_by_id(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        found = await self._require(fk, options)
        await found.destroy(_options(options))

    async def destroy_all(self, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the related records (``where`` narrows them); returns ``{"count": n}``."""
        return await self.target.destroy_all(self._where(where, for_write=True), _options(options))


class Through(HasMany):
    """hasMany through and hasAndBelongsToMany: the owner and each target are linked by a
    record of the through model; ``destroy_all`` and ``unlink`` remove links, not targets."""

    @property
    def through(self) -> type[Model]:
        # None only for relations without a through model, which this accessor does not serve
        return self.relation.through  # type: ignore[return-value]

    def _link_where(self, target_id: Any = None) -> dict[str, Any]:
        where = self.relation.owner_where(self.owner_key)
        if target_id is not None:
            where = conjunction(where, {self.relation.key_through: {"eq": target_id}})
        return where

    async def _linked_ids(self, options: dict[str, Any] | None) -> list[Any]:
        links = await fetch_rows(self.through, Filter(where=self._link_where()), _options(options))
        return _distinct(link.get(self.relation.key_through) for link in links)

    def _target_id(self) -> str:
        return self.target._id_name()

    async def find(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        flt = self._parse(filter)
        ids = await self._linked_ids(options)
        if not ids:
            return []
        flt = replace(flt, where=conjunction({self._target_id(): {"inq": ids}}, flt.where))
        return await self.target.find(flt, _options(options))

    async def count(self, where: Any = None, options: dict[str, Any] | None = None) -> int:
        ids = await self._linked_ids(options)
        if not ids:
            return 0
        return await self.target.count(self._where(where, owned={self._target_id(): {"inq": ids}}), _options(options))

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        """Create targets and link each to the owner."""
        options = _options(options)
        data = _body(data, many=True)
        created = await self.target.create(data, options)
        for target in created if isinstance(created, list) else [created]:
            await self.through.create(self._link_values(target.id), options)
        return created

    def _link_values(self, target_id: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**(data or {}), **self.relation.owner_values(self.owner_key), self.relation.key_through: target_id}

    async def _require(self, fk: Any, options: dict[str, Any] | None) -> Model:
        try:
            id = self.target.coerce_id(fk)
        except NotFoundError:
            id = None
        if id is None or not await self.through.count(self._link_where(id), _options(options)):
            raise NotFoundError(
                f"No relation found in {self.through.spec.name} for "
                f"({self.relation.owner.spec.name}.{self.owner_key},{self.target.spec.name}.{fk})",
                code="MODEL_NOT_FOUND",
            )
        scope = self._parse(None)
        where = conjunction({self._target_id(): {"eq": id}}, scope.where)
        found = await self.target.find(Filter(where=where, limit=1), _options(options))
        if not found:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        return found[0]

    async def update_by_id(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        data = _body(data)
        found = await self._require(fk, options)
        return await found.update_attributes(data, _options(options))

    async def destroy_by_id(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        """Delete the target and the owner's links to it."""
        options = _options(options)
        found = await self._require(fk, options)
        await found.destroy(options)
        await self.through.destroy_all(self._link_where(found.id), options)

    async def destroy_all(self, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Remove the owner's links (to the targets ``where`` matches); the targets stay, as in
        LoopBack."""
        options = _options(options)
        if where is None:
            return await self.through.destroy_all(self._link_where(), options)
        ids = await self._linked_ids(options)
        if not ids:
            return {"count": 0}
        id_name = self._target_id()
        matched = await self.target.find(
            Filter(where=self._where(where, for_write=True, owned={id_name: {"inq": ids}}), fields=(id_name,)),
            options,
        )
        if not matched:
            return {"count": 0}
        links = conjunction(self._link_where(), {self.relation.key_through: {"inq": [t.id for t in matched]}})
        return await self.through.destroy_all(ParsedWhere(links), options)

    async def link(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        """Link the target ``fk`` to the owner (``data`` fills the through record); returns the
        through record. Linking twice returns the existing link."""
        options = _options(options)
        target = await self.target.find_by_id(fk, None, options)
        if target is None:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        existing = await self.through.find(Filter(where=self._link_where(target.id), limit=1), options)
        if existing:
            return existing[0]
        result: Model = await self.through.create(self._link_values(target.id, _body(data)), options)
        return result

    async def unlink(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        try:
            id = self.target.coerce_id(fk)
        except NotFoundError:
            return
        await self.through.destroy_all(self._link_where(id), _options(options))

    async def exists(self, fk: Any, options: dict[str, Any] | None = None) -> bool:
        """Whether the target ``fk`` is linked to the owner."""
        try:
            id = self.target.coerce_id(fk)
        except NotFoundError:
            return False
        return await self.through.count(self._link_where(id), _options(options)) > 0


class ReferencesMany(HasMany):
    """The owner keeps the target ids in an array property (``tagIds``)."""

    def _ids(self) -> list[Any]:
        return list(self.owner.get(self.relation.key_from) or [])

    async def _save_ids(self, ids: list[Any], options: dict[str, Any] | None) -> None:
        await self.owner.update_attributes({self.relation.key_from: ids}, _options(options))

    async def find(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        flt = self._parse(filter)
        ids = self._ids()
        if not ids:
            return []
        key = self.relation.key_to
        found = await self.target.find(
            replace(flt, where=conjunction({key: {"inq": ids}}, flt.where)), _options(options)
        )
        if not flt.order:
            position = {value: index for index, value in enumerate(ids) if _hashable_key(value)}
            found.sort(key=lambda item: position.get(item.get(key), len(position)))
        return found

    async def count(self, where: Any = None, options: dict[str, Any] | None = None) -> int:
        ids = self._ids()
        if not ids:
            return 0
        return await self.target.count(
            self._where(where, owned={self.relation.key_to: {"inq": ids}}), _options(options)
        )

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        options = _options(options)
        created = await self.target.create(_body(data, many=True), options)
        items = created if isinstance(created, list) else [created]
        await self._save_ids(self._ids() + [item.get(self.relation.key_to) for item in items], options)
        return created

    def _coerce(self, fk: Any) -> Any:
        prop = self.target.spec.properties.get(self.relation.key_to)
        try:
            return prop.type.coerce_query(fk) if prop is not None else fk
        except ValueError:
            return None

    async def _require(self, fk: Any, options: dict[str, Any] | None) -> Model:
        id = self._coerce(fk)
        if id is None or id not in self._ids():
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        found = await self.target.find(Filter(where={self.relation.key_to: {"eq": id}}, limit=1), _options(options))
        if not found:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        return found[0]

    async def update_by_id(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        data = _body(data)
        found = await self._require(fk, options)
        return await found.update_attributes(data, _options(options))

    async def destroy_by_id(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        options = _options(options)
        found = await self._require(fk, options)
        await found.destroy(options)
        value = found.get(self.relation.key_to)
        await self._save_ids([v for v in self._ids() if v != value], options)

    async def destroy_all(self, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the referenced records and empty the owner's array."""
        options = _options(options)
        ids = self._ids()
        if not ids:
            return {"count": 0}
        condition = self._where(where, for_write=True, owned={self.relation.key_to: {"inq": ids}})
        doomed = await self.target.find(Filter(where=condition, fields=(self.relation.key_to,)), options)
        info = await self.target.destroy_all(condition, options)
        gone = {item.get(self.relation.key_to) for item in doomed}
        await self._save_ids([v for v in ids if v not in gone], options)
        return info

    async def link(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        """Add the target ``fk`` to the owner's array; returns the target."""
        options = _options(options)
        target = await self.target.find_by_id(fk, None, options)
        if target is None:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        value = target.get(self.relation.key_to)
        ids = self._ids()
        if value in ids:
            owner = self.relation.owner.spec.name
            raise ValidationError(
                owner,
                {self.relation.name: [("uniqueness", f"contains duplicate `{self.target.spec.name}` instance")]},
                values={},
            )
        await self._save_ids(ids + [value], options)
        return target

    async def unlink(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        id = self._coerce(fk)
        ids = self._ids()
        if id is not None and id in ids:
            await self._save_ids([v for v in ids if v != id], options)

    async def exists(self, fk: Any, options: dict[str, Any] | None = None) -> bool:
        id = self._coerce(fk)
        return id is not None and id in self._ids()


def _hashable_key(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class EmbedsMany(HasMany):
    """The related records are stored in the owner, in an array property (``emailAddresses``)."""

    def _items(self) -> list[dict[str, Any]]:
        return [dict(item) for item in (self.owner.get(self.relation.property_name) or ()) if isinstance(item, dict)]

    async def _save(self, items: list[dict[str, Any]], options: dict[str, Any] | None) -> None:
        await self.owner.update_attributes({self.relation.property_name: items}, _options(options))

    def _id_name(self) -> str:
        return self.target.spec.id_name or "id"

    def _index(self, items: list[dict[str, Any]], fk: Any) -> int | None:
        id_name = self._id_name()
        wanted = str(fk)
        for index, item in enumerate(items):
            if item.get(id_name) is not None and str(item.get(id_name)) == wanted:
                return index
        return None

    async def find(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        flt = self._parse(filter)
        return [self.target(item) for item in apply_filter(self._items(), replace(flt, include=()))]

    async def count(self, where: Any = None, options: dict[str, Any] | None = None) -> int:
        parsed = self.target.parse_where(where)
        scope = self.relation.scope(self.target)
        test = compile_where(conjunction(parsed, scope.where if scope else None))
        return sum(1 for item in self._items() if test(item))

    def _new_id(self, items: list[dict[str, Any]]) -> Any:
        prop = self.target.spec.properties.get(self._id_name())
        if prop is not None and prop.type.name == "number":
            numbers = [item.get(self._id_name()) for item in items]
            return max([n for n in numbers if isinstance(n, (int, float))] or [0]) + 1
        return secrets.token_hex(12)

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        data = _body(data, many=True)
        batch = data if isinstance(data, list) else [data]
        items = self._items()
        id_name = self._id_name()
        added = []
        for raw in batch:
            values = _embedded_values(self.target, raw, "create")
            if values.get(id_name) is None:
                values[id_name] = self._new_id(items)
            elif self._index(items, values[id_name]) is not None:
                raise ValidationError(
                    self.relation.owner.spec.name,
                    {self.relation.property_name: [("uniqueness", f"contains duplicate `{id_name}`")]},
                    values={self.relation.property_name: items},
                )
            items.append(values)
            added.append(values)
        await self._save(items, options)
        created = [self.target(dict(item)) for item in added]
        return created if isinstance(data, list) else created[0]

    async def _require(self, fk: Any, options: dict[str, Any] | None) -> Model:
        items = self._items()
        index = self._index(items, fk)
        if index is None:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        return self.target(items[index])

    async def update_by_id(self, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
        data = _body(data)
        items = self._items()
        index = self._index(items, fk)
        if index is None:
            raise NotFoundError(f'Unknown "{self.target.spec.name}" id "{fk}".', code="MODEL_NOT_FOUND")
        values = _embedded_values(self.target, data, "patch")
        values.pop(self._id_name(), None)
        items[index] = {**items[index], **values}
        await self._save(items, options)
        return self.target(dict(items[index]))

    async def destroy_by_id(self, fk: Any, options: dict[str, Any] | None = None) -> None:
        """Remove the item ``fk``; nothing happens when there is none (as in LoopBack)."""
        items = self._items()
        index = self._index(items, fk)
        if index is not None:
            del items[index]
            await self._save(items, options)

    async def destroy_all(self, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        items = self._items()
        test = compile_where(self.target.parse_where(where, for_write=True))
        kept = [item for item in items if not test(item)]
        if len(kept) != len(items):
            await self._save(kept, options)
        return {"count": len(items) - len(kept)}


_ACCESSORS: dict[str, type[Related]] = {
    "belongsTo": BelongsTo,
    "hasOne": HasOne,
    "embedsOne": EmbedsOne,
    "hasMany": HasMany,
    "through": Through,
    "referencesMany": ReferencesMany,
    "embedsMany": EmbedsMany,
}
