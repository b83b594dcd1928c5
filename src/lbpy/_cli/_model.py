"""Create a model: name, datasource, base class, REST exposure, plural, common or server, then a
loop of properties -- the prompts of LoopBack 3's ``loopback:model``, in its order."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._app_files import LOOPBACK_BUILTIN_MODELS
from .._errors import UsageError
from .._model._definition import ROOT_BASES, pluralize
from .._project import dump_json, kebab_case
from .._templates import templates_dir
from ._ask import Asker
from ._errors import reported
from ._options import AppDir, ConfigAnswers, Yes
from ._property import (
    NewProperty,
    ask_property,
    check_property_name,
    parse_property_spec,
    parse_type,
)
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

BASE_CHOICES = ("Model", "PersistedModel")
#: LoopBack's built-in models a model may extend (the authentication and authorization ones);
#: the prompt lists them among the app's models, sorted by name, as LoopBack's generator did
BUILTIN_BASES = ("ACL", "AccessToken", "Email", "Role", "RoleMapping", "User")
#: every base a model may name besides the app's own models
BASES = frozenset(ROOT_BASES) | frozenset(BUILTIN_BASES)
NO_DATASOURCE = "(no datasource)"
#: ``--datasource none`` attaches the model to no datasource, unless one is really called so
_NONE_WORDS = ("none", "null", "")
FACETS = ("common", "server")

_MODEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLURAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.~-]*")
#: keys of the model JSON the wizard answers; ``--force`` keeps every other key of the old file
_WIZARD_KEYS = {"name", "plural", "base", "strict", "idInjection", "options", "properties"}

CONFIG_KEYS = ["name", "datasource", "base", "plural", "public", "facet", "strict", "properties"]


@dataclass
class NewModel:
    """A model as the wizard collects it."""

    name: str
    datasource: str | None = None
    base: str = "PersistedModel"
    public: bool = True
    plural: str | None = None
    facet: str = "common"
    strict: bool | None = None
    properties: list[NewProperty] = field(default_factory=list)


# -- validation -----------------------------------------------------------------------------------


def check_model_name(name: Any, project: AppProject, *, force: bool = False, flag: str = "NAME") -> str:
    if not isinstance(name, str) or not _MODEL_NAME.fullmatch(name):
        raise UsageError(
            f'{flag}: "{name}" is not a valid model name; use an identifier: a letter or _, then letters, '
            "digits or _ (e.g. CustomerOrder)"
        )
    if name in BASES:
        raise UsageError(f'{flag}: "{name}" is the name of a LoopBack base class; choose another model name')
    if force:
        return name
    existing = project.model_file(name)
    if existing is not None:
        raise UsageError(
            f'{flag}: model "{name}" already exists ({project.relative(existing)}); pass --force to replace it'
        )
    if name in project.model_config():
        raise UsageError(f'{flag}: model "{name}" is already in server/model-config.json; pass --force')
    return name


def check_datasource(name: Any, datasources: dict[str, Any], *, flag: str = "--datasource") -> str | None:
    if name is None or name == NO_DATASOURCE:
        return None
    if not isinstance(name, str):
        raise UsageError(f"{flag} must be a datasource name, not {json.dumps(name)}")
    if name in datasources:
        return name
    if name.lower() in _NONE_WORDS:
        return None
    known = ", ".join(datasources) or "none yet; create one with: lbpy datasource"
    raise UsageError(f'{flag}: the app has no datasource "{name}" (datasources: {known})')


def base_choices(model_names: Any) -> list[str]:
    """LoopBack's base-class list: Model, PersistedModel, then the built-in models and the app's,
    by name."""
    return [*BASE_CHOICES, *sorted(set(BUILTIN_BASES) | set(model_names))]


def check_base(base: Any, model_names: Any, *, flag: str = "--base") -> str:
    if isinstance(base, str) and (base in BASES or base in model_names):
        return base
    known = ", ".join(base_choices(model_names))
    if base in LOOPBACK_BUILTIN_MODELS:
        raise UsageError(f"{flag}: lbpy does not provide LoopBack's built-in {base} model (use one of: {known})")
    raise UsageError(f'{flag}: "{base}" is not a base class lbpy knows (use one of: {known})')


def check_plural(plural: Any, *, flag: str = "--plural") -> str | None:
    if plural in (None, ""):
        return None
    if not isinstance(plural, str) or not _PLURAL.fullmatch(plural):
        raise UsageError(f'{flag}: "{plural}" cannot be a URL path segment; use letters, digits, _ or -')
    return plural


def check_facet(facet: Any, *, flag: str = "--facet") -> str:
    if facet not in FACETS:
        raise UsageError(f'{flag} must be "common" or "server", not "{facet}"')
    return str(facet)


def parse_properties(specs: Any, model_names: Any, *, flag: str = "--property") -> list[NewProperty]:
    """``--property`` specs, or the ``properties`` answer of ``--config``: a list of specs, or
    LoopBack's own ``{"name": {"type": ...}}`` object."""
    if isinstance(specs, dict):
        items: list[Any] = []
        for key, value in specs.items():
            if isinstance(value, (str, list)):
                items.append({"name": key, "type": value})
            elif isinstance(value, dict):
                items.append({"name": key, **value})
            else:
                raise UsageError(f'{flag}: property "{key}" must be a type or an object, not {json.dumps(value)}')
        specs = items
    if not isinstance(specs, list):
        raise UsageError(f"{flag}: properties are a list of name:type[:required][=default]")
    props: list[NewProperty] = []
    seen: set[str] = set()
    for spec in specs:
        prop = parse_property_spec(spec, model_names, flag=flag)
        if prop.name in seen:
            raise UsageError(f'{flag}: property "{prop.name}" is given twice')
        seen.add(prop.name)
        props.append(prop)
    return props


# -- asking ---------------------------------------------------------------------------------------


def ask_model(
    project: AppProject,
    asker: Asker,
    *,
    name: Any = None,
    datasource: Any = None,
    base: Any = None,
    public: bool | None = None,
    plural: Any = None,
    facet: Any = None,
    strict: bool | None = None,
    properties: list[str] | None = None,
    force: bool = False,
) -> NewModel:
    definitions = project.model_definitions()
    datasources = project.datasources()

    name = asker.text(
        "Enter the model name",
        value=name,
        flag="NAME",
        key="name",
        what="A model name",
        validate=lambda n: check_model_name(n, project, force=force),
    )
    model_names = set(definitions) | {name}

    if datasource is None and asker.has_answer("datasource") and asker.answer("datasource") is None:
        datasource = NO_DATASOURCE  # "datasource": null in --config
    default_ds = "db" if "db" in datasources else next(iter(datasources), NO_DATASOURCE)
    ds_choices = [*datasources, NO_DATASOURCE]
    titles = {ds: f"{ds} ({(datasources[ds] or {}).get('connector', '?')})" for ds in datasources}
    datasource = asker.select(
        f"Select the datasource to attach {name} to",
        ds_choices,
        value=datasource,
        default=default_ds,
        flag="--datasource",
        key="datasource",
        titles=titles,
        validate=lambda d: d if d == NO_DATASOURCE else check_datasource(d, datasources),
    )
    datasource = None if datasource == NO_DATASOURCE else datasource

    bases = base_choices(set(definitions) - {name})
    base = asker.select(
        "Select model's base class",
        bases,
        value=base,
        default="PersistedModel" if datasource else "Model",
        flag="--base",
        key="base",
        validate=lambda b: check_base(b, set(definitions) - {name}),
    )
    public = asker.confirm(
        f"Expose {name} via the REST API", value=public, default=True, flag="--public/--no-public", key="public"
    )
    if public or plural is not None or asker.has_answer("plural"):
        hint = None
        if asker.prompting:
            hint = f"(leave blank for {pluralize(name)})"
        plural = asker.text(
            "Custom plural form (used to build REST URL)",
            value=plural,
            flag="--plural",
            key="plural",
            required=False,
            validate=check_plural,
            instruction=hint,
        )
    facet = asker.select(
        "Common model or server only",
        list(FACETS),
        value=facet,
        default="common",
        flag="--facet",
        key="facet",
        validate=check_facet,
    )
    if strict is None and asker.has_answer("strict"):
        strict = asker.answer("strict")
        if not isinstance(strict, bool):
            raise UsageError(f'--config: "strict" must be true or false, not {json.dumps(strict)}')
    new = NewModel(
        name=name, datasource=datasource, base=base, public=public, plural=plural or None, facet=facet, strict=strict
    )

    if properties:
        new.properties = parse_properties(properties, model_names)
    elif asker.has_answer("properties"):
        new.properties = parse_properties(asker.answer("properties"), model_names, flag="--config properties")
    elif asker.prompting and base != "KeyValueModel":
        # the loop's answers come from the terminal only: --config's "name" is the model's
        loop = Asker(yes=asker.yes, interactive=asker.interactive)
        asker.say(f"Let's add some {name} properties now.\n")
        asker.say("Enter an empty property name when done.")
        taken: dict[str, Any] = {}
        while True:
            prop = ask_property(loop, model_names, existing=taken, model=f"model {name}", in_loop=True)
            if prop is None:
                break
            taken[prop.name] = prop
            new.properties.append(prop)
            asker.say(f"\nLet's add another {name} property.")
    return new


# -- doing ---------------------------------------------------------------------------------------


def render_template(relative: str, **context: Any) -> str:
    """Render one of lbpy's templates (``templates/<relative>``)."""
    import jinja2

    def to_json(value: Any, level: int = 0) -> str:
        text = json.dumps(value, indent=2, ensure_ascii=False)
        return text.replace("\n", "\n" + "  " * level)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["json"] = to_json
    return env.get_template(relative).render(**context)


def model_definition(new: NewModel) -> dict[str, Any]:
    """The model JSON in LoopBack 3's format, from ``templates/model/model.json.jinja``."""
    text = render_template(
        "model/model.json.jinja",
        name=new.name,
        plural=new.plural,
        base=new.base,
        strict=new.strict,
        properties={p.name: p.definition() for p in new.properties},
    )
    definition: dict[str, Any] = json.loads(text)
    return definition


def create_model(project: AppProject, new: NewModel, *, force: bool = False) -> dict[str, str]:
    """Write the model JSON, its ``.py`` customisation stub and its model-config entry, all three
    or none. Every answer is checked first. Returns relative path -> "create"/"update"/"keep"."""
    check_model_name(new.name, project, force=force)
    definitions = project.model_definitions()
    model_names = set(definitions) | {new.name}
    if new.datasource is not None:
        check_datasource(new.datasource, project.datasources())
    check_base(new.base, set(definitions) - {new.name})
    if new.base == new.name:
        raise UsageError(f'--base: model "{new.name}" cannot be its own base')
    check_plural(new.plural)
    check_facet(new.facet)
    seen: set[str] = set()

    for prop in new.properties:
        check_property_name(prop.name, dict.fromkeys(seen, 1), flag="--property", model=f"model {new.name}")
        parse_type(prop.type, model_names, flag="--property")
        seen.add(prop.name)

    folder = project.facet_dir(new.facet)
    target = folder / f"{kebab_case(new.name)}.json"
    existing = definitions.get(new.name)
    definition = model_definition(new)
    if existing is not None:  # only with force
        old_path, old = existing
        if old_path.resolve() != target.resolve():
            raise UsageError(
                f'model "{new.name}" is defined in {project.relative(old_path)}, not {project.relative(target)}; '
                f"pass --facet {'server' if new.facet == 'common' else 'common'} to replace it where it is"
            )
        for key, value in old.items():
            if key not in _WIZARD_KEYS:
                definition[key] = value
    if target.exists():
        try:
            owner = json.loads(target.read_text("utf-8")).get("name")
        except (ValueError, AttributeError):
            owner = None
        if owner != new.name:
            raise UsageError(
                f"{project.relative(target)} already exists{f' (model {owner})' if owner else ''}; "
                "choose another model name"
            )

    model_config = project.model_config()
    entry = dict(model_config.get(new.name) or {})
    entry.update({"dataSource": new.datasource, "public": new.public})
    model_config[new.name] = entry
    source = project.model_source_for(new.facet)
    if source is not None:
        meta = model_config.setdefault("_meta", {})
        meta["sources"] = [*(meta.get("sources") or []), source]

    stub = target.with_suffix(".py")
    files: dict[str, str] = {}
    actions: dict[str, str] = {}
    rel_json, rel_stub = project.relative(target), project.relative(stub)
    if stub.exists():
        actions[rel_stub] = "keep"
    else:
        files[rel_stub] = render_template("model/model.py.jinja", name=new.name, json_file=rel_json)
        actions[rel_stub] = "create"
    files[rel_json] = dump_json(definition)
    actions[rel_json] = "update" if target.exists() else "create"
    files["server/model-config.json"] = dump_json(model_config)
    actions["server/model-config.json"] = "update"
    project.write_files(files)
    return actions


def report(actions: dict[str, str]) -> None:
    colours = {"create": "green", "update": "yellow", "keep": "blue"}
    for path, action in actions.items():
        typer.secho(f"  {action:>6}  ", fg=colours.get(action), nl=False)
        typer.echo(path)


# -- the command ---------------------------------------------------------------------------------


def command(
    name: str | None = typer.Argument(None, help="The model name, e.g. Customer."),
    datasource: str | None = typer.Option(
        None, "--datasource", help='The datasource to attach the model to ("none" for none).'
    ),
    base: str | None = typer.Option(
        None,
        "--base",
        help=(
            "Model, PersistedModel, a LoopBack built-in (User, AccessToken, ACL, Role, RoleMapping) "
            "or a model of the app."
        ),
    ),
    plural: str | None = typer.Option(None, "--plural", help="Plural used in REST URLs."),
    public: bool | None = typer.Option(None, "--public/--no-public", help="Expose the model over REST."),
    facet: str | None = typer.Option(None, "--facet", help="common (common/models) or server (server/models)."),
    strict: bool | None = typer.Option(None, "--strict/--no-strict", help="Reject properties not defined."),
    properties: list[str] | None = typer.Option(
        None, "--property", help="name:type\\[:required]\\[=default], e.g. tags:\\[string] or age:number=18; repeat."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a model of the same name."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Create a model and its properties (LoopBack 3's loopback:model)."""
    with reported():
        project, asker = open_wizard(app_dir, yes=yes, config=config, keys=CONFIG_KEYS)
        new = ask_model(
            project,
            asker,
            name=name,
            datasource=datasource,
            base=base,
            public=public,
            plural=plural,
            facet=facet,
            strict=strict,
            properties=properties,
            force=force,
        )
        actions = create_model(project, new, force=force)
        report(actions)
        typer.echo(f"Model {new.name} is ready" + (f" on datasource {new.datasource}." if new.datasource else "."))
