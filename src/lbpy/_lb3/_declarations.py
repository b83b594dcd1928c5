"""What one JavaScript file of a LoopBack 3 app declares, written as the Python lbpy runs.

A model file (``module.exports = function(Model) {...}``) becomes ``customize(Model)``, a mixin
(``function(Model, options)``) becomes ``mixin(Model, options)``, a boot script
(``function(app[, cb])``) becomes ``boot(app)``. Declarations (remote methods, scopes, hooks,
validations, nested routes, disabled methods, model look-ups, ``enableAuth``) are translated here,
always and exactly; each function is handed to the body translator (``_bodies``) with the role it
plays, and comes back translated or as a stub that answers 501. A declaration whose arguments are
not constant in the file is reported, never guessed; so is any other setup-time statement.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ._javascript import UNDEFINED, NotConstant, constant, line, parse, python, text

try:
    from ._bodies import Function, Role, stub, translate_function
except ModuleNotFoundError as exc:  # without tree-sitter, _javascript.parse says what to install
    if exc.name not in ("tree_sitter", "tree_sitter_javascript"):
        raise
    Function = Role = stub = translate_function = None  # type: ignore[assignment,misc]

Kind = Literal["model", "mixin", "boot"]
Status = Literal["translated", "stubbed", "skipped"]

#: LoopBack's validation options in lbpy's keyword spelling
_VALIDATION_KEYWORDS = {
    "min": "min",
    "max": "max",
    "is": "is_",
    "with": "with_",
    "in": "in_",
    "int": "int",
    "message": "message",
    "allowNull": "allow_null",
    "allowBlank": "allow_blank",
    "scopedTo": "scoped_to",
    "ignoreCase": "ignore_case",
    "if": "if_",
    "unless": "unless",
}
_VALIDATIONS = {
    "validatesPresenceOf": "validates_presence_of",
    "validatesAbsenceOf": "validates_absence_of",
    "validatesLengthOf": "validates_length_of",
    "validatesFormatOf": "validates_format_of",
    "validatesInclusionOf": "validates_inclusion_of",
    "validatesExclusionOf": "validates_exclusion_of",
    "validatesNumericalityOf": "validates_numericality_of",
    "validatesUniquenessOf": "validates_uniqueness_of",
}
_REMOTE_HOOKS = {
    "beforeRemote": "before_remote",
    "afterRemote": "after_remote",
    "afterRemoteError": "after_remote_error",
}
_REMOTE_OPTIONS = {
    "accepts": "accepts",
    "returns": "returns",
    "http": "http",
    "description": "description",
    "notes": "notes",
    "isStatic": "is_static",
    "accessType": "access_type",
}
#: remoteMethod options that only LoopBack's own tools read
_REMOTE_IGNORED = {"shared", "documented", "rest", "accessScopes"}
#: LoopBack 2's model hooks, still called by LoopBack 3 when a model sets them
_MODEL_HOOKS = {
    "afterInitialize",
    "beforeValidate",
    "afterValidate",
    "beforeCreate",
    "afterCreate",
    "beforeSave",
    "afterSave",
    "beforeUpdate",
    "afterUpdate",
    "beforeDestroy",
    "afterDestroy",
}
#: JavaScript's constructors where LoopBack takes a type (``{type: String}``), as type names
TYPE_CONSTRUCTORS = {
    "String": "string",
    "Number": "number",
    "Boolean": "boolean",
    "Date": "date",
    "Object": "object",
    "Array": "array",
    "Buffer": "buffer",
}
_OBSERVED = {
    "access",
    "before save",
    "after save",
    "before delete",
    "after delete",
    "loaded",
    "persist",
}


@dataclass
class Entry:
    """One line of the report: a function or a declaration, and what became of it."""

    line: int
    what: str
    status: Status
    reason: str = ""
    function: bool = False


@dataclass
class Translation:
    """A JavaScript file as Python: ``text`` (None when nothing can be written) and the report's entries;
    ``settings`` are setup-time ``Model.settings`` changes and ``Model.mixin`` calls, for the model JSON."""

    source: str
    kind: Kind
    text: str | None
    entries: list[Entry] = field(default_factory=list)
    settings: list[tuple[list[str], str, Any]] = field(default_factory=list)
    error: str | None = None


class _Skip(Exception):
    """A statement the translator reports rather than translates."""


def _call_parts(node: Any, source: bytes) -> tuple[list[str], Any] | None:
    """``A.b.c(args)`` -> (["A", "b", "c"], arguments node); None for other calls."""
    if node.type != "call_expression":
        return None
    chain = _member_chain(node.child_by_field_name("function"), source)
    if chain is None:
        return None
    return chain, node.child_by_field_name("arguments")


def _member_chain(node: Any, source: bytes) -> list[str] | None:
    if node is None:
        return None
    if node.type in ("identifier", "this"):
        return [text(node, source)]
    if node.type == "member_expression":
        inner = _member_chain(node.child_by_field_name("object"), source)
        prop = node.child_by_field_name("property")
        if inner is None or prop is None:
            return None
        return [*inner, text(prop, source)]
    if node.type == "subscript_expression":  # app.models['Tag']
        inner = _member_chain(node.child_by_field_name("object"), source)
        index = node.child_by_field_name("index")
        if inner is None or index is None or index.type != "string":
            return None
        return [*inner, constant(index, source, {})]
    return None


def _arguments(args: Any) -> list[Any]:
    return [c for c in args.named_children if c.type != "comment"] if args is not None else []


def _is_function(node: Any) -> bool:
    return node is not None and node.type in (
        "function_expression",
        "function",
        "arrow_function",
        "function_declaration",
        "generator_function",
    )


def _params(node: Any, source: bytes) -> list[str]:
    params = node.child_by_field_name("parameters")
    if params is None:  # an arrow function with one bare parameter
        single = node.child_by_field_name("parameter")
        return [text(single, source)] if single is not None else []
    return [text(p, source) for p in params.named_children if p.type != "comment"]


def python_name(name: str) -> str:
    cleaned = re.sub(r"\W", "_", name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned + "_" if keyword.iskeyword(cleaned) else cleaned


def _call(pad: str, function: str, arguments: list[str]) -> str:
    """``function(arguments)`` on one line when it fits, else one argument a line."""
    flat = f"{pad}{function}({', '.join(arguments)})"
    if len(flat) <= 110 and "\n" not in flat:
        return flat
    inner = "".join(f"{pad}    {argument},\n" for argument in arguments)
    return f"{pad}{function}(\n{inner}{pad})"


def _unwrap(node: Any) -> Any:
    while node is not None and node.type == "parenthesized_expression":
        node = node.named_children[0]
    return node


class FileTranslator:
    """Translates one file; ``translate()`` gives the ``Translation``."""

    def __init__(self, source: bytes, file: str, kind: Kind) -> None:
        self.source = source
        self.file = file
        self.kind = kind
        self.entries: list[Entry] = []
        self.imports: list[str] = []
        self.module_lines: list[str] = []
        self.settings: list[tuple[list[str], str, Any]] = []
        self.bindings: dict[str, Any] = dict(TYPE_CONSTRUCTORS)
        #: constants written into the Python under their own name (declarations refer to them by it)
        self.emitted: set[str] = set()
        self.functions: dict[str, Any] = {}  # JS name -> function node, for names used as hooks or methods
        self.used_names: set[str] = set()
        self.remote: dict[str, tuple[bool, list[str]]] = {}  # method name -> (is_static, accepts names)
        self.model_var = "Model"
        self.app_vars: set[str] = set()
        #: in a boot script, the JavaScript names bound to models -> their Python names
        self.boot_models: dict[str, str] = {}

    # -- the file ------------------------------------------------------------------------------

    def translate(self) -> Translation:
        try:
            return self._translate()
        except RecursionError:
            error = f"{self.file}: nested too deeply for lbpy import-lb3; nothing was written"
            return Translation(self.file, self.kind, None, error=error)

    def _translate(self) -> Translation:
        try:
            tree = parse(self.source, self.file)
        except ValueError as exc:
            return Translation(self.file, self.kind, None, error=str(exc))
        program = tree.root_node
        self._collect_remote_methods(program)
        exported = None
        top_functions: list[Any] = []
        for statement in program.named_children:
            exported_here = self._exported(statement)
            if exported_here is not None:
                exported = exported_here
                continue
            if statement.type == "function_declaration":
                name = text(statement.child_by_field_name("name"), self.source)
                self.functions[name] = statement
                top_functions.append(statement)
                continue
            if statement.type in ("lexical_declaration", "variable_declaration"):
                self._declare(statement, module_level=True)
                continue
            if statement.type == "comment" or self._is_directive(statement):
                continue
            self._skip(statement, "code outside module.exports runs in LoopBack's process only; port it by hand")
        if exported is not None and exported.type == "identifier":
            exported = self.functions.get(text(exported, self.source), exported)
        if exported is None or not _is_function(exported):
            if exported is not None:
                self.entries.append(
                    Entry(line(exported), "module.exports", "skipped", "module.exports is not a function")
                )
            else:
                self.entries.append(
                    Entry(1, "module.exports", "skipped", "the file exports no function; nothing to port")
                )
            return self._result(None)
        params = _params(exported, self.source)
        body_lines: list[str] = []
        if self.kind == "boot":
            return self._result(self._boot(exported, params))
        self.model_var = python_name(params[0]) if params else "Model"
        self.js_model_var = params[0] if params else "Model"
        self.used_names.add(self.model_var)
        for fn in top_functions:
            name = text(fn.child_by_field_name("name"), self.source)
            if name not in self._referenced:
                self.module_lines.append(self._function(fn, "helper", name, indent=0))
        statements = self._statements(exported)
        hoisted = [s for s in statements if s.type == "function_declaration"]
        for fn in hoisted:
            name = text(fn.child_by_field_name("name"), self.source)
            self.functions[name] = fn
        for fn in hoisted:
            name = text(fn.child_by_field_name("name"), self.source)
            if name not in self._referenced:
                body_lines.append(self._function(fn, "helper", name, indent=4))
        for statement in statements:
            if statement.type == "function_declaration":
                continue
            body_lines.extend(self._model_statement(statement))
        if self.kind == "mixin":
            second = python_name(params[1]) if len(params) > 1 else "options"
            header = f"def mixin({self.model_var}, {second}):"
        else:
            header = f"def customize({self.model_var}):"
        if not any(row.strip() and not row.strip().startswith("#") for row in body_lines):
            body_lines.append("    pass")
        return self._result([header, *body_lines])

    @property
    def _referenced(self) -> set[str]:
        """Function names that a declaration uses (translated where it is used, with that role)."""
        return getattr(self, "_referenced_names", set())

    def _exported(self, statement: Any) -> Any:
        if statement.type != "expression_statement":
            return None
        expression = statement.named_children[0] if statement.named_children else None
        if expression is None or expression.type != "assignment_expression":
            return None
        left = _member_chain(expression.child_by_field_name("left"), self.source)
        if left in (["module", "exports"], ["exports"]):
            return _unwrap(expression.child_by_field_name("right"))
        return None

    def _is_directive(self, statement: Any) -> bool:
        children = statement.named_children
        return statement.type == "expression_statement" and len(children) == 1 and children[0].type == "string"

    def _statements(self, fn: Any) -> list[Any]:
        body = fn.child_by_field_name("body")
        if body is None:
            return []
        if body.type != "statement_block":
            return [body]
        return [c for c in body.named_children if c.type != "comment"]

    def _result(self, function_lines: list[str] | None) -> Translation:
        if function_lines is None and not self.module_lines:
            return Translation(self.file, self.kind, None, self.entries, self.settings)
        origin = f'"""Ported from {self.file} by lbpy import-lb3; see MIGRATION.md for what needs a person."""'
        imports = sorted(dict.fromkeys(self.imports), key=lambda row: (row.startswith("from "), row))
        parts = [origin, ""]
        if imports:
            parts += [*imports, ""]
        if self.module_lines:
            parts += ["", *self.module_lines, ""]
        if function_lines is not None:
            parts += ["", *function_lines]
        python_text = "\n".join(parts).rstrip() + "\n"
        try:
            compile(python_text, self.file, "exec")
        except SyntaxError as exc:  # never write a file that cannot import
            error = f"{self.file}: its Python does not compile (line {exc.lineno}: {exc.msg}); nothing was written"
            return Translation(self.file, self.kind, None, self.entries, self.settings, error=error)
        return Translation(self.file, self.kind, python_text, self.entries, self.settings)

    # -- reporting -------------------------------------------------------------------------------

    def _skip(self, node: Any, reason: str) -> None:
        snippet = " ".join(text(node, self.source).split())
        what = snippet if len(snippet) <= 50 else snippet[:47] + "..."
        self.entries.append(Entry(line(node), what, "skipped", reason))

    def _done(self, node: Any, what: str) -> None:
        self.entries.append(Entry(line(node), what, "translated"))

    def _commented(self, node: Any, reason: str, indent: int) -> list[str]:
        pad = " " * indent
        out = [f"{pad}# {self.file}:{line(node)}: not ported ({reason}):"]
        out += [f"{pad}#   {row}" for row in text(node, self.source).splitlines()]
        return out

    # -- bindings --------------------------------------------------------------------------------

    def _declare(self, statement: Any, *, module_level: bool, indent: int = 0) -> list[str]:
        """A ``var``/``const``/``let``: constants kept for declarations (and emitted), functions kept
        for the declarations that use them, model look-ups translated; the rest reported."""
        out: list[str] = []
        for declarator in statement.named_children:
            if declarator.type != "variable_declarator":
                continue
            name_node = declarator.child_by_field_name("name")
            value = _unwrap(declarator.child_by_field_name("value"))
            name = text(name_node, self.source)
            if name_node.type != "identifier" or value is None:
                self._skip(declarator, "a destructuring or empty declaration is not translated")
                continue
            if _is_function(value):
                self.functions[name] = value
                if name not in self._referenced:
                    rendered = self._function(value, "helper", name, indent=indent)
                    (self.module_lines if module_level else out).append(rendered)
                continue
            lookup = self._model_lookup(value)
            if lookup is not None:
                self.used_names.add(python_name(name))
                line_text = f"{python_name(name)} = {lookup}"
                if module_level:
                    self._skip(declarator, "a model look-up outside module.exports; it is made inside instead")
                else:
                    out.append(" " * indent + line_text)
                    self._done(declarator, f"{name} = {text(value, self.source)}")
                continue
            if self._is_require(value):
                self._skip(declarator, self._require_reason(value))
                continue
            if self._is_app_reference(value):
                self.app_vars.add(name)
                continue
            try:
                resolved = constant(value, self.source, self.bindings)
            except NotConstant as exc:
                self.bindings.pop(name, None)
                self._skip(declarator, f"not a constant ({exc}); bodies that use {name} are stubbed")
                continue
            if name in self.bindings and name not in TYPE_CONSTRUCTORS:
                self.bindings.pop(name)  # declared twice: no longer one value
                self.emitted.discard(name)
                continue
            self.bindings[name] = value
            self.emitted.add(name)
            rendered = f"{python_name(name)} = {python(resolved)}"
            (self.module_lines if module_level else out).append(rendered if module_level else " " * indent + rendered)
        return out

    def _is_require(self, node: Any) -> bool:
        if node.type == "call_expression":
            chain = _member_chain(node.child_by_field_name("function"), self.source)
            if chain == ["require"]:
                return True
            return self._is_require(node.child_by_field_name("function"))
        if node.type == "member_expression":
            return self._is_require(node.child_by_field_name("object"))
        return False

    def _require_reason(self, node: Any) -> str:
        snippet = text(node, self.source)
        found = re.search(r"require\(\s*['\"]([^'\"]+)['\"]", snippet)
        module = found.group(1) if found else "a module"
        if module in ("loopback", "loopback-context") or module.endswith(("/server", "server.js")):
            return f'require("{module}"): lbpy gives models and the app without it'
        if module.startswith((".", "/")):
            return f'require("{module}"): a file of the app, which lbpy does not load; bodies that use it are stubbed'
        return f'require("{module}"): an npm module lbpy does not run; bodies that use it are stubbed'

    def _is_app_reference(self, node: Any) -> bool:
        chain = _member_chain(node, self.source)
        return chain is not None and len(chain) == 2 and chain[1] == "app" and chain[0] == self._js_model

    @property
    def _js_model(self) -> str:
        return getattr(self, "js_model_var", "Model")

    def _model_lookup(self, node: Any) -> str | None:
        """``app.models.X``, ``Model.app.models.X``, ``app.models['X']``, ``loopback.getModel('X')``
        as Python; None for anything else."""
        if node.type == "call_expression":
            parts = _call_parts(node, self.source)
            if parts and parts[0][-1] in ("getModel", "findModel", "getModelByType"):
                args = _arguments(parts[1])
                if len(args) == 1 and args[0].type == "string":
                    return self._lookup_text(constant(args[0], self.source, {}))
            return None
        chain = None
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            chain = _member_chain(node.child_by_field_name("object"), self.source)
            if chain is None or index is None or index.type != "string":
                return None
            chain = [*chain, constant(index, self.source, {})]
        else:
            chain = _member_chain(node, self.source)
        if chain is None or len(chain) < 3 or chain[-2] != "models":
            return None
        owner = chain[:-2]
        if owner == [self._js_model, "app"] or (len(owner) == 1 and owner[0] in self.app_vars | {"app", "server"}):
            return self._lookup_text(chain[-1])
        return None

    def _lookup_text(self, name: str) -> str:
        if self.kind == "boot":
            return f"{self.app_param}.models[{python(name)}]"
        return f"{self.model_var}.get_model({python(name)})"

    # -- remote methods, first: their accepts name a function's parameters ------------------------

    def _collect_remote_methods(self, program: Any) -> None:
        referenced: set[str] = set()
        candidates: dict[str, Any] = dict(TYPE_CONSTRUCTORS)
        for declarator in self._nodes(program, "variable_declarator"):
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is not None and value is not None and name.type == "identifier":
                candidates[text(name, self.source)] = value
        for call in self._calls(program):
            parts = _call_parts(call, self.source)
            if parts is None:
                continue
            chain, args = parts
            arguments = _arguments(args)
            method = chain[-1]
            if method == "remoteMethod" and arguments:
                try:
                    name = constant(arguments[0], self.source, candidates)
                    options = constant(arguments[1], self.source, candidates) if len(arguments) > 1 else {}
                except NotConstant:
                    continue
                if not isinstance(name, str) or not isinstance(options, dict):
                    continue
                is_static = not name.startswith("prototype.") and options.get("isStatic", True) is not False
                accepts = options.get("accepts") or []
                if isinstance(accepts, dict):
                    accepts = [accepts]
                names = [a["arg"] for a in accepts if isinstance(a, dict) and isinstance(a.get("arg"), str)]
                self.remote[name.removeprefix("prototype.")] = (is_static, names)
            elif method in ("observe", *_REMOTE_HOOKS) and len(arguments) > 1 and arguments[1].type == "identifier":
                referenced.add(text(arguments[1], self.source))
        for assignment in self._nodes(program, "assignment_expression"):
            right = _unwrap(assignment.child_by_field_name("right"))
            if right is not None and right.type == "identifier":
                referenced.add(text(right, self.source))
        self._referenced_names = referenced

    def _calls(self, node: Any) -> Iterator[Any]:
        return self._nodes(node, "call_expression")

    def _nodes(self, node: Any, kind: str) -> Iterator[Any]:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == kind:
                yield current
            stack.extend(reversed(current.named_children))

    # -- functions -------------------------------------------------------------------------------

    def _function(self, node: Any, role: Role, name: str, *, indent: int, accepts: list[str] | None = None) -> str:
        """The Python of the function ``node`` (translated or stubbed), indented; reported."""
        py_name = self._fresh(python_name(name))
        result = self._translated(node, role, py_name, accepts)
        self.imports.extend(result.imports)
        described = {
            "remote_method": "remote method",
            "prototype_method": "instance method",
            "operation_hook": "operation hook",
            "remote_hook": "remote hook",
            "boot": "boot script",
            "helper": "function",
        }[role]
        status: Status = "stubbed" if result.stubbed else "translated"
        self.entries.append(Entry(line(node), f"{described} {name}", status, result.stubbed or "", function=True))
        pad = " " * indent
        rendered = "\n".join(pad + row if row.strip() else "" for row in result.source.rstrip().splitlines())
        rendered = "\n" + rendered  # a blank line before each function
        self.last_function_name = result.name
        return rendered

    def _translated(self, node: Any, role: Role, name: str, accepts: list[str] | None) -> Any:
        """The body translator's function, or a stub taking any arguments when its Python does not
        compile (an argument name that is no Python name): a generated file always imports."""
        result = translate_function(node, role=role, name=name, file=self.file, source=self.source, accepts=accepts)
        try:
            compile(result.source, self.file, "exec")
        except SyntaxError as exc:
            params = ["self", "*args", "**kwargs"] if role == "prototype_method" else ["*args", "**kwargs"]
            return stub(
                name,
                ["ctx"] if role in ("operation_hook", "remote_hook") else ["app"] if role == "boot" else params,
                file=self.file,
                line=line(node),
                javascript=text(node, self.source),
                reason=f"its Python translation does not compile ({exc.msg})",
            )
        return result

    def _object_members(self, node: Any) -> dict[str, Any]:
        """An object literal's members: key -> value node (nothing when a spread makes keys uncertain)."""
        node = _unwrap(node)
        if node is None or node.type != "object":
            return {}
        members: dict[str, Any] = {}
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                if key.type in ("property_identifier", "identifier"):
                    members[text(key, self.source)] = child.child_by_field_name("value")
                elif key.type == "string":
                    members[constant(key, self.source, {})] = child.child_by_field_name("value")
            elif child.type == "shorthand_property_identifier":
                members[text(child, self.source)] = child
            elif child.type == "spread_element":
                return {}
        return members

    def _expr(self, node: Any, value: Any, indent: int) -> str:
        """``value`` as Python: the constant's own name when the JavaScript named one the file emits."""
        node = _unwrap(node)
        if node is not None and node.type in ("identifier", "shorthand_property_identifier"):
            name = text(node, self.source)
            if name in self.emitted:
                return python_name(name)
        return python(value, indent)

    def _fresh(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.used_names:
            candidate, n = f"{name}_{n}", n + 1
        self.used_names.add(candidate)
        return candidate

    def _function_value(
        self, node: Any, role: Role, name: str, *, accepts: list[str] | None = None
    ) -> tuple[list[str], str]:
        """A function given to a declaration (inline, or a name declared in the file): its definition
        lines (none when already emitted under that name) and the Python name to use."""
        node = _unwrap(node)
        if node.type == "identifier":
            js = text(node, self.source)
            target = self.functions.get(js)
            if target is None:
                raise _Skip(f"{js} is not a function declared in this file")
            rendered = self._function(target, role, js, indent=4, accepts=accepts)
            return [rendered], self.last_function_name
        if not _is_function(node):
            raise _Skip("the function given is not a function literal or a function declared in this file")
        rendered = self._function(node, role, name, indent=4, accepts=accepts)
        return [rendered], self.last_function_name

    # -- a model's (or mixin's) setup-time statements --------------------------------------------------

    def _model_statement(self, statement: Any, indent: int = 4) -> list[str]:
        try:
            if statement.type in ("lexical_declaration", "variable_declaration"):
                return self._declare(statement, module_level=False, indent=indent)
            if self._is_directive(statement):
                return []
            if statement.type != "expression_statement" or not statement.named_children:
                raise _Skip("setup-time code other than declarations is not translated")
            expression = _unwrap(statement.named_children[0])
            if expression.type == "assignment_expression":
                return self._assignment(expression, indent)
            if expression.type == "call_expression":
                return self._declaration_call(expression, indent)
            raise _Skip("setup-time code other than declarations is not translated")
        except _Skip as skip:
            self._skip(statement, str(skip))
            return self._commented(statement, str(skip), indent)
        except NotConstant as exc:
            reason = f"an argument is not constant in this file: {exc}"
            self._skip(statement, reason)
            return self._commented(statement, reason, indent)

    def _assignment(self, expression: Any, indent: int) -> list[str]:
        pad = " " * indent
        left = _member_chain(expression.child_by_field_name("left"), self.source)
        right = _unwrap(expression.child_by_field_name("right"))
        model = self._js_model
        if left is None or left[0] != model:
            raise _Skip("an assignment other than to the model is not translated")
        if len(left) == 2 and left[1] in _MODEL_HOOKS:
            raise _Skip(
                f"{left[1]} is one of LoopBack's old model hooks, which lbpy does not call: "
                f"port it as an operation hook ({self.model_var}.observe)"
            )
        if len(left) == 2:
            name = left[1]
            static, accepts = self.remote.get(name, (True, []))
            role: Role = "remote_method" if name in self.remote and static else "helper"
            lines, py_name = self._function_value(
                right, role, name, accepts=accepts if role == "remote_method" else None
            )
            return (
                [*lines, f"{pad}{self.model_var}.{python_name(name)} = {py_name}"]
                if python_name(name) == name
                else [*lines, f"{pad}setattr({self.model_var}, {python(name)}, {py_name})"]
            )
        if len(left) == 3 and left[1] == "prototype":
            name = left[2]
            _, accepts = self.remote.get(name, (False, []))
            lines, py_name = self._function_value(right, "prototype_method", name, accepts=accepts)
            if name.isidentifier() and not keyword.iskeyword(name):
                return [*lines, f"{pad}{self.model_var}.{name} = {py_name}"]
            return [*lines, f"{pad}setattr({self.model_var}, {python(name)}, {py_name})"]
        if len(left) >= 3 and left[1] == "settings":
            value = constant(right, self.source, self.bindings)
            self.settings.append((left[2:], "set", value))
            self._done(expression, f"{model}.settings.{'.'.join(left[2:])} (written into the model JSON)")
            return [
                f"{pad}# {self.file}:{line(expression)}: {model}.settings.{'.'.join(left[2:])} is in the model JSON"
            ]
        raise _Skip("an assignment to the model other than a method or a setting is not translated")

    def _declaration_call(self, call: Any, indent: int, target: tuple[list[str], str] | None = None) -> list[str]:
        """A declaration on the model (or, in a boot script, on ``target``: the JavaScript that names a
        model and its Python)."""
        pad = " " * indent
        parts = _call_parts(call, self.source)
        if parts is None:
            raise _Skip("setup-time code other than declarations is not translated")
        chain, args = parts
        arguments = _arguments(args)
        prefix, m = target if target is not None else ([self._js_model], self.model_var)
        model = ".".join(prefix)
        if chain[: len(prefix)] != prefix or len(chain) == len(prefix):
            raise _Skip("a call on something other than the model at setup time is not translated")
        method = ".".join(chain[len(prefix) :])

        def values() -> list[Any]:
            return [constant(a, self.source, self.bindings) for a in arguments]

        if method == "remoteMethod":
            name, options = (values() + [{}])[:2]
            if not isinstance(name, str) or not isinstance(options, dict):
                raise _Skip("remoteMethod needs a name and an options object")
            kwargs = []
            members = self._object_members(arguments[1]) if len(arguments) > 1 else {}
            for key, value in options.items():
                if key in _REMOTE_OPTIONS:
                    kwargs.append(f"{_REMOTE_OPTIONS[key]}={self._expr(members.get(key), value, indent + 4)}")
                elif key not in _REMOTE_IGNORED:
                    self.entries.append(
                        Entry(
                            line(call), f"remoteMethod {name}: option {key}", "skipped", "an option lbpy does not use"
                        )
                    )
            self._done(call, f"remoteMethod {name}")
            return [_call(pad, f"{m}.remote_method", [python(name), *kwargs])]
        if method == "scope":
            name, filter = values()[:2]
            self._done(call, f"scope {name}")
            return [f"{pad}{m}.scope({python(name)}, {self._expr(arguments[1], filter, indent)})"]
        if method == "nestRemoting":
            relation = values()[0]
            self._done(call, f"nestRemoting {relation}")
            return [f"{pad}{m}.nest_remoting({python(relation)})"]
        if method == "disableRemoteMethodByName":
            name = values()[0]
            self._done(call, f"disableRemoteMethodByName {name}")
            return [f"{pad}{m}.disable_remote_method_by_name({python(name)})"]
        if method == "disableRemoteMethod":
            given = values()
            name, is_static = given[0], (given[1] if len(given) > 1 else False)
            full = name if is_static else f"prototype.{name}"
            self._done(call, f"disableRemoteMethod {name} ({'static' if is_static else 'instance'})")
            return [f"{pad}{m}.disable_remote_method_by_name({python(full)})"]
        if method in _VALIDATIONS:
            given = values()
            options = given[-1] if given and isinstance(given[-1], dict) else {}
            properties = [v for v in given if isinstance(v, str)]
            if len(properties) + (1 if options else 0) != len(given):
                raise _Skip(f"{method} takes property names and one options object")
            kwargs, extra = [], {}
            members = self._object_members(arguments[-1]) if options else {}
            for key, value in options.items():
                if key in _VALIDATION_KEYWORDS:
                    kwargs.append(f"{_VALIDATION_KEYWORDS[key]}={self._expr(members.get(key), value, indent + 4)}")
                else:
                    extra[key] = value
            if extra:
                kwargs.append(f"**{python(extra)}")
            self._done(call, f"{method} {', '.join(properties)}")
            return [_call(pad, f"{m}.{_VALIDATIONS[method]}", [*map(python, properties), *kwargs])]
        if method == "observe":
            if len(arguments) != 2:
                raise _Skip("observe takes an operation and a function")
            operation = constant(arguments[0], self.source, self.bindings)
            if operation not in _OBSERVED:
                raise _Skip(f'observe("{operation}"): lbpy has no such operation hook')
            lines, py_name = self._function_value(arguments[1], "operation_hook", operation.replace(" ", "_"))
            self._done(call, f'observe("{operation}")')
            return [*lines, f"{pad}{m}.observe({python(operation)}, {py_name})"]
        if method in _REMOTE_HOOKS:
            if len(arguments) != 2:
                raise _Skip(f"{method} takes a method pattern and a function")
            pattern = constant(arguments[0], self.source, self.bindings)
            suffix = re.sub(r"\W+", "_", str(pattern)).strip("_") or "all"
            base = f"{_REMOTE_HOOKS[method]}_{suffix}"
            lines, py_name = self._function_value(arguments[1], "remote_hook", base)
            self._done(call, f'{method}("{pattern}")')
            return [*lines, f"{pad}{m}.{_REMOTE_HOOKS[method]}({python(pattern)}, {py_name})"]
        if method == "mixin":
            given = values()
            name = given[0]
            options = given[1] if len(given) > 1 else True
            if self.kind != "model":
                raise _Skip("Model.mixin inside a mixin is not translated; name it in the model JSON")
            self.settings.append((["mixins", name], "set", options if options is not UNDEFINED else True))
            self._done(call, f"mixin {name} (written into the model JSON)")
            return [f"{pad}# {self.file}:{line(call)}: mixin {name} is in the model JSON's mixins"]
        if method == "defineProperty":
            name, definition = values()[:2]
            self._done(call, f"defineProperty {name}")
            return [f"{pad}{m}.define_property({python(name)}, {python(definition, indent)})"]
        if method in ("on", "once") and len(arguments) == 2:
            event = constant(arguments[0], self.source, self.bindings)
            callback = _unwrap(arguments[1])
            if event in ("attached", "dataSourceAttached") and _is_function(callback):
                out: list[str] = []
                for inner in self._statements(callback):
                    out.extend(self._model_statement(inner, indent))
                return out
            raise _Skip(f'{model}.{method}("{event}"): only the "attached" event is translated (its body runs now)')
        if method == "getApp" and len(arguments) == 1 and _is_function(_unwrap(arguments[0])):
            callback = _unwrap(arguments[0])
            params = _params(callback, self.source)
            if len(params) > 1:
                self.app_vars.add(params[1])
            out = []
            for inner in self._statements(callback):
                out.extend(self._model_statement(inner, indent))
            return out
        raise _Skip(f"{model}.{method}() at setup time is not a declaration lbpy translates")

    # -- boot scripts ------------------------------------------------------------------------------

    def _boot(self, exported: Any, params: list[str]) -> list[str]:
        js_app = params[0] if params else "app"
        self.app_param = python_name(js_app)
        self.app_vars.add(js_app)
        statements = self._statements(exported)
        declared: list[str] = []
        unknown = False
        routers: set[str] = set()
        reported = len(self.entries)
        for statement in statements:
            if self._is_directive(statement):
                continue
            found = self._boot_declaration(statement, js_app, routers)
            if found is None:
                unknown = True
                break
            declared.extend(found)
        if not unknown:
            if not any(row.strip() and not row.strip().startswith("#") for row in declared):
                declared.append("    pass")
            return [f"def boot({self.app_param}):", *declared]
        # the whole script goes to the body translator; a stub must not stop the boot
        del self.entries[reported:]
        result = self._translated(exported, "boot", "boot_script", None)
        self.imports.extend(result.imports)
        self.entries.append(
            Entry(
                line(exported), "boot script", "stubbed" if result.stubbed else "translated", result.stubbed or "", True
            )
        )
        lines = [*result.source.rstrip().splitlines(), "", ""]
        if result.stubbed:
            self.imports.append("import logging")
            message = f"{self.file}:{line(exported)} was not ported ({result.stubbed}): see MIGRATION.md"
            lines += [
                f"def boot({self.app_param}):",
                f"    logging.getLogger('lbpy').warning({python(message)})",
            ]
        else:
            lines += [f"async def boot({self.app_param}):", f"    await {result.name}({self.app_param})"]
        return lines

    def _boot_declaration(self, statement: Any, js_app: str, routers: set[str]) -> list[str] | None:
        """A boot statement lbpy translates by itself, or None."""
        a = self.app_param
        if statement.type in ("lexical_declaration", "variable_declaration"):
            out = []
            for declarator in statement.named_children:
                value = _unwrap(declarator.child_by_field_name("value"))
                name_node = declarator.child_by_field_name("name")
                if value is None or name_node.type != "identifier":
                    return None
                lookup = self._model_lookup(value)
                name = text(name_node, self.source)
                if lookup is not None:
                    self.boot_models[name] = python_name(name)
                    out.append(f"    {python_name(name)} = {lookup}")
                    self._done(declarator, f"{name} = {text(value, self.source)}")
                    continue
                parts = _call_parts(value, self.source)
                if parts and parts[0] in ([js_app, "loopback", "Router"], ["loopback", "Router"]):
                    routers.add(name)
                    continue
                return None
            return out
        if statement.type != "expression_statement":
            return None
        parts = _call_parts(_unwrap(statement.named_children[0]), self.source)
        if parts is None:
            return None
        chain, args = parts
        arguments = _arguments(args)
        if chain == [js_app, "enableAuth"]:
            self._done(statement, "enableAuth")
            return [f"    {a}.enable_auth()"]
        if len(chain) == 2 and chain[0] in routers and chain[1] == "get" and len(arguments) == 2:
            status = _call_parts(arguments[1], self.source)
            path = arguments[0]
            if status and status[0][-2:] == ["loopback", "status"] and text(path, self.source)[1:-1] == "/":
                self._done(statement, "GET / answers LoopBack's status (lbpy serves it already)")
                return []
            return None
        if chain == [js_app, "use"] and len(arguments) == 1 and text(arguments[0], self.source) in routers:
            return []
        target: tuple[list[str], str] | None = None
        if len(chain) >= 4 and chain[:2] == [js_app, "models"]:
            target = (chain[:3], f"{a}.models.{chain[2]}" if chain[2].isidentifier() else f"{a}.models[{chain[2]!r}]")
        elif len(chain) >= 2 and chain[0] in self.boot_models:
            target = (chain[:1], self.boot_models[chain[0]])
        if target is None:
            return None
        try:
            return self._declaration_call(_unwrap(statement.named_children[0]), 4, target)
        except (_Skip, NotConstant):
            return None
