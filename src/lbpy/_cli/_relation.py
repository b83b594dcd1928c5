"""Add a relation between two models of the app -- the prompts of LoopBack 3's
``loopback:relation``: model, type, target, name, foreign key, through model, REST options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._errors import UsageError
from .._model._definition import pluralize
from ._errors import reported
from ._options import AppDir, ConfigAnswers, Yes
from ._property import _with_key, check_property_name
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

#: the types LoopBack 3's relation prompt listed, in its order
PROMPT_TYPES = ("hasMany", "belongsTo", "hasAndBelongsToMany", "hasOne")
TITLES = {
    "hasMany": "has many",
    "belongsTo": "belongs to",
    "hasAndBelongsToMany": "has and belongs to many",
    "hasOne": "has one",
    "hasManyThrough": "has many through",
}
#: ``--type hasManyThrough`` is LoopBack's ``hasMany`` with a ``through`` model
TYPES = (*PROMPT_TYPES, "hasManyThrough")
CONFIG_KEYS = ["model", "type", "target", "name", "foreignKey", "through", "nestRemoting", "disableInclude"]


@dataclass
class NewRelation:
    name: str
    type: str  # as LoopBack writes it: hasManyThrough is stored as hasMany + through
    model: str
    foreign_key: str = ""
    through: str | None = None
    nest_remoting: bool = False
    disable_include: bool = False

    def definition(self) -> dict[str, Any]:
        """The relation's entry in the model JSON, keys in the order LoopBack 3 wrote them."""
        entry: dict[str, Any] = {"type": self.type, "model": self.model, "foreignKey": self.foreign_key}
        if self.through:
            entry["through"] = self.through
        options = {}
        if self.nest_remoting:
            options["nestRemoting"] = True
        if self.disable_include:
            options["disableInclude"] = True
        if options:
            entry["options"] = options
        return entry


def default_relation_name(target: str, kind: str) -> str:
    """``Order`` -> ``orders`` (``order`` for belongsTo and hasOne), as LoopBack names relations."""
    name = target[:1].lower() + target[1:]
    return name if kind in ("belongsTo", "hasOne") else pluralize(name)


def check_type(kind: Any, *, flag: str = "--type") -> str:
    if kind not in TYPES:
        raise UsageError(f'{flag}: "{kind}" is not a relation type; use one of: {", ".join(TYPES)}')
    return str(kind)


def check_model(name: Any, models: dict[str, Any], *, flag: str) -> str:
    if not isinstance(name, str) or name not in models:
        known = ", ".join(models) or "none yet"
        raise UsageError(f'{flag}: the app has no model "{name}" (models: {known})')
    return name


def check_relation_name(name: Any, definition: dict[str, Any], model: str, *, force: bool, flag: str = "--name") -> str:
    properties = definition.get("properties") or {}
    if isinstance(name, str) and name in properties:
        raise UsageError(f'{flag}: model {model} already has a property "{name}"; choose another relation name')
    check_property_name(name, flag=flag)
    if name in (definition.get("relations") or {}) and not force:
        raise UsageError(
            f'{flag}: model {model} already has a relation "{name}"; '
            "choose another --name, or pass --force to replace it"
        )
    return str(name)


def check_foreign_key(key: Any, *, flag: str = "--foreign-key") -> str:
    if key in (None, ""):
        return ""
    return check_property_name(key, flag=flag)


def ask_relation(
    project: AppProject,
    asker: Asker,
    *,
    model: Any = None,
    type: Any = None,
    target: Any = None,
    name: Any = None,
    foreign_key: Any = None,
    through: Any = None,
    nest_remoting: bool | None = None,
    disable_include: bool | None = None,
    force: bool = False,
) -> tuple[str, NewRelation]:
    definitions = project.model_definitions()
    models = {n: d for n, (_, d) in definitions.items()}
    if not models:
        raise UsageError("the app has no models yet; create them first with: lbpy model NAME")
    names = sorted(models)
    model = asker.select(
        "Select the model to create the relationship from",
        names,
        value=model,
        flag="MODEL",
        key="model",
        what="The model the relation starts from",
        validate=lambda m: check_model(m, models, flag="MODEL"),
    )
    definition = models[model]
    kind = asker.select(
        "Relation type",
        list(PROMPT_TYPES),
        value=type,
        default="hasMany",
        flag="--type",
        key="type",
        titles=TITLES,
        validate=check_type,
    )
    target = asker.select(
        "Choose a model to create a relationship with",
        names,
        value=target,
        flag="--model",
        key="target",
        what="The related model",
        validate=lambda m: check_model(m, models, flag="--model"),
    )
    name = asker.text(
        "Enter the property name for the relation",
        value=name,
        default=default_relation_name(target, "hasMany" if kind == "hasManyThrough" else kind),
        flag="--name",
        key="name",
        validate=lambda n: check_relation_name(n, definition, model, force=force),
    )
    foreign_key = (
        asker.text(
            "Optionally enter a custom foreign key",
            value=foreign_key,
            flag="--foreign-key",
            key="foreignKey",
            required=False,
            validate=check_foreign_key,
        )
        or ""
    )
    if through is None and asker.has_answer("through"):
        through = asker.answer("through")
    if kind == "hasManyThrough" or through is not None:
        wants_through = True
    elif kind == "hasMany":
        wants_through = asker.confirm("Require a through model", default=False, flag="--through MODEL", key="_through")
    else:
        wants_through = False
    if wants_through:
        through = asker.select(
            "Choose a through model",
            names,
            value=through,
            flag="--through",
            key="through",
            what="A through model",
            validate=lambda m: check_model(m, models, flag="--through"),
        )
    stored = "hasMany" if kind == "hasManyThrough" else kind
    if through is not None and stored not in ("hasMany", "hasAndBelongsToMany"):
        raise UsageError(f"--through: a {stored} relation takes no through model; use --type hasManyThrough")
    public = (project.model_config().get(model) or {}).get("public", True) is not False
    nest = False
    if public or nest_remoting is not None or asker.has_answer("nestRemoting"):
        nest = asker.confirm(
            "Allow the relation to be nested in REST APIs",
            value=nest_remoting,
            default=False,
            flag="--nest-remoting",
            key="nestRemoting",
        )
    disable = asker.confirm(
        "Disable the relation from being included",
        value=disable_include,
        default=False,
        flag="--disable-include",
        key="disableInclude",
    )
    return model, NewRelation(
        name=name,
        type=stored,
        model=target,
        foreign_key=foreign_key,
        through=through,
        nest_remoting=nest,
        disable_include=disable,
    )


def add_relation(project: AppProject, model: str, relation: NewRelation, *, force: bool = False) -> Path:
    """Write ``relation`` into ``model``'s JSON (``force`` replaces one of the same name in place)."""
    path, definition = project.require_model(model)
    models = {n: d for n, (_, d) in project.model_definitions().items()}
    check_relation_name(relation.name, definition, model, force=force)
    check_model(relation.model, models, flag="--model")
    if relation.through is not None:
        check_model(relation.through, models, flag="--through")
    check_type(relation.type)
    check_foreign_key(relation.foreign_key)
    relations = definition.get("relations")
    if relations is None:
        relations = {}
    if not isinstance(relations, dict):
        raise UsageError(f'{project.relative(path)}: "relations" must be an object; fix the file first')
    relations[relation.name] = relation.definition()
    updated = _with_key(definition, "relations", relations, after=("validations", "properties"))
    return project.write(project.relative(path), updated)


def command(
    model: str | None = typer.Argument(None, help="The model the relation starts from."),
    type: str | None = typer.Option(None, "--type", help=", ".join(TYPES) + "."),
    target: str | None = typer.Option(None, "--model", help="The model at the other end."),
    name: str | None = typer.Option(None, "--name", help="The relation's property name, e.g. orders."),
    foreign_key: str | None = typer.Option(None, "--foreign-key", help="A custom foreign key."),
    through: str | None = typer.Option(None, "--through", help="The through model of a hasManyThrough."),
    nest_remoting: bool | None = typer.Option(
        None, "--nest-remoting/--no-nest-remoting", help="Nest the relation's routes in REST APIs."
    ),
    disable_include: bool | None = typer.Option(
        None, "--disable-include/--enable-include", help="Keep the relation out of filter include."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a relation of the same name."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Add a relation between two models (LoopBack 3's loopback:relation)."""
    with reported():
        project, asker = open_wizard(app_dir, yes=yes, config=config, keys=CONFIG_KEYS)
        model, relation = ask_relation(
            project,
            asker,
            model=model,
            type=type,
            target=target,
            name=name,
            foreign_key=foreign_key,
            through=through,
            nest_remoting=nest_remoting,
            disable_include=disable_include,
            force=force,
        )
        path = add_relation(project, model, relation, force=force)
        shown = TITLES.get(relation.type, relation.type) + (
            f" {relation.model} through {relation.through}" if relation.through else f" {relation.model}"
        )
        typer.echo(f"{model} {shown} as {relation.name} ({project.relative(path)})")
