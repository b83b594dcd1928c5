"""Add a property to a model of the app: name, type (with the item type of an array), required,
default -- the prompts of LoopBack 3's ``loopback:property``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._errors import UsageError
from .._json_values import format_date
from .._model._types import (
    AnyType,
    ArrayType,
    BufferType,
    CoercionError,
    DateType,
    GeoPointType,
    ModelType,
    ObjectType,
    StringType,
    Type,
    resolve_type,
)
from ._errors import reported
from ._options import AppDir, ConfigAnswers, Yes
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

#: the type list of LoopBack 3's property prompt, in its order
TYPE_CHOICES = ("string", "number", "boolean", "object", "array", "date", "buffer", "geopoint", "any")
OTHER_TYPE = "(other)"
#: types whose prompt asks for no default, as LoopBack 3's did
NO_DEFAULT_TYPES = ("buffer", "any")

_PROPERTY_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
#: names a record cannot hold as a property: LoopBack reserved ``constructor``; dunders are Python's
_RESERVED = {"constructor"}

NO_DEFAULT: Any = type("NoDefault", (), {"__repr__": lambda self: "NO_DEFAULT", "__bool__": lambda self: False})()


@dataclass
class NewProperty:
    """A property as the wizards collect it; ``type`` is already LoopBack's JSON type."""

    name: str
    type: Any = "string"
    required: bool = False
    default: Any = NO_DEFAULT
    default_fn: str | None = None

    def definition(self) -> dict[str, Any]:
        """The property's entry in the model JSON, keys in the order LoopBack 3 wrote them."""
        entry: dict[str, Any] = {"type": self.type}
        if self.required:
            entry["required"] = True
        if self.default is not NO_DEFAULT:
            entry["default"] = self.default
        if self.default_fn:
            entry["defaultFn"] = self.default_fn
        return entry


# -- validation: one rule for each answer, shared by every wizard --------------------------------


def check_property_name(
    name: Any,
    existing: dict[str, Any] | None = None,
    *,
    relations: dict[str, Any] | None = None,
    flag: str = "NAME",
    force: bool = False,
    model: str = "the model",
) -> str:
    if not isinstance(name, str) or not _PROPERTY_NAME.fullmatch(name):
        raise UsageError(
            f'{flag}: "{name}" is not a valid property name (start with a letter or _, then letters, digits or _)'
        )
    if name in _RESERVED or (name.startswith("__") and name.endswith("__")):
        raise UsageError(f'{flag}: "{name}" is a reserved name; choose another property name')
    if relations and name in relations:
        raise UsageError(f'{flag}: {model} already has a relation named "{name}"; choose another name')
    if existing and name in existing and not force:
        raise UsageError(f'{flag}: {model} already has a property "{name}"; pass --force to replace it')
    return name


def type_names(model_names: Any) -> str:
    models = sorted(model_names)
    listed = ", ".join([*TYPE_CHOICES, "[type]"])
    return listed + (f", or a model of the app ({', '.join(models)})" if models else "")


def parse_type(text: Any, model_names: Any, *, flag: str = "--type") -> Any:
    """LoopBack's JSON type for ``text``: "string", ["string"] for ``[string]``, "array", or a model
    name of the app. The runtime's own resolver decides what is known."""
    if isinstance(text, list):
        if len(text) != 1:
            raise UsageError(f'{flag}: an array type names one item type, e.g. ["string"]')
        return [parse_item_type(text[0], model_names, flag=flag)]
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{flag}: a type is required ({type_names(model_names)})")
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [parse_item_type(inner, model_names, flag=flag)] if inner else "array"
    try:
        kind = resolve_type(text, set(model_names))
    except ValueError:
        raise UsageError(f'{flag}: "{text}" is not a type lbpy knows; use {type_names(model_names)}') from None
    if isinstance(kind, ModelType):
        return text
    if isinstance(kind, ArrayType):
        return "array"
    return kind.name


def parse_item_type(text: Any, model_names: Any, *, flag: str = "--item-type") -> str:
    item = parse_type(text, model_names, flag=flag)
    if isinstance(item, list) or item == "array":
        raise UsageError(f"{flag}: the items of an array cannot be arrays; choose another item type")
    return str(item)


def parse_default(
    text: Any, json_type: Any, model_names: Any, *, flag: str = "--default", name: str = "the property"
) -> tuple[Any, str | None]:
    """``(default, defaultFn)`` for ``text`` read as ``json_type``, coerced by the runtime's own
    rules, so a default that boots is the only kind the wizards write. As in LoopBack 3,
    ``now`` on a date and ``uuid``/``guid`` on a string become a ``defaultFn``."""
    kind = resolve_type(json_type, set(model_names))
    shown = json.dumps(text) if isinstance(text, str) else json.dumps(text, default=str)
    described = kind.describe()
    if isinstance(kind, BufferType):
        raise UsageError(f"{flag}: a buffer property takes no default; leave {flag} out")
    if isinstance(text, str):
        if isinstance(kind, DateType) and text.strip().lower() == "now":
            return NO_DEFAULT, "now"
        if isinstance(kind, StringType) and text in ("uuid", "guid"):
            return NO_DEFAULT, text
        try:
            value: Any = _read_text(text, kind)
        except ValueError:
            raise UsageError(f"{flag} {shown} is not valid JSON, which a {described} default is written in") from None
    else:
        value = text
    if isinstance(kind, (ObjectType, ModelType)) and not isinstance(value, dict):
        raise UsageError(f'{flag} {shown} is not an object (property "{name}" has type {described}); e.g. {{"a": 1}}')
    try:
        coerced = kind.coerce(value)
    except CoercionError as exc:
        raise UsageError(f'{flag} {shown} {exc} (property "{name}" has type {described})') from None
    return to_json(coerced), None


def _read_text(text: str, kind: Type) -> Any:

    stripped = text.strip()
    if isinstance(kind, (ObjectType, ModelType)):
        return json.loads(stripped)
    if isinstance(kind, ArrayType):
        if stripped.startswith("["):
            return json.loads(stripped)
        return [item.strip() for item in stripped.split(",")] if stripped else []
    if isinstance(kind, GeoPointType) and stripped.startswith("{"):
        return json.loads(stripped)
    if isinstance(kind, AnyType):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def to_json(value: Any) -> Any:
    """An internal value as the model JSON stores it (dates as LoopBack's ISO strings)."""
    from datetime import datetime

    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def parse_property_spec(spec: Any, model_names: Any, *, flag: str = "--property") -> NewProperty:
    """``name:type[:required][=default]``, e.g. ``name:string:required``, ``tags:[string]``,
    ``age:number=18``; a type left out is string. In ``--config`` a property may also be an
    object ``{"name", "type", "required", "default"}``."""
    if isinstance(spec, dict):
        unknown = set(spec) - {"name", "type", "itemType", "required", "default"}
        if unknown:
            raise UsageError(f"{flag}: unknown key(s) {', '.join(sorted(unknown))} in {json.dumps(spec)}")
        name = spec.get("name")
        kind = spec.get("type", "string")
        if spec.get("itemType") is not None:
            kind = [spec["itemType"]]
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise UsageError(f'{flag}: "required" must be true or false in {json.dumps(spec)}')
        default = spec.get("default", NO_DEFAULT)
    elif isinstance(spec, str):
        head, has_default, default_text = spec.partition("=")
        parts = head.split(":")
        name = parts[0].strip()
        kind = parts[1].strip() if len(parts) > 1 and parts[1].strip() else "string"
        required = False
        for extra in parts[2:]:
            if extra.strip().lower() != "required":
                raise UsageError(f'{flag} "{spec}": "{extra}" is not understood; write name:type[:required][=default]')
            required = True
        default = default_text if has_default else NO_DEFAULT
    else:
        raise UsageError(f"{flag}: a property is name:type[:required][=default], not {json.dumps(spec)}")
    if not name:
        raise UsageError(f'{flag} "{spec}": the property name is missing; write name:type[:required][=default]')
    prop = NewProperty(
        name=check_property_name(name, flag=flag), type=parse_type(kind, model_names, flag=flag), required=required
    )
    if default is not NO_DEFAULT:
        prop.default, prop.default_fn = parse_default(default, prop.type, model_names, flag=flag, name=name)
    return prop


# -- asking ---------------------------------------------------------------------------------------


def ask_property(
    asker: Asker,
    model_names: Any,
    *,
    name: Any = None,
    type: Any = None,
    item_type: Any = None,
    required: bool | None = None,
    default: Any = None,
    existing: dict[str, Any] | None = None,
    relations: dict[str, Any] | None = None,
    model: str = "the model",
    force: bool = False,
    in_loop: bool = False,
) -> NewProperty | None:
    """The property prompts; in the model wizard's loop an empty name ends the loop (None)."""
    names = set(model_names)

    def valid_name(answer: Any) -> str:
        return check_property_name(answer, existing, relations=relations, force=force, model=model)

    def valid_type(answer: Any) -> Any:
        return answer if answer == OTHER_TYPE else parse_type(answer, names)

    def valid_item(answer: Any) -> Any:
        return answer if answer == OTHER_TYPE else parse_item_type(answer, names)

    label = "Enter the property name" + (" (empty when done)" if in_loop else "")
    name = asker.text(
        label, value=name, flag="NAME", key="name", validate=valid_name, required=not in_loop, what="A property name"
    )
    if not name:
        return None
    json_type = asker.select(
        "Property type",
        [*TYPE_CHOICES, OTHER_TYPE],
        value=type,
        default="string",
        flag="--type",
        key="type",
        validate=valid_type,
    )
    if json_type == OTHER_TYPE:
        json_type = asker.text("Enter the type", flag="--type", key="type", validate=lambda t: parse_type(t, names))
    if json_type == "array" and (asker.prompting or item_type is not None or asker.has_answer("itemType")):
        item = asker.select(
            "The type of array items",
            [t for t in TYPE_CHOICES if t != "array"] + [OTHER_TYPE],
            value=item_type,
            default="string",
            flag="--item-type",
            key="itemType",
            validate=valid_item,
        )
        if item == OTHER_TYPE:
            item = asker.text(
                "Enter the item type", flag="--item-type", key="itemType", validate=lambda t: parse_item_type(t, names)
            )
        json_type = [item]
    prop = NewProperty(name=name, type=json_type)
    prop.required = asker.confirm("Required", value=required, default=False, flag="--required")
    # LoopBack 3 asked for no default of a buffer, an any, or a type typed in as "(other)"
    listed = "array" if isinstance(json_type, list) else json_type
    ask_default = listed in TYPE_CHOICES and listed not in NO_DEFAULT_TYPES
    if default is not None or asker.has_answer("default") or (ask_default and asker.prompting):
        parsed = asker.text(
            "Default value [leave blank for none]",
            value=default,
            flag="--default",
            key="default",
            required=False,
            validate=lambda a: parse_default(a, json_type, names, name=name),
        )
        if parsed is not None:
            prop.default, prop.default_fn = parsed
    return prop


# -- doing ---------------------------------------------------------------------------------------


def add_property(project: AppProject, model: str, prop: NewProperty, *, force: bool = False) -> Path:
    """Add ``prop`` to ``model``'s JSON (or, with ``force``, update the property in place,
    keeping its other settings). Everything is checked before the file is written."""
    path, definition = project.require_model(model)
    properties = definition.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise UsageError(f'{project.relative(path)}: "properties" must be an object; fix the file first')
    model_names = set(project.model_definitions())
    check_property_name(
        prop.name, properties, relations=definition.get("relations") or {}, force=force, model=f"model {model}"
    )
    parse_type(prop.type, model_names)
    entry = prop.definition()
    current = properties.get(prop.name)
    if isinstance(current, dict):
        kept = {k: v for k, v in current.items() if k not in ("type", "required", "default", "defaultFn")}
        entry = {**entry, **kept}
    properties[prop.name] = entry
    updated = _with_key(definition, "properties", properties, after=("options", "idInjection", "base"))
    return project.write(project.relative(path), updated)


def _with_key(data: dict[str, Any], key: str, value: Any, *, after: tuple[str, ...]) -> dict[str, Any]:
    """``data`` with ``key`` set; a new key goes where LoopBack 3 puts it (after the first of
    ``after`` present), so a hand-written file keeps its order."""
    if key in data:
        data[key] = value
        return data
    anchor = next((a for a in after if a in data), None)
    if anchor is None:
        return {**data, key: value}
    out: dict[str, Any] = {}
    for k, v in data.items():
        out[k] = v
        if k == anchor:
            out[key] = value
    return out


# -- the command ---------------------------------------------------------------------------------


def command(
    model: str | None = typer.Argument(None, help="The model to add the property to."),
    name: str | None = typer.Argument(None, help="The property name."),
    type: str | None = typer.Option(
        None,
        "--type",
        help="string, number, boolean, object, array, date, buffer, geopoint, any, \\[type] or a model name.",
    ),
    item_type: str | None = typer.Option(None, "--item-type", help="The type of an array's items."),
    required: bool | None = typer.Option(None, "--required/--optional", help="Whether a value is required."),
    default: str | None = typer.Option(None, "--default", help="Default value, read as the property's type."),
    force: bool = typer.Option(False, "--force", help="Replace a property of the same name."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Add a property to a model (LoopBack 3's loopback:property)."""
    with reported():
        project, asker = open_wizard(
            app_dir, yes=yes, config=config, keys=["model", "name", "type", "itemType", "required", "default"]
        )
        definitions = project.model_definitions()
        if model is None and not asker.has_answer("model") and not definitions:
            raise UsageError("the app has no models yet; create one first with: lbpy model NAME")
        model = asker.select(
            "Select the model",
            sorted(definitions),
            value=model,
            flag="MODEL",
            key="model",
            what="A model",
            validate=lambda m: project.require_model(m) and m,
        )
        _, definition = definitions[model]
        prop = ask_property(
            asker,
            definitions,
            name=name,
            type=type,
            item_type=item_type,
            required=required,
            default=default,
            existing=definition.get("properties") or {},
            relations=definition.get("relations") or {},
            model=f"model {model}",
            force=force,
        )
        assert prop is not None  # None only ends a loop of questions (in_loop)
        path = add_property(project, model, prop, force=force)
        typer.echo(f"Added property {prop.name} to {model} ({project.relative(path)})")
