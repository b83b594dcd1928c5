"""Remote methods and hooks in generated apps, served by a real ``lbpy start`` process."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import httpx
from lbpy_process import LBPY, clean_env, lbpy_start


def new_app(where: Path, name: str, template: str) -> Path:
    done = subprocess.run(
        [*LBPY, "new-app", name, "--template", template, "--yes"],
        cwd=where,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return where / name


def test_the_hello_world_app_greets(tmp_path: Path):
    app = new_app(tmp_path, "hw", "hello-world")
    with lbpy_start(app, "--port", "0") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        answer = http.get("/api/Messages/greet", params={"msg": "hi"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"greeting": "Sender says hi to receiver"}
        assert http.get("/api/Messages/greet").json() == {"greeting": "Sender says hello to receiver"}
        swagger = http.get("/explorer/swagger.json").json()
        assert swagger["paths"]["/Messages/greet"]["get"]["operationId"] == "Message.greet"
    assert "Traceback" not in "".join(server.stderr)


def test_a_hook_and_a_remote_method_added_to_a_generated_app(tmp_path: Path):
    """lbpy remote-method writes the JSON and a stub; the stub is filled in, a hook added."""
    app = new_app(tmp_path, "notes", "notes")
    added = subprocess.run(
        [
            *LBPY,
            "remote-method",
            "Note",
            "search",
            "--app",
            str(app),
            "--yes",
            "--http",
            "get /search",
            "--accepts",
            "text:string:required",
            "--returns",
            "notes:[Note]:root",
            "--description",
            "Notes whose title contains a text",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    code = app / "common" / "models" / "note.py"
    source = code.read_text()
    assert "async def search(Note, text):" in source
    source = source.replace(
        "    notes = None  # TODO: compute it\n",
        "    notes = [n for n in await Note.find() if text in n.title]\n",
    )
    source += textwrap.dedent("""

        _stub = customize


        def customize(Note):
            _stub(Note)

            @Note.observe("before save")
            def titled(ctx):
                record = ctx.instance if ctx.instance is not None else ctx.data
                if record.get("title"):
                    record["title"] = record["title"].capitalize()
    """)
    code.write_text(source)
    with lbpy_start(app, "--port", "0") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        for title in ("first note", "second", "another note"):
            assert http.post("/api/Notes", json={"title": title}).status_code == 200
        found = http.get("/api/Notes/search", params={"text": "note"}).json()
        assert [n["title"] for n in found] == ["First note", "Another note"]  # the hook ran
        missing = http.get("/api/Notes/search")
        assert missing.status_code == 400
        assert missing.json()["error"]["message"] == "text is a required argument"
    assert "Traceback" not in "".join(server.stderr)
    definition = json.loads((app / "common" / "models" / "note.json").read_text())
    assert list(definition["methods"]) == ["search"]
