"""``lbpy middleware`` (LoopBack 3's ``lb middleware``) with no terminal: flags and ``--config`` answer
its questions, the entry lands in server/middleware.json in its phase, and the app serves it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli

runner = CliRunner()


def run(root: Path, *args: str):
    return runner.invoke(cli, [*args, "--app", str(root)])


def middleware(root: Path) -> dict:
    return json.loads((root / "server" / "middleware.json").read_text())


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_app(tmp_path / "shop", {"Note": {"properties": {"title": {"type": "string"}}}})


def test_adds_an_entry_and_the_app_serves_it(shop: Path) -> None:
    result = run(shop, "middleware", "helmet#frameguard", "--phase", "initial", "--params", '{"action": "deny"}')
    assert result.exit_code == 0, result.output
    written = middleware(shop)
    assert list(written)[:3] == ["initial", "session", "auth"]  # LoopBack's phases, in order
    assert written["initial"] == {"helmet#frameguard": {"params": {"action": "deny"}}}
    from starlette.testclient import TestClient

    with TestClient(create_app(shop)) as client:
        assert client.get("/api/Notes").headers["x-frame-options"] == "DENY"


def test_sub_phase_paths_and_config_answers(shop: Path) -> None:
    (shop / "server" / "middleware").mkdir(parents=True)
    (shop / "server" / "middleware" / "audit.py").write_text("def factory(app):\n    return app\n")
    answers = {
        "name": "./server/middleware/audit.py:factory",
        "phase": "routes",
        "subPhase": "before",
        "paths": ["/api"],
    }
    result = run(shop, "middleware", "--config", json.dumps(answers))
    assert result.exit_code == 0, result.output
    assert middleware(shop)["routes:before"] == {"./server/middleware/audit.py:factory": {"paths": ["/api"]}}
    assert list(middleware(shop)).index("routes:before") == list(middleware(shop)).index("routes") - 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("middleware", "cors", "--phase", "middle"), "--phase must be one of"),
        (("middleware", "cors", "--phase", "initial", "--params", "{oops"), "--params must be JSON"),
        (("middleware", "cors", "--phase", "initial", "--path", "api"), 'path "api" must start with "/"'),
        (("middleware", "--phase", "initial"), "pass NAME"),
        (("middleware", "./server/nope.py:factory", "--phase", "initial"), "nope.py does not exist"),
    ],
)
def test_bad_answers_are_one_line_and_write_nothing(shop: Path, args: tuple, says: str) -> None:
    result = run(shop, *args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not (shop / "server" / "middleware.json").exists()


def test_an_existing_entry_needs_force(shop: Path) -> None:
    assert run(shop, "middleware", "cors", "--phase", "initial").exit_code == 0
    again = run(shop, "middleware", "cors", "--phase", "initial", "--params", '{"origin": false}')
    assert again.exit_code != 0 and "pass --force" in again.stderr
    forced = run(shop, "middleware", "cors", "--phase", "initial", "--params", '{"origin": false}', "--force")
    assert forced.exit_code == 0
    assert middleware(shop)["initial"]["cors"] == {"params": {"origin": False}}
