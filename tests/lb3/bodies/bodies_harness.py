"""The body translator's test cases: JavaScript model files (``js/``), the model JSON and the requests of
each case, and the two ways to serve them: as LoopBack 3 runs the JavaScript (``record.py``) and as lbpy
runs the translated Python (``test_lb3_bodies.py``). The declarations (``observe``, ``beforeRemote``, the
static and prototype functions) are found here by a small walk, standing in for import-lb3's emitter."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_javascript

from lbpy._lb3._bodies import Function, translate_function

HERE = Path(__file__).parent
JS = HERE / "js"
RECORDED = HERE / "recorded"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))

PROPERTIES = {
    "title": {"type": "string", "required": True},
    "pages": {"type": "number", "default": 0},
    "done": {"type": "boolean", "default": False},
    "slug": {"type": "string"},
}
METHODS = {
    "greet": {
        "accepts": [{"arg": "msg", "type": "string"}],
        "returns": {"arg": "greeting", "type": "string"},
        "http": {"verb": "get"},
    },
    "stats": {"returns": {"arg": "stats", "type": "object"}, "http": {"verb": "get"}},
    "label": {
        "accepts": [{"arg": "id", "type": "number", "required": True}],
        "returns": [{"arg": "label", "type": "string"}, {"arg": "state", "type": "string"}],
        "http": {"verb": "get"},
    },
    "finishAll": {
        "returns": [{"arg": "changed", "type": "number"}, {"arg": "done", "type": "number"}],
        "http": {"verb": "post"},
    },
    "prototype.shout": {
        "accepts": [{"arg": "times", "type": "number", "required": True}],
        "returns": {"arg": "text", "type": "string"},
        "http": {"verb": "get"},
    },
}


def idiom_requests(plural: str) -> list[list]:
    """The same conversation with the callback-style and the promise-style model."""
    return [
        ["POST", f"/api/{plural}", {"title": "First Note", "pages": 2}],
        ["POST", f"/api/{plural}", {"title": "Second Big Note", "pages": 5, "done": True}],
        ["POST", f"/api/{plural}", {"title": "forbidden"}],
        ["GET", f"/api/{plural}/greet?msg=Ann", None],
        ["GET", f"/api/{plural}/greet", None],
        ["GET", f"/api/{plural}/stats", None],
        ["GET", f"/api/{plural}/label?id=1", None],
        ["GET", f"/api/{plural}/label?id=2", None],
        ["GET", f"/api/{plural}/label?id=99", None],
        ["GET", f"/api/{plural}/label", None],
        ["GET", f"/api/{plural}/1/shout?times=3", None],
        ["PATCH", f"/api/{plural}/1", {"title": "Renamed Note"}],
        ["GET", f"/api/{plural}/1", None],
        ["POST", f"/api/{plural}/finishAll", None],
        ["GET", f"/api/{plural}/stats", None],
    ]


@dataclass
class Case:
    name: str
    #: model name -> (JavaScript file in js/, model JSON without name)
    models: dict[str, tuple[str | None, dict]]
    requests: list[list]
    #: boot scripts in js/boot/
    boot: tuple[str, ...] = ()
    #: LoopBack's built-in models the case uses -> their model-config.json entry
    builtins: dict | None = None
    #: lbpy's server/config.json additions (LoopBack 3 checked no acls before enableAuth(); lbpy does by default)
    config: dict | None = None


def _model(methods: dict | None = None) -> dict:
    return {"base": "PersistedModel", "properties": PROPERTIES, "methods": methods or {}}


MISC_METHODS = {
    "play": {
        "accepts": [
            {"arg": "text", "type": "string", "required": True},
            {"arg": "n", "type": "number", "required": True},
        ],
        "returns": {"arg": "result", "type": "object"},
        "http": {"verb": "get"},
    }
}
CUSTOMER = {
    "base": "PersistedModel",
    "properties": {"name": {"type": "string"}},
    "relations": {"orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"}},
    "methods": {
        "prototype.placeOrder": {
            "accepts": [{"arg": "amount", "type": "number", "required": True}],
            "returns": {"arg": "order", "type": "object", "root": True},
            "http": {"verb": "post"},
        },
        "prototype.summary": {"returns": {"arg": "summary", "type": "object", "root": True}, "http": {"verb": "get"}},
    },
}
ORDER = {
    "base": "PersistedModel",
    "properties": {"amount": {"type": "number"}},
    "relations": {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}},
}
SHELF = {
    "base": "PersistedModel",
    "plural": "shelves",
    "properties": {"name": {"type": "string"}},
    "methods": {
        "rename": {
            "accepts": [
                {"arg": "current", "type": "string", "required": True},
                {"arg": "wanted", "type": "string", "required": True},
            ],
            "returns": {"arg": "name", "type": "string"},
            "http": {"verb": "post"},
        },
        "purge": {
            "accepts": [{"arg": "name", "type": "string"}],
            "returns": {"arg": "count", "type": "number"},
            "http": {"verb": "post"},
        },
        "describe": {
            "accepts": [{"arg": "id", "type": "number", "required": True}],
            "returns": {"arg": "text", "type": "string"},
            "http": {"verb": "get"},
        },
        "broken": {"returns": {"arg": "text", "type": "string"}, "http": {"verb": "get"}},
        "busy": {"returns": {"arg": "text", "type": "string"}, "http": {"verb": "get"}},
        "drop": {
            "accepts": [{"arg": "id", "type": "number", "required": True}],
            "returns": {"arg": "result", "type": "object", "root": True},
            "http": {"verb": "post"},
        },
    },
}
ITEM = {
    "base": "PersistedModel",
    "properties": {
        "name": {"type": "string"},
        "secret": {"type": "string"},
        "touched": {"type": "boolean"},
        "createdBy": {"type": "string"},
    },
    "methods": {
        "census": {"returns": {"arg": "census", "type": "object", "root": True}, "http": {"verb": "get"}},
        "renameAll": {
            "accepts": [{"arg": "prefix", "type": "string"}],
            "returns": {"arg": "renamed", "type": "number"},
            "http": {"verb": "post"},
        },
    },
}
AUTH_MODELS = {
    "User": {"dataSource": "db", "public": False},
    "AccessToken": {"dataSource": "db", "public": False},
    "ACL": {"dataSource": "db", "public": False},
    "Role": {"dataSource": "db", "public": True},
    "RoleMapping": {"dataSource": "db", "public": True},
}

CASES = {
    "callbacks": Case("callbacks", {"Note": ("note.js", _model(METHODS))}, idiom_requests("Notes")),
    "promises": Case("promises", {"Task": ("task.js", _model(METHODS))}, idiom_requests("Tasks")),
    "boot": Case(
        "boot",
        {"Note": (None, _model())},
        [["GET", "/api/Notes", None], ["GET", "/api/Notes/count", None]],
        boot=("seed.js",),
    ),
    "seeding": Case(
        "seeding",
        {"Note": (None, _model())},
        [["GET", "/api/Notes?filter[order]=id%20ASC", None]],
        boot=("library.js",),
        builtins={"ACL": {"dataSource": "db", "public": False}},
    ),
    "language": Case(
        "language",
        {"Misc": ("misc.js", {"base": "Model", "plural": "Miscs", "methods": MISC_METHODS})},
        [
            ["GET", "/api/Miscs/play?text=foo%20bar%20bazaar&n=7", None],
            ["GET", "/api/Miscs/play?text=%20a%20bb%20&n=0", None],
            ["GET", "/api/Miscs/play?text=x&n=150", None],
            ["GET", "/api/Miscs/play?text=a%20b&n=-4.5", None],
        ],
    ),
    "records": Case(
        "records",
        {"Shelf": ("shelf.js", SHELF), "Note": (None, _model())},
        [
            ["POST", "/api/shelves", {"name": "a"}],
            ["POST", "/api/shelves", {"name": "b"}],
            ["POST", "/api/Notes", {"title": "Shelf life"}],
            ["POST", "/api/shelves/rename", {"current": "a", "wanted": "c"}],
            ["POST", "/api/shelves/rename", {"current": "zzz", "wanted": "c"}],
            ["POST", "/api/shelves/purge", {"name": "b"}],
            ["POST", "/api/shelves/purge", {"name": "b"}],
            ["GET", "/api/shelves/describe?id=1", None],
            ["GET", "/api/shelves/describe?id=7", None],
            ["GET", "/api/shelves/broken", None],
            ["GET", "/api/shelves/busy", None],
            ["POST", "/api/shelves/drop", {"id": 1}],
            ["POST", "/api/shelves/drop", {"id": 1}],
            ["GET", "/api/shelves", None],
        ],
    ),
    "hooks": Case(
        "hooks",
        {"Item": ("item.js", ITEM)},
        [
            ["POST", "/api/Items", {"name": "a", "secret": "x"}],
            ["POST", "/api/Items", {"name": "b"}],
            ["PATCH", "/api/Items/1", {"name": "c", "secret": "y"}],
            ["PATCH", "/api/Items/1", {"name": "d"}, {"x-lock": "yes"}],
            ["GET", "/api/Items/1", None],
            ["PUT", "/api/Items/2", {"name": "e", "secret": "z"}],
            ["GET", "/api/Items/census", None],
            ["POST", "/api/Items/renameAll", {"prefix": "new-"}],
            ["GET", "/api/Items/census", None],
        ],
    ),
    "relations": Case(
        "relations",
        {"Customer": ("customer.js", CUSTOMER), "Order": (None, ORDER)},
        [
            ["POST", "/api/Customers", {"name": "Ann"}],
            ["POST", "/api/Customers/1/placeOrder", {"amount": 12.5}],
            ["POST", "/api/Customers/1/placeOrder", {"amount": 30}],
            ["GET", "/api/Customers/1/summary", None],
            ["GET", "/api/Customers/1/orders", None],
            ["POST", "/api/Customers/1/placeOrder", {}],
        ],
    ),
    "roles": Case(
        "roles",
        {},
        [
            ["GET", '/api/Roles?filter={"fields":{"name":true}}', None],
            ["GET", '/api/RoleMappings?filter={"fields":{"principalType":true,"principalId":true}}', None],
        ],
        boot=("roles.js",),
        builtins=AUTH_MODELS,
        config={"auth": {"enabled": False}},
    ),
}


# -- finding the functions of a JavaScript file ----------------------------------------------------------


@dataclass
class Found:
    role: str
    name: str
    node: tree_sitter.Node
    #: how customize() registers it: ("static", name), ("prototype", name), ("observe", op), ("before", pattern)...
    registration: tuple[str, str]


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode()


def _walk(node: tree_sitter.Node):
    yield node
    for child in node.children:
        yield from _walk(child)


FUNCTIONS = ("function_expression", "function", "arrow_function")


def find_functions(source: bytes) -> list[Found]:
    """``Model.x = function``, ``Model.prototype.x = function``, ``Model.observe(op, fn)`` and remote hooks."""
    tree = PARSER.parse(source)
    found: list[Found] = []
    hooks = {"beforeRemote": "before", "afterRemote": "after", "afterRemoteError": "error"}
    counter = 0
    for node in _walk(tree.root_node):
        if node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right.type not in FUNCTIONS or left.type != "member_expression":
                continue
            path = _text(left, source).split(".")
            if path[0] == "module":
                continue
            if len(path) == 3 and path[1] == "prototype":
                found.append(Found("prototype_method", path[2], right, ("prototype", path[2])))
            elif len(path) == 2:
                found.append(Found("remote_method", path[1], right, ("static", path[1])))
        elif node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function.type != "member_expression":
                continue
            method = _text(function.child_by_field_name("property"), source)
            args = node.child_by_field_name("arguments").named_children
            if method == "observe" or method in hooks:
                if len(args) != 2 or args[1].type not in FUNCTIONS:
                    continue
                counter += 1
                label = json.loads(_text(args[0], source).replace("'", '"'))
                role = "operation_hook" if method == "observe" else "remote_hook"
                kind = "observe" if method == "observe" else hooks[method]
                found.append(Found(role, f"hook_{counter}", args[1], (kind, label)))
    return found


def boot_function(source: bytes) -> tree_sitter.Node:
    tree = PARSER.parse(source)
    for node in _walk(tree.root_node):
        if node.type == "assignment_expression" and _text(node.child_by_field_name("left"), source) == "module.exports":
            return node.child_by_field_name("right")
    raise LookupError("no module.exports = function(app)")


def translate_file(file: str, methods: dict) -> list[tuple[Found, Function]]:
    source = (JS / file).read_bytes()
    results = []
    for found in find_functions(source):
        accepts = None
        required = None
        if found.role in ("remote_method", "prototype_method"):
            key = found.name if found.role == "remote_method" else f"prototype.{found.name}"
            meta = methods.get(key, {})
            entries = meta.get("accepts", [])
            entries = entries if isinstance(entries, list) else [entries]
            accepts = [a["arg"] for a in entries]
            required = {a["arg"]: a["type"] for a in entries if a.get("required")}
        function = translate_function(
            found.node,
            role=found.role,  # type: ignore[arg-type]
            name=found.name,
            file=f"common/models/{file}",
            source=source,
            accepts=accepts,
            required_types=required,
        )
        results.append((found, function))
    return results


def _module_param(source: bytes) -> str:
    node = boot_function(source)
    params = node.child_by_field_name("parameters").named_children
    return _text(params[0], source)


def helpers_of(file: str) -> list[Function]:
    """The functions a file declares at its top level, as import-lb3 writes them beside customize()."""
    source = (JS / file).read_bytes()
    tree = PARSER.parse(source)
    return [
        translate_function(
            node, role="helper", name=_text(node.child_by_field_name("name"), source), file=file, source=source
        )
        for node in tree.root_node.named_children
        if node.type == "function_declaration"
    ]


def python_model_file(file: str, methods: dict) -> str:
    """``common/models/<name>.py`` with customize(Model) holding the translated functions."""
    source = (JS / file).read_bytes()
    model = _module_param(source)
    translated = translate_file(file, methods)
    helpers = helpers_of(file)
    imports = sorted(
        {line for _, function in translated for line in function.imports}
        | {line for function in helpers for line in function.imports}
    )
    top = [line for function in helpers for line in ["", "", *function.source.splitlines()]]
    body: list[str] = []
    for found, function in translated:
        body.extend("    " + line if line else "" for line in function.source.splitlines())
        kind, label = found.registration
        if kind == "static" or kind == "prototype":
            body.append(f"    {model}.{label} = {function.name}")
        elif kind == "observe":
            body.append(f"    {model}.observe({label!r}, {function.name})")
        else:
            body.append(f"    {model}.{kind}_remote({label!r}, {function.name})")
        body.append("")
    return "\n".join([*imports, *top, "", "", f"def customize({model}):", *body]) + "\n"


def python_boot_file(file: str) -> str:
    source = (JS / "boot" / file).read_bytes()
    function = translate_function(
        boot_function(source), role="boot", name="boot", file=f"server/boot/{file}", source=source
    )
    return "\n".join([*function.imports, "", "", function.source])


def kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def write_lbpy_files(root: Path, case: Case) -> None:
    """The Python lbpy runs for ``case`` (the app's JSON is written by conftest's write_app)."""
    for model, (file, definition) in case.models.items():
        if file is not None:
            text = python_model_file(file, definition.get("methods", {}))
            (root / "common" / "models" / f"{kebab(model)}.py").write_text(text)
    if case.boot:
        (root / "server" / "boot").mkdir(parents=True, exist_ok=True)
        for file in case.boot:
            (root / "server" / "boot" / file.replace(".js", ".py")).write_text(python_boot_file(file))


def write_loopback3_files(root: Path, case: Case) -> None:
    """The JavaScript LoopBack 3 runs for ``case``, next to the model JSON ``loopback3`` writes."""
    if case.builtins:
        config_path = root / "server" / "model-config.json"
        config = json.loads(config_path.read_text())
        config.update(case.builtins)
        config_path.write_text(json.dumps(config, indent=2))
    for model, (file, _) in case.models.items():
        if file is not None:
            shutil.copy(JS / file, root / "common" / "models" / f"{model}.js")
    if case.boot:
        (root / "server" / "boot").mkdir(parents=True, exist_ok=True)
        for file in case.boot:
            shutil.copy(JS / "boot" / file, root / "server" / "boot" / file)


def comparable(status: int, body: object) -> dict:
    """What must be equal between LoopBack 3 and lbpy: the status, and the body (an error by its
    statusCode, name, message and code; LoopBack adds a stack trace lbpy does not)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        body = {"error": {k: error[k] for k in ("statusCode", "name", "message", "code") if k in error}}
    return {"status": status, "body": body}
