"""Options that several commands share, declared once (Typer reads them from the annotations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

CONFIG_HELP = 'Answers as JSON, or @FILE with JSON, e.g. \'{"name": "Customer"}\'.'

AppDir = Annotated[Path, typer.Option("--app", help="The app folder.", show_default="current folder")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Take the default answer for every question.")]
ConfigAnswers = Annotated[str | None, typer.Option("--config", help=CONFIG_HELP)]
