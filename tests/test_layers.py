"""lbpy's layers: imports flow one way, from the CLI down to the errors.

Every module of the package is parsed; every import of an lbpy module (at module level, inside a
function, or under ``TYPE_CHECKING``) must name a module of the same layer or of a layer below.
The order is written once, here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lbpy"

#: lowest first; a module belongs to the layer of the longest prefix that names it
LAYERS: list[tuple[str, list[str]]] = [
    (
        "errors, loader, JSON values",
        [
            "lbpy._errors",
            "lbpy._loader",
            "lbpy._atomic",
            "lbpy._json_values",
            "lbpy._version",
            "lbpy._rate_limit",
            "lbpy.js",
        ],
    ),
    (
        "model definitions and types",
        [
            "lbpy._model._types",
            "lbpy._model._definition",
            "lbpy._model._remote_definition",
            "lbpy._model._builtins",
            "lbpy._app_files",
            "lbpy._pipeline._config",
        ],
    ),
    ("filter", ["lbpy._filter"]),
    ("HTTP client", ["lbpy.http"]),
    ("connectors", ["lbpy._connectors"]),
    ("datasource", ["lbpy._datasource"]),
    ("model runtime", ["lbpy._model"]),
    ("remoting", ["lbpy._remoting"]),
    ("access control", ["lbpy._auth"]),
    ("REST", ["lbpy._rest"]),
    ("operations", ["lbpy._ops"]),
    ("HTTP pipeline", ["lbpy._pipeline"]),
    ("app", ["lbpy._app"]),
    ("serve and the test kit", ["lbpy._serve", "lbpy._serve_http", "lbpy._serve_logs", "lbpy.testing"]),
    (
        "project files and scaffolding",
        [
            "lbpy._project",
            "lbpy._templates",
            "lbpy._scaffold",
            "lbpy._connector_project",
            "lbpy._openapi_project",
            "lbpy._lb3",
        ],
    ),
    ("CLI", ["lbpy._cli", "lbpy.__main__"]),
    ("public API", ["lbpy"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS in {__file__}"
    return best


def imports_of(module: str) -> list[tuple[str, int, bool]]:
    """(imported lbpy module, line, inside a function) for every import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(sub) for sub in ast.walk(node) if sub is not node)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "lbpy" or target.startswith("lbpy.")):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, node.lineno, id(node) in in_function))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "lbpy" or alias.name.startswith("lbpy."):
                    found.append((alias.name, node.lineno, id(node) in in_function))
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    own = layer_of(module)
    upward = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target} "
        f"({LAYERS[layer_of(target)][0]}) from the {LAYERS[own][0]} layer"
        for target, line, _ in imports_of(module)
        if layer_of(target) > own
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_lbpy_modules_are_imported_at_module_level(module: str) -> None:
    """A function-level import hides a dependency (and often a cycle); only third-party
    libraries may load late, where that keeps ``lbpy --help`` fast."""
    late = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target} inside a function"
        for target, line, inside in imports_of(module)
        if inside
    ]
    assert not late, "\n".join(late)


def test_every_layer_names_modules_that_exist() -> None:
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            assert any(m == prefix or m.startswith(prefix + ".") for m in MODULES), (
                f"layer {name!r} names {prefix}, which is not a module of lbpy"
            )
