"""``include``: related records fetched level by level.

``include`` is resolved level by level (a REST caller must be allowed to read each included
model, see ``check_read``): for each relation, one query fetches the related records
of every parent row at once (``{key: {inq: [...]}}``); a through relation costs two (the links,
then the targets), embedded relations none. Paging in an include scope (``limit``, ``skip``)
applies per parent, in Python, so it never turns into a query per parent row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..._filter import (
    Filter,
    Include,
    apply_filter,
    conjunction,
    parse_filter,
    sort_records,
)
from ._relation import DEFAULT_INQ_LIMIT, Relation, check_access, model_specs, relation_of

if TYPE_CHECKING:
    from .._persisted import Model

log = logging.getLogger("lbpy")


# ---------------------------------------------------------------------------------------------
# Include


async def fetch_with_include(
    model: type[Model], flt: Filter, options: dict[str, Any], *fetch_args: Any
) -> list[dict[str, Any]]:
    """``model``'s records for ``flt`` with its includes: the keys the includes need are
    fetched even when ``fields`` leaves them out, and removed again afterwards. ``fetch_args``
    go on to ``model._fetch``."""
    fetch = replace(flt, include=())
    added: list[str] = []
    if flt.fields is not None:
        added = [key for key in owner_keys(model, flt.include) if key not in flt.fields]
        if added:
            fetch = replace(fetch, fields=flt.fields + tuple(added))
    rows = await model._fetch(fetch, options, *fetch_args)
    await include_related(model, rows, flt.include, options)
    if added:
        for row in rows:
            for key in added:
                row.pop(key, None)
    return rows


def owner_keys(model: type[Model], includes: Iterable[Include]) -> list[str]:
    """The properties of ``model`` that resolving ``includes`` reads."""
    keys: list[str] = []
    for inc in includes:
        relation = model._runtime.relations.get(inc.relation)
        if relation is None:
            continue
        keys.append(relation.key_from)
        if relation.type == "belongsTo" and relation.discriminator:
            keys.append(relation.discriminator)
    return list(dict.fromkeys(keys))


async def include_related(
    model: type[Model], rows: list[dict[str, Any]], includes: Iterable[Include], options: dict[str, Any]
) -> None:
    """Add the related records of each include to ``rows`` (dicts), under the relation's name."""
    if not rows:
        return
    for inc in includes:
        relation = relation_of(model, inc.relation)
        if relation.options.get("disableInclude"):
            continue
        if relation.target is not None and relation.kind not in _EMBEDDED:
            await check_read(relation.target, options)
        await _LOADERS[relation.kind](relation, rows, inc, options)


_EMBEDDED = frozenset({"embedsOne", "embedsMany"})


async def check_read(target: type[Model], options: dict[str, Any]) -> None:
    """A REST call's include reads the related model's records only where the caller may read
    them directly, as ``find`` on that model."""
    await check_access(target, "find", None, options)


def _merged(base: Filter | None, extra: Filter | None) -> Filter:
    """A relation's own scope with the include's scope over it (wheres both apply)."""
    if base is None:
        return extra or Filter()
    if extra is None:
        return base
    return Filter(
        where=conjunction(base.where, extra.where),
        fields=extra.fields if extra.fields is not None else base.fields,
        order=extra.order or base.order,
        limit=extra.limit if extra.limit is not None else base.limit,
        skip=extra.skip or base.skip,
        include=base.include + extra.include,
    )


def _scope_for(relation: Relation, target: type[Model], inc: Include) -> Filter:
    scope = inc.scope
    if scope is None and inc.raw_scope is not None:
        scope = parse_filter(
            target.spec, inc.raw_scope, model_specs(target), name=f"filter.include.{relation.name}", nested=True
        )
    return _merged(relation.scope(target), scope)


def _fields_with(fields: tuple[str, ...] | None, keys: Iterable[str]) -> tuple[str, ...] | None:
    """A scope's fields with the keys lbpy needs added (LoopBack returns those too)."""
    if fields is None:
        return None
    return fields + tuple(key for key in dict.fromkeys(keys) if key not in fields)


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _distinct(values: Iterable[Any]) -> list[Any]:
    seen: dict[Any, Any] = {}
    for value in values:
        if value is not None:
            seen.setdefault(_hashable(value), value)
    return list(seen.values())


def _positions(found: list[dict[str, Any]], key: str) -> dict[Any, tuple[int, dict[str, Any]]]:
    """Fetched records by key, with their place in the fetch (which carries the scope's order)."""
    positions: dict[Any, tuple[int, dict[str, Any]]] = {}
    for position, item in enumerate(found):
        positions.setdefault(_hashable(item.get(key)), (position, item))
    return positions


def _in_fetch_order(positions: dict[Any, tuple[int, dict[str, Any]]], keys: Iterable[Any]) -> list[dict[str, Any]]:
    hits = dict(positions[key] for key in map(_hashable, keys) if key in positions)
    return [hits[position] for position in sorted(hits)]


def _page(items: list[Any], skip: int, limit: int | None) -> list[Any]:
    if skip or limit is not None:
        return items[skip : None if limit is None else skip + limit]
    return items


async def fetch_rows(model: type[Model], flt: Filter, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Records through the model layer (access hooks, default scope, loaded hooks), no include."""
    flt = await model._apply_access(flt, options)
    return await model._fetch(replace(flt, include=()), options)


async def _fetch_keyed(
    model: type[Model], key: str, values: list[Any], flt: Filter, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """The records whose ``key`` is one of ``values``: one ``inq`` query (more only past the
    datasource's ``inqLimit``)."""
    if not values:
        return []
    datasource = model.datasource
    limit = DEFAULT_INQ_LIMIT
    if datasource is not None:
        try:
            limit = int(datasource.settings.get("inqLimit") or DEFAULT_INQ_LIMIT)
        except (TypeError, ValueError):
            limit = DEFAULT_INQ_LIMIT
    rows: list[dict[str, Any]] = []
    chunks = [values[i : i + limit] for i in range(0, len(values), max(limit, 1))]
    for chunk in chunks:
        where = conjunction({key: {"inq": chunk}}, flt.where)
        rows.extend(await fetch_rows(model, replace(flt, where=where, limit=None, skip=0), options))
    if len(chunks) > 1 and flt.order:
        sort_records(rows, flt.order)
    return rows


def _instances(model: type[Model], rows: list[dict[str, Any]]) -> list[Model]:
    return [model(row) for row in rows]


async def _nested(model: type[Model], rows: list[dict[str, Any]], scope: Filter, options: dict[str, Any]) -> None:
    if scope.include and rows:
        unique = list({id(row): row for row in rows}.values())
        await include_related(model, unique, scope.include, options)


async def _include_belongs_to(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    if relation.target is not None:
        groups = {relation.target.spec.name: (relation.target, rows)}
    else:
        groups = {}
        for row in rows:
            target = relation.target_for(row)
            if target is not None:
                groups.setdefault(target.spec.name, (target, []))[1].append(row)
    for target, members in groups.values():
        if relation.target is None:
            await check_read(target, options)
        scope = _scope_for(relation, target, inc)
        keys = _distinct(row.get(relation.key_from) for row in members)
        fields = _fields_with(scope.fields, [relation.key_to, *owner_keys(target, scope.include)])
        found = await _fetch_keyed(
            target, relation.key_to, keys, Filter(where=scope.where, fields=fields, order=scope.order), options
        )
        await _nested(target, found, scope, options)
        by_key: dict[Any, dict[str, Any]] = {}
        for item in found:
            by_key.setdefault(_hashable(item.get(relation.key_to)), item)
        for row in members:
            match = by_key.get(_hashable(row.get(relation.key_from)))
            if match is not None:
                row[relation.name] = target(match)


async def _include_has_many(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    target = relation.target
    assert target is not None  # resolved at boot for this kind of relation
    scope = _scope_for(relation, target, inc)
    keys = _distinct(row.get(relation.key_from) for row in rows)
    where = scope.where
    if relation.discriminator is not None:
        where = conjunction({relation.discriminator: {"eq": relation.owner.spec.name}}, where)
    fields = _fields_with(scope.fields, [relation.key_to, *owner_keys(target, scope.include)])
    found = await _fetch_keyed(
        target, relation.key_to, keys, Filter(where=where, fields=fields, order=scope.order), options
    )
    groups: dict[Any, list[dict[str, Any]]] = {}
    for item in found:
        groups.setdefault(_hashable(item.get(relation.key_to)), []).append(item)
    kept: dict[int, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        items = groups.get(_hashable(row.get(relation.key_from)), []) if row.get(relation.key_from) is not None else []
        kept[index] = _page(items, scope.skip, scope.limit if relation.type != "hasOne" else 1)
    await _nested(target, [item for items in kept.values() for item in items], scope, options)
    for index, row in enumerate(rows):
        items = kept[index]
        if relation.type == "hasOne":
            if items:
                row[relation.name] = target(items[0])
        else:
            row[relation.name] = _instances(target, items)


async def _include_through(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    target, through = relation.target, relation.through
    assert (
        target is not None and through is not None and relation.key_through is not None
    )  # resolved at boot for this kind of relation
    owner_keys_ = _distinct(row.get(relation.key_from) for row in rows)
    link_where = None
    if relation.discriminator is not None:
        link_where = {relation.discriminator: {"eq": relation.owner.spec.name}}
    links = await _fetch_keyed(through, relation.key_to, owner_keys_, Filter(where=link_where), options)
    linked: dict[Any, list[Any]] = {}
    for link in links:
        value = link.get(relation.key_through)
        if value is not None:
            linked.setdefault(_hashable(link.get(relation.key_to)), []).append(value)
    scope = _scope_for(relation, target, inc)
    target_id = target.spec.id_name or "id"
    fields = _fields_with(scope.fields, [target_id, *owner_keys(target, scope.include)])
    found = await _fetch_keyed(
        target,
        target_id,
        _distinct(v for values in linked.values() for v in values),
        Filter(where=scope.where, fields=fields, order=scope.order),
        options,
    )
    ordered = _positions(found, target_id)
    kept: dict[int, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        ids = linked.get(_hashable(row.get(relation.key_from)), ())
        kept[index] = _page(_in_fetch_order(ordered, ids), scope.skip, scope.limit)
    await _nested(target, [item for items in kept.values() for item in items], scope, options)
    for index, row in enumerate(rows):
        row[relation.name] = _instances(target, kept[index])


async def _include_references_many(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    target = relation.target
    assert target is not None  # resolved at boot for this kind of relation
    scope = _scope_for(relation, target, inc)
    target_id = relation.key_to
    ids = _distinct(v for row in rows for v in (row.get(relation.key_from) or ()))
    fields = _fields_with(scope.fields, [target_id, *owner_keys(target, scope.include)])
    found = await _fetch_keyed(
        target, target_id, ids, Filter(where=scope.where, fields=fields, order=scope.order), options
    )
    ordered = _positions(found, target_id)
    kept: dict[int, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        wanted = row.get(relation.key_from) or ()
        if scope.order:
            items = _in_fetch_order(ordered, wanted)
        else:  # the order of the owner's array
            items = [ordered[key][1] for key in dict.fromkeys(map(_hashable, wanted)) if key in ordered]
        kept[index] = _page(items, scope.skip, scope.limit)
    await _nested(target, [item for items in kept.values() for item in items], scope, options)
    for index, row in enumerate(rows):
        row[relation.name] = _instances(target, kept[index])


async def _include_embeds_one(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    target, property_name = relation.target, relation.property_name
    assert target is not None and property_name is not None  # resolved at boot for this kind of relation
    for row in rows:
        value = row.get(property_name)
        if isinstance(value, dict):
            row[relation.name] = target(dict(value))


async def _include_embeds_many(
    relation: Relation, rows: list[dict[str, Any]], inc: Include, options: dict[str, Any]
) -> None:
    target, property_name = relation.target, relation.property_name
    assert target is not None and property_name is not None  # resolved at boot for this kind of relation
    scope = _scope_for(relation, target, inc)
    for row in rows:
        items = [dict(item) for item in (row.get(property_name) or ()) if isinstance(item, dict)]
        row[relation.name] = _instances(target, apply_filter(items, replace(scope, include=())))


_LOADERS = {
    "belongsTo": _include_belongs_to,
    "hasMany": _include_has_many,
    "hasOne": _include_has_many,
    "through": _include_through,
    "hasAndBelongsToMany": _include_through,
    "referencesMany": _include_references_many,
    "embedsOne": _include_embeds_one,
    "embedsMany": _include_embeds_many,
}
