"""Add a remote method to a model -- the prompts of LoopBack 3's ``loopback:remote-method``:
static or instance, description, endpoints, accepts and returns arguments. Writes the method's
entry in the model JSON's ``methods`` and a Python function for it in the model's ``.py``."""

from __future__ import annotations

import ast
import json
import keyword
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._errors import UsageError
from .._model._definition import pluralize
from .._model._persisted import Model
from .._model._remote_definition import parse_http
from .._project import dump_json
from ._ask import Asker
from ._errors import reported
from ._model import render_template, report
from ._options import AppDir, ConfigAnswers, Yes
from ._property import _with_key
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

#: the types LoopBack's prompt offered
TYPE_CHOICES = ("string", "number", "boolean", "object", "array", "date", "buffer", "geopoint", "any")
VERB_CHOICES = ("post", "put", "delete", "get")
OTHER = "(other)"
VERBS = ("get", "post", "put", "patch", "delete", "head", "all")
#: where an argument's value comes from, as LoopBack's prompt listed them
SOURCES = {
    "(auto)": None,
    "form": "form",
    "path": "path",
    "query": "query",
    "store the whole request body": "body",
    "store the full request object": "req",
    "store the full response object": "res",
    "store the whole context object": "context",
}
CONFIG_KEYS = ["model", "name", "isStatic", "description", "http", "accepts", "returns"]


@dataclass
class Argument:
    """An ``accepts`` (``root`` unused) or ``returns`` (``required``/``source`` unused) item."""

    arg: str
    type: Any = "any"
    required: bool = False
    description: str = ""
    source: str | None = None
    root: bool = False

    def accepts_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "arg": self.arg,
            "type": self.type,
            "required": self.required,
            "description": self.description,
        }
        if self.source:
            entry["http"] = {"source": self.source}
        return entry

    def returns_json(self) -> dict[str, Any]:
        return {"arg": self.arg, "type": self.type, "root": self.root, "description": self.description}


@dataclass
class NewRemoteMethod:
    name: str
    is_static: bool = True
    description: str = ""
    http: list[dict[str, str]] = field(default_factory=list)
    accepts: list[Argument] = field(default_factory=list)
    returns: list[Argument] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The method's key in ``methods``: LoopBack 3 writes instance methods as ``prototype.<name>``."""
        return self.name if self.is_static else f"prototype.{self.name}"

    def definition(self) -> dict[str, Any]:
        """The ``methods`` entry, keys in loopback-workspace's order."""
        return {
            "accepts": [a.accepts_json() for a in self.accepts],
            "returns": [r.returns_json() for r in self.returns],
            "description": self.description,
            "http": [dict(e) for e in self.http],
        }


# -- checking answers -----------------------------------------------------------------------------


def check_method_name(name: Any, *, flag: str = "NAME") -> str:
    if not isinstance(name, str) or not name:
        raise UsageError(f"{flag}: a method name is required, e.g. greet")
    short = name[len("prototype.") :] if name.startswith("prototype.") else name
    if not short.isidentifier() or keyword.iskeyword(short):
        raise UsageError(
            f'{flag}: "{name}" is not a valid method name; use letters, digits and _ '
            "(not starting with a digit, not a Python keyword)"
        )

    if hasattr(Model, short):
        raise UsageError(f'{flag}: "{short}" is a method lbpy\'s models already have; choose another name')
    return name


def check_arg_name(name: Any, *, flag: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(
            f'{flag}: "{name}" is not a valid argument name; it becomes a Python parameter, '
            "so use letters, digits and _ (not a Python keyword)"
        )
    return name


def check_type(kind: Any, *, flag: str) -> Any:
    if isinstance(kind, str) and kind.startswith("[") and kind.endswith("]"):
        return [check_type(kind[1:-1] or "any", flag=flag)]
    if isinstance(kind, list) and len(kind) == 1:
        return [check_type(kind[0], flag=flag)]
    if not isinstance(kind, str) or not kind.isidentifier():
        raise UsageError(
            f'{flag}: "{kind}" is not a type; use one of {", ".join(TYPE_CHOICES)}, [type] or a model name'
        )
    return kind


def check_verb(verb: Any, *, flag: str = "--http") -> str:
    if not isinstance(verb, str) or verb.lower() not in VERBS:
        raise UsageError(f'{flag}: "{verb}" is not an HTTP verb; use one of: {", ".join(VERBS)}')
    return verb.lower()


def check_path(path: Any, *, flag: str = "--http") -> str:
    if not isinstance(path, str) or not path.strip() or " " in path.strip():
        raise UsageError(f'{flag}: "{path}" is not a path; write it like /greet or /:id/share')
    stripped = path.strip()
    return stripped if stripped.startswith("/") else "/" + stripped


def parse_endpoint(spec: Any, *, flag: str = "--http") -> dict[str, str]:
    """``"get /greet"``, ``"/greet"`` (post, LoopBack's first choice) or ``{"verb", "path"}``."""
    if isinstance(spec, dict):
        return {
            "path": check_path(spec.get("path"), flag=flag),
            "verb": check_verb(spec.get("verb", "post"), flag=flag),
        }
    if not isinstance(spec, str):
        raise UsageError(f'{flag}: an endpoint is "VERB /path", e.g. "get /greet"')
    parts = spec.split()
    if len(parts) == 1:
        return {"path": check_path(parts[0], flag=flag), "verb": "post"}
    if len(parts) == 2:
        return {"path": check_path(parts[1], flag=flag), "verb": check_verb(parts[0], flag=flag)}
    raise UsageError(f'{flag}: "{spec}" is not an endpoint; write "VERB /path", e.g. "get /greet"')


def parse_argument(spec: Any, *, returns: bool, flag: str) -> Argument:
    """``name[:type][:required]`` for accepts, ``name[:type][:root]`` for returns, or a JSON
    object as LoopBack writes the argument (``{"arg": "msg", "type": "string", ...}``)."""
    if isinstance(spec, str) and spec.lstrip().startswith("{"):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{flag}: invalid JSON ({exc.msg})") from None
    if isinstance(spec, dict):
        name = check_arg_name(spec.get("arg"), flag=flag)
        http = given_http if isinstance(given_http := spec.get("http"), dict) else {}
        source = http.get("source")
        if source is not None and source not in SOURCES.values():
            raise UsageError(
                f'{flag}: http.source "{source}" is not one of: ' + ", ".join(s for s in SOURCES.values() if s)
            )
        return Argument(
            name,
            check_type(spec.get("type", "any"), flag=flag),
            bool(spec.get("required")),
            str(spec.get("description") or ""),
            source,
            bool(spec.get("root")),
        )
    if not isinstance(spec, str) or not spec:
        raise UsageError(f"{flag}: an argument is name[:type]{'[:root]' if returns else '[:required]'}")
    parts = spec.split(":")
    name = check_arg_name(parts[0], flag=flag)
    kind = check_type(parts[1], flag=flag) if len(parts) > 1 and parts[1] else "any"
    flags = parts[2:]
    marker = "root" if returns else "required"
    if any(f != marker for f in flags):
        raise UsageError(f'{flag}: "{spec}": after name:type only "{marker}" may follow')
    if returns:
        return Argument(name, kind, root=bool(flags))
    return Argument(name, kind, required=bool(flags))


def _unique(arguments: list[Argument], *, flag: str, returns: bool) -> list[Argument]:
    names = [a.arg for a in arguments]
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f'{flag}: argument "{name}" is given twice')
    if returns and any(a.root for a in arguments) and len(arguments) > 1:
        raise UsageError(f"{flag}: a root argument is the whole response body, so it must be the only one")
    return arguments


# -- asking ---------------------------------------------------------------------------------------


def ask_remote_method(
    project: AppProject,
    asker: Asker,
    *,
    model: Any = None,
    name: Any = None,
    is_static: bool | None = None,
    description: Any = None,
    http: list[str] | None = None,
    accepts: list[str] | None = None,
    returns: list[str] | None = None,
) -> tuple[str, NewRemoteMethod]:
    definitions = project.model_definitions()
    if not definitions:
        raise UsageError("the app has no models yet; create one first with: lbpy model NAME")
    names = sorted(definitions)

    def valid_model(answer: Any) -> str:
        if answer not in definitions:
            raise UsageError(f'MODEL: the app has no model "{answer}" (models: {", ".join(names)})')
        return str(answer)

    model = asker.select(
        "Select the model", names, value=model, flag="MODEL", key="model", what="The model", validate=valid_model
    )
    name = asker.text(
        "Enter the remote method name",
        value=name,
        flag="NAME",
        key="name",
        what="A method name",
        validate=check_method_name,
    )
    prototype = name.startswith("prototype.")
    short = name[len("prototype.") :] if prototype else name
    is_static = asker.confirm(
        "Is Static", value=is_static, default=not prototype, flag="--static/--instance", key="isStatic"
    )
    description = (
        asker.text("Description for method", value=description, flag="--description", key="description", required=False)
        or ""
    )
    new = NewRemoteMethod(name=short, is_static=bool(is_static) and not prototype, description=description)

    if http:
        new.http = [parse_endpoint(spec) for spec in http]
    elif asker.has_answer("http"):
        given = asker.answer("http")
        new.http = [
            parse_endpoint(spec, flag="--config http") for spec in (given if isinstance(given, list) else [given])
        ]
    elif asker.prompting:
        asker.say("\nLet's configure where to expose your new method in the public REST API.")
        asker.say("You can provide multiple HTTP endpoints, enter an empty path when you are done.")
        loop = _loop_asker(asker)
        while True:
            path = loop.text(
                "Enter the path of this endpoint",
                flag="--http",
                required=False,
                validate=lambda p: check_path(p) if p else p,
            )
            if not path:
                break
            verb = loop.select("HTTP verb", [*VERB_CHOICES, OTHER], default="post", flag="--http")
            if verb == OTHER:
                verb = loop.text("Enter the custom http verb", flag="--http", validate=check_verb)
            new.http.append({"path": path, "verb": verb})
            asker.say("\nLet's add another endpoint, enter an empty path when done.")

    new.accepts = _arguments(asker, accepts, "accepts", "--accepts", returns=False)
    new.returns = _arguments(asker, returns, "returns", "--returns", returns=True)
    return model, new


def _loop_asker(asker: Asker) -> Asker:
    # the loops' answers come from the terminal only: --config gives whole lists

    return Asker(yes=asker.yes, interactive=asker.interactive)


def _arguments(asker: Asker, specs: list[str] | None, key: str, flag: str, *, returns: bool) -> list[Argument]:
    if specs:
        return _unique([parse_argument(s, returns=returns, flag=flag) for s in specs], flag=flag, returns=returns)
    if asker.has_answer(key):
        given = asker.answer(key)
        items = given if isinstance(given, list) else [given]
        return _unique(
            [parse_argument(s, returns=returns, flag=f"--config {key}") for s in items],
            flag=f"--config {key}",
            returns=returns,
        )
    if not asker.prompting:
        return []
    what = '"returns"' if returns else '"accepts"'
    asker.say(f"\nDescribe the {'output' if returns else 'input'} ({what}) arguments of your remote method.")
    asker.say(f"You can define multiple {'output' if returns else 'input'} arguments.")
    asker.say(f"Enter an empty name when you've defined all {'output' if returns else 'input'} arguments.")
    loop = _loop_asker(asker)
    found: list[Argument] = []
    while True:
        taken = {a.arg for a in found}

        def valid_name(answer: Any, taken: set[str] = taken) -> Any:
            if not answer:
                return answer
            check_arg_name(answer, flag=flag)
            if answer in taken:
                raise UsageError(f'argument "{answer}" is already defined')
            return answer

        name = loop.text("What is the name of this argument", flag=flag, required=False, validate=valid_name)
        if not name:
            return found
        kind = loop.select("Select argument's type", [*TYPE_CHOICES, OTHER], default="string", flag=flag)
        if kind == OTHER:
            kind = loop.text("Enter the type", flag=flag, validate=lambda t: check_type(t, flag=flag))
        if returns:
            root = loop.confirm("Is this argument a full response body (root)", default=False, flag=flag)
            described = loop.text("Please describe the argument", flag=flag, required=False) or ""
            found.append(Argument(name, kind, description=described, root=root))
            asker.say("\nLet's add another return argument. Enter empty name when done.")
        else:
            required = loop.confirm("Is this argument required", default=False, flag=flag)
            described = loop.text("Please describe the argument", flag=flag, required=False) or ""
            source = loop.select("Where to get the value from", list(SOURCES), default="(auto)", flag=flag)
            found.append(Argument(name, kind, required, described, SOURCES[source]))
            asker.say("\nLet's add another accept argument, enter an empty name when done.")
        _unique(found, flag=flag, returns=returns)


# -- writing ---------------------------------------------------------------------------------------


def routes_of(new: NewRemoteMethod, plural: str) -> list[str]:
    """``["GET /Notes/greet"]``: where the method is served, under the REST API root."""
    return [f"{e.verb} /{plural}{e.path}" for e in parse_http(new.http, new.name, new.is_static)]


def python_function(model: str, new: NewRemoteMethod, json_file: str, routes: list[str]) -> str:
    """The Python stub for ``new``: a module-level function lbpy binds to the JSON method."""
    first = "self" if not new.is_static else (model if all(a.arg != model for a in new.accepts) else "cls")
    required = [a.arg for a in new.accepts if a.required]
    optional = [f"{a.arg}=None" for a in new.accepts if not a.required]
    signature = ", ".join([first, *required, *optional])
    lines = [f"async def {new.name}({signature}):"]
    summary = new.description.strip().rstrip(".") + "." if new.description.strip() else f"The {new.name} remote method."
    doc = [summary, ""]
    kind = "static" if new.is_static else "instance"
    doc.append(f'The {kind} method "{new.key}" of {json_file}: {", ".join(routes)}.')
    described = [a for a in new.accepts if a.description or a.type != "any"]
    if described:
        doc.append("")
        doc.append("Arguments:")
        doc.extend(
            f"    {a.arg} ({_type_text(a.type)}){': ' + a.description if a.description else ''}" for a in described
        )
    if new.returns:
        doc.append("")
        doc.append("Returns:")
        doc.extend(
            f"    {r.arg} ({_type_text(r.type)}){': ' + r.description if r.description else ''}" for r in new.returns
        )
    lines.append('    """' + doc[0])
    lines.extend(("    " + line) if line else "" for line in doc[1:])
    lines.append('    """')
    if not new.returns:
        lines.append("    # TODO: do the work; returning nothing answers 204 No Content")
        lines.append("    return None")
    elif len(new.returns) == 1:
        ret = new.returns[0].arg
        lines.append(f"    {ret} = None  # TODO: compute it")
        lines.append(f"    return {ret}")
    else:
        for returned in new.returns:
            lines.append(f"    {returned.arg} = None  # TODO: compute it")
        pairs = ", ".join(f'"{r.arg}": {r.arg}' for r in new.returns)
        lines.append(f"    return {{{pairs}}}")
    return "\n".join(lines) + "\n"


def _type_text(kind: Any) -> str:
    return f"[{kind[0]}]" if isinstance(kind, list) else str(kind)


def _defined_names(source: str, shown: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise UsageError(f"{shown}:{exc.lineno}: {exc.msg}; fix the file first, then add the method") from None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def add_remote_method(project: AppProject, model: str, new: NewRemoteMethod, *, force: bool = False) -> dict[str, str]:
    """Write ``new`` into ``model``'s JSON ``methods`` and a function for it into the model's
    ``.py``, both or neither. Returns relative path -> "create" / "update" / "keep"."""
    path, definition = project.require_model(model)
    check_method_name(new.key)
    for argument in new.accepts + new.returns:
        check_arg_name(argument.arg, flag="--accepts")
    _unique(new.accepts, flag="--accepts", returns=False)
    _unique(new.returns, flag="--returns", returns=True)
    methods = definition.get("methods")
    if methods is None:
        methods = {}
    if not isinstance(methods, dict):
        raise UsageError(f'{project.relative(path)}: "methods" must be an object; fix the file first')
    other = f"prototype.{new.name}" if new.is_static else new.name
    if (new.key in methods or other in methods) and not force:
        raise UsageError(
            f'{model} already has a remote method "{new.key if new.key in methods else other}"; '
            "choose another name, or pass --force to replace its definition"
        )
    methods.pop(other, None)
    methods[new.key] = new.definition()
    updated = _with_key(definition, "methods", methods, after=("acls", "relations", "validations", "properties"))

    rel_json = project.relative(path)
    routes = routes_of(new, definition.get("plural") or _plural(model))
    stub = path.with_suffix(".py")
    rel_stub = project.relative(stub)
    actions: dict[str, str] = {rel_json: "update"}
    files = {rel_json: dump_json(updated)}
    if stub.exists():
        source = stub.read_text("utf-8")
        if new.name in _defined_names(source, rel_stub):
            actions[rel_stub] = "keep"  # the function is already written: the JSON now declares it
        else:
            separator = "" if source.endswith("\n\n\n") else ("\n\n" if source.endswith("\n") else "\n\n\n")
            files[rel_stub] = source + separator + python_function(model, new, rel_json, routes)
            actions[rel_stub] = "update"
    else:
        header = render_template("model/model.py.jinja", name=model, json_file=rel_json)
        files[rel_stub] = header.rstrip("\n") + "\n\n\n" + python_function(model, new, rel_json, routes)
        actions[rel_stub] = "create"
    if rel_stub in files:
        _defined_names(files[rel_stub], rel_stub)  # what is written must still be valid Python
    project.write_files(files)
    return actions


# -- the command ---------------------------------------------------------------------------------


def command(
    model: str | None = typer.Argument(None, help="The model to add the method to."),
    name: str | None = typer.Argument(None, help="The method name (prototype.NAME for an instance method)."),
    is_static: bool | None = typer.Option(
        None, "--static/--instance", help="A static method (Model.NAME) or an instance one (/:id/...)."
    ),
    description: str | None = typer.Option(None, "--description", help="What the method does."),
    http: list[str] | None = typer.Option(
        None, "--http", help='An endpoint, "VERB /path" (e.g. "get /greet"); repeat for more.'
    ),
    accepts: list[str] | None = typer.Option(
        None, "--accepts", help="An input argument, name:type[:required] or JSON; repeat for more."
    ),
    returns: list[str] | None = typer.Option(
        None, "--returns", help="An output argument, name:type[:root] or JSON; repeat for more."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a method of the same name in the JSON."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Add a remote method to a model (LoopBack 3's loopback:remote-method)."""
    with reported():
        project, asker = open_wizard(app_dir, yes=yes, config=config, keys=CONFIG_KEYS)
        model, new = ask_remote_method(
            project,
            asker,
            model=model,
            name=name,
            is_static=is_static,
            description=description,
            http=http,
            accepts=accepts,
            returns=returns,
        )
        actions = add_remote_method(project, model, new, force=force)
        report(actions)
        _, definition = project.require_model(model)
        for route in routes_of(new, definition.get("plural") or _plural(model)):
            typer.echo(f"{model}.{new.key}: {route}")


def _plural(name: str) -> str:

    return pluralize(name)
