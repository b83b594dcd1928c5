"""Discovery: model JSON built from what a connector says its backend holds.

A connector describes its tables with ``discover_model_definitions``, ``discover_model_properties``,
``discover_primary_keys`` and ``discover_foreign_keys`` (LoopBack's shapes). ``schemas_from_discovery``
turns those into LoopBack model definitions, the same JSON ``lbpy model`` writes, so that a
discovered model boots like a hand-written one. With ``relations``, foreign keys become a
``belongsTo`` on the model that holds the key and a ``hasMany`` on the model it points to, and
the tables pointed to are discovered too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .._errors import NotFoundError
from .._model._definition import pluralize
from ._calls import call_connector

if TYPE_CHECKING:
    from ._base import Connector

#: database column types -> LoopBack property types (first match wins; checked on the lowercased type)
_TYPE_PATTERNS: list[tuple[str, str]] = [
    (r"^(tinyint\(1\)|bool|boolean|bit\(1\)|bit)$", "boolean"),
    (r"int|serial|dec|numeric|number|float|double|real|money", "number"),
    (r"date|time|year", "date"),
    (r"json", "object"),
    (r"blob|binary|bytea|image|raw", "buffer"),
    (r"geo|point", "geopoint"),
    (r"array|\[\]$", "array"),
]
_LOOPBACK_TYPES = {"string", "number", "boolean", "date", "object", "array", "any", "buffer", "geopoint"}


def _words(name: str) -> list[str]:
    return [part for part in re.split(r"[-_\s]+", name) if part]


def _word(part: str, first_lower: bool) -> str:
    # ALLCAPS and lowercase words are re-cased; camelCase words keep their inner capitals
    # (LoopBack lowercased them, turning firstName into firstname)
    if part.isupper() or part.islower():
        part = part.lower()
    return (part[0].lower() if first_lower else part[0].upper()) + part[1:]


def model_name(table: str) -> str:
    """``customer_orders`` -> ``CustomerOrders``; ``CUSTOMER`` -> ``Customer``."""
    words = _words(table)
    return "".join(_word(w, False) for w in words) if words else table


def property_name(column: str) -> str:
    """``FIRST_NAME`` -> ``firstName``; ``firstName`` stays; ``Id`` -> ``id``."""
    words = _words(column)
    if not words:
        return column
    return _word(words[0], True) + "".join(_word(w, False) for w in words[1:])


def property_type(column: dict[str, Any]) -> Any:
    """The LoopBack type of a discovered column: its ``type`` when the connector gave one,
    otherwise read from its database ``dataType``."""
    given = column.get("type")
    if isinstance(given, list):
        return given
    if isinstance(given, str) and given:
        lowered = given.lower()
        if lowered in _LOOPBACK_TYPES:
            return lowered
        if lowered.startswith("[") and lowered.endswith("]"):
            return [lowered[1:-1] or "any"]
    data_type = str(column.get("dataType") or "").lower()
    for pattern, kind in _TYPE_PATTERNS:
        if re.search(pattern, data_type):
            return kind
    return "string"


def _required(nullable: Any) -> bool:
    return nullable in ("N", "NO", 0, False)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def build_schema(
    connector_name: str,
    table: str,
    columns: list[dict[str, Any]],
    primary_keys: list[dict[str, Any]],
    *,
    mapper: bool = True,
) -> dict[str, Any]:
    """One LoopBack model definition from a table's columns and primary key."""
    to_model = model_name if mapper else (lambda n: n)
    to_property = property_name if mapper else (lambda n: n)
    key_seq = {pk["columnName"]: int(pk.get("keySeq") or i + 1) for i, pk in enumerate(primary_keys)}
    properties: dict[str, dict[str, Any]] = {}
    for column in columns:
        name = to_property(column["columnName"])
        is_id = column["columnName"] in key_seq
        generated = bool(column.get("generated")) if is_id else False
        prop: dict[str, Any] = {
            "type": property_type(column),
            # a generated id is filled in by the backend: clients need not send it
            "required": _required(column.get("nullable")) and not generated,
        }
        prop.update(
            _clean(
                {
                    "length": column.get("dataLength"),
                    "precision": column.get("dataPrecision"),
                    "scale": column.get("dataScale"),
                }
            )
        )
        if is_id:
            prop["id"] = key_seq[column["columnName"]]
            if generated:
                prop["generated"] = True
        prop[connector_name] = _clean(
            {
                "columnName": column["columnName"],
                "dataType": column.get("dataType"),
                "dataLength": column.get("dataLength"),
                "dataPrecision": column.get("dataPrecision"),
                "dataScale": column.get("dataScale"),
                "nullable": column.get("nullable"),
            }
        )
        properties[name] = prop
    owner = columns[0].get("owner") if columns else None
    return {
        "name": to_model(table),
        "base": "PersistedModel",
        "idInjection": False,
        "options": {
            "validateUpsert": True,
            connector_name: _clean({"schema": owner, "table": table}),
        },
        "properties": properties,
        "validations": [],
        "relations": {},
        "acls": [],
        "methods": {},
    }


def relation_name(fk_column: str, target_model: str) -> str:
    """``customerId`` / ``customer_id`` -> ``customer``; otherwise the target model, camelCased."""
    name = property_name(fk_column)
    stripped = re.sub(r"(Id|ID|_id)$", "", name)
    if stripped and stripped != name:
        return stripped
    return target_model[0].lower() + target_model[1:]


def plural_relation_name(model: str) -> str:
    plural = pluralize(model)
    return plural[0].lower() + plural[1:]


async def schemas_from_discovery(
    connector: Connector, table: str, options: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``{model name: definition}`` for ``table``; with ``options["relations"]`` (or LoopBack's
    ``associations``), also for the tables its foreign keys point to, with both ends related.
    ``options["nameMapper"] = None`` keeps table and column names as they are."""
    mapper = options.get("nameMapper", True) is not None
    follow = bool(options.get("relations") or options.get("associations"))
    schemas: dict[str, dict[str, Any]] = {}
    by_table: dict[str, dict[str, Any]] = {}
    pending = [table]
    while pending:
        current = pending.pop(0)
        if current in by_table:
            continue
        columns = await call_connector(connector, "discover_model_properties", current, options)
        if not columns:
            raise NotFoundError(
                f'Table "{current}" does not exist (connector "{connector.name}" discovered no columns for it)',
                code="TABLE_NOT_FOUND",
            )
        keys = await call_connector(connector, "discover_primary_keys", current, options)
        schema = build_schema(connector.name, current, list(columns), list(keys or []), mapper=mapper)
        by_table[current] = schema
        schemas[schema["name"]] = schema
        if not follow:
            break
        foreign = await call_connector(connector, "discover_foreign_keys", current, options)
        for fk in foreign or []:
            target_table = fk["pkTableName"]
            if target_table not in by_table and target_table not in pending:
                pending.append(target_table)
            schema.setdefault("_foreign", []).append(fk)
    if follow:
        for schema in by_table.values():
            for fk in schema.pop("_foreign", []):
                add_foreign_key(schema, by_table.get(fk["pkTableName"]), fk, mapper=mapper)
    return schemas


def add_foreign_key(
    schema: dict[str, Any], target: dict[str, Any] | None, fk: dict[str, Any], *, mapper: bool = True
) -> None:
    """A foreign key as a belongsTo on ``schema`` and a hasMany on ``target`` (when known)."""
    to_model = model_name if mapper else (lambda n: n)
    to_property = property_name if mapper else (lambda n: n)
    target_name = target["name"] if target is not None else to_model(fk["pkTableName"])
    foreign_key = to_property(fk["fkColumnName"])
    schema["relations"].setdefault(
        relation_name(fk["fkColumnName"], target_name),
        {
            "type": "belongsTo",
            "model": target_name,
            "foreignKey": foreign_key,
        },
    )
    if target is not None:
        target["relations"].setdefault(
            plural_relation_name(schema["name"]),
            {
                "type": "hasMany",
                "model": schema["name"],
                "foreignKey": foreign_key,
            },
        )


def merge_relations(into: dict[str, dict[str, Any]], more: dict[str, dict[str, Any]]) -> None:
    """Discovery of several tables: keep the first definition of each model, add relations."""
    for name, schema in more.items():
        if name not in into:
            into[name] = schema
            continue
        for rel_name, relation in schema.get("relations", {}).items():
            into[name].setdefault("relations", {}).setdefault(rel_name, relation)
