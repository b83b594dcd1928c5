"""What every wizard of an existing app starts with: the app's project files and the asker."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._project import AppProject
from ._ask import Asker, load_config


def open_wizard(app_dir: Path, *, yes: bool, config: str | None, keys: Iterable[str] | None) -> tuple[Any, ...]:
    """What every wizard starts with: the app to edit and an Asker holding the --config answers."""
    return AppProject(app_dir), Asker(yes=yes, config=load_config(config, keys))
