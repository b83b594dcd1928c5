"""Importing a Python file by its path: app customisations, boot scripts, local connectors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


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
