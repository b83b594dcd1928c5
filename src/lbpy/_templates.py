"""Where the project templates are: inside the installed package, or in the source tree."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def templates_dir() -> Path:
    """``lbpy/templates`` in an installed wheel; the repository's ``templates/`` in a checkout."""
    packaged = Path(str(files("lbpy") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"
