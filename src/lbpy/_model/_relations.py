"""Relations: LoopBack's relation types, resolved once at boot, and ``include``.

A model JSON declares relations as LoopBack 3 does::

    "relations": {
      "orders":   {"type": "hasMany", "model": "Order"},
      "customer": {"type": "belongsTo", "model": "Customer"},
      "patients": {"type": "hasMany", "model": "Patient", "through": "Appointment"},
      "parts":    {"type": "hasAndBelongsToMany", "model": "Part"},
      "tags":     {"type": "referencesMany", "model": "Tag"},
      "address":  {"type": "embedsOne", "model": "Address"},
      "emails":   {"type": "embedsMany", "model": "EmailAddress"},
      "imageable": {"type": "belongsTo", "polymorphic": true}
    }

``setup_relations`` resolves every declaration into a ``Relation`` with the keys LoopBack infers
(belongsTo ``customer`` -> ``customerId`` on the owner; hasMany on ``Customer`` -> ``customerId``
on the target; the id otherwise), declares the foreign keys, embedded properties and
discriminators the models do not declare themselves, and creates the implicit through model of a
hasAndBelongsToMany relation (``<Owner><Target>``, on the owner's datasource), as LoopBack did.

``include`` is resolved level by level: for each relation, one query fetches the related records
of every parent row at once (``{key: {inq: [...]}}``); a through relation costs two (the links,
then the targets), embedded relations none. Paging in an include scope (``limit``, ``skip``)
applies per parent, in Python, so it never turns into a query per parent row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable

from .._errors import BadRequestError, BootError
from .._filter import Filter, Include, apply_filter, conjunction, parse_filter, sort_records
from ._definition import MISSING, ModelSpec, PropertySpec, RelationSpec, injected_id, pluralize
from ._types import AnyType, ArrayType, ModelType, StringType, Type

if TYPE_CHECKING:
    from .._app import Application
    from ._persisted import Model

log = logging.getLogger("lbpy")

#: relations whose routes and include give a list
MANY = frozenset({"hasMany", "hasAndBelongsToMany", "referencesMany", "embedsMany"})

#: how many keys one ``inq`` query carries at most; a datasource's ``inqLimit`` setting overrides it
DEFAULT_INQ_LIMIT = 10_000


# ---------------------------------------------------------------------------------------------
# LoopBack's names


def camelize(text: str) -> str:
    """``Physician_id`` -> ``physicianId``, ``EmailAddresses`` -> ``emailAddresses``."""
    parts = [part for part in text.split("_") if part]
    if not parts:
        return text
    head = parts[0][:1].lower() + parts[0][1:]
    return head + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def singularize(name: str) -> str:
    lower = name.lower()
    if lower.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if lower.endswith(("sses", "xes", "zes", "ches", "shes")):
        return name[:-2]
    if lower.endswith("s") and not lower.endswith("ss"):
        return name[:-1]
    return name


# ---------------------------------------------------------------------------------------------
# A resolved relation


@dataclass(eq=False)
class Relation:
    """One relation of a model, with its keys resolved.

    ``key_from`` is on the owner, ``key_to`` on the target (or on the through model):

    * belongsTo: owner.key_from (``customerId``) = target.key_to (its id)
    * hasMany, hasOne: owner.key_from (its id) = target.key_to (``customerId``)
    * through (hasMany through, hasAndBelongsToMany): owner.key_from = through.key_to, and
      through.key_through = target id
    * referencesMany: owner.key_from is an array of target ids (``tagIds``)
    * embedsOne, embedsMany: the related data is stored in the owner property ``property_name``

    ``discriminator`` makes a relation polymorphic: for belongsTo it is the owner property that
    names the target model; for the others, the target (or through) property that holds the
    owner's model name.
    """

    name: str
    type: str
    owner: type["Model"]
    target: type["Model"] | None
    key_from: str
    key_to: str
    spec: RelationSpec
    through: type["Model"] | None = None
    key_through: str | None = None
    discriminator: str | None = None
    property_name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _scopes: dict[str, Filter] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        """What the relation does: belongsTo, hasOne, hasMany, through, referencesMany,
        embedsOne or embedsMany."""
        if self.through is not None:
            return "through"
        return self.type

    @property
    def polymorphic(self) -> bool:
        return self.discriminator is not None

    @property
    def http_path(self) -> str:
        http = self.options.get("http") if isinstance(self.options, dict) else None
        path = http.get("path") if isinstance(http, dict) else None
        return str(path).strip("/") if path else self.name

    def target_for(self, record: dict) -> type["Model"] | None:
        """The target model of a record (for a polymorphic belongsTo, the one it names)."""
        if self.target is not None:
            return self.target
        name = record.get(self.discriminator) if self.discriminator else None
        return find_model(self.owner.app, name) if isinstance(name, str) else None

    def scope(self, target: type["Model"]) -> Filter | None:
        """The relation's own ``scope`` from the model JSON, parsed for ``target``."""
        raw = self.spec.scope
        if not raw:
            return None
        parsed = self._scopes.get(target.spec.name)
        if parsed is None:
            parsed = parse_filter(target.spec, raw, _specs(target), name=f"relation {self.name} scope",
                                  nested=True)
            self._scopes[target.spec.name] = parsed
        return parsed

    def owner_where(self, owner_key: Any) -> dict:
        """Where on the target (or the through model) for the records an owner key relates to
        (none for an owner without a key: a record not saved yet has no related records)."""
        if owner_key is None:
            return {self.key_to: {"inq": []}}
        where = {self.key_to: {"eq": owner_key}}
        if self.discriminator is not None and self.type != "belongsTo":
            where = {"and": [where, {self.discriminator: {"eq": self.owner.spec.name}}]}
        return where

    def owner_values(self, owner_key: Any) -> dict:
        """What a record created through the relation gets from its owner."""
        if owner_key is None:
            raise BadRequestError(
                f"the {self.owner.spec.name} has no {self.key_from}: save it before adding {self.name}",
                code="NO_OWNER_KEY",
            )
        values = {self.key_to: owner_key}
        if self.discriminator is not None and self.type != "belongsTo":
            values[self.discriminator] = self.owner.spec.name
        return values


def relation_of(model: type["Model"], name: str) -> Relation:
    relation = model._relations.get(name)
    if relation is None:
        known = ", ".join(model._relations) or "none"
        raise BadRequestError(
            f'{model.spec.name} has no relation "{name}" (relations: {known})', code="INVALID_RELATION"
        )
    return relation


def find_model(app: "Application | None", name: str | None) -> type["Model"] | None:
    """A model by name, then by name in any case, as LoopBack looked models up."""
    if app is None or not name:
        return None
    found = app.models.get(name)
    if found is not None:
        return found
    lower = name.lower()
    return next((model for key, model in app.models.items() if key.lower() == lower), None)


def _specs(model: type["Model"]) -> dict[str, ModelSpec] | None:
    return model.app.model_specs if model.app is not None else None


# ---------------------------------------------------------------------------------------------
# Boot: resolve every declaration, declare what LoopBack declared


def setup_relations(app: "Application") -> None:
    """Resolve the relations of every model of ``app`` (call once, after the models are built)."""
    pending = list(app.models.values())
    done: set[str] = set()
    while pending:
        model = pending.pop(0)
        if model.spec.name in done:
            continue
        done.add(model.spec.name)
        before = set(app.models)
        model._relations = {}
        for name, spec in list(model.spec.relations.items()):
            relation = _resolve(app, model, spec)
            if relation is None:
                del model.spec.relations[name]
                continue
            model._relations[name] = relation
        # an implicit through model made just now has relations of its own
        pending.extend(app.models[name] for name in app.models if name not in before)


def _resolve(app: "Application", owner: type["Model"], spec: RelationSpec) -> Relation | None:
    where = f"{owner.spec.source}: relation \"{spec.name}\""
    options = spec.options if isinstance(spec.options, dict) else {}
    if spec.type == "belongsTo" and spec.polymorphic:
        selector, foreign_key, discriminator = _polymorphic(spec.polymorphic, spec.name)
        id_type = spec.polymorphic.get("idType") if isinstance(spec.polymorphic, dict) else None
        key_type = _named_type(id_type) if id_type else _key_type(owner, owner.spec.id_name)
        _declare(owner, foreign_key, key_type)
        _declare(owner, discriminator, StringType())
        key_to = spec.primary_key or spec.settings.get("idName") or "id"
        return Relation(spec.name, spec.type, owner, None, foreign_key, key_to, spec,
                        discriminator=discriminator, options=options)
    target = _target(app, owner, spec)
    if target is None:
        log.warning("%s: model \"%s\" is not defined; the relation is left out", where,
                    spec.model or spec.name)
        return None
    spec.model = target.spec.name
    owner_id = owner.spec.id_name or "id"
    target_id = target.spec.id_name or "id"
    kind = spec.type
    if kind == "belongsTo":
        key_to = spec.primary_key or target_id
        key_from = spec.foreign_key or spec.name + "Id"
        _declare(owner, key_from, _key_type(target, key_to))
        return Relation(spec.name, kind, owner, target, key_from, key_to, spec, options=options)
    if kind in ("hasMany", "hasOne") and not spec.through:
        key_from = spec.primary_key or owner_id
        key_to = spec.foreign_key or camelize(owner.spec.name + "_id")
        discriminator = None
        if spec.polymorphic:
            _, key_to, discriminator = _polymorphic(spec.polymorphic, spec.name)
        _declare(target, key_to, _key_type(owner, key_from))
        if discriminator is not None:
            _declare(target, discriminator, StringType())
        return Relation(spec.name, kind, owner, target, key_from, key_to, spec,
                        discriminator=discriminator, options=options)
    if kind in ("hasMany", "hasAndBelongsToMany"):
        return _resolve_through(app, owner, target, spec, options, where)
    if kind == "referencesMany":
        key_from = spec.foreign_key or camelize(target.spec.name + "_ids")
        _declare(owner, key_from, ArrayType(_key_type(target, target_id)), default=[])
        return Relation(spec.name, kind, owner, target, key_from, target_id, spec, options=options)
    if kind in ("embedsOne", "embedsMany"):
        base = target.spec.name if kind == "embedsOne" else target.spec.plural
        prop = spec.property or camelize(base)
        if prop == spec.name:
            prop = "_" + prop  # the property cannot share the relation's name
        item = ModelType(target.spec.name)
        if kind == "embedsOne":
            default = spec.settings.get("default")
            if default is True:
                default = {}
            _declare(owner, prop, item, default=default if isinstance(default, dict) else MISSING)
        else:
            omit = bool(options.get("omitDefaultEmbeddedItem"))
            _declare(owner, prop, ArrayType(item), default=MISSING if omit else [])
            if not target.spec.id_names:
                # items are addressed by id (/Customers/1/emails/{fk}); LoopBack's transient
                # datasource gave embedded models one
                target.spec.properties["id"] = PropertySpec("id", StringType(), id=1, generated=True)
                target.spec.id_names = ["id"]
        return Relation(spec.name, kind, owner, target, prop, target.spec.id_name or "id", spec,
                        property_name=prop, options=options)
    raise BootError(f"{where}: unknown relation type {kind}")  # pydantic checked it first


def _resolve_through(app: "Application", owner: type["Model"], target: type["Model"],
                     spec: RelationSpec, options: dict, where: str) -> Relation:
    if spec.through:
        through = find_model(app, spec.through)
        if through is None:
            raise BootError(f'{where}: the through model "{spec.through}" is not defined')
    elif spec.type == "hasAndBelongsToMany":
        through = _implicit_through(app, owner, target)
    else:  # pragma: no cover - hasMany without through is resolved above
        raise AssertionError
    key_from = spec.primary_key or owner.spec.id_name or "id"
    target_id = target.spec.id_name or "id"
    discriminator = None
    if spec.polymorphic:
        _, key_to, discriminator = _polymorphic(spec.polymorphic, spec.name)
        key_through = spec.key_through or _belongs_to_key(through, target) \
            or camelize(target.spec.name + "_id")
    elif owner is target:
        # a model related to itself (followers): the foreignKey names the owner's side
        candidates = _belongs_to_keys(through, owner)
        key_to = spec.foreign_key or (candidates[0] if candidates else camelize(owner.spec.name + "_id"))
        others = [key for key in candidates if key != key_to]
        key_through = spec.key_through or (others[0] if others else camelize(target.spec.name + "_id"))
    else:
        key_to = spec.foreign_key or _belongs_to_key(through, owner) or camelize(owner.spec.name + "_id")
        key_through = spec.key_through or _belongs_to_key(through, target) \
            or camelize(target.spec.name + "_id")
    _declare(through, key_to, _key_type(owner, key_from))
    if discriminator is not None:
        _declare(through, discriminator, StringType())
    _declare(through, key_through, _key_type(target, target_id))
    return Relation(spec.name, spec.type, owner, target, key_from, key_to, spec, through=through,
                    key_through=key_through, discriminator=discriminator, options=options)


def _belongs_to_keys(through: type["Model"], model: type["Model"]) -> list[str]:
    """The foreign keys of the through model's belongsTo relations to ``model``."""
    keys = []
    for name, rel in through.spec.relations.items():
        if rel.type != "belongsTo" or rel.polymorphic:
            continue
        if (rel.model or name).lower() == model.spec.name.lower():
            keys.append(rel.foreign_key or name + "Id")
    return keys


def _belongs_to_key(through: type["Model"], model: type["Model"]) -> str | None:
    keys = _belongs_to_keys(through, model)
    return keys[0] if keys else None


def _implicit_through(app: "Application", owner: type["Model"], target: type["Model"]) -> type["Model"]:
    """hasAndBelongsToMany's link model: ``<Owner><Target>`` (or ``<Target><Owner>`` when the
    app defines that one), on the owner's datasource, with a belongsTo to each side."""
    from ._persisted import Model

    for name in (owner.spec.name + target.spec.name, target.spec.name + owner.spec.name):
        found = find_model(app, name)
        if found is not None:
            return found
    name = owner.spec.name + target.spec.name
    datasource = owner.datasource
    id_type = datasource.connector.default_id_type if datasource is not None else "number"
    owner_side, target_side = camelize(owner.spec.name), camelize(target.spec.name)
    relations = {
        owner_side: RelationSpec(owner_side, "belongsTo", owner.spec.name),
        target_side: RelationSpec(target_side, "belongsTo", target.spec.name),
    }
    spec = ModelSpec(
        name=name, base="PersistedModel", plural=pluralize(name),
        properties={"id": injected_id(id_type)}, id_names=["id"], strict=False, force_id=True,
        hidden=frozenset(), protected=frozenset(), relations=relations, persisted=True,
        settings={"name": name, "base": "PersistedModel"},
        source=f"{owner.spec.source} (the through model of a hasAndBelongsToMany relation)",
    )
    model = type(name, (Model,), {"__slots__": (), "spec": spec, "datasource": datasource,
                                   "app": app, "__module__": "lbpy.models"})
    model._load_converters = []
    app.models[name] = model
    app.model_specs[name] = spec
    if datasource is not None:
        datasource.attach(model)
    return model


def _target(app: "Application", owner: type["Model"], spec: RelationSpec) -> type["Model"] | None:
    if spec.model:
        return find_model(app, spec.model)
    name = spec.name
    if spec.type in MANY:
        name = singularize(name)
    return find_model(app, name)


def _polymorphic(value: Any, relation_name: str) -> tuple[str, str, str]:
    """LoopBack's ``polymorphic``: true (belongsTo: the relation's name), the name of the
    belongsTo on the other side, or ``{"as"|"selector", "foreignKey", "discriminator"}``."""
    selector = relation_name
    foreign_key = discriminator = None
    if isinstance(value, str):
        selector = value
    elif isinstance(value, dict):
        selector = value.get("selector") or value.get("as") or relation_name
        foreign_key = value.get("foreignKey")
        discriminator = value.get("discriminator")
    return (selector, foreign_key or camelize(selector + "_id"),
            discriminator or camelize(selector + "_type"))


def _key_type(model: type["Model"], name: str | None) -> Type:
    prop = model.spec.properties.get(name) if name else None
    return prop.type if prop is not None else AnyType()


def _named_type(name: str) -> Type:
    from ._types import resolve_type

    try:
        return resolve_type(name, set())
    except ValueError:
        return AnyType()


def _declare(model: type["Model"], name: str, kind: Type, default: Any = MISSING) -> None:
    """Add a property LoopBack adds (a foreign key, a discriminator, an embedded property)
    unless the model declares it, so it is coerced, validated, documented and migrated."""
    properties = model.spec.properties
    if name in properties:
        return
    properties[name] = PropertySpec(name=name, type=kind, default=default,
                                    settings={"index": True} if default is MISSING else {})


# ---------------------------------------------------------------------------------------------
# Include


async def fetch_with_include(model: type["Model"], flt: Filter, options: dict, *fetch_args: Any) -> list[dict]:
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


def owner_keys(model: type["Model"], includes: Iterable[Include]) -> list[str]:
    """The properties of ``model`` that resolving ``includes`` reads."""
    keys: list[str] = []
    for inc in includes:
        relation = model._relations.get(inc.relation)
        if relation is None:
            continue
        keys.append(relation.key_from)
        if relation.type == "belongsTo" and relation.discriminator:
            keys.append(relation.discriminator)
    return list(dict.fromkeys(keys))


async def include_related(model: type["Model"], rows: list[dict], includes: Iterable[Include],
                          options: dict) -> None:
    """Add the related records of each include to ``rows`` (dicts), under the relation's name."""
    if not rows:
        return
    for inc in includes:
        relation = relation_of(model, inc.relation)
        if relation.options.get("disableInclude"):
            continue
        await _LOADERS[relation.kind](relation, rows, inc, options)


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


def _scope_for(relation: Relation, target: type["Model"], inc: Include) -> Filter:
    scope = inc.scope
    if scope is None and inc.raw_scope is not None:
        scope = parse_filter(target.spec, inc.raw_scope, _specs(target),
                             name=f"filter.include.{relation.name}", nested=True)
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


def _positions(found: list[dict], key: str) -> dict[Any, tuple[int, dict]]:
    """Fetched records by key, with their place in the fetch (which carries the scope's order)."""
    positions: dict[Any, tuple[int, dict]] = {}
    for position, item in enumerate(found):
        positions.setdefault(_hashable(item.get(key)), (position, item))
    return positions


def _in_fetch_order(positions: dict[Any, tuple[int, dict]], keys: Iterable[Any]) -> list[dict]:
    hits = dict(positions[key] for key in map(_hashable, keys) if key in positions)
    return [hits[position] for position in sorted(hits)]


def _page(items: list, skip: int, limit: int | None) -> list:
    if skip or limit is not None:
        return items[skip: None if limit is None else skip + limit]
    return items


async def fetch_rows(model: type["Model"], flt: Filter, options: dict) -> list[dict]:
    """Records through the model layer (access hooks, default scope, loaded hooks), no include."""
    flt = await model._apply_access(flt, options)
    return await model._fetch(replace(flt, include=()), options)


async def _fetch_keyed(model: type["Model"], key: str, values: list[Any], flt: Filter,
                       options: dict) -> list[dict]:
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
    rows: list[dict] = []
    chunks = [values[i:i + limit] for i in range(0, len(values), max(limit, 1))]
    for chunk in chunks:
        where = conjunction({key: {"inq": chunk}}, flt.where)
        rows.extend(await fetch_rows(model, replace(flt, where=where, limit=None, skip=0), options))
    if len(chunks) > 1 and flt.order:
        sort_records(rows, flt.order)
    return rows


def _instances(model: type["Model"], rows: list[dict]) -> list["Model"]:
    return [model(row) for row in rows]


async def _nested(model: type["Model"], rows: list[dict], scope: Filter, options: dict) -> None:
    if scope.include and rows:
        unique = list({id(row): row for row in rows}.values())
        await include_related(model, unique, scope.include, options)


async def _include_belongs_to(relation: Relation, rows: list[dict], inc: Include, options: dict) -> None:
    if relation.target is not None:
        groups = {relation.target.spec.name: (relation.target, rows)}
    else:
        groups = {}
        for row in rows:
            target = relation.target_for(row)
            if target is not None:
                groups.setdefault(target.spec.name, (target, []))[1].append(row)
    for target, members in groups.values():
        scope = _scope_for(relation, target, inc)
        keys = _distinct(row.get(relation.key_from) for row in members)
        fields = _fields_with(scope.fields, [relation.key_to, *owner_keys(target, scope.include)])
        found = await _fetch_keyed(target, relation.key_to, keys,
                                   Filter(where=scope.where, fields=fields, order=scope.order), options)
        await _nested(target, found, scope, options)
        by_key = {}
        for item in found:
            by_key.setdefault(_hashable(item.get(relation.key_to)), item)
        for row in members:
            item = by_key.get(_hashable(row.get(relation.key_from)))
            if item is not None:
                row[relation.name] = target(item)


async def _include_has_many(relation: Relation, rows: list[dict], inc: Include, options: dict) -> None:
    target = relation.target
    scope = _scope_for(relation, target, inc)
    keys = _distinct(row.get(relation.key_from) for row in rows)
    where = scope.where
    if relation.discriminator is not None:
        where = conjunction({relation.discriminator: {"eq": relation.owner.spec.name}}, where)
    fields = _fields_with(scope.fields, [relation.key_to, *owner_keys(target, scope.include)])
    found = await _fetch_keyed(target, relation.key_to, keys,
                               Filter(where=where, fields=fields, order=scope.order), options)
    groups: dict[Any, list[dict]] = {}
    for item in found:
        groups.setdefault(_hashable(item.get(relation.key_to)), []).append(item)
    kept: dict[int, list[dict]] = {}
    for index, row in enumerate(rows):
        items = groups.get(_hashable(row.get(relation.key_from)), []) if row.get(relation.key_from) \
            is not None else []
        kept[index] = _page(items, scope.skip, scope.limit if relation.type != "hasOne" else 1)
    await _nested(target, [item for items in kept.values() for item in items], scope, options)
    for index, row in enumerate(rows):
        items = kept[index]
        if relation.type == "hasOne":
            if items:
                row[relation.name] = target(items[0])
        else:
            row[relation.name] = _instances(target, items)


async def _include_through(relation: Relation, rows: list[dict], inc: Include, options: dict) -> None:
    target, through = relation.target, relation.through
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
    found = await _fetch_keyed(target, target_id, _distinct(v for values in linked.values() for v in values),
                               Filter(where=scope.where, fields=fields, order=scope.order), options)
    ordered = _positions(found, target_id)
    kept: dict[int, list[dict]] = {}
    for index, row in enumerate(rows):
        ids = linked.get(_hashable(row.get(relation.key_from)), ())
        kept[index] = _page(_in_fetch_order(ordered, ids), scope.skip, scope.limit)
    await _nested(target, [item for items in kept.values() for item in items], scope, options)
    for index, row in enumerate(rows):
        row[relation.name] = _instances(target, kept[index])


async def _include_references_many(relation: Relation, rows: list[dict], inc: Include,
                                   options: dict) -> None:
    target = relation.target
    scope = _scope_for(relation, target, inc)
    target_id = relation.key_to
    ids = _distinct(v for row in rows for v in (row.get(relation.key_from) or ()))
    fields = _fields_with(scope.fields, [target_id, *owner_keys(target, scope.include)])
    found = await _fetch_keyed(target, target_id, ids,
                               Filter(where=scope.where, fields=fields, order=scope.order), options)
    ordered = _positions(found, target_id)
    kept: dict[int, list[dict]] = {}
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


async def _include_embeds_one(relation: Relation, rows: list[dict], inc: Include, options: dict) -> None:
    for row in rows:
        value = row.get(relation.property_name)
        if isinstance(value, dict):
            row[relation.name] = relation.target(dict(value))


async def _include_embeds_many(relation: Relation, rows: list[dict], inc: Include, options: dict) -> None:
    target = relation.target
    scope = _scope_for(relation, target, inc)
    for row in rows:
        items = [dict(item) for item in (row.get(relation.property_name) or ()) if isinstance(item, dict)]
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
