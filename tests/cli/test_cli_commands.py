"""The command table that lets `lbpy --help` list commands without importing them."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lbpy._cli import COMMANDS, app


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_summary_is_the_first_line_of_the_commands_docstring(name):
    module = importlib.import_module(COMMANDS[name].module)
    doc = (module.command.__doc__ or module.__doc__).strip()
    assert COMMANDS[name].summary == doc.splitlines()[0]


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_shows_its_own_help(name):
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"lbpy {name}" in result.output


@pytest.mark.parametrize("name", [*COMMANDS, None])
def test_flags_show_no_metavar_and_valued_options_show_their_type(name):
    result = CliRunner().invoke(app, [name, "--help"] if name else ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output  # --yes, --force, --help take no value
    lines = {line.split()[1]: line for line in result.output.splitlines() if line.startswith("│ --")}
    assert "--help" in lines and lines["--help"].split()[2:4] == ["Show", "this"]
    if name == "new-app":
        assert lines["--dir"].split()[2] == "<path>" and lines["--yes"].split()[3] == "Take"


def test_lbpy_help_in_a_terminal_shows_no_bool_metavar():
    done = subprocess.run(
        [sys.executable, "-m", "lbpy", "new-app", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
    )
    assert done.returncode == 0 and "--force" in done.stdout
    assert "<bool>" not in done.stdout and "<path>" in done.stdout


def test_a_mistyped_command_suggests_the_right_one():
    result = CliRunner().invoke(app, ["nwe-app"])
    assert result.exit_code == 2
    assert "Did you mean 'new-app'?" in result.output


def test_help_imports_no_command_module():
    code = (
        "import sys; from lbpy._cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('lbpy._cli._') and m not in "
        "('lbpy._cli._errors',)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
