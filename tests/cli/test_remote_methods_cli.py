"""``lbpy remote-method MODEL NAME``: LoopBack 3's prompts, a ``methods`` entry written as
loopback-workspace wrote it, and a Python function the app serves at once."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli

runner = CliRunner()

NOTE = {"properties": {"title": {"type": "string", "required": True}}, "methods": {}}


def run(root: Path, *args: str):
    return runner.invoke(cli, ["remote-method", *args, "--app", str(root)])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def methods(root: Path) -> dict:
    return json.loads((root / "common" / "models" / "note.json").read_text())["methods"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_app(tmp_path / "app", {"Note": NOTE})


def test_flags_answer_every_question(root):
    result = run(
        root,
        "Note",
        "greet",
        "--description",
        "Say hi",
        "--http",
        "get /greet",
        "--accepts",
        "msg:string:required",
        "--accepts",
        "times:number",
        "--returns",
        "greeting:string",
    )
    assert result.exit_code == 0, result.output
    assert "Note.greet: GET /Notes/greet" in result.stdout
    # loopback-workspace's shape and key order
    assert methods(root) == {
        "greet": {
            "accepts": [
                {"arg": "msg", "type": "string", "required": True, "description": ""},
                {"arg": "times", "type": "number", "required": False, "description": ""},
            ],
            "returns": [{"arg": "greeting", "type": "string", "root": False, "description": ""}],
            "description": "Say hi",
            "http": [{"path": "/greet", "verb": "get"}],
        }
    }
    source = (root / "common" / "models" / "note.py").read_text()
    assert "def customize(Model):" in source  # the stub a new model gets
    assert "async def greet(Note, msg, times=None):" in source
    assert '"greet" of common/models/note.json: GET /Notes/greet.' in source


def test_the_written_method_is_served_and_the_stub_can_be_filled_in(root):
    assert (
        run(
            root,
            "Note",
            "greet",
            "--yes",
            "--http",
            "get /greet",
            "--accepts",
            "msg:string",
            "--returns",
            "greeting:string",
        ).exit_code
        == 0
    )
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes/greet?msg=x").json() == {"greeting": None}  # the stub answers
    code = root / "common" / "models" / "note.py"
    code.write_text(code.read_text().replace("greeting = None  # TODO: compute it", 'greeting = f"hello {msg}"'))
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes/greet?msg=x").json() == {"greeting": "hello x"}


def test_an_instance_method_and_several_returns(root):
    result = run(root, "Note", "prototype.stats", "--yes", "--returns", "length:number", "--returns", "words:number")
    assert result.exit_code == 0, result.output
    assert "Note.prototype.stats: POST /Notes/:id/stats" in result.stdout
    assert list(methods(root)) == ["prototype.stats"]
    assert methods(root)["prototype.stats"]["http"] == []  # LoopBack's default endpoint
    source = (root / "common" / "models" / "note.py").read_text()
    assert "async def stats(self):" in source
    assert 'return {"length": length, "words": words}' in source
    code = root / "common" / "models" / "note.py"
    code.write_text(
        code.read_text()
        .replace("    length = None  # TODO: compute it\n", "    length = len(self.title)\n")
        .replace("    words = None  # TODO: compute it\n", "    words = len(self.title.split())\n")
    )
    with TestClient(create_app(root)) as api:
        api.post("/api/Notes", json={"title": "two words"})
        assert api.post("/api/Notes/1/stats").json() == {"length": 9, "words": 2}


def test_instance_by_flag(root):
    assert run(root, "Note", "shout", "--instance", "--yes", "--http", "get /shout").exit_code == 0
    assert list(methods(root)) == ["prototype.shout"]


def test_config_answers_as_json(root):
    config = {
        "description": "Find by text",
        "http": ["get /search"],
        "accepts": [
            {
                "arg": "text",
                "type": "string",
                "required": True,
                "description": "what to find",
                "http": {"source": "query"},
            }
        ],
        "returns": [{"arg": "notes", "type": ["Note"], "root": True}],
    }
    result = run(root, "Note", "search", "--config", json.dumps(config))
    assert result.exit_code == 0, result.output
    entry = methods(root)["search"]
    assert entry["accepts"] == [
        {"arg": "text", "type": "string", "required": True, "description": "what to find", "http": {"source": "query"}}
    ]
    assert entry["returns"] == [{"arg": "notes", "type": ["Note"], "root": True, "description": ""}]


def test_an_existing_file_gets_the_function_appended(root):
    code = root / "common" / "models" / "note.py"
    code.write_text(
        textwrap.dedent('''
        """My Note code."""


        def customize(Note):
            @Note.observe("before save")
            def keep(ctx):
                pass
    ''').lstrip()
    )
    assert run(root, "Note", "ping", "--yes").exit_code == 0
    text = code.read_text()
    assert text.startswith('"""My Note code."""')
    assert "\n\n\nasync def ping(Note):" in text
    compile(text, str(code), "exec")
    with TestClient(create_app(root)) as api:
        assert api.post("/api/Notes/ping").status_code == 204


def test_a_function_that_already_exists_is_kept(root):
    code = root / "common" / "models" / "note.py"
    code.write_text("async def ping(Note):\n    return None\n")
    result = run(root, "Note", "ping", "--yes")
    assert result.exit_code == 0
    assert "keep  common/models/note.py" in result.stdout
    assert code.read_text() == "async def ping(Note):\n    return None\n"
    assert "ping" in methods(root)


def fails(root: Path, *args: str, says: str) -> None:
    before = snapshot(root)
    result = run(root, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert says in lines[0], lines[0]
    assert snapshot(root) == before


def test_bad_answers_are_one_line_and_change_nothing(root):
    fails(root, "Nope", "greet", "--yes", says='the app has no model "Nope"')
    fails(root, "Note", "--yes", says="pass NAME")
    fails(root, "Note", "greet-me", "--yes", says='"greet-me" is not a valid method name')
    fails(root, "Note", "find", "--yes", says='"find" is a method lbpy\'s models already have')
    fails(root, "Note", "greet", "--yes", "--http", "fetch /x", says='"fetch" is not an HTTP verb')
    fails(root, "Note", "greet", "--yes", "--accepts", "class:string", says='"class" is not a valid argument name')
    fails(root, "Note", "greet", "--yes", "--accepts", "a:string:maybe", says='only "required" may follow')
    fails(root, "Note", "greet", "--yes", "--returns", "a:string:root", "--returns", "b", says="must be the only one")
    fails(root, "Note", "greet", "--yes", "--accepts", "a", "--accepts", "a", says='"a" is given twice')


def test_an_existing_method_needs_force(root):
    assert run(root, "Note", "greet", "--yes").exit_code == 0
    fails(root, "Note", "greet", "--yes", says="--force")
    result = run(root, "Note", "greet", "--yes", "--force", "--http", "get /hi")
    assert result.exit_code == 0
    assert methods(root)["greet"]["http"] == [{"path": "/hi", "verb": "get"}]


def test_a_broken_python_file_is_not_touched(root):
    (root / "common" / "models" / "note.py").write_text("def customize(Note)\n")
    fails(root, "Note", "greet", "--yes", says="common/models/note.py:1:")


def test_without_a_terminal_nothing_waits(root):
    """No --yes, no terminal: the defaults are taken (no endpoints, no arguments)."""
    result = run(root, "Note", "greet")
    assert result.exit_code == 0, result.output
    assert methods(root)["greet"] == {"accepts": [], "returns": [], "description": "", "http": []}


# -- in a terminal -------------------------------------------------------------------------------------

pexpect = pytest.importorskip("pexpect", reason="the terminal test needs pexpect")
DOWN, ENTER = "\x1b[B", "\r"


def test_the_prompts_in_a_terminal(root):
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "COLUMNS": "120",
        "LINES": "50",
        "NO_COLOR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "lbpy", "remote-method", "--app", str(root)],
        env=env,
        dimensions=(50, 120),
        encoding="utf-8",
        timeout=20,
    )
    steps = [
        ("Select the model:", [ENTER]),
        ("Enter the remote method name:", ["greet", ENTER]),
        ("Is Static?", ["y"]),
        ("Description for method:", ["Say hi", ENTER]),
        ("Enter the path of this endpoint:", ["/greet", ENTER]),
        ("HTTP verb:", [DOWN, DOWN, DOWN, ENTER]),  # post, put, delete, get
        ("Enter the path of this endpoint:", [ENTER]),
        ("What is the name of this argument:", ["msg", ENTER]),
        ("Select argument's type:", [ENTER]),  # string
        ("Is this argument required?", ["y"]),
        ("Please describe the argument:", ["the message", ENTER]),
        ("Where to get the value from:", [DOWN, DOWN, DOWN, ENTER]),  # (auto), form, path, query
        ("What is the name of this argument:", [ENTER]),
        ("What is the name of this argument:", ["greeting", ENTER]),
        ("Select argument's type:", [ENTER]),
        ("Is this argument a full response body (root)?", ["n"]),
        ("Please describe the argument:", [ENTER]),
        ("What is the name of this argument:", [ENTER]),
    ]
    for prompt, keys in steps:
        child.expect_exact(prompt)
        for key in keys:
            child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert methods(root)["greet"] == {
        "accepts": [
            {
                "arg": "msg",
                "type": "string",
                "required": True,
                "description": "the message",
                "http": {"source": "query"},
            }
        ],
        "returns": [{"arg": "greeting", "type": "string", "root": False, "description": ""}],
        "description": "Say hi",
        "http": [{"path": "/greet", "verb": "get"}],
    }
