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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..._errors import BootError
from .._definition import (
    MISSING,
    ModelSpec,
    PropertySpec,
    RelationSpec,
    injected_id,
    pluralize,
)
from .._types import AnyType, ArrayType, ModelType, StringType, Type, resolve_type
from ._relation import MANY, Relation, camelize, singularize

if TYPE_CHECKING:
    from .._persisted import Model
    from .._registry import ModelRegistry

log = logging.getLogger("lbpy")


# ---------------------------------------------------------------------------------------------
# Boot: resolve every declaration, declare what LoopBack declared


#: how the builder makes a model class from a definition, on a datasource, in the registry
DefineModel = Callable[[ModelSpec, Any], "type[Model]"]


def setup_relations(registry: ModelRegistry, define_model: DefineModel) -> None:
    """Resolve the relations of every model in ``registry`` (call once, after the models are
    built); ``define_model`` makes the implicit through models of hasAndBelongsToMany."""
    pending = list(registry.values())
    done: set[str] = set()
    while pending:
        model = pending.pop(0)
        if model.spec.name in done:
            continue
        done.add(model.spec.name)
        before = set(registry)
        model._runtime.relations = {}
        for name, spec in list(model.spec.relations.items()):
            relation = _resolve(registry, define_model, model, spec)
            if relation is None:
                del model.spec.relations[name]
                continue
            model._runtime.relations[name] = relation
        # an implicit through model made just now has relations of its own
        pending.extend(registry[name] for name in registry if name not in before)


def _resolve(
    registry: ModelRegistry, define_model: DefineModel, owner: type[Model], spec: RelationSpec
) -> Relation | None:
    where = f'{owner.spec.source}: relation "{spec.name}"'
    options = spec.options if isinstance(spec.options, dict) else {}
    discriminator: str | None
    if spec.type == "belongsTo" and spec.polymorphic:
        _selector, foreign_key, discriminator = _polymorphic(spec.polymorphic, spec.name)
        id_type = spec.polymorphic.get("idType") if isinstance(spec.polymorphic, dict) else None
        key_type = _named_type(id_type) if id_type else _key_type(owner, owner.spec.id_name)
        _declare(owner, foreign_key, key_type)
        _declare(owner, discriminator, StringType())
        key_to = spec.primary_key or spec.settings.get("idName") or "id"
        return Relation(
            spec.name, spec.type, owner, None, foreign_key, key_to, spec, discriminator=discriminator, options=options
        )
    target = _target(registry, owner, spec)
    if target is None:
        log.warning('%s: model "%s" is not defined; the relation is left out', where, spec.model or spec.name)
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
        return Relation(
            spec.name, kind, owner, target, key_from, key_to, spec, discriminator=discriminator, options=options
        )
    if kind in ("hasMany", "hasAndBelongsToMany"):
        return _resolve_through(registry, define_model, owner, target, spec, options, where)
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
        return Relation(
            spec.name, kind, owner, target, prop, target.spec.id_name or "id", spec, property_name=prop, options=options
        )
    raise BootError(f"{where}: unknown relation type {kind}")  # pydantic checked it first


def _resolve_through(
    registry: ModelRegistry,
    define_model: DefineModel,
    owner: type[Model],
    target: type[Model],
    spec: RelationSpec,
    options: dict[str, Any],
    where: str,
) -> Relation:
    if spec.through:
        through = registry.find(spec.through)
        if through is None:
            raise BootError(f'{where}: the through model "{spec.through}" is not defined')
    elif spec.type == "hasAndBelongsToMany":
        through = _implicit_through(registry, define_model, owner, target)
    else:  # pragma: no cover - hasMany without through is resolved above
        raise AssertionError
    key_from = spec.primary_key or owner.spec.id_name or "id"
    target_id = target.spec.id_name or "id"
    discriminator = None
    if spec.polymorphic:
        _, key_to, discriminator = _polymorphic(spec.polymorphic, spec.name)
        key_through = spec.key_through or _belongs_to_key(through, target) or camelize(target.spec.name + "_id")
    elif owner is target:
        # a model related to itself (followers): the foreignKey names the owner's side
        candidates = _belongs_to_keys(through, owner)
        key_to = spec.foreign_key or (candidates[0] if candidates else camelize(owner.spec.name + "_id"))
        others = [key for key in candidates if key != key_to]
        key_through = spec.key_through or (others[0] if others else camelize(target.spec.name + "_id"))
    else:
        key_to = spec.foreign_key or _belongs_to_key(through, owner) or camelize(owner.spec.name + "_id")
        key_through = spec.key_through or _belongs_to_key(through, target) or camelize(target.spec.name + "_id")
    _declare(through, key_to, _key_type(owner, key_from))
    if discriminator is not None:
        _declare(through, discriminator, StringType())
    _declare(through, key_through, _key_type(target, target_id))
    return Relation(
        spec.name,
        spec.type,
        owner,
        target,
        key_from,
        key_to,
        spec,
        through=through,
        key_through=key_through,
        discriminator=discriminator,
        options=options,
    )


def _belongs_to_keys(through: type[Model], model: type[Model]) -> list[str]:
    """The foreign keys of the through model's belongsTo relations to ``model``."""
    keys = []
    for name, rel in through.spec.relations.items():
        if rel.type != "belongsTo" or rel.polymorphic:
            continue
        if (rel.model or name).lower() == model.spec.name.lower():
            keys.append(rel.foreign_key or name + "Id")
    return keys


def _belongs_to_key(through: type[Model], model: type[Model]) -> str | None:
    keys = _belongs_to_keys(through, model)
    return keys[0] if keys else None


def _implicit_through(
    registry: ModelRegistry, define_model: DefineModel, owner: type[Model], target: type[Model]
) -> type[Model]:
    """hasAndBelongsToMany's link model: ``<Owner><Target>`` (or ``<Target><Owner>`` when the
    app defines that one), on the owner's datasource, with a belongsTo to each side."""
    for name in (owner.spec.name + target.spec.name, target.spec.name + owner.spec.name):
        found = registry.find(name)
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
        name=name,
        base="PersistedModel",
        plural=pluralize(name),
        properties={"id": injected_id(id_type)},
        id_names=["id"],
        strict=False,
        force_id=True,
        hidden=frozenset(),
        protected=frozenset(),
        relations=relations,
        persisted=True,
        settings={"name": name, "base": "PersistedModel"},
        source=f"{owner.spec.source} (the through model of a hasAndBelongsToMany relation)",
    )
    model = define_model(spec, datasource)
    return model


def _target(registry: ModelRegistry, owner: type[Model], spec: RelationSpec) -> type[Model] | None:
    if spec.model:
        return registry.find(spec.model)
    name = spec.name
    if spec.type in MANY:
        name = singularize(name)
    return registry.find(name)


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
    return (selector, foreign_key or camelize(selector + "_id"), discriminator or camelize(selector + "_type"))


def _key_type(model: type[Model], name: str | None) -> Type:
    prop = model.spec.properties.get(name) if name else None
    return prop.type if prop is not None else AnyType()


def _named_type(name: str) -> Type:
    try:
        return resolve_type(name, set())
    except ValueError:
        return AnyType()


def _declare(model: type[Model], name: str, kind: Type, default: Any = MISSING) -> None:
    """Add a property LoopBack adds (a foreign key, a discriminator, an embedded property)
    unless the model declares it, so it is coerced, validated, documented and migrated."""
    properties = model.spec.properties
    if name in properties:
        return
    properties[name] = PropertySpec(
        name=name, type=kind, default=default, settings={"index": True} if default is MISSING else {}
    )
