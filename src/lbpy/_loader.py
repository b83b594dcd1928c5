"""Importing a Python file by its path (app customisations, boot scripts, mixins, local
connectors), and saying where in it something failed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ._errors import BootError


def import_file(name: str, path: Path, *, package: bool = False) -> ModuleType:
    """Import ``path`` as the module ``name`` (a package when ``package``, so that its relative
    imports work). A failure leaves no half-imported module behind and re-raises the error."""
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def line_in(exc: BaseException, path: Path | None) -> str:
    """``:<line>``: the last line of ``path`` the exception's traceback passed through."""
    if isinstance(exc, SyntaxError) and exc.lineno and exc.filename == str(path):
        return f":{exc.lineno}"
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if path is not None and tb.tb_frame.f_code.co_filename == str(path):
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to the app's folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def load_python_file(path: Path, module_name: str, root: Path) -> ModuleType:
    """Import a Python file of the app (a model customisation, a mixin or a boot script); a
    failure is a BootError naming the file, the line and the error."""
    try:
        return import_file(module_name, path)
    except Exception as exc:
        raise BootError(f"{shown_path(path, root)}{line_in(exc, path)}: {type(exc).__name__}: {exc}") from exc
