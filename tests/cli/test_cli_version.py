"""lbpy's version is written once (src/lbpy/_version.py): the installed package's metadata, the
package and ``lbpy --version`` all say it."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import tomllib
from typer.testing import CliRunner

import lbpy
from lbpy._cli import app as cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_the_package_and_the_installed_metadata_give_one_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"lbpy {lbpy.__version__}\n"
    assert version("lbpy") == lbpy.__version__  # a stale install: pip install -e . again


def test_pyproject_reads_the_version_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    source = ROOT / project["tool"]["hatch"]["version"]["path"]
    assert re.fullmatch(r'__version__ = "[^"]+"\n', source.read_text("utf-8"))
