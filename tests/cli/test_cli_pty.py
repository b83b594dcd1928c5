"""``lbpy new-app``'s questions in a real pseudo-terminal, typed and arrow-keyed as a user would."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import tomllib

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal (pip install pexpect)")
if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pexpect.spawn needs a POSIX pseudo-terminal", allow_module_level=True)

DOWN = "\x1b[B"
CLEAR_LINE = "\x15"  # Ctrl-U


def spawn(cwd: Path, *args: str):
    # pexpect never answers prompt_toolkit's cursor-position requests, which it would wait for
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "lbpy", "new-app", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    return child


def test_the_questions_are_asked_in_order_and_answered(tmp_path: Path):
    child = spawn(tmp_path)
    child.expect("App name")
    child.sendline("bad/name")
    child.expect("path separator")  # the prompt says why and asks again
    child.send(CLEAR_LINE)
    child.sendline("pty-app")
    child.expect("Directory")
    child.expect("pty-app")  # the default, the name, is already filled in
    child.sendline("")
    child.expect("Description")
    child.sendline("Typed in a terminal")
    child.expect("Template")
    child.expect("api-server")
    child.send(DOWN)
    child.expect("empty-server")
    child.send(DOWN)
    child.expect("hello-world")
    child.send(DOWN)
    child.expect("notes")
    child.send("\r")
    child.expect("Include the API explorer")
    child.send("y")
    child.expect("Default datasource")
    child.expect("sqlite")
    child.send("\r")
    child.expect("Next steps")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    root = tmp_path / "pty-app"
    assert json.loads((root / "server" / "datasources.json").read_text())["db"]["connector"] == "sqlite"
    assert json.loads((root / "common" / "models" / "note.json").read_text())["name"] == "Note"
    assert json.loads((root / "server" / "component-config.json").read_text()) == {
        "loopback-component-explorer": {"mountPath": "/explorer"}
    }
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["description"]) == ("pty-app", "Typed in a terminal")


def test_flags_skip_their_questions(tmp_path: Path):
    child = spawn(tmp_path, "flagged", "--template", "notes", "--no-explorer", "--datasource", "memory")
    child.expect("Directory")
    child.send(CLEAR_LINE)  # drop the default before typing another folder
    child.sendline("elsewhere")
    child.expect("Description")
    child.sendline("")
    child.expect("Next steps")  # neither Template, explorer nor datasource was asked
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    root = tmp_path / "elsewhere"
    assert (root / "common" / "models" / "note.json").is_file()
    assert not (root / "server" / "component-config.json").exists()


def test_ctrl_c_at_a_question_writes_nothing(tmp_path: Path):
    child = spawn(tmp_path, "stopped")
    child.expect("Directory")
    child.sendline("")
    child.expect("Description")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


def test_yes_in_a_terminal_asks_nothing(tmp_path: Path):
    child = spawn(tmp_path, "quiet", "--yes")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    printed = child.before
    assert "Next steps" in printed
    assert "?" not in printed and "App name" not in printed  # no questionary prompt was drawn
    assert (tmp_path / "quiet" / "server" / "app.py").is_file()
