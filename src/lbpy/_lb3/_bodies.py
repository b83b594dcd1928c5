"""JavaScript function bodies translated into Python, or stubbed where a faithful translation is not known.

The interface is fixed; the declarations side (``_declarations``, ``_emit``) relies on it:
``translate_function`` takes one JavaScript function node (tree-sitter) and the role it plays, and gives back
a complete Python function definition, translated or stubbed.

A translation is all or nothing: the whole body translates, or the function is a stub that answers 501 and
says why (the first construct outside the supported subset). The walk itself lives in ``_body_translator``.

What the emitter can rely on:

- A translated function names the model as the JavaScript file did (``module.exports = function(Note)`` ->
  ``Note``): emit it inside ``def customize(<that name>):``. Another model is ``Note.get_model("X")``
  (``Note.app.models.X``) or ``app.models["X"]`` in a boot function, which keeps its own parameter name.
- Remote methods take their ``accepts`` names as keywords, each ``=None`` (lbpy passes only the arguments
  the caller gave); several ``returns`` come back as a tuple or a list in their order.
- Hooks take ``ctx`` positionally (the JavaScript's own name for it is kept).
- Functions the file declares (``function helper(x) {...}``) may be called by name from translated bodies:
  translate them with role ``helper`` and emit them where the bodies can see them.
- ``imports`` are whole lines (``from lbpy import js``, ``from lbpy import HttpError``, ``import math``...):
  emit each once at the top of the file. JavaScript's rules, where types are not known, are calls to
  ``lbpy.js`` written ``js.add(a, b)``, so that a reader sees where they apply.
- A boot function that cannot be translated logs a warning naming file and line instead of answering 501,
  so that the app still starts.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from ._body_translator import Unsupported, js_parameters, py_name, translate

#: what a function is for decides its Python signature:
#: remote_method   JS (arg1, ..., cb) or async/promise      -> async def name(arg1, ...) returning the result
#: prototype_method JS Model.prototype.x = function(..., cb)  -> async def name(self, ...), ``this`` is ``self``
#: operation_hook  JS (ctx, next) or async (ctx)              -> async def name(ctx)
#: remote_hook     JS (ctx, unused, next) or async (ctx)      -> async def name(ctx)
#: boot            JS (app[, cb])                             -> async def boot(app)
#: helper          any other function the file declares       -> def / async def name(...)
Role = Literal["remote_method", "prototype_method", "operation_hook", "remote_hook", "boot", "helper"]


@dataclass(frozen=True)
class Function:
    """One JavaScript function as Python: ``source`` is a complete, unindented ``def``/``async def``."""

    name: str
    source: str
    line: int
    #: None when translated; else one line saying why the body is a stub (``source`` then raises 501)
    stubbed: str | None = None
    #: import lines the source needs (``import math``, ``from lbpy import HttpError``), emitted once per file
    imports: tuple[str, ...] = field(default_factory=tuple)


def stub(name: str, params: list[str], *, file: str, line: int, javascript: str, reason: str) -> Function:
    """A function that answers 501 NOT_IMPLEMENTED naming ``file:line``, with the JavaScript beside it."""
    signature = ", ".join(params)
    commented = "\n".join(f"    # {text}" if text else "    #" for text in javascript.splitlines())
    message = f"{file}:{line} was not ported from JavaScript ({reason}): see lbpy import-lb3's MIGRATION.md"
    source = (
        f"async def {name}({signature}):\n"
        f"    # lbpy import-lb3 could not translate this function: {reason}\n"
        f"{commented}\n"
        f"    raise HttpError({message!r}, status_code=501, code='NOT_IMPLEMENTED')\n"
    )
    return Function(name=name, source=source, line=line, stubbed=reason, imports=("from lbpy import HttpError",))


def boot_stub(name: str, params: list[str], *, file: str, line: int, javascript: str, reason: str) -> Function:
    """A boot script that was not ported: the app still starts, and says once what did not run."""
    commented = "\n".join(f"    # {text}" if text else "    #" for text in javascript.splitlines())
    message = (
        f"{file}:{line} was not ported from JavaScript ({reason}) and did not run: see lbpy import-lb3's MIGRATION.md"
    )
    source = (
        f"def {name}({', '.join(params)}):\n"
        f"    # lbpy import-lb3 could not translate this function: {reason}\n"
        f"{commented}\n"
        f'    logging.getLogger("lbpy.app").warning({message!r})\n'
    )
    return Function(name=name, source=source, line=line, stubbed=reason, imports=("import logging",))


def translate_function(
    node: Node,
    *,
    role: Role,
    name: str,
    file: str,
    source: bytes,
    accepts: list[str] | None = None,
    required_types: dict[str, str] | None = None,
) -> Function:
    """``node`` (a tree-sitter function / arrow function / method node from ``source``) as Python.

    ``name`` is the Python function's name (made a valid one: ``Function.name`` tells which); ``file`` is the
    app-relative path of the JavaScript file (for stubs and the report); ``accepts`` are the
    remote method's argument names in declaration order, so the callback parameter can be told apart;
    ``required_types`` the LoopBack types (``"number"``, ``"string"``...) of those that are required, whose
    values the REST layer has checked and coerced, so that they translate to plain Python operations.

    The translated function refers to the model by the name the JavaScript file gave it
    (``module.exports = function(Note) {...}`` -> ``Note``), which is ``customize``'s parameter, and to the
    app by the boot function's own parameter.
    """
    line = node.start_point[0] + 1
    name = python_function_name(name)
    try:
        python, imports = translate(
            node, role=role, name=name, source=source, accepts=accepts, required_types=required_types
        )
        compile(python, file, "exec")  # a translation that would not import is no translation
    except (Unsupported, SyntaxError, RecursionError, ValueError, KeyError, IndexError, AttributeError) as exc:
        javascript = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if isinstance(exc, Unsupported):
            reason, at = exc.reason, f" (line {exc.line})" if exc.line and exc.line != line else ""
        else:  # a construct the translator does not know how to refuse yet
            reason, at = f"the translator cannot handle this body ({type(exc).__name__})", ""
        params = stub_params(node, role, source, accepts)
        if role == "boot":
            return boot_stub(name, params, file=file, line=line, javascript=javascript, reason=f"{reason}{at}")
        return stub(name, params, file=file, line=line, javascript=javascript, reason=f"{reason}{at}")
    return Function(name=name, source=python, line=line, imports=tuple(imports))


def python_function_name(name: str) -> str:
    """``name`` as a Python function name: ``import`` -> ``import_``, ``find-all`` -> ``find_all``."""
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "function"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return py_name(cleaned)


def stub_params(node: Node, role: Role, source: bytes, accepts: list[str] | None) -> list[str]:
    """The Python parameters of ``node`` in its role, the same for a stub as for a translation."""
    names = list(accepts or [])
    params = [f"{arg}=None" for arg in names if arg.isidentifier() and not keyword.iskeyword(arg)]
    if len(params) < len(names):
        params.append("**arguments")  # names Python cannot spell still arrive, as keywords
    if role in ("operation_hook", "remote_hook"):
        params = ["ctx"]
    if role == "prototype_method":
        params = ["self", *params]
    if role == "boot":
        params = ["app"]
    if role == "helper" and accepts is None:
        params = [p if p.isidentifier() else "*args" for p in js_parameters(node, source)]
        params = list(dict.fromkeys(params))
    return params
