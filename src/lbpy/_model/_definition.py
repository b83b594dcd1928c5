"""Model definitions: the LoopBack model JSON, validated with pydantic and normalised once at boot.

``ModelDefinition`` mirrors the file (unknown keys are kept, as LoopBack keeps connector-specific
settings such as ``"mysql": {...}``). ``ModelSpec`` is what the rest of lbpy uses: inheritance
resolved, property types resolved, the id property known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._types import NumberType, StringType, Type, resolve_type

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

RelationType = Literal[
    "belongsTo",
    "hasMany",
    "hasOne",
    "hasAndBelongsToMany",
    "referencesMany",
    "embedsOne",
    "embedsMany",
]
RELATION_TYPES: tuple[str, ...] = get_args(RelationType)

#: Base classes that are not models of the app: LoopBack's built-ins.
ROOT_BASES = {"Model", "PersistedModel", "KeyValueModel"}

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


class PropertyDefinition(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: Any = "any"
    required: bool = False
    default: Any = MISSING
    default_fn: str | None = Field(None, alias="defaultFn")
    id: bool | int = False
    generated: bool | None = None
    hidden: bool = False
    description: str | list[str] | None = None
    index: Any = None


class RelationDefinition(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: RelationType
    model: str | None = None
    foreign_key: str | None = Field(None, alias="foreignKey")
    primary_key: str | None = Field(None, alias="primaryKey")
    key_through: str | None = Field(None, alias="keyThrough")
    key_from: str | None = Field(None, alias="keyFrom")
    key_to: str | None = Field(None, alias="keyTo")
    through: str | None = None
    polymorphic: Any = None
    property: str | None = None
    scope: dict[str, Any] | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    as_: str | None = Field(None, alias="as")


class ModelDefinition(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str
    base: str = "PersistedModel"
    plural: str | None = None
    description: str | list[str] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    relations: dict[str, RelationDefinition] = Field(default_factory=dict)
    hidden: list[str] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    strict: bool | Literal["filter", "throw", "validate"] = False
    id_injection: bool = Field(True, alias="idInjection")
    force_id: bool | Literal["auto"] | None = Field(None, alias="forceId")
    validations: list[Any] = Field(default_factory=list)
    acls: list[Any] = Field(default_factory=list)
    methods: dict[str, Any] = Field(default_factory=dict)
    mixins: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    scope: dict[str, Any] | None = None
    scopes: dict[str, Any] = Field(default_factory=dict)
    http: dict[str, Any] = Field(default_factory=dict)

    @field_validator("methods", mode="before")
    @classmethod
    def _methods_object(cls, value: Any) -> Any:
        # older LoopBack generators wrote "methods": [] for a model without remote methods
        if isinstance(value, list) and not value:
            return {}
        if isinstance(value, list):
            raise ValueError("must be an object of method name -> definition, not an array")
        return value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _IDENTIFIER.fullmatch(value):
            raise ValueError(f'"{value}" is not a valid model name (letters, digits, _ and $)')
        return value


@dataclass(eq=False)
class PropertySpec:
    name: str
    type: Type
    required: bool = False
    default: Any = MISSING
    default_fn: str | None = None
    id: int = 0
    generated: bool = False
    hidden: bool = False
    description: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_id(self) -> bool:
        return self.id > 0


@dataclass(eq=False)
class RelationSpec:
    name: str
    type: str
    model: str | None
    foreign_key: str | None = None
    primary_key: str | None = None
    through: str | None = None
    key_through: str | None = None
    polymorphic: Any = None
    property: str | None = None
    scope: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class ModelSpec:
    """One model, as the runtime uses it: built once at boot, read-only afterwards."""

    name: str
    base: str
    plural: str
    properties: dict[str, PropertySpec]
    id_names: list[str]
    strict: bool | Literal["filter", "throw", "validate"]
    force_id: bool
    hidden: frozenset[str]
    protected: frozenset[str]
    relations: dict[str, RelationSpec]
    persisted: bool
    settings: dict[str, Any]
    source: str = "<python>"
    description: str | None = None
    #: the properties holding records of another model (embedsOne, embedsMany, a property typed
    #: with a model), and that model's spec, so that its hidden properties stay out of answers;
    #: bound once every model is built
    embedded: dict[str, ModelSpec] = field(default_factory=dict)

    @property
    def id_name(self) -> str | None:
        return self.id_names[0] if self.id_names else None

    @property
    def id_property(self) -> PropertySpec | None:
        return self.properties.get(self.id_names[0]) if self.id_names else None

    @property
    def options(self) -> dict[str, Any]:
        return self.settings.get("options") or {}


def pluralize(name: str) -> str:
    """LoopBack's default plural (inflection rules for the usual English endings)."""
    lower = name.lower()
    irregular = {
        "person": "people",
        "child": "children",
        "man": "men",
        "woman": "women",
        "mouse": "mice",
        "goose": "geese",
        "tooth": "teeth",
        "foot": "feet",
    }
    for singular, plural in irregular.items():
        if lower.endswith(singular):
            cut = len(name) - len(singular)
            rest = plural if name[cut:].islower() else plural.capitalize()
            return name[:cut] + rest
    uncountable = ("equipment", "information", "rice", "money", "species", "series", "fish", "sheep", "news", "data")
    if lower.endswith(uncountable):
        return name
    if re.search(r"(ss|x|z|ch|sh)$", lower):
        return name + "es"
    if lower.endswith("s"):
        return name  # "Defaults", "News": LoopBack leaves words ending in one s alone
    if re.search(r"[^aeiou]y$", lower):
        return name[:-1] + "ies"
    return name + "s"


def join_description(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return "\n".join(value)
    return value


def property_definition(name: str, raw: Any) -> PropertyDefinition:
    """The long form of a property declaration; LoopBack also takes ``"string"`` and ``["string"]``."""
    if isinstance(raw, (str, list)):
        return PropertyDefinition(type=raw)
    if isinstance(raw, dict):
        return PropertyDefinition.model_validate(raw)
    raise ValueError(f'property "{name}" must be a type name or an object, not {type(raw).__name__}')


def build_property(name: str, raw: Any, model_names: set[str]) -> PropertySpec:
    definition = property_definition(name, raw)
    kind = resolve_type(definition.type, model_names)
    extra = dict(definition.model_extra or {})
    return PropertySpec(
        name=name,
        type=kind,
        required=definition.required,
        default=definition.default,
        default_fn=definition.default_fn,
        id=int(definition.id) if definition.id else 0,
        generated=bool(definition.generated),
        hidden=definition.hidden,
        description=join_description(definition.description),
        settings={**extra, **({"index": definition.index} if definition.index else {})},
    )


def injected_id(id_type: str = "number") -> PropertySpec:
    kind: Type = NumberType() if id_type == "number" else StringType()
    return PropertySpec(name="id", type=kind, id=1, generated=True)


def ordered_ids(properties: dict[str, PropertySpec]) -> list[str]:
    ids = [p for p in properties.values() if p.is_id]
    return [p.name for p in sorted(ids, key=lambda p: p.id)]
