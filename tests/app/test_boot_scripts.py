"""Boot scripts (``server/boot/*.py``, ``boot(app)`` run in name order at start) and model
customisations (``common/models/<name>.py``, ``customize(Model)``): end to end, and their
errors as one line naming the file and line, in-process and under ``lbpy start``."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from lbpy_process import STARTED, lbpy_start, run_start
from starlette.testclient import TestClient

from lbpy import BootError, create_app

NOTE = {"properties": {"title": "string"}}


def app_with(tmp_path: Path, files: dict[str, str]) -> Path:
    root = write_app(tmp_path / "app", {"Note": NOTE})
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


ORDERED = {
    "server/boot/02-seed.py": """
        async def boot(app):
            Note = app.models["Note"]
            await Note.create({"title": f"seeded after {app.ran}"})
            app.ran.append("02-seed")
    """,
    "server/boot/01-first.py": """
        def boot(app):
            app.ran = ["01-first"]
    """,
    "server/boot/10-last.py": """
        def boot(app):
            app.ran.append("10-last")
    """,
    "server/boot/_helpers.py": """
        raise RuntimeError("files starting with _ are not boot scripts")
    """,
}


def test_boot_scripts_run_in_name_order_with_the_app(tmp_path):
    app = create_app(app_with(tmp_path, ORDERED))
    with TestClient(app) as api:
        assert app.ran == ["01-first", "02-seed", "10-last"]
        assert api.get("/api/Notes").json() == [{"title": "seeded after ['01-first']", "id": 1}]


def test_boot_scripts_run_once(tmp_path):
    app = create_app(app_with(tmp_path, ORDERED))
    with TestClient(app) as api:
        api.get("/api/Notes")
        api.get("/api/Notes")
    assert app.ran == ["01-first", "02-seed", "10-last"]


def test_a_boot_script_can_add_routes_and_hooks(tmp_path):
    root = app_with(
        tmp_path,
        {
            "server/boot/api.py": """
        def boot(app):
            Note = app.models["Note"]

            @Note.remote_method("shout", returns={"arg": "titles", "type": ["string"]}, http={"verb": "get"})
            async def shout():
                return [n.title.upper() for n in await Note.find()]

            @Note.observe("before save")
            def trim(ctx):
                ctx.instance["title"] = ctx.instance["title"].strip()
    """
        },
    )
    with TestClient(create_app(root)) as api:
        api.post("/api/Notes", json={"title": "  padded  "})
        assert api.get("/api/Notes/shout").json() == {"titles": ["PADDED"]}


def test_a_boot_script_without_boot_is_a_warning(tmp_path, caplog):
    root = app_with(tmp_path, {"server/boot/nothing.py": "x = 1\n"})
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        create_app(root)
    assert "server/boot/nothing.py defines no boot(app) function" in caplog.text


FAILING_BOOT = {
    "server/boot/01-fails.py": """
    def helper():
        raise RuntimeError("the seed file is missing")

    def boot(app):
        helper()
"""
}


def test_a_failing_boot_script_names_its_file_and_line(tmp_path):
    app = create_app(app_with(tmp_path, FAILING_BOOT))
    with pytest.raises(BootError) as caught, TestClient(app):
        pass
    assert str(caught.value) == ("server/boot/01-fails.py:3: boot(app) failed: RuntimeError: the seed file is missing")


def test_a_failing_async_boot_script(tmp_path):
    root = app_with(
        tmp_path,
        {
            "server/boot/later.py": """
        async def boot(app):
            await app.models["Note"].create({"title": 3.5j})
    """
        },
    )
    with (
        pytest.raises(BootError, match=r"^server/boot/later\.py:3: boot\(app\) failed: "),
        TestClient(create_app(root)),
    ):
        pass


def test_a_boot_script_that_cannot_be_imported(tmp_path):
    root = app_with(tmp_path, {"server/boot/typo.py": "def boot(app)\n    pass\n"})
    with pytest.raises(BootError, match=r"^server/boot/typo.py:1: SyntaxError: "):
        create_app(root)


def test_a_failing_customisation_names_its_file_and_line(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.py": """
        def customize(Note):
            Note.observe("before saving", print)
    """
        },
    )
    with pytest.raises(BootError) as caught:
        create_app(root)
    assert str(caught.value).startswith(
        'common/models/note.py:3: customize(Note) failed: ValueError: unknown operation hook "before saving"'
    )


def test_a_customisation_that_raises_an_lbpy_error_is_shown_as_is(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.py": """
        from lbpy import BootError

        def customize(Note):
            raise BootError("common/models/note.py: set NOTES_KEY first")
    """
        },
    )
    with pytest.raises(BootError, match=r"^common/models/note\.py: set NOTES_KEY first$"):
        create_app(root)


def test_a_customisation_without_customize_is_a_warning(tmp_path, caplog):
    root = app_with(tmp_path, {"common/models/note.py": "x = 1\n"})
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        create_app(root)
    assert "common/models/note.py defines no customize(Note) function" in caplog.text


# -- under lbpy start --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files, expected",
    [
        (FAILING_BOOT, "server/boot/01-fails.py:3: boot(app) failed: RuntimeError: the seed file is missing"),
        ({"server/boot/typo.py": "def boot(app)\n    pass\n"}, "server/boot/typo.py:1: SyntaxError"),
        (
            {"common/models/note.py": "def customize(Note):\n    Note.nope()\n"},
            "common/models/note.py:2: customize(Note) failed: AttributeError",
        ),
    ],
    ids=["boot fails", "boot does not import", "customize fails"],
)
def test_lbpy_start_reports_a_failing_script_in_one_line(tmp_path, files, expected):
    done = run_start(app_with(tmp_path, files))
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    assert STARTED not in done.stdout


def test_lbpy_start_runs_the_boot_scripts(tmp_path):
    root = app_with(tmp_path, ORDERED)
    with lbpy_start(root, "--port", "0") as server:
        notes = httpx.get(f"{server.url}/api/Notes", timeout=10).json()
    assert notes == [{"title": "seeded after ['01-first']", "id": 1}]
