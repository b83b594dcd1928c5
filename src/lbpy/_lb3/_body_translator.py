"""The walk that turns one JavaScript function (a tree-sitter node) into Python source, or refuses.

Every construct is translated only where the Python behaves as the JavaScript did under LoopBack 3;
anything else raises ``Unsupported`` with a one-line reason, and the caller writes a stub. Values whose
type the walk can tell (literals, counts, strings it built, records a model call returned) become
plain Python; others go through ``lbpy.js``, which applies JavaScript's rules (``add``, ``truthy``,
``loose_equals``, ...).

Callback style is turned into ``await``: ``Model.find(filter, function(err, items) {...})`` in the
last position of a function becomes ``items = await Model.find(filter)`` followed by the callback's
body, ``if (err) return cb(err);`` disappears (the exception propagates), ``cb(null, value)`` becomes
``return value`` and ``cb(err)`` ``raise err``. A promise chain ``return Model.findById(id).then(fn)``
is unrolled the same way.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass, field

from tree_sitter import Node

CALLBACK_NAMES = ("cb", "callback", "next", "done", "fn", "cb2", "callBack")

#: JS static method -> (lbpy method, what it gives back)
MODEL_STATICS = {
    "find": ("find", "instances"),
    "findOne": ("find_one", "instance?"),
    "findById": ("find_by_id", "instance?"),
    "create": ("create", "instance"),
    "count": ("count", "num"),
    "exists": ("exists", "bool"),
    "updateAll": ("update_all", "dict"),
    "update": ("update_all", "dict"),
    "destroyById": ("destroy_by_id", "dict"),
    "deleteById": ("destroy_by_id", "dict"),
    "removeById": ("destroy_by_id", "dict"),
    "destroyAll": ("destroy_all", "dict"),
    "deleteAll": ("destroy_all", "dict"),
    "upsert": ("upsert", "instance"),
    "updateOrCreate": ("upsert", "instance"),
    "patchOrCreate": ("upsert", "instance"),
    "replaceById": ("replace_by_id", "instance"),
    "replaceOrCreate": ("replace_or_create", "instance"),
}
#: how many arguments (before options) each takes at most
STATIC_ARITY = {
    "find": 1,
    "find_one": 1,
    "find_by_id": 2,
    "create": 1,
    "count": 1,
    "exists": 1,
    "update_all": 2,
    "destroy_by_id": 1,
    "destroy_all": 1,
    "upsert": 1,
    "replace_by_id": 2,
    "replace_or_create": 1,
}
MODEL_PROTOTYPE = {
    "save": ("save", "instance", 0),
    "updateAttributes": ("update_attributes", "instance", 1),
    "patchAttributes": ("update_attributes", "instance", 1),
    "destroy": ("destroy", "dict", 0),
    "delete": ("destroy", "dict", 0),
    "remove": ("destroy", "dict", 0),
    "reload": ("reload", "instance", 0),
}
RELATION_METHODS = {
    "find": ("find", "instances"),
    "create": ("create", "instance"),
    "count": ("count", "num"),
    "findById": ("find_by_id", "instance?"),
    "destroyById": ("destroy_by_id", "none"),
    "destroyAll": ("destroy_all", "dict"),
    "exists": ("exists", "bool"),
    "updateById": ("update_by_id", "instance"),
}
#: operation hook ``ctx`` properties -> (Python attribute, type)
OPERATION_CTX = {
    "instance": ("instance", "instance?"),
    "currentInstance": ("current_instance", "instance?"),
    "data": ("data", "dict?"),
    "where": ("where", "dict?"),
    "options": ("options", "dict"),
    "isNewInstance": ("is_new_instance", "bool?"),
    "hookState": ("hook_state", "dict"),
    "Model": ("Model", "model"),
    "info": ("info", "dict?"),
}
REMOTE_CTX = {
    "args": ("args", "dict"),
    "result": ("result", "unknown"),
    "req": ("req", "request"),
    "instance": ("instance", "instance?"),
    "options": ("options", "dict"),
    "methodString": ("method_string", "str"),
    "error": ("error", "unknown"),
}
#: types whose Python truthiness is JavaScript's (lists and dicts are not: [] and {} are true in JS)
PLAIN_TRUTH = {"num", "str", "str?", "bool", "bool?", "none", "instance", "instance?", "date", "model", "err"}
#: types whose values JavaScript always finds true when they are there (an empty [] or {} too)
OBJECT_TYPES = {"dict", "dict?", "list", "instances"}
#: JS Date getters (local time) -> Python on a datetime
DATE_GETTERS = {
    "getFullYear": "{d}.astimezone().year",
    "getMonth": "{d}.astimezone().month - 1",
    "getDate": "{d}.astimezone().day",
    "getHours": "{d}.astimezone().hour",
    "getMinutes": "{d}.astimezone().minute",
    "getSeconds": "{d}.astimezone().second",
    "getUTCFullYear": "{d}.astimezone(timezone.utc).year",
    "getUTCMonth": "{d}.astimezone(timezone.utc).month - 1",
    "getUTCDate": "{d}.astimezone(timezone.utc).day",
    "getUTCHours": "{d}.astimezone(timezone.utc).hour",
    "getTime": "int({d}.timestamp() * 1000)",
    "valueOf": "int({d}.timestamp() * 1000)",
    "getDay": "({d}.astimezone().isoweekday() % 7)",
}
STRING_METHODS = {
    "toUpperCase": (".upper()", 0),
    "toLowerCase": (".lower()", 0),
    "trim": (".strip()", 0),
    "trimStart": (".lstrip()", 0),
    "trimEnd": (".rstrip()", 0),
}
SIMPLE_MATH = {"abs": "abs", "floor": "math.floor", "ceil": "math.ceil", "trunc": "math.trunc"}


def _required_what(module: str) -> str:
    """Why a body that uses ``require(module)`` is stubbed: a file of the app, or an npm module."""
    if module.startswith((".", "/")):
        return f"uses the file {module!r} of the app (require), which lbpy does not load"
    return f"uses the npm module {module!r} (require)"


class Unsupported(Exception):
    """The JavaScript leaves the subset translated faithfully; ``reason`` says which construct."""

    def __init__(self, reason: str, node: Node | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = node.start_point[0] + 1 if node is not None else None


@dataclass
class Expr:
    code: str
    type: str = "unknown"
    #: safe as an operand without parentheses
    atom: bool = True
    #: a string built from parts: ("text", value) and ("code", python), merged when added to
    pieces: list[tuple[str, str]] | None = None

    def wrapped(self) -> str:
        return self.code if self.atom else f"({self.code})"


@dataclass
class Scope:
    types: dict[str, str] = field(default_factory=dict)


def js_parameters(node: Node, source: bytes) -> list[str]:
    """The parameter names of a function node (``*`` for a destructured or default one)."""
    params = node.child_by_field_name("parameters")
    if params is None:
        single = node.child_by_field_name("parameter")
        return [_text(single, source)] if single is not None else []
    names = []
    for child in params.named_children:
        names.append(_text(child, source) if child.type == "identifier" else "*")
    return names


def _text(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


#: LoopBack's types of a required argument -> the translator's
ARGUMENT_TYPES = {"number": "num", "string": "str", "boolean": "bool", "array": "list", "object": "dict"}


def translate(
    node: Node,
    *,
    role: str,
    name: str,
    source: bytes,
    accepts: list[str] | None,
    required_types: dict[str, str] | None = None,
) -> tuple[str, list[str]]:
    """The Python source of ``node`` and the import lines it needs; ``Unsupported`` if it cannot be faithful."""
    translator = _Translator(node, role=role, name=name, source=source, accepts=accepts)
    translator.argument_types = {k: ARGUMENT_TYPES.get(v, "unknown") for k, v in (required_types or {}).items()}
    return translator.run()


#: names the generated code itself uses: a JavaScript variable of that name gets a ``_`` at its end
RESERVED = frozenset(
    [
        "None",
        "True",
        "False",
        "js",
        "math",
        "json",
        "random",
        "functools",
        "datetime",
        "timezone",
        "os",
        "logging",
        "HttpError",
        "self",
        "len",
        "range",
        "list",
        "next",
        "any",
        "all",
        "isinstance",
        "enumerate",
        "max",
        "min",
        "abs",
        "int",
        "str",
        "format",
        "print",
    ]
)


def py_name(name: str) -> str:
    """A JavaScript identifier as a Python one (``from`` -> ``from_``, ``len`` -> ``len_``, ``$x`` -> ``_x``)."""
    name = name.replace("$", "_")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED:
        return name + "_"
    return name


def py_string(value: str) -> str:
    """A Python string literal, double-quoted like ruff format writes them (single-quoted when that
    spares escaping double quotes)."""
    if '"' in value and "'" not in value and "\\" not in value and value.isprintable():
        return "'" + value + "'"
    return double_quoted(value)


def double_quoted(value: str) -> str:
    out = ['"']
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def decode_escape(text: str, node: Node) -> str:
    body = text[1:]
    if body in _ESCAPES:
        return _ESCAPES[body]
    if body.startswith("u{") and body.endswith("}"):
        return chr(int(body[2:-1], 16))
    if body.startswith("u") and len(body) == 5:
        return chr(int(body[1:], 16))
    if body.startswith("x") and len(body) == 3:
        return chr(int(body[1:], 16))
    if body.startswith(("\n", "\r")):
        return ""  # a line continuation
    if body[:1].isdigit():
        raise Unsupported("an octal escape in a string", node)
    return body


class _Translator:
    def __init__(self, node: Node, *, role: str, name: str, source: bytes, accepts: list[str] | None) -> None:
        self.node = node
        self.role = role
        self.name = name
        self.src = source
        self.accepts = accepts
        self.imports: set[str] = set()
        self.lines: list[str] = []
        self.scopes: list[Scope] = [Scope()]
        self.callback: str | None = None
        self.style = "sync"
        #: JS names that stand for a model class -> Python expression
        self.models: dict[str, str] = {}
        self.model_param: str | None = None
        self.app_name: str | None = None
        self.ctx_name: str | None = None
        self.is_async = False
        #: functions the file declares at its top (helpers), callable by name
        self.helpers: dict[str, bool] = {}
        #: inside a try block: a callback inlined there would be caught where JavaScript's was not
        self.in_try = 0
        #: inside a loop or a forEach body: a tail callback there is not the end of the function
        self.in_loop = 0
        self.foreach_depth = 0
        #: inside a .then() handler, whose return gives the chain's value
        self.then_depth = 0
        self.temp_count = 0
        #: ``var`` names declared in a block and used outside it, set to None at the top
        self.hoisted: set[str] = set()
        #: the types of required arguments (the REST layer has coerced them)
        self.argument_types: dict[str, str] = {}
        #: JS name -> Python name of each variable
        self.renames: dict[str, str] = {}

    # -- set-up ---------------------------------------------------------------------------

    def text(self, node: Node) -> str:
        return _text(node, self.src)

    def fail(self, reason: str, node: Node | None = None) -> Unsupported:
        return Unsupported(reason, node)

    def run(self) -> tuple[str, list[str]]:
        node = self.node
        if node.type == "method_definition":
            raise self.fail("a method definition")
        if node.type not in ("function_expression", "function", "arrow_function", "function_declaration"):
            raise self.fail(f"a {node.type} where a function was expected", node)
        if node.has_error:
            raise self.fail("the function does not parse as JavaScript", node)
        if any(child.type == "*" for child in node.children):
            raise self.fail("a generator function", node)
        self.is_async = any(child.type == "async" for child in node.children)
        self._find_enclosing()
        params = js_parameters(node, self.src)
        if "*" in params:
            raise self.fail("destructured or default parameters", node)
        python_params = self._signature(params)
        body = node.child_by_field_name("body")
        if body is None:
            raise self.fail("a function without a body", node)
        if body.type != "statement_block":
            # an arrow function with an expression body
            if self.style == "callback":
                raise self.fail("an arrow function with an expression body takes a callback", body)
            self._statement_return(body, body, indent=1)
        else:
            self._hoist(body, params)
            exits = self.block(body.named_children, indent=1, tail=True)
            if self.style == "callback" and not exits:
                raise self.fail(f"a path ends without calling {self.callback}()", body)
            if self.style == "promise" and not exits:
                # neither a callback nor a promise: LoopBack 3 waited for an answer that never came
                raise self.fail("a path ends without a callback or a returned promise", body)
        while self.lines and self.lines[-1] == "    return" and len(self.lines) > 1:
            self.lines.pop()
        if (
            self.role == "helper"
            and self.style == "sync"
            and not self.is_async
            and any("await " in line for line in self.lines)
        ):
            raise self.fail("a function that is not async but returns a promise", self.node)
        prefix = "async def" if self.is_async or self.style != "sync" else "def"
        if self.role != "helper" and prefix == "def":
            prefix = "async def"
        signature = f"{prefix} {self.name}({', '.join(python_params)}):"
        self.lines = [wrapped for line in self.lines for wrapped in wrap_line(line)]
        code_lines = [line for line in self.lines if not line.strip().startswith("#")]
        if not code_lines:
            self.lines.append("    pass")
        return "\n".join([signature, *self.lines]) + "\n", sorted(self.imports)

    def _hoist(self, body: Node, params: list[str]) -> None:
        """A ``var`` declared in a block and used outside it exists, undefined, from the start of the
        function in JavaScript: it is ``None`` from the start in Python too."""
        for declarator in _nested_vars(body):
            name = self.text(declarator.child_by_field_name("name"))
            block = declarator.parent
            while block is not None and block.type != "statement_block":
                block = block.parent
            if block is None or name in params or name in self.hoisted:
                continue
            outside = [
                n
                for n in _identifier_nodes(body, name, self.src)
                if not (block.start_byte <= n.start_byte < block.end_byte)
            ]
            if outside:
                self.hoisted.add(name)
                self.declare(name, "unknown")
                self.emit(1, f"{self.renames[name]} = None")

    def _find_enclosing(self) -> None:
        """The model parameter of ``module.exports = function(Model) {...}`` around the node, and the
        functions the file declares, which bodies may call."""
        parent = self.node.parent
        while parent is not None:
            if parent.type in ("function_expression", "function", "arrow_function", "function_declaration"):
                outer = js_parameters(parent, self.src)
                if outer and outer[0] != "*" and self.role != "boot" and self.model_param is None:
                    self.model_param = outer[0]
                    self.models[outer[0]] = py_name(outer[0])
            if parent.parent is None:
                for child in parent.named_children:
                    self._note_helper(child)
            parent = parent.parent
        wrapper = self._module_function()
        if wrapper is not None:
            body = wrapper.child_by_field_name("body")
            for child in body.named_children if body is not None else []:
                self._note_helper(child)

    def _module_function(self) -> Node | None:
        node = self.node.parent
        found = None
        while node is not None:
            if node.type in ("function_expression", "function", "arrow_function"):
                found = node
            node = node.parent
        return found

    def _note_helper(self, child: Node) -> None:
        if child.type == "function_declaration":
            name = child.child_by_field_name("name")
            if name is not None and child != self.node:
                self.helpers[self.text(name)] = any(c.type == "async" for c in child.children)

    def _signature(self, params: list[str]) -> list[str]:
        role = self.role
        if role in ("operation_hook", "remote_hook"):
            if not params:
                raise self.fail("a hook without a ctx parameter", self.node)
            self.ctx_name = params[0]
            self.declare(params[0], "ctx" if role == "operation_hook" else "rctx")
            rest = params[1:]
            if role == "remote_hook" and len(rest) >= 1:
                # LoopBack 3 passed ctx.result as it was when the hook began
                self.declare(rest[0], "unknown")
                self.emit(1, f"{self.renames[rest[0]]} = {py_name(params[0])}.result")
                rest = rest[1:]
            if rest:
                self.callback = rest[0]
                self.style = "callback"
                if len(rest) > 1:
                    raise self.fail("a hook with more parameters than ctx and next", self.node)
            else:
                self._no_callback_style()
            return [py_name(params[0])]
        if role == "boot":
            if not params:
                self.style = "async" if self.is_async else "sync"
                return ["app"]
            self.app_name = params[0]
            self.declare(params[0], "app")
            if len(params) > 1:
                self.callback = params[1]
                self.style = "callback"
            else:
                self.style = "async" if self.is_async else "sync"
            return [py_name(params[0])]
        if role in ("remote_method", "prototype_method"):
            accepts = list(self.accepts or [])
            if self.accepts is None:
                accepts = [p for p in params if p not in CALLBACK_NAMES] if params else []
                if params and params[-1] in CALLBACK_NAMES and len(accepts) == len(params):
                    accepts = params[:-1]
            for arg in accepts:
                if not arg.isidentifier() or keyword.iskeyword(arg) or arg in RESERVED:
                    raise self.fail(f'the argument name "{arg}" is not a Python name', self.node)
            if len(params) == len(accepts) + 1:
                self.callback = params[-1]
                self.style = "callback"
            elif len(params) <= len(accepts):
                self._no_callback_style()
            else:
                raise self.fail("more parameters than the remote method accepts, plus a callback", self.node)
            for js, py in zip(params, accepts, strict=False):
                # an argument named for the HTTP request or response is Express's object in LoopBack 3
                http_object = py in ("req", "res", "request", "response")
                self.declare(js, "http-object" if http_object else self.argument_types.get(py, "unknown"), py)
            for extra in accepts[len(params) :]:
                self.declare(extra, "unknown")
            # an argument the caller left out is not passed at all: it is None, as it was undefined
            python = [f"{arg}=None" for arg in accepts]
            if role == "prototype_method":
                python = ["self", *python]
            return python
        # a helper: its own parameters; a callback makes it callback style
        if params and params[-1] in CALLBACK_NAMES:
            raise self.fail("a helper function that takes a callback", self.node)
        for param in params:
            self.declare(param, "unknown")
        self.style = "async" if self.is_async else "sync"
        return [py_name(p) for p in params]

    def _no_callback_style(self) -> None:
        self.style = "async" if self.is_async else "promise"

    # -- scopes ---------------------------------------------------------------------------

    def declare(self, name: str, type_: str, python: str | None = None) -> None:
        self.scopes[-1].types[name] = type_
        self.renames[name] = python or py_name(name)

    def lookup(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope.types:
                return scope.types[name]
        return None

    def set_type(self, name: str, type_: str) -> None:
        for scope in reversed(self.scopes):
            if name in scope.types:
                scope.types[name] = type_
                return

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def use(self, line: str) -> None:
        self.imports.add(line)

    def js(self, name: str) -> str:
        """A helper of ``lbpy.js``, written ``js.add(...)`` so that JavaScript's rules show where they apply."""
        self.use("from lbpy import js")
        return f"js.{name}"

    # -- statements -----------------------------------------------------------------------

    def block(self, nodes: list[Node], *, indent: int, tail: bool) -> bool:
        """Translate statements; True when the last one always leaves the function."""
        start = len(self.lines)
        exits = False
        statements = [n for n in nodes if n.type != "empty_statement"]
        index = 0
        while index < len(statements):
            node = statements[index]
            is_last = all(n.type == "comment" for n in statements[index + 1 :])
            if exits and node.type != "comment":
                raise self.fail("code after a return", node)
            consumed = self.statement(
                node, statements[index + 1 :], indent=indent, tail=tail and is_last, block_tail=tail
            )
            if isinstance(consumed, tuple):
                exits, skip = consumed
                index += skip
            else:
                exits = consumed
            index += 1
        if len(self.lines) == start or all(line.strip().startswith("#") for line in self.lines[start:]):
            self.emit(indent, "pass")
        return exits

    def statement(
        self, node: Node, following: list[Node], *, indent: int, tail: bool, block_tail: bool = False
    ) -> bool | tuple[bool, int]:
        """One statement; ``tail`` when it is the last thing the function does, ``block_tail`` when its
        block is (a declaration may take the statements after it along)."""
        kind = node.type
        if kind == "comment":
            for raw in self.text(node).strip().removeprefix("//").removeprefix("/*").removesuffix("*/").splitlines():
                line = raw.strip().lstrip("*").strip()
                if line:
                    self.emit(indent, f"# {line}")
            return False
        if kind == "statement_block":
            self.scopes.append(Scope())
            try:
                return self.block(node.named_children, indent=indent, tail=tail)
            finally:
                self.scopes.pop()
        if kind == "expression_statement":
            return self.expression_statement(node.named_children[0], indent=indent, tail=tail)
        if kind == "return_statement":
            value = node.named_children[0] if node.named_children else None
            if value is not None and value.type == "comment":
                value = None
            return self._statement_return(value, node, indent=indent)
        if kind == "throw_statement":
            if self.foreach_depth:
                raise self.fail("throw inside a forEach callback", node)
            error = self.error_value(node.named_children[0])
            self.emit(indent, f"raise {error}")
            return True
        if kind in ("lexical_declaration", "variable_declaration"):
            return self.declaration(node, following, indent=indent, tail=block_tail)
        if kind == "if_statement":
            return self.if_statement(node, indent=indent, tail=tail, keyword="if")
        if kind == "for_in_statement":
            return self.for_in(node, indent=indent)
        if kind == "for_statement":
            return self.for_statement(node, indent=indent)
        if kind == "while_statement":
            condition = self.condition(node.child_by_field_name("condition"))
            self.emit(indent, f"while {condition}:")
            self.loop_body(node.child_by_field_name("body"), indent + 1)
            return False
        if kind == "switch_statement":
            return self.switch(node, indent=indent, tail=tail)
        if kind == "try_statement":
            return self.try_statement(node, indent=indent, tail=tail)
        if kind == "break_statement":
            if node.named_children:
                raise self.fail("a labelled break", node)
            if not self.in_loop:
                raise self.fail("break outside a loop", node)
            self.emit(indent, "break")
            return False
        if kind == "continue_statement":
            if node.named_children:
                raise self.fail("a labelled continue", node)
            self.emit(indent, "continue")
            return False
        if kind == "function_declaration":
            raise self.fail("a function declared inside the body", node)
        raise self.fail(f"unsupported statement ({kind.replace('_', ' ')})", node)

    def loop_body(self, body: Node, indent: int) -> None:
        self.in_loop += 1
        self.scopes.append(Scope())
        try:
            nodes = body.named_children if body.type == "statement_block" else [body]
            self.block(nodes, indent=indent, tail=False)
        finally:
            self.in_loop -= 1
            self.scopes.pop()

    def _statement_return(self, value: Node | None, node: Node, *, indent: int) -> bool:
        if self.foreach_depth:
            if value is not None:
                self._expression_effect(value, indent)
            self.emit(indent, "continue")
            return True
        if value is None:
            if self.style == "callback":
                raise self.fail(f"returns without calling {self.callback}()", node)
            self.emit(indent, "return")
            return True
        if self.is_callback_call(value):
            return self.callback_call(value, indent=indent)
        if self.style == "callback":
            if self._callback_style_call(value) is not None:
                return self.callback_model_call(value, indent=indent, tail=True)
            raise self.fail(f"returns a value instead of calling {self.callback}()", node)
        promise = self.promise_expression(value, indent)
        if promise is not None:
            if promise:
                self.emit(indent, f"return {promise}")
            return True
        if self.style == "promise" and not self.then_depth:
            raise self.fail("returns a value without a callback or a promise", node)
        self.emit(indent, f"return {self.expr(value).code}")
        return True

    def _expression_effect(self, value: Node, indent: int) -> None:
        code = self.expr(value)
        if not _is_pure(value):
            self.emit(indent, code.code)

    def expression_statement(self, node: Node, *, indent: int, tail: bool) -> bool:
        if self.is_callback_call(node):
            if not tail or self.in_loop or self.in_try:
                raise self.fail(f"{self.callback}() is called before the end of the function", node)
            return self.callback_call(node, indent=indent)
        if self._callback_style_call(node) is not None:
            if not tail or self.in_loop or self.in_try:
                self._check_fire_and_forget(node)
                self.emit(indent, "# LoopBack went on without waiting for this call; lbpy waits for it")
                self.callback_model_call(node, indent=indent, tail=False, waited=False)
                return False
            return self.callback_model_call(node, indent=indent, tail=tail)
        if node.type == "call_expression":
            handled = self.statement_call(node, indent=indent)
            if handled:
                return False
            args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
            call = self._model_call_target(node, args)
            if call is not None:
                if self.in_try:
                    raise self.fail("a model call inside try that JavaScript did not wait for", node)
                self.emit(indent, "# LoopBack went on without waiting for this call; lbpy waits for it")
                self.emit(indent, f"await {call[0]}")
                return False
        if node.type == "await_expression":
            code = self.await_expression(node).code
            if code.startswith("list(await asyncio.gather("):
                code = code.removeprefix("list(").removesuffix(")")  # nobody reads the results
            self.emit(indent, code)
            return False
        if node.type in ("assignment_expression", "augmented_assignment_expression", "update_expression"):
            self.assignment(node, indent=indent)
            return False
        if node.type == "sequence_expression":
            raise self.fail("a comma expression", node)
        if node.type == "unary_expression" and self.text(node.child_by_field_name("operator")) == "delete":
            self.delete(node.child_by_field_name("argument"), indent=indent)
            return False
        expr = self.expr(node)
        if _is_pure(node):
            return False
        self.emit(indent, expr.code)
        return False

    # -- callbacks ------------------------------------------------------------------------

    def is_callback_call(self, node: Node) -> bool:
        if node.type != "call_expression" or self.callback is None:
            return False
        function = node.child_by_field_name("function")
        return function is not None and function.type == "identifier" and self.text(function) == self.callback

    def callback_call(self, node: Node, *, indent: int) -> bool:
        """``cb(null, a, b)`` -> ``return a, b``; ``cb(err)`` -> ``raise err``; ``cb()`` -> ``return``."""
        if self.foreach_depth:
            raise self.fail(f"{self.callback}() called inside a forEach callback", node)
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if not args:
            self.emit(indent, "return")
            return True
        first = args[0]
        # cb(err, items) inside a call's callback: an error was raised already, so err is null here
        passed_on = first.type == "identifier" and self.lookup(self.text(first)) == "callback-error"
        if (
            passed_on
            or first.type in ("null", "undefined")
            or (first.type == "identifier" and self.text(first) == "undefined")
        ):
            values = [self.expr(a).code for a in args[1:]]
            if self.role in ("operation_hook", "remote_hook", "boot") and values:
                raise self.fail(f"{self.callback}() given a value in a hook", node)
            if not values:
                self.emit(indent, "return")
            else:
                self.emit(indent, f"return {', '.join(values)}")
            return True
        if len(args) > 1:
            raise self.fail(f"{self.callback}() with an error and a value", node)
        self.emit(indent, f"raise {self.error_value(first)}")
        return True

    def error_value(self, node: Node) -> str:
        """What ``throw x`` / ``cb(x)`` raises: an error built here or an error variable."""
        expr = self.expr(node)
        if expr.type != "err":
            raise self.fail("throws or passes on a value that is not an Error built in the function", node)
        return expr.code

    def _callback_style_call(self, node: Node) -> tuple[Node, Node] | None:
        """``Model.find(filter, function(err, items) {...})`` or ``Model.find(filter, cb)``: the call
        without its last argument, and that argument."""
        if node.type != "call_expression":
            return None
        args = node.child_by_field_name("arguments")
        named = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        if not named:
            return None
        last = named[-1]
        is_function = last.type in ("function_expression", "function", "arrow_function")
        is_callback = last.type == "identifier" and self.text(last) == self.callback
        if not (is_function or is_callback):
            return None
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            return None
        if self._model_call_target(node, named[:-1]) is None:
            return None
        return node, last

    def _check_fire_and_forget(self, node: Node) -> None:
        """A callback-style call the function does not wait for may be awaited in its place only when its
        callback neither answers the function (cb) nor returns, and no try around it would catch more."""
        if self.in_try:
            raise self.fail("a callback-style call inside try (its errors escaped the try in JavaScript)", node)
        if self.in_loop or self.foreach_depth:
            raise self.fail("a callback-style call inside a loop (JavaScript ran its callbacks after the loop)", node)
        callback = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"][-1]
        if callback.type == "identifier":
            raise self.fail(
                f"passes {self.text(callback)} to a call that is not the last thing the function does", node
            )
        body = callback.child_by_field_name("body")
        params = js_parameters(callback, self.src)
        if body is None or body.type != "statement_block":
            raise self.fail("a callback with an expression body", callback)
        if len(params) > 1 and self.lookup(params[1]) not in (None, "callback-error"):
            raise self.fail(f'a callback whose "{params[1]}" hides a variable of the function', callback)
        for name in _identifiers(body, self.src) - set(params):
            if self.lookup(name) not in (None, "model", "app", "registry") and _assignments(self.node, name, self.src):
                # JavaScript ran the callback later, when the function may have changed the variable
                raise self.fail(f'a callback that reads "{name}", which the function changes', callback)
        statements = self._without_error_checks(body.named_children, params[0] if params else None)
        for statement in statements:
            if self.callback is not None and _uses(statement, self.callback, self.src):
                raise self.fail(
                    f"{self.callback}() called from a callback that is not the last thing the function does", node
                )
            if _contains(statement, "return_statement", stop_at_functions=True):
                raise self.fail("a callback that returns, in a call that is not the last thing the function does", node)

    def callback_model_call(self, node: Node, *, indent: int, tail: bool, waited: bool = True) -> bool:
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        call = self._model_call_target(node, args[:-1])
        assert call is not None
        code, result_type = call
        callback = args[-1]
        if callback.type == "identifier":
            # Model.find(filter, cb): its answer is the function's
            if self.role in ("operation_hook", "remote_hook", "boot"):
                self.emit(indent, f"await {code}")
                self.emit(indent, "return")
            else:
                self.emit(indent, f"return await {code}")
            return True
        params = js_parameters(callback, self.src)
        if "*" in params:
            raise self.fail("a callback with destructured parameters", callback)
        if len(params) > 2:
            raise self.fail("a callback taking more than an error and a result", callback)
        body = callback.child_by_field_name("body")
        self.scopes.append(Scope())
        try:
            error_name = params[0] if params else None
            if error_name is not None:
                self.declare(error_name, "callback-error")
            if len(params) == 2:
                self.declare(params[1], result_type)
                self.emit(indent, f"{self.renames[params[1]]} = await {code}")
            else:
                self.emit(indent, f"await {code}")
            if body.type != "statement_block":
                raise self.fail("a callback with an expression body", callback)
            statements = self._without_error_checks(body.named_children, error_name)
            exits = self.block(statements, indent=indent, tail=tail)
        finally:
            self.scopes.pop()
        if self.style == "callback" and not exits and waited:
            raise self.fail(f"a callback ends without calling {self.callback}()", callback)
        return exits and waited

    def _without_error_checks(self, statements: list[Node], error_name: str | None) -> list[Node]:
        """Drop ``if (err) return cb(err);`` (and ``throw err``): in Python the error propagates."""
        if error_name is None:
            return statements
        kept = []
        for statement in statements:
            if statement.type == "if_statement" and self._is_error_check(statement, error_name):
                continue
            kept.append(statement)
        for statement in kept:
            if self._passes_error_on(statement, error_name):
                continue
            if _uses(statement, error_name, self.src):
                raise self.fail(f'uses the callback error "{error_name}" other than to pass it on', statement)
        return kept

    def _passes_error_on(self, statement: Node, error_name: str) -> bool:
        """``cb(err, value)`` or ``return cb(err)``: the callback's error handed on as it came."""
        if statement.type not in ("expression_statement", "return_statement") or not statement.named_children:
            return False
        call = statement.named_children[0]
        if not self.is_callback_call(call):
            return False
        args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if not args or args[0].type != "identifier" or self.text(args[0]) != error_name:
            return False
        return not any(_uses(a, error_name, self.src) for a in args[1:])

    def _is_error_check(self, node: Node, error_name: str) -> bool:
        condition = node.child_by_field_name("condition")
        if node.child_by_field_name("alternative") is not None:
            return False
        inner = condition.named_children[0] if condition is not None and condition.named_children else None
        if inner is None or inner.type != "identifier" or self.text(inner) != error_name:
            return False
        body = node.child_by_field_name("consequence")
        statements = body.named_children if body.type == "statement_block" else [body]
        statements = [n for n in statements if n.type != "comment"]
        if len(statements) != 1:
            return False
        statement = statements[0]
        target = statement
        if (statement.type == "return_statement" and statement.named_children) or (
            statement.type == "expression_statement"
        ):
            target = statement.named_children[0]
        elif statement.type == "throw_statement":
            thrown = statement.named_children[0]
            return thrown.type == "identifier" and self.text(thrown) == error_name
        if target.type != "call_expression" or not self.is_callback_call(target):
            return False
        args = [a for a in target.child_by_field_name("arguments").named_children if a.type != "comment"]
        return len(args) == 1 and args[0].type == "identifier" and self.text(args[0]) == error_name

    # -- promises -------------------------------------------------------------------------

    def promise_expression(self, node: Node, indent: int, *, chained: bool = False) -> str | None:
        """The Python value of a returned promise (``await ...``), emitting the statements of a
        ``.then`` chain before it; ``""`` when the chain itself returned; None when ``node`` is no promise.
        ``chained``: another ``.then`` takes the value, so a handler must give it, not return it."""
        while node.type == "parenthesized_expression":
            node = node.named_children[0]
        if node.type == "await_expression":
            return None
        if node.type != "call_expression":
            return None
        function = node.child_by_field_name("function")
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if function.type == "member_expression":
            obj = function.child_by_field_name("object")
            prop = self.text(function.child_by_field_name("property"))
            if obj.type == "identifier" and self.text(obj) == "Promise" and self.lookup("Promise") is None:
                if prop == "resolve":
                    return self.expr(args[0]).code if args else "None"
                if prop == "all" and len(args) == 1:
                    gathered = self.gather(args[0])
                    self._last_call_type = "list"
                    return f"list(await {gathered})"
                if prop == "reject" and len(args) == 1:
                    self.emit(indent, f"raise {self.error_value(args[0])}")
                    return ""
                raise self.fail(f"Promise.{prop}", node)
            if prop == "then":
                if len(args) != 1:
                    raise self.fail(".then() with an error handler", node)
                value = self.promise_expression(obj, indent, chained=True)
                if value is None:
                    raise self.fail(".then() on a value that is not a promise of a model call", node)
                if value == "":
                    raise self.fail(".then() after a rejection", node)
                return self.inline_then(args[0], value, indent, chained=chained)
            if prop == "catch" and len(args) == 1 and not chained:
                return self.inline_catch(obj, args[0], indent)
            if prop in ("catch", "finally"):
                raise self.fail(f".{prop}() on a promise", node)
        call = self._model_call_target(node, args)
        if call is not None:
            return f"await {call[0]}"
        if function.type == "identifier" and self.helpers.get(self.text(function)):
            return f"await {self.expr(node).code}"
        return None

    def inline_then(self, handler: Node, value: str, indent: int, *, chained: bool = False) -> str:
        if handler.type not in ("function_expression", "function", "arrow_function"):
            raise self.fail(".then() with a handler that is not a function written there", handler)
        if any(c.type == "async" for c in handler.children):
            raise self.fail("an async .then() handler", handler)
        params = js_parameters(handler, self.src)
        if len(params) > 1 or "*" in params:
            raise self.fail(".then() handler with more than one parameter", handler)
        body = handler.child_by_field_name("body")
        self.scopes.append(Scope())
        try:
            if params:
                self.declare(params[0], self._awaited_type(value))
                self.emit(indent, f"{self.renames[params[0]]} = {value}")
            else:
                self.emit(indent, value)
            if body.type == "statement_block" and chained:
                statements = [n for n in body.named_children if n.type != "comment"]
                if len(statements) != 1 or statements[0].type != "return_statement" or not statements[0].named_children:
                    raise self.fail("a .then() handler followed by another .then() that does more than return", handler)
                body = statements[0].named_children[0]
            if body.type != "statement_block":
                promise = self.promise_expression(body, indent)
                if promise is not None:
                    return promise
                self._last_call_type = "unknown"
                return self.expr(body).code
            self.then_depth += 1
            try:
                exits = self.block(body.named_children, indent=indent, tail=True)
            finally:
                self.then_depth -= 1
            if not exits:
                self.emit(
                    indent, "return None" if self.role not in ("operation_hook", "remote_hook", "boot") else "return"
                )
            return ""
        finally:
            self.scopes.pop()

    def inline_catch(self, chain: Node, handler: Node, indent: int) -> str:
        """``return chain.catch(function(err) {...})``: the chain in ``try``, the handler in ``except``."""
        if handler.type not in ("function_expression", "function", "arrow_function"):
            raise self.fail(".catch() with a handler that is not a function written there", handler)
        if any(c.type == "async" for c in handler.children):
            raise self.fail("an async .catch() handler", handler)
        params = js_parameters(handler, self.src)
        if len(params) > 1 or "*" in params:
            raise self.fail(".catch() handler with more than one parameter", handler)
        self.emit(indent, "try:")
        self.in_try += 1
        try:
            value = self.promise_expression(chain, indent + 1)
        finally:
            self.in_try -= 1
        if value is None:
            raise self.fail(".catch() on a value that is not a promise of a model call", chain)
        if value:
            self.emit(indent + 1, f"return {value}")
        body = handler.child_by_field_name("body")
        self.scopes.append(Scope())
        try:
            if params:
                self.declare(params[0], "err")
                self.emit(indent, f"except Exception as {self.renames[params[0]]}:")
            else:
                self.emit(indent, "except Exception:")
            if body.type != "statement_block":
                promise = self.promise_expression(body, indent + 1)
                self.emit(indent + 1, f"return {promise if promise is not None else self.expr(body).code}")
                return ""
            self.then_depth += 1
            try:
                exits = self.block(body.named_children, indent=indent + 1, tail=True)
            finally:
                self.then_depth -= 1
            if not exits:
                self.emit(indent + 1, "return None")
            return ""
        finally:
            self.scopes.pop()

    def _awaited_type(self, value: str) -> str:
        return self._last_call_type

    # -- model calls ----------------------------------------------------------------------

    _last_call_type = "unknown"

    def _model_call_target(self, node: Node, args: list[Node]) -> tuple[str, str] | None:
        """``Model.find(...)``, ``instance.save()``, ``instance.orders.create(...)`` as the Python call
        (without ``await``) and the type of what it gives back; None when ``node`` is none of them."""
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            return None
        obj = function.child_by_field_name("object")
        method = self.text(function.child_by_field_name("property"))
        # relation accessor: instance.orders.create(...)
        if obj.type == "member_expression" and method in RELATION_METHODS:
            owner = obj.child_by_field_name("object")
            relation = self.text(obj.child_by_field_name("property"))
            owner_expr = self.expr_or_none(owner)
            if (
                owner_expr is not None
                and owner_expr.type in ("instance", "instance?")
                and relation not in _INSTANCE_ATTRS
            ):
                python, result = RELATION_METHODS[method]
                code_args = ", ".join(self.expr(a).code for a in args)
                self._last_call_type = result
                return f"{owner_expr.wrapped()}.related({py_string(relation)}).{python}({code_args})", result
        target = self.expr_or_none(obj)
        if target is None:
            return None
        if target.type == "model" and method in MODEL_STATICS:
            python, result = MODEL_STATICS[method]
            if python == "create" and args and args[0].type == "array":
                result = "instances"
            if len(args) > STATIC_ARITY[python] + 1:
                raise self.fail(f"{method}() with more arguments than it takes", node)
            code_args = ", ".join(self.expr(a).code for a in args)
            self._last_call_type = result
            return f"{target.wrapped()}.{python}({code_args})", result
        if target.type in ("instance", "instance?") and method in MODEL_PROTOTYPE:
            python, result, arity = MODEL_PROTOTYPE[method]
            if len(args) > arity + 1:
                raise self.fail(f"{method}() with more arguments than it takes", node)
            code_args = ", ".join(self.expr(a).code for a in args)
            self._last_call_type = result
            return f"{target.wrapped()}.{python}({code_args})", result
        if target.type in ("instance", "instance?") and method == "updateAttribute" and len(args) == 2:
            key, value = self.expr(args[0]), self.expr(args[1])
            self._last_call_type = "instance"
            return f"{target.wrapped()}.update_attributes({{{key.code}: {value.code}}})", "instance"
        if target.type == "model" and method in ("findOrCreate", "upsertWithWhere", "createAll", "login", "logout"):
            raise self.fail(f"{method}() is not translated yet", node)
        return None

    def expr_or_none(self, node: Node) -> Expr | None:
        try:
            return self.expr(node)
        except Unsupported:
            return None

    def await_expression(self, node: Node) -> Expr:
        if not self.is_async:
            raise self.fail("await outside an async function", node)
        inner = node.named_children[0]
        while inner.type == "parenthesized_expression":
            inner = inner.named_children[0]
        if inner.type == "call_expression":
            args = [a for a in inner.child_by_field_name("arguments").named_children if a.type != "comment"]
            call = self._model_call_target(inner, args)
            if call is not None:
                return Expr(f"await {call[0]}", call[1], atom=False)
            function = inner.child_by_field_name("function")
            if function.type == "identifier" and self.text(function) in self.helpers:
                return Expr(f"await {self.expr(inner).code}", "unknown", atom=False)
            if function.type == "member_expression":
                obj = function.child_by_field_name("object")
                if obj.type == "identifier" and self.text(obj) == "Promise":
                    prop = self.text(function.child_by_field_name("property"))
                    if prop == "all" and len(args) == 1:
                        return Expr(f"list(await {self.gather(args[0])})", "list")
                    raise self.fail(f"await {self.text(function)}()", node)
                migration = self._datasource_migration(function, args)
                if migration is not None:
                    return Expr(f"await {migration}", "none", atom=False)
        raise self.fail("await on something other than a model call", node)

    def _datasource_migration(self, function: Node, args: list[Node]) -> str | None:
        """``app.dataSources.db.automigrate('Note')`` (or ``autoupdate``, of one model name, a list of names or
        none) as the datasource's call in lbpy; None for anything else."""
        method = self.text(function.child_by_field_name("property"))
        holder = function.child_by_field_name("object")
        if method not in ("automigrate", "autoupdate") or holder.type != "member_expression" or len(args) > 1:
            return None
        sources = holder.child_by_field_name("object")
        if sources.type != "member_expression" or self.text(sources.child_by_field_name("property")) not in (
            "dataSources",
            "datasources",
        ):
            return None
        app = self.expr_or_none(sources.child_by_field_name("object"))
        if app is None or app.type != "app":
            return None
        name = self.text(holder.child_by_field_name("property"))
        if not args:
            models = ""
        elif args[0].type == "string":
            models = f"[{py_string(self.string_value(args[0]))}]"
        elif args[0].type == "array" and all(a.type == "string" for a in args[0].named_children):
            models = "[" + ", ".join(py_string(self.string_value(a)) for a in args[0].named_children) + "]"
        else:
            return None
        return f"{app.code}.datasources[{py_string(name)}].{method}({models})"

    def gather(self, node: Node) -> str:
        """``Promise.all([...model calls])`` or ``Promise.all(items.map(x => x.save()))`` as
        ``asyncio.gather(...)``: the calls start together, as they did in JavaScript."""
        self.use("import asyncio")
        if node.type == "array":
            calls = []
            for element in node.named_children:
                if element.type == "comment":
                    continue
                call = self._promise_call(element)
                if call is None:
                    raise self.fail("Promise.all() of something other than model calls", element)
                calls.append(call)
            return f"asyncio.gather({', '.join(calls)})"
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
            if function.type == "member_expression" and self.text(function.child_by_field_name("property")) == "map":
                items = self.expr(function.child_by_field_name("object"))
                mapper = args[0] if len(args) == 1 else None
                if (
                    items.type in ("list", "instances", "unknown")
                    and mapper is not None
                    and mapper.type == "arrow_function"
                ):
                    params = js_parameters(mapper, self.src)
                    body = mapper.child_by_field_name("body")
                    if len(params) == 1 and params[0] != "*" and body.type == "call_expression":
                        self.scopes.append(Scope())
                        try:
                            self.declare(params[0], "instance" if items.type == "instances" else "unknown")
                            call = self._promise_call(body)
                        finally:
                            self.scopes.pop()
                        if call is not None:
                            return f"asyncio.gather(*({call} for {self.renames[params[0]]} in {items.code}))"
        raise self.fail("Promise.all() of something other than model calls", node)

    def _promise_call(self, node: Node) -> str | None:
        if node.type != "call_expression":
            return None
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        call = self._model_call_target(node, args)
        return call[0] if call is not None else None

    def statement_call(self, node: Node, *, indent: int) -> bool:
        """Calls that are statements of their own: ``arr.forEach(...)``, ``arr.push(x)``,
        ``console.log(...)``, ``app.enableAuth()``."""
        function = node.child_by_field_name("function")
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if function.type != "member_expression":
            return False
        obj = function.child_by_field_name("object")
        method = self.text(function.child_by_field_name("property"))
        if (
            obj.type == "identifier"
            and self.text(obj) == "Object"
            and self.lookup("Object") is None
            and method == "assign"
        ):
            target = self.expr(args[0]) if args else None
            if target is None or target.type not in ("dict", "dict?") or len(args) < 2:
                raise self.fail("Object.assign() on a value that may not be a plain object", node)
            for source in args[1:]:
                value = self.expr(source)
                if value.type != "dict":
                    raise self.fail("Object.assign() from a value that may not be a plain object", source)
                self.emit(indent, f"{target.wrapped()}.update({value.code})")
            return True
        if obj.type == "identifier" and self.text(obj) == self.app_name and self.lookup(self.app_name) == "app":
            if method == "enableAuth" and not args:
                self.emit(
                    indent,
                    f"# {self.text(obj)}.enableAuth(): lbpy enforces the acls a model declares without being asked",
                )
                return True
            if method in ("get", "post", "put", "patch", "delete", "use", "all", "route", "set"):
                raise self.fail(f"app.{method}() adds Express routes or middleware, which boot(app) cannot yet", node)
            raise self.fail(f"app.{method}()", node)
        if method == "forEach":
            target = self.expr(obj)
            if len(args) != 1:
                raise self.fail("forEach() with a this argument", node)
            self.foreach(target, args[0], indent=indent)
            return True
        if method == "push" and len(args) == 1:
            target = self.expr(obj)
            if target.type not in ("list", "instances"):
                raise self.fail("push() on a value that may not be an array", node)
            self.emit(indent, f"{target.wrapped()}.append({self.expr(args[0]).code})")
            return True
        return False

    def foreach(self, target: Expr, callback: Node, *, indent: int) -> None:
        if callback.type not in ("function_expression", "function", "arrow_function"):
            raise self.fail("forEach() with a function that is not written there", callback)
        if any(c.type == "async" for c in callback.children):
            raise self.fail("forEach() with an async function (JavaScript does not wait for it)", callback)
        params = js_parameters(callback, self.src)
        if "*" in params or len(params) > 2 or not params:
            raise self.fail("forEach() callback parameters", callback)
        body = callback.child_by_field_name("body")
        self.scopes.append(Scope())
        item_type = "instance" if target.type == "instances" else "unknown"
        try:
            self.declare(params[0], item_type)
            if len(params) == 2:
                self.declare(params[1], "num")
                self.emit(
                    indent,
                    f"for {self.renames[params[1]]}, {self.renames[params[0]]} in enumerate({target.code}):",
                )
            else:
                self.emit(indent, f"for {self.renames[params[0]]} in {target.code}:")
            self.foreach_depth += 1
            saved_loop = self.in_loop
            self.in_loop = 0  # break/continue inside the callback are errors in JavaScript
            try:
                if body.type == "statement_block":
                    self.block(body.named_children, indent=indent + 1, tail=False)
                else:
                    self._expression_effect(body, indent + 1)
            finally:
                self.foreach_depth -= 1
                self.in_loop = saved_loop
        finally:
            self.scopes.pop()

    # -- declarations and assignments -----------------------------------------------------

    def declaration(
        self, node: Node, following: list[Node], *, indent: int, tail: bool = False
    ) -> bool | tuple[bool, int]:
        kind = self.text(node.children[0])
        declarators = [c for c in node.named_children if c.type == "variable_declarator"]
        for declarator in declarators:
            name_node = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name_node.type == "object_pattern":
                self._destructure(name_node, value, indent)
                continue
            if name_node.type == "array_pattern":
                self._destructure_all(name_node, value, indent)
                continue
            if name_node.type != "identifier":
                raise self.fail("a destructuring declaration", declarator)
            name = self.text(name_node)
            if kind == "var" and name in self.hoisted:
                self.emit(indent, f"{self.renames[name]} = {self.expr(value).code if value is not None else 'None'}")
                continue
            if self.lookup(name) is not None and kind != "var" and any(name in s.types for s in self.scopes[-1:]):
                raise self.fail(f'"{name}" declared twice', declarator)
            if any(name in s.types for s in self.scopes[:-1]):
                raise self.fail(f'"{name}" shadows a variable of an outer block', declarator)
            if value is None:
                self.declare(name, "unknown")
                self.emit(indent, f"{self.renames[name]} = None")
                continue
            if value.type in ("function_expression", "arrow_function", "function"):
                raise self.fail("a function stored in a variable", value)
            if value.type == "new_expression" and self._is_new_error(value) and len(declarators) == 1:
                return self._error_with_fields(name, value, following, indent, tail=tail)
            expr = self.expr(value)
            declared_type = expr.type
            if kind != "const" and declared_type not in ("model", "app", "registry"):
                declared_type = self._mutable_type(name, expr.type)
            self.declare(name, declared_type)
            self.emit(indent, f"{self.renames[name]} = {expr.code}")
        return False

    def _mutable_type(self, name: str, initial: str) -> str:
        """A ``let``/``var`` keeps a known type only when every assignment to it in the function
        keeps it: counters (``let n = 0; n++``) and flags."""
        assignments = _assignments(self.node, name, self.src)
        if not assignments:
            return initial
        if initial not in ("num", "bool", "str"):
            return "unknown"
        for assignment in assignments:
            if assignment.type == "update_expression":
                if initial != "num":
                    return "unknown"
                continue
            right = assignment.child_by_field_name("right")
            operator = (
                self.text(assignment.child_by_field_name("operator")) if assignment.type.startswith("aug") else "="
            )
            literal = _literal_type(right)
            keeps = literal == initial and (operator == "=" or (initial == "num" and operator in ("+=", "-=", "*=")))
            if not keeps and not (initial == "str" and operator == "+=" and literal in ("str", "num")):
                return "unknown"
        return initial

    def _destructure(self, pattern: Node, value: Node | None, indent: int) -> None:
        if value is None:
            raise self.fail("destructuring without a value", pattern)
        source = self.expr(value)
        if not source.atom or "(" in source.code:
            temp = self.temp()
            self.emit(indent, f"{temp} = {source.code}")
            source = Expr(temp, source.type)
        for child in pattern.named_children:
            if child.type != "shorthand_property_identifier_pattern":
                raise self.fail("destructuring other than { a, b }", child)
            key = self.text(child)
            read = self.property_read(source, key, child)
            self.declare(key, read.type)
            self.emit(indent, f"{self.renames[key]} = {read.code}")

    def _destructure_all(self, pattern: Node, value: Node | None, indent: int) -> None:
        """``const [a, b] = await Promise.all([call, call])``: as many names as calls."""
        names = [c for c in pattern.named_children if c.type != "comment"]
        inner = value.named_children[0] if value is not None and value.type == "await_expression" else None
        calls = None
        if inner is not None and inner.type == "call_expression":
            function = inner.child_by_field_name("function")
            args = [a for a in inner.child_by_field_name("arguments").named_children if a.type != "comment"]
            if self.text(function) == "Promise.all" and len(args) == 1 and args[0].type == "array":
                calls = [c for c in args[0].named_children if c.type != "comment"]
        if calls is None or len(calls) != len(names) or any(n.type != "identifier" for n in names):
            raise self.fail("array destructuring other than const [a, b] = await Promise.all([...])", pattern)
        types = []
        for call in calls:
            target = (
                self._model_call_target(
                    call, [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
                )
                if call.type == "call_expression"
                else None
            )
            types.append(target[1] if target is not None else "unknown")
        code = self.await_expression(value).code.removeprefix("list(").removesuffix(")")
        for name, type_ in zip(names, types, strict=True):
            self.declare(self.text(name), type_)
        self.emit(indent, f"{', '.join(self.renames[self.text(n)] for n in names)} = {code}")

    def temp(self) -> str:
        self.temp_count += 1
        return f"value{self.temp_count}" if self.temp_count > 1 else "value"

    def _is_new_error(self, node: Node) -> bool:
        constructor = node.child_by_field_name("constructor")
        return constructor is not None and self.text(constructor) == "Error" and self.lookup("Error") is None

    def _error_with_fields(
        self, name: str, value: Node, following: list[Node], indent: int, *, tail: bool = False
    ) -> tuple[bool, int]:
        """``var err = new Error(msg); err.statusCode = 404; err.code = 'X';`` -> one ``HttpError(...)``."""
        fields: list[str] = []
        consumed = 0
        for statement in following:
            if statement.type == "comment":
                break
            if statement.type != "expression_statement":
                break
            assignment = statement.named_children[0]
            if assignment.type != "assignment_expression":
                break
            left = assignment.child_by_field_name("left")
            if left.type != "member_expression" or self.text(left.child_by_field_name("object")) != name:
                break
            prop = self.text(left.child_by_field_name("property"))
            keyword_name = {"statusCode": "status_code", "status": "status_code", "code": "code", "name": "name"}.get(
                prop
            )
            if keyword_name is None:
                break
            right = self.expr(assignment.child_by_field_name("right"))
            fields = (
                [f for f in fields if not f.startswith(keyword_name + "=")] if keyword_name != "status_code" else fields
            )
            if keyword_name == "status_code" and prop == "status" and any(f.startswith("status_code=") for f in fields):
                consumed += 1
                continue  # statusCode wins over status, as LoopBack's error handler read them
            if keyword_name == "status_code" and prop == "statusCode":
                fields = [f for f in fields if not f.startswith("status_code=")]
            fields.append(f"{keyword_name}={right.code}")
            consumed += 1
        error = self._new_error(value, fields)
        rest = following[consumed:]
        last = all(n.type == "comment" for n in rest[1:])
        if rest and self._raises(rest[0], name, tail=tail and last) and not self.foreach_depth:
            later = set().union(*(_identifiers(n, self.src) for n in rest[1:])) if rest[1:] else set()
            if name not in later:
                self.emit(indent, f"raise {error}")
                return True, consumed + 1
        self.declare(name, "err")
        self.emit(indent, f"{self.renames[name]} = {error}")
        return False, consumed

    def _raises(self, statement: Node, name: str, *, tail: bool = False) -> bool:
        """``throw name`` or ``return cb(name)``, or ``cb(name)`` where the function ends."""
        if statement.type == "throw_statement":
            thrown = statement.named_children[0]
            return thrown.type == "identifier" and self.text(thrown) == name
        if (statement.type == "return_statement" or (tail and not self.in_loop and not self.in_try)) and (
            statement.type in ("return_statement", "expression_statement") and statement.named_children
        ):
            call = statement.named_children[0]
            if self.is_callback_call(call):
                args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
                return len(args) == 1 and args[0].type == "identifier" and self.text(args[0]) == name
        return False

    def _new_error(self, node: Node, fields: list[str]) -> str:
        """``new Error(message)`` with the fields set right after it. LoopBack 3's error handler answered a
        4xx with its message and code, and anything else with the status's standard phrase alone: a 4xx
        becomes ``HttpError``, an error without a status a ``RuntimeError`` (lbpy's own 500), and a status
        only known when it runs ``js.error``, which chooses then."""
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if len(args) > 1:
            raise self.fail("new Error() with options", node)
        message = self.expr(args[0]) if args else Expr('""', "str")
        if message.type != "str":
            message = Expr(f"{self.js('to_string')}({message.code})", "str")
        status = next((f.split("=", 1)[1] for f in fields if f.startswith("status_code=")), None)
        if status is not None and re.fullmatch(r"4\d\d", status):
            self.use("from lbpy import HttpError")
            return f"HttpError({', '.join([message.code, *fields])})"
        if status is None:
            return f"RuntimeError({message.code})"
        return f"{self.js('error')}({', '.join([message.code, *fields])})"

    def assignment(self, node: Node, *, indent: int) -> None:
        if node.type == "update_expression":
            target = node.child_by_field_name("argument")
            operator = "+=" if "++" in self.text(node) else "-="
            left = self.assignable(target)
            if left.type == "num":
                self.emit(indent, f"{left.code} {operator} 1")
            else:
                self.emit(indent, f"{left.code} = {self.js('number')}({left.code}) {operator[0]} 1")
            return
        left_node = node.child_by_field_name("left")
        left = self.assignable(left_node)
        right = self.expr(node.child_by_field_name("right"))
        if node.type == "assignment_expression":
            if left_node.type == "identifier":
                name = self.text(left_node)
                if self.lookup(name) not in (None, right.type, "unknown") or (
                    self.lookup(name) != "unknown" and right.type != self.lookup(name)
                ):
                    self.set_type(name, "unknown")
            self.emit(indent, f"{left.code} = {right.code}")
            return
        operator = self.text(node.child_by_field_name("operator"))
        if operator == "+=":
            combined = self.add(left, right)
            if combined.code == f"{left.code} + {right.wrapped()}":
                self.emit(indent, f"{left.code} += {right.code}")
            else:
                self.emit(indent, f"{left.code} = {combined.code}")
            return
        if operator in ("-=", "*=") and left.type == "num" and right.type == "num":
            self.emit(indent, f"{left.code} {operator} {right.code}")
            return
        if operator in ("-=", "*="):
            number = self.js("number")
            self.emit(indent, f"{left.code} = {number}({left.code}) {operator[0]} {number}({right.code})")
            return
        if operator == "||=" or operator == "&&=" or operator == "??=":
            raise self.fail(f"the {operator} operator", node)
        raise self.fail(f"the {operator} operator", node)

    def delete(self, target: Node, *, indent: int) -> None:
        """``delete obj.key`` on a plain object: ``obj.pop("key", None)``."""
        if target.type == "member_expression":
            obj = self.expr(target.child_by_field_name("object"))
            key = py_string(self.text(target.child_by_field_name("property")))
        elif target.type == "subscript_expression":
            obj = self.expr(target.child_by_field_name("object"))
            index = self.expr(target.child_by_field_name("index"))
            if index.type != "str":
                raise self.fail("delete with a key that may not be a string", target)
            key = index.code
        else:
            raise self.fail("delete of something other than a property", target)
        if obj.type not in ("dict", "dict?"):
            raise self.fail("delete on a value that may not be a plain object (a record keeps its properties)", target)
        self.emit(indent, f"{obj.wrapped()}.pop({key}, None)")

    def assignable(self, node: Node) -> Expr:
        """The left side of an assignment: a local, a record's property, an object's key."""
        if node.type == "identifier":
            name = self.text(node)
            type_ = self.lookup(name)
            if type_ is None:
                raise self.fail(f'assigns "{name}", which the function does not declare', node)
            if type_ in ("model", "app", "ctx", "rctx"):
                raise self.fail(f'assigns "{name}"', node)
            return Expr(self.renames[name], type_)
        if node.type == "member_expression":
            if ".prototype" in self.text(node) or self.text(node).startswith("prototype"):
                raise self.fail("changes a prototype", node)
            if self.text(node).startswith("process."):
                raise self.fail("changes process.env or another part of process", node)
            obj = self.expr(node.child_by_field_name("object"))
            prop = self.text(node.child_by_field_name("property"))
            if obj.type in ("ctx", "rctx"):
                table = OPERATION_CTX if obj.type == "ctx" else REMOTE_CTX
                if prop in table and prop in ("data", "where", "instance", "result", "args"):
                    return Expr(f"{obj.code}.{table[prop][0]}", table[prop][1])
                if prop in ("hookState",):
                    return Expr(f"{obj.code}.hook_state", "dict")
                raise self.fail(f"assigns ctx.{prop}", node)
            if obj.type in ("instance", "instance?"):
                if not prop.isidentifier() or prop in _INSTANCE_ATTRS or keyword.iskeyword(prop):
                    return Expr(f"{obj.wrapped()}[{py_string(prop)}]")
                return Expr(f"{obj.wrapped()}.{prop}")
            if obj.type in ("dict", "dict?", "unknown"):
                return Expr(f"{obj.wrapped()}[{py_string(prop)}]")
            if obj.type == "err":
                raise self.fail(f"sets {prop} on an error after it was built", node)
            raise self.fail(f"assigns a property of a {obj.type}", node)
        if node.type == "subscript_expression":
            obj = self.expr(node.child_by_field_name("object"))
            index = self.expr(node.child_by_field_name("index"))
            if obj.type in ("dict", "dict?", "instance", "instance?") and index.type == "str":
                return Expr(f"{obj.wrapped()}[{index.code}]")
            raise self.fail("assigns an element of an array or an object by a computed key", node)
        raise self.fail(f"assigns to a {node.type}", node)

    # -- control flow ---------------------------------------------------------------------

    def if_statement(self, node: Node, *, indent: int, tail: bool, keyword: str) -> bool:
        condition = self.condition(node.child_by_field_name("condition"))
        self.emit(indent, f"{keyword} {condition}:")
        consequence = node.child_by_field_name("consequence")
        exits_then = self.branch(consequence, indent=indent + 1, tail=tail)
        alternative = node.child_by_field_name("alternative")
        if alternative is None:
            return False
        inner = next(c for c in alternative.named_children if c.type != "comment")
        if inner.type == "if_statement":
            exits_else = self.if_statement(inner, indent=indent, tail=tail, keyword="elif")
            return exits_then and exits_else and self._has_final_else(inner)
        self.emit(indent, "else:")
        exits_else = self.branch(inner, indent=indent + 1, tail=tail)
        return exits_then and exits_else

    def _has_final_else(self, node: Node) -> bool:
        while node.type == "if_statement":
            alternative = node.child_by_field_name("alternative")
            if alternative is None:
                return False
            node = next(c for c in alternative.named_children if c.type != "comment")
        return True

    def branch(self, node: Node, *, indent: int, tail: bool) -> bool:
        self.scopes.append(Scope())
        try:
            nodes = node.named_children if node.type == "statement_block" else [node]
            return self.block(nodes, indent=indent, tail=tail)
        finally:
            self.scopes.pop()

    def for_in(self, node: Node, *, indent: int) -> bool:
        left = node.child_by_field_name("left")
        right = self.expr(node.child_by_field_name("right"))
        operator = node.child_by_field_name("operator")
        is_of = operator is not None and self.text(operator) == "of"
        if left.type != "identifier":
            raise self.fail("a loop variable that is not a plain name", left)
        name = self.text(left)
        if any(c.type == "await" for c in node.children):
            raise self.fail("for await", node)
        self.scopes.append(Scope())
        try:
            if is_of:
                if right.type not in ("list", "instances", "unknown", "str"):
                    raise self.fail("for...of over a value that is not an array", node)
                self.declare(name, "instance" if right.type == "instances" else "unknown")
                self.emit(indent, f"for {self.renames[name]} in {right.code}:")
            else:
                if right.type not in ("dict", "dict?"):
                    raise self.fail("for...in over a value that may not be a plain object", node)
                self.declare(name, "str")
                self.emit(indent, f"for {self.renames[name]} in {right.code}:")
            self.loop_body(node.child_by_field_name("body"), indent + 1)
        finally:
            self.scopes.pop()
        return False

    def for_statement(self, node: Node, *, indent: int) -> bool:
        """``for (let i = a; i < b; i++)`` -> ``for i in range(a, b)`` when the body leaves ``i`` and
        the bound alone."""
        initializer = node.child_by_field_name("initializer")
        condition = node.child_by_field_name("condition")
        increment = node.child_by_field_name("increment")
        body = node.child_by_field_name("body")
        pattern = _counting_loop(initializer, condition, increment, self.src)
        if pattern is None:
            raise self.fail("a for loop other than for (let i = a; i < b; i++)", node)
        name, start, bound, inclusive = pattern
        if name in _identifiers(body, self.src, assigned_only=True):
            raise self.fail("a for loop whose body changes its counter", node)
        start_expr, bound_expr = self.expr(start), self.expr(bound)
        if start_expr.type != "num" or bound_expr.type != "num":
            raise self.fail("a for loop over bounds that may not be numbers", node)
        bound_names = _identifiers(bound, self.src)
        assigned = _identifiers(body, self.src, assigned_only=True)
        grows = any(f"{n}.{m}(" in self.text(body) for n in bound_names for m in ("push", "splice", "pop", "shift"))
        if bound_names & assigned or grows:
            raise self.fail("a for loop whose body changes its bound", node)
        self.scopes.append(Scope())
        try:
            self.declare(name, "num")
            if not re.fullmatch(r"-?\d+|len\(.*\)", start_expr.code):
                raise self.fail("a for loop whose counter may not start at a whole number", node)
            integral = re.fullmatch(r"-?\d+|len\([^()]*\)", bound_expr.code) is not None
            if integral:
                end = f"{bound_expr.wrapped()} + 1" if inclusive else bound_expr.code
            else:
                # i < 2.5 runs for 0, 1 and 2: the bound is rounded as the comparison would
                self.use("import math")
                end = f"math.floor({bound_expr.code}) + 1" if inclusive else f"math.ceil({bound_expr.code})"
            if start_expr.code == "0" and not inclusive:
                self.emit(indent, f"for {self.renames[name]} in range({end}):")
            else:
                self.emit(indent, f"for {self.renames[name]} in range({start_expr.code}, {end}):")
            self.loop_body(body, indent + 1)
        finally:
            self.scopes.pop()
        return False

    def switch(self, node: Node, *, indent: int, tail: bool) -> bool:
        value = self.expr(node.child_by_field_name("value"))
        if not value.atom or "(" in value.code:
            temp = self.temp()
            self.emit(indent, f"{temp} = {value.code}")
            value = Expr(temp, value.type)
        body = node.child_by_field_name("body")
        cases = [c for c in body.named_children if c.type in ("switch_case", "switch_default")]
        pending: list[Expr] = []
        first = True
        all_exit = True
        has_default = False
        for index, case in enumerate(cases):
            statements = [s for s in case.named_children if s.type != "comment"]
            if case.type == "switch_case":
                test = case.child_by_field_name("value")
                statements = [s for s in statements if s != test]
                pending.append(self.expr(test))
                if not statements:
                    if index == len(cases) - 1:
                        raise self.fail("a switch case with no statements at the end", case)
                    continue
                tests = [self.strict_equality(value, t, negate=False) for t in pending]
                self.emit(indent, f"{'if' if first else 'elif'} {' or '.join(tests)}:")
                pending = []
            else:
                if pending:
                    raise self.fail("a switch default that shares statements with a case", case)
                if index != len(cases) - 1:
                    raise self.fail("a switch default that is not last", case)
                has_default = True
                if first:
                    self.emit(indent, "if True:")
                else:
                    self.emit(indent, "else:")
            first = False
            last = statements[-1] if statements else None
            if last is not None and last.type == "break_statement" and not last.named_children:
                statements = statements[:-1]
            elif (last is None or last.type not in ("return_statement", "throw_statement")) and index != len(cases) - 1:
                raise self.fail("a switch case that falls through to the next", case)
            if any(_contains(s, "break_statement", stop_at_loops=True) for s in statements):
                raise self.fail("break inside a switch case other than at its end", case)
            self.scopes.append(Scope())
            try:
                exits = self.block(statements, indent=indent + 1, tail=tail)
            finally:
                self.scopes.pop()
            all_exit = all_exit and exits
        return all_exit and has_default

    def try_statement(self, node: Node, *, indent: int, tail: bool) -> bool:
        body = node.child_by_field_name("body")
        handler = node.child_by_field_name("handler")
        finalizer = node.child_by_field_name("finalizer")
        self.emit(indent, "try:")
        self.in_try += 1
        try:
            exits = self.branch(body, indent=indent + 1, tail=False)
        finally:
            self.in_try -= 1
        if handler is not None:
            parameter = handler.child_by_field_name("parameter")
            handler_body = handler.child_by_field_name("body")
            self.scopes.append(Scope())
            try:
                if parameter is not None:
                    if parameter.type != "identifier":
                        raise self.fail("a destructured catch parameter", parameter)
                    self.declare(self.text(parameter), "err")
                    self.emit(indent, f"except Exception as {self.renames[self.text(parameter)]}:")
                else:
                    self.emit(indent, "except Exception:")
                exits_handler = self.block(
                    handler_body.named_children, indent=indent + 1, tail=tail and finalizer is None
                )
            finally:
                self.scopes.pop()
            exits = exits and exits_handler
        if finalizer is not None:
            self.emit(indent, "finally:")
            self.in_try += 1
            try:
                self.branch(finalizer.child_by_field_name("body"), indent=indent + 1, tail=False)
            finally:
                self.in_try -= 1
        return exits

    # -- expressions ----------------------------------------------------------------------

    def condition(self, node: Node) -> str:
        while node.type == "parenthesized_expression":
            node = node.named_children[0]
        return self.truth(node)

    def truth(self, node: Node) -> str:
        """``node`` where JavaScript tests it for truth."""
        while node.type == "parenthesized_expression":
            node = node.named_children[0]
        if node.type == "unary_expression" and self.text(node.child_by_field_name("operator")) == "!":
            inner = self.truth(node.child_by_field_name("argument"))
            if inner.endswith(" is not None") and " " not in inner[: -len(" is not None")]:
                return inner[: -len(" is not None")] + " is None"
            return f"not {self._paren(inner)}"
        if node.type == "binary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            if operator in ("&&", "||"):
                left = self._paren(self.truth(node.child_by_field_name("left")))
                right = self._paren(self.truth(node.child_by_field_name("right")))
                return f"{left} {'and' if operator == '&&' else 'or'} {right}"
        expr = self.expr(node)
        if expr.type in PLAIN_TRUTH:
            return expr.code
        if expr.type in OBJECT_TYPES:
            return f"{expr.wrapped()} is not None"
        return f"{self.js('truthy')}({expr.code})"

    @staticmethod
    def _paren(code: str) -> str:
        """``code`` as an operand of ``and``/``or``: in parentheses when it holds a boolean operator or
        a conditional expression at its top level."""
        words = _top_level_words(code)
        if words & {"and", "or", "if", "lambda"}:
            return f"({code})"
        return code

    def expr(self, node: Node) -> Expr:
        kind = node.type
        handler = getattr(self, f"expr_{kind}", None)
        if handler is None:
            raise self.fail(f"unsupported expression ({kind.replace('_', ' ')})", node)
        return handler(node)

    def expr_parenthesized_expression(self, node: Node) -> Expr:
        inner = self.expr(node.named_children[0])
        return Expr(inner.wrapped(), inner.type)

    def expr_number(self, node: Node) -> Expr:
        text = self.text(node).replace("_", "")
        if re.fullmatch(r"0[0-7]+", text):
            raise self.fail("a legacy octal number", node)
        if text.endswith("n"):
            raise self.fail("a BigInt", node)
        if re.fullmatch(r"\d+", text) or text.lower().startswith(("0x", "0o", "0b")):
            return Expr(str(int(text, 0)), "num")
        value = float(text)
        if value.is_integer() and abs(value) < 2**53 and "e" not in text.lower():
            return Expr(str(int(value)), "num")
        return Expr(repr(value), "num")

    def expr_string(self, node: Node) -> Expr:
        return Expr(py_string(self.string_value(node)), "str")

    def string_value(self, node: Node) -> str:
        parts = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(self.text(child))
            elif child.type == "escape_sequence":
                parts.append(decode_escape(self.text(child), child))
        return "".join(parts)

    def expr_template_string(self, node: Node) -> Expr:
        pieces: list[tuple[str, str]] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                pieces.append(("text", self.text(child)))
            elif child.type == "escape_sequence":
                pieces.append(("text", decode_escape(self.text(child), child)))
            elif child.type == "template_substitution":
                inner = self.expr(child.named_children[0])
                converted = self._as_string(inner)
                pieces.extend(self._pieces(converted))
        return self._string_of(pieces)

    def _string_of(self, pieces: list[tuple[str, str]]) -> Expr:
        merged: list[tuple[str, str]] = []
        for kind, value in pieces:
            if kind == "text" and merged and merged[-1][0] == "text":
                merged[-1] = ("text", merged[-1][1] + value)
            else:
                merged.append((kind, value))
        pieces = merged
        if all(kind == "text" for kind, _ in pieces):
            return Expr(py_string("".join(value for _, value in pieces)), "str", pieces=pieces)
        # inside f"...", Python 3.10 takes string literals in single quotes only
        pieces = [(k, v.replace('"', "'") if k == "code" and "'" not in v and "\\" not in v else v) for k, v in pieces]
        if any(kind == "code" and ('"' in value or "\\" in value or "{" in value) for kind, value in pieces):
            parts = [py_string(v) if k == "text" else v for k, v in pieces if not (k == "text" and v == "")]
            return Expr(" + ".join(parts), "str", atom=False, pieces=pieces)
        body = []
        for kind, value in pieces:
            if kind == "text":
                body.append(double_quoted(value)[1:-1].replace("{", "{{").replace("}", "}}"))
            else:
                body.append("{" + value + "}")
        return Expr('f"' + "".join(body) + '"', "str", pieces=pieces)

    def expr_true(self, node: Node) -> Expr:
        return Expr("True", "bool")

    def expr_false(self, node: Node) -> Expr:
        return Expr("False", "bool")

    def expr_null(self, node: Node) -> Expr:
        return Expr("None", "none")

    def expr_undefined(self, node: Node) -> Expr:
        return Expr("None", "none")

    def expr_this(self, node: Node) -> Expr:
        if self.role == "prototype_method":
            return Expr("self", "instance")
        raise self.fail("this outside a prototype method", node)

    def expr_identifier(self, node: Node) -> Expr:
        name = self.text(node)
        if name == "undefined":
            return Expr("None", "none")
        if name == self.callback:
            raise self.fail(f"passes {name} along as a value", node)
        type_ = self.lookup(name)
        if type_ is not None:
            if type_ in ("unused", "callback-error"):
                raise self.fail(f'uses "{name}"', node)
            if type_ == "http-object":
                raise self.fail(f"uses Express's {name} object", node)
            return Expr(self.renames[name], type_)
        if name in self.models:
            return Expr(self.models[name], "model")
        if name in ("NaN", "Infinity"):
            self.use("import math")
            return Expr("math.nan" if name == "NaN" else "math.inf", "num")
        if name in self.helpers:
            raise self.fail(f"passes the function {name} as a value", node)
        module = self._required_module(name)
        if module is not None:
            raise self.fail(_required_what(module), node)
        if name in ("require", "process", "module", "exports", "global", "setTimeout", "setInterval", "Buffer"):
            raise self.fail(f"uses {name}", node)
        raise self.fail(f'uses "{name}", which is not declared in the function', node)

    def _required_module(self, name: str) -> str | None:
        """The module of ``var name = require('module')`` anywhere around the function."""
        root = self.node
        while root.parent is not None:
            root = root.parent
        stack = [root]
        while stack:
            current = stack.pop()
            if current.type == "variable_declarator":
                target, value = current.child_by_field_name("name"), current.child_by_field_name("value")
                if target is not None and value is not None and self.text(target) == name:
                    while value.type == "member_expression":
                        value = value.child_by_field_name("object")
                    function = value.child_by_field_name("function") if value.type == "call_expression" else None
                    if function is not None and self.text(function) == "require":
                        args = value.child_by_field_name("arguments").named_children
                        return self.string_value(args[0]) if args and args[0].type == "string" else "?"
            stack.extend(current.named_children)
        return None

    def expr_member_expression(self, node: Node) -> Expr:
        if any(c.type == "optional_chain" for c in node.children):
            raise self.fail("optional chaining (?.)", node)
        obj_node = node.child_by_field_name("object")
        prop_node = node.child_by_field_name("property")
        if prop_node.type == "private_property_identifier":
            raise self.fail("a private field", node)
        prop = self.text(prop_node)
        if obj_node.type == "identifier" and self.lookup(self.text(obj_node)) is None:
            global_name = self.text(obj_node)
            if global_name == "Math":
                self.use("import math")
                constants = {"PI": "math.pi", "E": "math.e"}
                if prop in constants:
                    return Expr(constants[prop], "num")
                raise self.fail(f"Math.{prop}", node)
            if global_name == "process" and prop == "env":
                self.use("import os")
                return Expr("os.environ", "env")
            if global_name in ("RoleMapping",) and prop in ("USER", "ROLE", "APP") and global_name not in self.models:
                pass
        obj = self.expr(obj_node)
        if (
            obj.type == "model"
            and prop in ("USER", "ROLE", "APP")
            and obj.code.endswith(("RoleMapping", '"RoleMapping"]'))
        ):
            return Expr(py_string(prop), "str")
        if obj.type == "model" and prop == "app":
            return Expr(obj.code, "model-app")
        if obj.type == "model-app" and prop == "models":
            return Expr(obj.code, "model-registry")
        if obj.type == "model" and prop == "modelName":
            return Expr(f"{obj.wrapped()}.spec.name", "str")
        if obj.type == "model-registry":
            return Expr(f"{obj.code}.get_model({py_string(prop)})", "model", atom=True)
        if obj.type == "app" and prop == "models":
            return Expr(f"{obj.code}.models", "registry")
        if obj.type == "registry":
            return Expr(f"{obj.code}[{py_string(prop)}]", "model")
        if obj.type == "env":
            return Expr(f"{obj.code}.get({py_string(prop)})", "str?")
        return self.property_read(obj, prop, node)

    def property_read(self, obj: Expr, prop: str, node: Node) -> Expr:
        if obj.type == "ctx":
            if prop not in OPERATION_CTX:
                raise self.fail(f"ctx.{prop} in an operation hook", node)
            attribute, type_ = OPERATION_CTX[prop]
            return Expr(f"{obj.code}.{attribute}", type_)
        if obj.type == "rctx":
            if prop not in REMOTE_CTX:
                raise self.fail(f"ctx.{prop} in a remote hook", node)
            attribute, type_ = REMOTE_CTX[prop]
            return Expr(f"{obj.code}.{attribute}", type_)
        if obj.type == "request":
            if prop == "headers":
                return Expr(f"{obj.code}.headers", "headers")
            if prop == "query":
                return Expr(f"{obj.code}.query_params", "headers")
            if prop == "accessToken" and obj.code.endswith(".req"):
                # lbpy hands a remote hook the caller's token in its options, as operation hooks get it
                return Expr(f'{obj.code.removesuffix(".req")}.options.get("accessToken")')
            raise self.fail(f"req.{prop}", node)
        if obj.type == "headers":
            return Expr(f"{obj.code}.get({py_string(prop.lower() if 'headers' in obj.code else prop)})", "str?")
        if prop == "length":
            if obj.type in ("str", "list", "instances"):
                return Expr(f"len({obj.code})", "num")
            if obj.type in ("unknown", "str?"):
                return Expr(f"len({obj.code})", "num")
            raise self.fail(f".length of a {obj.type}", node)
        if obj.type in ("instance", "instance?"):
            if prop.isidentifier() and not keyword.iskeyword(prop) and prop not in _INSTANCE_ATTRS:
                return Expr(f"{obj.wrapped()}.{prop}")
            if prop == "id":
                return Expr(f"{obj.wrapped()}.id")
            return Expr(f"{obj.wrapped()}.get({py_string(prop)})")
        if obj.type in ("dict", "dict?", "unknown"):
            return Expr(f"{obj.wrapped()}.get({py_string(prop)})")
        if obj.type == "err":
            if prop == "message":
                return Expr(f"str({obj.code})", "str")
            fields = {"statusCode": "status_code", "status": "status_code", "code": "code"}
            if prop in fields:
                return Expr(f'getattr({obj.code}, "{fields[prop]}", None)')
        if obj.type == "date":
            raise self.fail(f"a date's {prop}", node)
        if obj.type == "app":
            what = {
                "dataSources": "datasource calls such as automigrate",
                "datasources": "datasource calls such as automigrate",
                "loopback": "Express routers",
            }.get(prop, "the Express application")
            raise self.fail(f"app.{prop} ({what}, which lbpy import-lb3 does not translate)", node)
        raise self.fail(f"reads {prop} of a {obj.type}", node)

    def expr_subscript_expression(self, node: Node) -> Expr:
        if any(c.type == "optional_chain" for c in node.children):
            raise self.fail("optional chaining (?.)", node)
        obj = self.expr(node.child_by_field_name("object"))
        index_node = node.child_by_field_name("index")
        if index_node.type == "string":
            return self.property_read(obj, self.string_value(index_node), node)
        index = self.expr(index_node)
        if obj.type in ("list", "instances", "str", "unknown", "dict", "dict?") and index.type in (
            "num",
            "str",
            "unknown",
        ):
            type_ = "instance?" if obj.type == "instances" else "unknown"
            return Expr(f"{self.js('item')}({obj.code}, {index.code})", type_)
        raise self.fail("indexes a value whose type is not known", node)

    def expr_await_expression(self, node: Node) -> Expr:
        return self.await_expression(node)

    def expr_array(self, node: Node) -> Expr:
        items = []
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "spread_element":
                inner = self.expr(child.named_children[0])
                if inner.type not in ("list", "instances"):
                    raise self.fail("spreads a value that may not be an array", child)
                items.append(f"*{inner.wrapped()}")
            else:
                items.append(self.expr(child).code)
        return Expr(f"[{', '.join(items)}]", "list")

    def expr_object(self, node: Node) -> Expr:
        items = []
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                if key_node.type in ("property_identifier", "identifier"):
                    key = py_string(self.text(key_node))
                elif key_node.type == "string":
                    key = py_string(self.string_value(key_node))
                elif key_node.type == "number":
                    key = py_string(self.text(key_node))
                elif key_node.type == "computed_property_name":
                    computed = self.expr(key_node.named_children[0])
                    key = computed.code if computed.type == "str" else f"{self.js('to_string')}({computed.code})"
                else:
                    raise self.fail(f"an object key of kind {key_node.type}", key_node)
                value = child.child_by_field_name("value")
                if value.type in ("function_expression", "arrow_function", "function"):
                    raise self.fail("a function inside an object literal", value)
                items.append(f"{key}: {self.expr(value).code}")
            elif child.type == "shorthand_property_identifier":
                name = self.text(child)
                items.append(f"{py_string(name)}: {self.expr_identifier(child).code}")
            elif child.type == "spread_element":
                inner = self.expr(child.named_children[0])
                if inner.type == "dict":
                    items.append(f"**{inner.wrapped()}")
                elif inner.type == "instance":
                    items.append(f"**{inner.wrapped()}.to_dict()")
                else:
                    raise self.fail("spreads a value that may not be a plain object", child)
            else:
                raise self.fail(f"a {child.type.replace('_', ' ')} in an object literal", child)
        return Expr("{" + ", ".join(items) + "}", "dict")

    def expr_ternary_expression(self, node: Node) -> Expr:
        condition = self.truth(node.child_by_field_name("condition"))
        yes = self.expr(node.child_by_field_name("consequence"))
        no = self.expr(node.child_by_field_name("alternative"))
        type_ = yes.type if yes.type == no.type else "unknown"
        return Expr(f"{yes.wrapped()} if {self._paren(condition)} else {no.wrapped()}", type_, atom=False)

    def expr_unary_expression(self, node: Node) -> Expr:
        operator = self.text(node.child_by_field_name("operator"))
        argument = node.child_by_field_name("argument")
        if operator == "!":
            return Expr(f"not {self._paren(self.truth(argument))}", "bool", atom=False)
        if operator == "typeof":
            inner = self.expr(argument)
            return Expr(f"{self.js('type_of')}({inner.code})", "str")
        value = self.expr(argument)
        if operator == "-":
            if value.type == "num":
                return Expr(f"-{value.wrapped()}", "num", atom=False)
            return Expr(f"-{self.js('number')}({value.code})", "num", atom=False)
        if operator == "+":
            return value if value.type == "num" else Expr(f"{self.js('number')}({value.code})", "num")
        raise self.fail(f"the {operator} operator", node)

    def expr_binary_expression(self, node: Node) -> Expr:
        operator = self.text(node.child_by_field_name("operator"))
        left_node, right_node = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator in ("&&", "||"):
            return self.logical(operator, left_node, right_node)
        if operator == "??":
            left = self.expr(left_node)
            right = self.expr(right_node)
            if not _is_simple(left.code):
                raise self.fail("?? on an expression with effects", node)
            return Expr(
                f"{left.wrapped()} if {left.wrapped()} is not None else {right.wrapped()}", "unknown", atom=False
            )
        if operator in ("===", "!==", "==", "!="):
            typeof = self._typeof_test(left_node, right_node, operator)
            if typeof is not None:
                return Expr(typeof, "bool", atom=False)
            left, right = self.expr(left_node), self.expr(right_node)
            if operator in ("===", "!=="):
                return Expr(self.strict_equality(left, right, negate=operator == "!=="), "bool", atom=False)
            return Expr(self.loose_equality(left, right, negate=operator == "!="), "bool", atom=False)
        left, right = self.expr(left_node), self.expr(right_node)
        if operator == "+":
            return self.add(left, right)
        if operator in ("-", "*"):
            sides = [e.wrapped() if e.type == "num" else f"{self.js('number')}({e.code})" for e in (left, right)]
            return Expr(f"{sides[0]} {operator} {sides[1]}", "num", atom=False)
        if operator == "/":
            if right.type == "num" and _nonzero_literal(right.code) and left.type == "num":
                return Expr(f"{left.wrapped()} / {right.wrapped()}", "num", atom=False)
            return Expr(f"{self.js('divide')}({left.code}, {right.code})", "num")
        if operator == "%":
            return Expr(f"{self.js('remainder')}({left.code}, {right.code})", "num")
        if operator in ("<", ">", "<=", ">="):
            if (left.type == right.type == "num") or (left.type == right.type == "str"):
                return Expr(f"{left.wrapped()} {operator} {right.wrapped()}", "bool", atom=False)
            return Expr(f'{self.js("compare")}({left.code}, "{operator}", {right.code})', "bool")
        if operator == "in":
            raise self.fail("the in operator", node)
        if operator == "instanceof":
            raise self.fail("instanceof", node)
        raise self.fail(f"the {operator} operator", node)

    def _typeof_test(self, left: Node, right: Node, operator: str) -> str | None:
        if left.type != "unary_expression" or self.text(left.child_by_field_name("operator")) != "typeof":
            return None
        if right.type != "string":
            return None
        value = self.expr(left.child_by_field_name("argument"))
        kind = self.string_value(right)
        negate = operator in ("!==", "!=")
        if kind == "undefined":
            return f"{value.wrapped()} is {'not ' if negate else ''}None"
        checks = {"string": "str", "boolean": "bool"}
        if kind in checks:
            return f"{'not ' if negate else ''}isinstance({value.code}, {checks[kind]})"
        return f"{self.js('type_of')}({value.code}) {'!=' if negate else '=='} {py_string(kind)}"

    def strict_equality(self, left: Expr, right: Expr, *, negate: bool) -> str:
        if left.type == "none" or right.type == "none":
            other = right if left.type == "none" else left
            return f"{other.wrapped()} is {'not ' if negate else ''}None"
        op = "!=" if negate else "=="
        same_primitive = left.type == right.type and left.type in ("num", "str", "bool")
        string_literal = (left.type == "str" and _is_literal(left.code)) or (
            right.type == "str" and _is_literal(right.code)
        )
        if same_primitive or string_literal:
            return f"{left.wrapped()} {op} {right.wrapped()}"
        if left.type == "num" and right.type == "num?":
            return f"{left.wrapped()} {op} {right.wrapped()}"
        call = f"{self.js('strict_equals')}({left.code}, {right.code})"
        return f"not {call}" if negate else call

    def loose_equality(self, left: Expr, right: Expr, *, negate: bool) -> str:
        if left.type == "none" or right.type == "none":
            other = right if left.type == "none" else left
            return f"{other.wrapped()} is {'not ' if negate else ''}None"
        if left.type == right.type and left.type in ("num", "str", "bool"):
            return f"{left.wrapped()} {'!=' if negate else '=='} {right.wrapped()}"
        call = f"{self.js('loose_equals')}({left.code}, {right.code})"
        return f"not {call}" if negate else call

    def logical(self, operator: str, left_node: Node, right_node: Node) -> Expr:
        left, right = self.expr(left_node), self.expr(right_node)
        if left.type == "bool" and right.type == "bool":
            return Expr(f"{left.wrapped()} {'and' if operator == '&&' else 'or'} {right.wrapped()}", "bool", atom=False)
        if left.type in PLAIN_TRUTH:
            type_ = left.type if left.type == right.type else "unknown"
            return Expr(f"{left.wrapped()} {'and' if operator == '&&' else 'or'} {right.wrapped()}", type_, atom=False)
        if not _is_simple(left.code):
            raise self.fail(f"{operator} on a value whose truth Python does not judge as JavaScript", left_node)
        test = f"{self.js('truthy')}({left.code})"
        if operator == "||":
            return Expr(f"{left.wrapped()} if {test} else {right.wrapped()}", "unknown", atom=False)
        return Expr(f"{right.wrapped()} if {test} else {left.wrapped()}", "unknown", atom=False)

    def add(self, left: Expr, right: Expr) -> Expr:
        if left.type == "num" and right.type == "num":
            return Expr(f"{left.wrapped()} + {right.wrapped()}", "num", atom=False)
        if left.type == "str" and right.type == "str":
            if left.pieces is not None or right.pieces is not None or _is_literal(left.code) or _is_literal(right.code):
                return self._string_of(self._pieces(left) + self._pieces(right))
            return Expr(f"{left.wrapped()} + {right.wrapped()}", "str", atom=False)
        if left.type == "str" or right.type == "str":
            converted = [self._as_string(e) for e in (left, right)]
            return self._string_of(self._pieces(converted[0]) + self._pieces(converted[1]))
        return Expr(f"{self.js('add')}({left.code}, {right.code})", "unknown")

    def _as_string(self, expr: Expr) -> Expr:
        if expr.type == "str":
            return expr
        if expr.type == "num" and re.fullmatch(r"-?\d+", expr.code):
            return Expr(py_string(expr.code), "str")  # String(1) is "1"
        if expr.type == "bool" and expr.code in ("True", "False"):
            return Expr(py_string(expr.code.lower()), "str")
        return Expr(f"{self.js('to_string')}({expr.code})", "str")

    def _pieces(self, expr: Expr) -> list[tuple[str, str]]:
        if expr.pieces is not None:
            return expr.pieces
        code = expr.code
        if _is_literal(code):
            return [("text", ast.literal_eval(code))]
        return [("code", code)]

    def expr_assignment_expression(self, node: Node) -> Expr:
        raise self.fail("an assignment used as a value", node)

    def expr_augmented_assignment_expression(self, node: Node) -> Expr:
        raise self.fail("an assignment used as a value", node)

    def expr_update_expression(self, node: Node) -> Expr:
        raise self.fail("++ or -- used as a value", node)

    def expr_regex(self, node: Node) -> Expr:
        raise self.fail("a regular expression", node)

    def expr_new_expression(self, node: Node) -> Expr:
        constructor = self.text(node.child_by_field_name("constructor"))
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node is not None else []
        if constructor == "Error" and self.lookup("Error") is None:
            return Expr(self._new_error(node, []), "err")
        if constructor == "Date" and self.lookup("Date") is None:
            self.use("from datetime import datetime, timezone")
            if not args:
                return Expr("datetime.now(timezone.utc)", "date")
            if len(args) == 1:
                value = self.expr(args[0])
                if value.type == "num":
                    return Expr(f"datetime.fromtimestamp({value.wrapped()} / 1000, timezone.utc)", "date")
                if value.type == "date":
                    return Expr(value.code, "date")
            raise self.fail("new Date() from a value other than a number of milliseconds", node)
        raise self.fail(f"new {constructor}()", node)

    def expr_call_expression(self, node: Node) -> Expr:
        function = node.child_by_field_name("function")
        if any(c.type == "optional_chain" for c in node.children):
            raise self.fail("optional chaining (?.)", node)
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if any(a.type == "spread_element" for a in args):
            raise self.fail("spread arguments", node)
        if function.type == "identifier":
            return self.global_call(self.text(function), args, node)
        if function.type != "member_expression":
            raise self.fail("calls the result of an expression", node)
        if self.is_callback_call(node):
            raise self.fail(f"{self.callback}() used as a value", node)
        obj_node = function.child_by_field_name("object")
        method = self.text(function.child_by_field_name("property"))
        if method in ("then", "catch", "finally"):
            raise self.fail(f".{method}() on a promise the function does not return", node)
        if obj_node.type == "identifier" and self.lookup(self.text(obj_node)) is None:
            handled = self.builtin_call(self.text(obj_node), method, args, node)
            if handled is not None:
                return handled
        if self._model_call_target(node, args) is not None:
            raise self.fail("a model call used without await, a callback or return", node)
        obj = self.expr(obj_node)
        return self.method_call(obj, method, args, node)

    def global_call(self, name: str, args: list[Node], node: Node) -> Expr:
        module = self._required_module(name) if self.lookup(name) is None else None
        if module is not None:
            raise self.fail(_required_what(module), node)
        if self.lookup(name) is not None:
            raise self.fail(f"calls the value {name}", node)
        if name in self.helpers:
            if self.helpers[name]:
                raise self.fail(f"calls the async function {name}() without await", node)
            return Expr(f"{py_name(name)}({', '.join(self.expr(a).code for a in args)})")
        if name == "String" and len(args) == 1:
            value = self.expr(args[0])
            return value if value.type == "str" else Expr(f"{self.js('to_string')}({value.code})", "str")
        if name == "Number" and len(args) == 1:
            value = self.expr(args[0])
            return value if value.type == "num" else Expr(f"{self.js('number')}({value.code})", "num")
        if name == "Boolean" and len(args) == 1:
            return Expr(self.truth(args[0]), "bool", atom=False)
        if name == "require":
            raise self.fail("require() of a module", node)
        if name in ("setTimeout", "setInterval", "setImmediate"):
            raise self.fail(f"a timer ({name})", node)
        raise self.fail(f"calls {name}(), which the file does not declare", node)

    def builtin_call(self, name: str, method: str, args: list[Node], node: Node) -> Expr | None:
        values = lambda: [self.expr(a) for a in args]  # noqa: E731
        if name == "console":
            if method in ("log", "info", "warn", "error", "debug"):
                codes = ", ".join(v.code for v in values())
                mapped = {"debug": "log"}.get(method, method)
                return Expr(f"{self.js('console')}.{mapped}({codes})", "none")
            raise self.fail(f"console.{method}()", node)
        if name == "Math":
            given = values()
            if method in SIMPLE_MATH and len(given) == 1 and given[0].type == "num":
                if SIMPLE_MATH[method].startswith("math."):
                    self.use("import math")
                return Expr(f"{SIMPLE_MATH[method]}({given[0].code})", "num")
            if method == "round" and len(given) == 1:
                return Expr(f"{self.js('round_half_up')}({given[0].code})", "num")
            if method in ("max", "min") and given and all(v.type == "num" for v in given):
                if len(given) == 1:
                    return given[0]
                return Expr(f"{method}({', '.join(v.code for v in given)})", "num")
            if method == "pow" and len(given) == 2 and all(v.type == "num" for v in given):
                return Expr(f"{given[0].wrapped()} ** {given[1].wrapped()}", "num", atom=False)
            if method == "random" and not given:
                self.use("import random")
                return Expr("random.random()", "num")
            raise self.fail(f"Math.{method}() on values that may not be numbers", node)
        if name == "JSON":
            given = values()
            if method == "stringify" and len(given) == 1:
                return Expr(f"{self.js('json_stringify')}({given[0].code})", "str")
            if method == "stringify" and len(given) == 3 and given[1].type == "none" and given[2].type == "num":
                return Expr(f"{self.js('json_stringify')}({given[0].code}, indent={given[2].code})", "str")
            if method == "parse" and len(given) == 1:
                self.use("import json")
                return Expr(f"json.loads({given[0].code})", "unknown")
            raise self.fail(f"JSON.{method}() with these arguments", node)
        if name == "Date" and method == "now" and not args:
            self.use("from datetime import datetime, timezone")
            return Expr("int(datetime.now(timezone.utc).timestamp() * 1000)", "num")
        if name == "Object":
            given = values()
            if method == "keys" and len(given) == 1 and given[0].type in ("dict", "dict?"):
                return Expr(f"list({given[0].code})", "list")
            if method == "keys" and len(given) == 1 and given[0].type in ("instance",):
                return Expr(f"list({given[0].wrapped()}.to_dict())", "list")
            raise self.fail(f"Object.{method}()", node)
        if name == "Array" and method == "isArray" and len(args) == 1:
            return Expr(f"isinstance({self.expr(args[0]).code}, list)", "bool")
        if name == "Promise":
            raise self.fail(f"Promise.{method}() outside a return", node)
        if name in ("process", "require", "setTimeout", "Buffer", "fs", "path"):
            raise self.fail(f"{name}.{method}()", node)
        return None

    def method_call(self, obj: Expr, method: str, args: list[Node], node: Node) -> Expr:
        if obj.type == "date":
            if method in DATE_GETTERS and not args:
                self.use("from datetime import datetime, timezone")
                return Expr(DATE_GETTERS[method].format(d=obj.wrapped()), "num", atom=False)
            if method in ("toISOString", "toJSON") and not args:
                return Expr(f"{self.js('iso_string')}({obj.code})", "str")
            raise self.fail(f"date.{method}()", node)
        if obj.type in ("err",):
            raise self.fail(f"error.{method}()", node)
        if obj.type in ("model", "app", "registry", "ctx", "rctx", "model-app", "model-registry", "request"):
            raise self.fail(f"{obj.code}.{method}()", node)
        if obj.type in ("instance", "instance?") and method in ("toJSON", "toObject"):
            return Expr(f"{obj.wrapped()}.to_json()" if method == "toJSON" else f"{obj.wrapped()}.to_dict()", "dict")
        if obj.type in ("instance", "instance?"):
            raise self.fail(f"instance.{method}() (a relation or a custom method, which may be asynchronous)", node)
        given = [self.expr(a) for a in args] if method not in _ARRAY_CALLBACK_METHODS else []
        if method in STRING_METHODS and obj.type in ("str", "unknown", "str?") and not args:
            suffix, _ = STRING_METHODS[method]
            return Expr(f"{obj.wrapped()}{suffix}", "str")
        if method in ("startsWith", "endsWith") and len(given) == 1 and given[0].type == "str":
            python = "startswith" if method == "startsWith" else "endswith"
            if obj.type in ("str", "unknown", "str?"):
                return Expr(f"{obj.wrapped()}.{python}({given[0].code})", "bool")
        if method == "includes" and len(given) == 1:
            if obj.type == "str" and given[0].type == "str":
                return Expr(f"{given[0].wrapped()} in {obj.wrapped()}", "bool", atom=False)
            if obj.type in ("list",) and given[0].type in ("str", "num"):
                return Expr(f"{given[0].wrapped()} in {obj.wrapped()}", "bool", atom=False)
            return Expr(f"{self.js('includes')}({obj.code}, {given[0].code})", "bool")
        if method == "indexOf" and len(given) == 1:
            return Expr(f"{self.js('index_of')}({obj.code}, {given[0].code})", "num")
        if method == "join" and len(given) <= 1 and obj.type in ("list", "unknown"):
            separator = given[0].code if given else '","'
            return Expr(f"{self.js('join')}({obj.code}, {separator})", "str")
        if method == "split" and len(given) == 1 and given[0].type == "str" and _is_literal(given[0].code):
            if given[0].code in ('""',):
                return Expr(f"list({obj.code})", "list")
            if obj.type in ("str", "unknown", "str?"):
                return Expr(f"{obj.wrapped()}.split({given[0].code})", "list")
        if (
            method == "replace"
            and len(given) == 2
            and all(g.type == "str" for g in given)
            and obj.type in ("str", "unknown", "str?")
            and args[0].type == "string"
        ):
            return Expr(f"{obj.wrapped()}.replace({given[0].code}, {given[1].code}, 1)", "str")
        if method == "toString" and not given:
            return Expr(f"{self.js('to_string')}({obj.code})", "str")
        if method == "slice" and obj.type in ("str", "list", "instances") and all(g.type == "num" for g in given):
            bounds = ":".join(g.code for g in given) if len(given) == 2 else (f"{given[0].code}:" if given else ":")
            return Expr(f"{obj.wrapped()}[{bounds}]", obj.type)
        if method in _ARRAY_CALLBACK_METHODS:
            return self.array_callback(obj, method, args, node)
        raise self.fail(f".{method}() on a value whose type is not known", node)

    def array_callback(self, obj: Expr, method: str, args: list[Node], node: Node) -> Expr:
        if obj.type not in ("list", "instances", "unknown"):
            raise self.fail(f".{method}() on a {obj.type}", node)
        if method == "reduce":
            if len(args) != 2:
                raise self.fail("reduce() without an initial value", node)
            function, initial = args
        else:
            if len(args) != 1:
                raise self.fail(f"{method}() with a this argument", node)
            function, initial = args[0], None
        if function.type not in ("arrow_function", "function_expression", "function"):
            raise self.fail(f"{method}() with a function that is not written there", node)
        if any(c.type == "async" for c in function.children):
            raise self.fail(f"{method}() with an async function", node)
        params = js_parameters(function, self.src)
        if "*" in params:
            raise self.fail(f"{method}() callback with destructured parameters", function)
        body = function.child_by_field_name("body")
        result = body
        if body.type == "statement_block":
            statements = [s for s in body.named_children if s.type != "comment"]
            if len(statements) != 1 or statements[0].type != "return_statement" or not statements[0].named_children:
                raise self.fail(f"{method}() callback with more than one return statement", function)
            result = statements[0].named_children[0]
        item_type = "instance" if obj.type == "instances" else "unknown"
        self.scopes.append(Scope())
        try:
            if method == "reduce":
                if len(params) != 2:
                    raise self.fail("reduce() callback taking other than (accumulator, item)", function)
                init = self.expr(initial)
                self.declare(params[0], "unknown")
                self.declare(params[1], item_type)
                value = self.expr(result)
                self.use("import functools")
                lam = f"lambda {self.renames[params[0]]}, {self.renames[params[1]]}: {value.code}"
                return Expr(f"functools.reduce({lam}, {obj.code}, {init.code})", "unknown")
            if not params or len(params) > 2:
                raise self.fail(f"{method}() callback parameters", function)
            self.declare(params[0], item_type)
            loop = f"for {self.renames[params[0]]} in {obj.code}"
            if len(params) == 2:
                self.declare(params[1], "num")
                loop = f"for {self.renames[params[1]]}, {self.renames[params[0]]} in enumerate({obj.code})"
            if method == "map":
                value = self.expr(result)
                return Expr(f"[{value.code} {loop}]", "list")
            test = self.truth(result)
            item = self.renames[params[0]]
            if method == "filter":
                return Expr(f"[{item} {loop} if {test}]", "instances" if obj.type == "instances" else "list")
            if method == "find":
                return Expr(
                    f"next(({item} {loop} if {test}), None)", "instance?" if obj.type == "instances" else "unknown"
                )
            if method == "some":
                return Expr(f"any({test} {loop})", "bool")
            if method == "every":
                return Expr(f"all({test} {loop})", "bool")
            if method == "findIndex":
                if len(params) == 2:
                    raise self.fail("findIndex() with an index parameter", function)
                index = self.temp()
                return Expr(f"next(({index} for {index}, {item} in enumerate({obj.code}) if {test}), -1)", "num")
        finally:
            self.scopes.pop()
        raise self.fail(f".{method}()", node)


_ARRAY_CALLBACK_METHODS = {"map", "filter", "find", "some", "every", "reduce", "findIndex"}
#: names a record answers itself (lbpy's Model API), so its properties of the same name are read with .get()
_INSTANCE_ATTRS = {
    "get",
    "related",
    "to_dict",
    "to_json",
    "save",
    "destroy",
    "delete",
    "remove",
    "reload",
    "update_attributes",
    "patch_attributes",
    "replace_attributes",
    "spec",
    "datasource",
    "find",
    "create",
    "count",
    "exists",
    "observe",
    "Model",
}


LINE_LENGTH = 120
_CLOSING = {"(": ")", "[": "]", "{": "}"}


def wrap_line(line: str, limit: int = LINE_LENGTH) -> list[str]:
    """A line longer than ``limit`` split as ruff format would: the first bracket that holds several
    items opens, one item a line, with a trailing comma."""
    if len(line) <= limit or line.lstrip().startswith("#"):
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    statement = re.fullmatch(r"(\s*(?:return |[\w.\[\]\"']+ = ))(.+)", line)
    if statement is not None and _top_level_words(statement.group(2)) & {"if", "and", "or", "not", "for"}:
        # a long conditional or boolean expression goes in parentheses of its own, as ruff format does
        return [statement.group(1) + "(", *wrap_line(indent + "    " + statement.group(2), limit), indent + ")"]
    spans = _bracket_spans(line)
    for start, end in spans:
        items = _split_items(line[start + 1 : end])
        if len(items) < 2 and len(spans) > 1:
            continue
        inner = indent + "    "
        lines = [line[: start + 1]]
        comma = "," if len(items) > 1 else ""
        for item_text in items:
            lines.extend(wrap_line(inner + item_text.strip() + comma, limit))
        lines.append(indent + line[end:])
        return lines
    return [line]


def _bracket_spans(line: str) -> list[tuple[int, int]]:
    """Top-level (depth 0) bracket pairs of ``line``, outside strings, longest first."""
    spans = []
    stack: list[int] = []
    quote = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _CLOSING:
            stack.append(index)
        elif char in ")]}" and stack:
            start = stack.pop()
            if not stack and index > start + 1:
                spans.append((start, index))
        index += 1
    return sorted(spans, key=lambda span: span[0] - span[1])


def _split_items(text: str) -> list[str]:
    items = []
    depth = 0
    quote = None
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                current += char
                index += 1
                char = text[index] if index < len(text) else ""
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _CLOSING:
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    if current.strip():
        items.append(current)
    return items


def _top_level_words(code: str) -> set[str]:
    """The words of ``code`` outside brackets and strings."""
    words: set[str] = set()
    depth = 0
    quote = None
    current = ""
    index = 0
    while index < len(code):
        char = code[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            if char.isalnum() or char == "_":
                current += char
                index += 1
                continue
            if current:
                words.add(current)
        current = "" if depth == 0 or quote else current
        index += 1
    if current:
        words.add(current)
    return words


def _is_literal(code: str) -> bool:
    return bool(re.fullmatch(r'"(?:[^"\\]|\\.)*"', code) or re.fullmatch(r"'[^'\\]*'", code))


def _nonzero_literal(code: str) -> bool:
    try:
        return float(code) != 0
    except ValueError:
        return False


def _is_simple(code: str) -> bool:
    """A name or a chain of attribute reads: evaluating it twice has no effect."""
    return bool(re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*", code))


def _is_pure(node: Node) -> bool:
    return node.type in ("identifier", "string", "number", "true", "false", "null", "member_expression")


def _literal_type(node: Node | None) -> str | None:
    if node is None:
        return None
    return {"number": "num", "string": "str", "template_string": "str", "true": "bool", "false": "bool"}.get(node.type)


def _assignments(root: Node, name: str, source: bytes) -> list[Node]:
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier" and _text(left, source) == name:
                found.append(node)
        if node.type == "update_expression":
            argument = node.child_by_field_name("argument")
            if argument is not None and argument.type == "identifier" and _text(argument, source) == name:
                found.append(node)
        stack.extend(node.children)
    return found


def _identifiers(root: Node, source: bytes, *, assigned_only: bool = False) -> set[str]:
    found = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if assigned_only:
            if node.type in ("assignment_expression", "augmented_assignment_expression"):
                left = node.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    found.add(_text(left, source))
            elif node.type == "update_expression":
                argument = node.child_by_field_name("argument")
                if argument is not None and argument.type == "identifier":
                    found.add(_text(argument, source))
        elif node.type in ("identifier", "shorthand_property_identifier"):
            found.add(_text(node, source))
        stack.extend(node.children)
    return found


def _nested_vars(body: Node) -> list[Node]:
    """``var`` declarators inside blocks of ``body`` (not in nested functions, not loop heads)."""
    found = []
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in ("function_expression", "function", "arrow_function", "function_declaration"):
            continue
        parent = node.parent
        if (
            node.type == "variable_declaration"
            and parent is not None
            and parent != body
            and parent.type
            not in (
                "for_statement",
                "for_in_statement",
            )
        ):
            found.extend(c for c in node.named_children if c.type == "variable_declarator")
        stack.extend(node.named_children)
    return [d for d in found if d.child_by_field_name("name").type == "identifier"]


def _identifier_nodes(root: Node, name: str, source: bytes) -> list[Node]:
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier") and _text(node, source) == name:
            found.append(node)
        stack.extend(node.children)
    return found


def _uses(root: Node, name: str, source: bytes) -> bool:
    """Whether ``root`` reads ``name``, leaving out functions that declare a parameter of that name."""
    if root.type in ("function_expression", "function", "arrow_function") and name in js_parameters(root, source):
        return False
    if root.type == "identifier" and _text(root, source) == name:
        return True
    return any(_uses(child, name, source) for child in root.children)


def _contains(root: Node, kind: str, *, stop_at_loops: bool = False, stop_at_functions: bool = False) -> bool:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == kind:
            return True
        if (
            stop_at_functions
            and node is not root
            and node.type in ("function_expression", "function", "arrow_function")
        ):
            continue
        if stop_at_loops and node.type in (
            "for_statement",
            "for_in_statement",
            "while_statement",
            "do_statement",
            "switch_statement",
        ):
            continue
        stack.extend(node.children)
    return False


def _counting_loop(
    initializer: Node | None, condition: Node | None, increment: Node | None, source: bytes
) -> tuple[str, Node, Node, bool] | None:
    if initializer is None or condition is None or increment is None:
        return None
    if initializer.type not in ("lexical_declaration", "variable_declaration"):
        return None
    declarators = [c for c in initializer.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1:
        return None
    name_node = declarators[0].child_by_field_name("name")
    start = declarators[0].child_by_field_name("value")
    if name_node.type != "identifier" or start is None:
        return None
    name = _text(name_node, source)
    if condition.type == "expression_statement":
        condition = condition.named_children[0]
    if condition.type != "binary_expression":
        return None
    operator = _text(condition.child_by_field_name("operator"), source)
    left = condition.child_by_field_name("left")
    if operator not in ("<", "<=") or left.type != "identifier" or _text(left, source) != name:
        return None
    text = _text(increment, source).replace(" ", "")
    if text not in (f"{name}++", f"++{name}", f"{name}+=1"):
        return None
    return name, start, condition.child_by_field_name("right"), operator == "<="
