"""A resolved relation: LoopBack's relation types with the keys it inferred, and its names."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..._errors import BadRequestError
from ..._filter import Filter, parse_filter
from .._definition import ModelSpec, RelationSpec

if TYPE_CHECKING:
    from .._persisted import Model

log = logging.getLogger("lbpy")

#: relations whose routes and include give a list
MANY = frozenset({"hasMany", "hasAndBelongsToMany", "referencesMany", "embedsMany"})

#: how many keys one ``inq`` query carries at most; a datasource's ``inqLimit`` setting overrides it
DEFAULT_INQ_LIMIT = 10_000


async def check_access(model: type[Model], method: Any, model_id: Any, options: dict[str, Any] | None) -> None:
    """A REST call reaches ``model``'s records through a relation (a relation route, a nested
    route, an ``include``) only where the caller may do the same directly: ``method`` (a built-in
    method's name, such as ``"find"`` or ``"deleteById"``, or a remote method) on the record
    ``model_id``, as its access control (``options["_auth"]``, set by the REST layer) decides.
    Calls from Python carry none and are not checked."""
    guard = options.get("_auth") if options else None
    if guard is not None:
        await guard.check(model, method, model_id)


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
    owner: builtins.type[Model]
    target: builtins.type[Model] | None
    key_from: str
    key_to: str
    spec: RelationSpec
    through: builtins.type[Model] | None = None
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

    def target_for(self, record: dict[str, Any]) -> builtins.type[Model] | None:
        """The target model of a record (for a polymorphic belongsTo, the one it names)."""
        if self.target is not None:
            return self.target
        name = record.get(self.discriminator) if self.discriminator else None
        return find_model(self.owner, name) if isinstance(name, str) else None

    def scope(self, target: builtins.type[Model]) -> Filter | None:
        """The relation's own ``scope`` from the model JSON, parsed for ``target``."""
        raw = self.spec.scope
        if not raw:
            return None
        parsed = self._scopes.get(target.spec.name)
        if parsed is None:
            parsed = parse_filter(
                target.spec, raw, model_specs(target), name=f"relation {self.name} scope", nested=True
            )
            self._scopes[target.spec.name] = parsed
        return parsed

    def owner_where(self, owner_key: Any) -> dict[str, Any]:
        """Where on the target (or the through model) for the records an owner key relates to
        (none for an owner without a key: a record not saved yet has no related records)."""
        if owner_key is None:
            return {self.key_to: {"inq": []}}
        where: dict[str, Any] = {self.key_to: {"eq": owner_key}}
        if self.discriminator is not None and self.type != "belongsTo":
            where = {"and": [where, {self.discriminator: {"eq": self.owner.spec.name}}]}
        return where

    def owner_values(self, owner_key: Any) -> dict[str, Any]:
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


def relation_of(model: type[Model], name: str) -> Relation:
    relation = model._runtime.relations.get(name)
    if relation is None:
        known = ", ".join(model._runtime.relations) or "none"
        raise BadRequestError(
            f'{model.spec.name} has no relation "{name}" (relations: {known})', code="INVALID_RELATION"
        )
    result: Relation = relation
    return result


def model_specs(model: type[Model]) -> Mapping[str, ModelSpec] | None:
    """The definitions of every model ``model``'s app has (for an include scope's relations)."""
    registry = model._runtime.registry
    return registry.specs if registry is not None else None


def find_model(model: type[Model], name: str | None) -> type[Model] | None:
    """The model ``name`` of ``model``'s app, by name, then by name in any case."""
    registry = model._runtime.registry
    return registry.find(name) if registry is not None else None
