"""``lbpy openapi SPEC`` (LoopBack 3's ``lb swagger``): an OpenAPI document turned into an app's
files: one model per named schema (``components.schemas`` or ``definitions``), a datasource on
the ``openapi`` connector, and a model attached to it whose methods are the document's
operations, so that ``lbpy start`` serves a façade over the remote API.

``plan_openapi`` reads the document and computes every file (nothing is written); the command
shows the plan (``--dry-run`` stops there) and ``write_plan`` writes it as one change. A document
read from a file whose servers URL is relative (lbpy's own say ``/api``), or that names no server,
leaves the API's base URL unknown: the plan says so (``base_url_needed``) and the command asks for
it (``--base-url``), which the datasource then keeps as its ``baseURL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._connectors.openapi._spec import Spec, load_spec
from ._errors import BootError, UsageError
from ._model._definition import pluralize
from ._project import AppProject, dump_json, kebab_case

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


@dataclass
class OpenApiPlan:
    spec: Spec
    datasource: str
    model: str
    #: relative path -> (action, text): "create" or "update"
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    schema_models: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    #: why the API's base URL must be given (--base-url), or None when the document says it
    base_url_needed: str | None = None


def pascal_case(text: str) -> str:
    words = re.findall(r"[A-Za-z][a-z0-9]*|[0-9]+|[A-Z]+(?![a-z])", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name and not name[0].isdigit() else f"Api{name}"


def camel_name(text: str) -> str:
    name = pascal_case(text)
    return name[:1].lower() + name[1:]


def base_url_option(text: str) -> str:
    """``--base-url`` checked: an http(s) URL, without a trailing slash."""
    text = text.strip()
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1].strip("/")) == 0:
        raise UsageError(f'--base-url: "{text}" is not an http(s) URL, e.g. https://api.example.com/api')
    return text.rstrip("/")


def plan_openapi(
    project: AppProject,
    source: str,
    *,
    datasource: str | None = None,
    model: str | None = None,
    force: bool = False,
    base_url: str | None = None,
) -> OpenApiPlan:
    """Every file ``lbpy openapi`` writes for the document ``source`` (a file or a URL);
    ``base_url`` is the API's root when the document's servers do not say it."""
    local = None
    if not source.startswith(("http://", "https://")):
        local = Path(source).expanduser()
        if not local.is_absolute():
            local = (Path.cwd() / local).resolve()
    try:
        spec = load_spec(str(local) if local else source, app_dir=None, where="SPEC", settings={})
    except BootError as exc:
        raise UsageError(str(exc)) from None
    title = str((spec.document.get("info") or {}).get("title") or "remote api")
    datasource = datasource or camel_name(title)
    model = model or pascal_case(title)
    for flag, value in (("--datasource", datasource), ("--model", model)):
        if not _IDENTIFIER.fullmatch(value):
            raise UsageError(f'{flag}: "{value}" is not a valid name (letters, digits and _)')
    plan = OpenApiPlan(spec=spec, datasource=datasource, model=model, operations=[op.name for op in spec.operations])
    existing = project.model_definitions()
    config = project.model_config()
    datasources = project.datasources()
    if datasource in datasources and not force:
        raise UsageError(f'datasource "{datasource}" already exists; pass --datasource NAME or --force')

    spec_setting: str = source
    if local is not None:
        try:
            spec_setting = str(local.relative_to(project.root))
        except ValueError:
            # a document outside the app is copied in, so that the app boots anywhere
            spec_setting = f"server/{kebab_case(datasource)}-spec{local.suffix or '.json'}"
            plan.files[spec_setting] = (
                "update" if project.path(spec_setting).exists() else "create",
                local.read_text("utf-8"),
            )

    names = {name: pascal_case(name) for name in spec.schemas()}
    clashes = sorted(n for n in names.values() if n == model)
    if clashes:
        raise UsageError(f'--model: the document has a schema named "{model}"; choose another façade name')
    for name, (schema, _pointer) in spec.schemas().items():
        model_name = names[name]
        definition = schema_model(spec, model_name, schema, names)
        _add_model(plan, project, existing, definition, force)
        config[model_name] = {"dataSource": None, "public": False}
        plan.schema_models.append(model_name)
    facade = {
        "name": model,
        "base": "Model",
        "plural": pluralize(model),
        "description": f"The operations of {title}, served by the {datasource} datasource "
        "(the openapi connector): each one a remote method.",
        "properties": {},
    }
    _add_model(plan, project, existing, facade, force)
    config[model] = {"dataSource": datasource, "public": True}
    datasources[datasource] = {"name": datasource, "connector": "openapi", "spec": spec_setting}
    if base_url is not None:
        datasources[datasource]["baseURL"] = base_url_option(base_url)
    elif spec.base_url() is None:
        plan.base_url_needed = _base_url_needed(spec)
    plan.files["server/datasources.json"] = ("update", dump_json(datasources))
    plan.files["server/model-config.json"] = ("update", dump_json(config))
    return plan


def _base_url_needed(spec: Spec) -> str:
    relative = spec.declared_server()
    if relative:
        return (
            f"the document's servers URL \"{relative}\" is relative and it was read from a file, so the API's "
            f"base URL is unknown: pass --base-url, e.g. --base-url https://api.example.com{relative.rstrip('/')}"
        )
    return (
        "the document names no server, so the API's base URL is unknown: pass --base-url, "
        "e.g. --base-url https://api.example.com"
    )


def _add_model(
    plan: OpenApiPlan, project: AppProject, existing: dict[str, Any], definition: dict[str, Any], force: bool
) -> None:
    name = definition["name"]
    if name in existing:
        if not force:
            raise UsageError(
                f'model "{name}" already exists ({project.relative(existing[name][0])}); pass --force to replace it'
            )
        relative = project.relative(existing[name][0])
    else:
        relative = f"common/models/{kebab_case(name)}.json"
    plan.files[relative] = ("update" if project.path(relative).exists() else "create", dump_json(definition))


def schema_model(spec: Spec, name: str, schema: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A LoopBack model definition (base Model) for a named schema."""
    schema = _merged(spec, schema)
    required = set(schema.get("required") or [])
    properties = {}
    for prop, raw in (schema.get("properties") or {}).items():
        if not isinstance(raw, dict):
            continue
        definition = property_definition(spec, raw, names)
        if prop in required:
            definition["required"] = True
        properties[prop] = definition
    out: dict[str, Any] = {"name": name, "base": "Model"}
    if schema.get("description"):
        out["description"] = str(schema["description"])
    out["properties"] = properties
    return out


def _merged(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    """``allOf`` parts merged into one object schema."""
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for part in schema["allOf"]:
        resolved, _ = spec.resolve(part, "")
        resolved = _merged(spec, resolved) if isinstance(resolved, dict) else {}
        merged["properties"].update(resolved.get("properties") or {})
        merged["required"] += list(resolved.get("required") or [])
    merged["properties"].update(schema.get("properties") or {})
    return merged


def property_definition(spec: Spec, raw: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    kind = property_type(spec, raw, names)
    out: dict[str, Any] = {"type": kind}
    if raw.get("description"):
        out["description"] = str(raw["description"])
    if "default" in raw and not isinstance(raw["default"], (dict, list)):
        out["default"] = raw["default"]
    return out


def property_type(spec: Spec, raw: dict[str, Any], names: dict[str, str]) -> Any:
    ref = raw.get("$ref")
    if isinstance(ref, str):
        target = ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        if target in names and ref.startswith(("#/components/schemas/", "#/definitions/")):
            return names[target]
        resolved, _ = spec.resolve(raw, "")
        return property_type(spec, resolved, names) if isinstance(resolved, dict) else "any"
    if isinstance(raw.get("allOf"), list) and len(raw["allOf"]) == 1:
        return property_type(spec, raw["allOf"][0], names)
    kind = raw.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "string":
        return "date" if raw.get("format") in ("date", "date-time") else "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        items = raw.get("items")
        return [property_type(spec, items, names)] if isinstance(items, dict) else ["any"]
    if kind == "object" or "properties" in raw:
        return "object"
    return "any"


def write_plan(project: AppProject, plan: OpenApiPlan) -> list[Path]:
    return project.write_files({path: text for path, (_action, text) in plan.files.items()})
