"""A LoopBack 3 app with JavaScript, ported by import-lb3, serves the routes LoopBack 3.28 served and
answers as it did where the declarations decide the answer (validations, scopes, disabled methods).

The apps are in ``tests/lb3/apps``; what LoopBack 3.28 served for each is ``tests/lb3/recorded/<app>.json``
(``python tests/lb3/record_loopback3.py`` records them again from the real LoopBack, from npm).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from lbpy import create_app
from lbpy._lb3._port import port_app
from lbpy._rest._openapi import swagger_document

HERE = Path(__file__).resolve().parent
RECORDED = {name: json.loads((HERE / "recorded" / f"{name}.json").read_text()) for name in ("notes", "items")}
PLURALS = ("Notes", "Tags", "Marks", "Logs", "Items", "Boxes")
ANSWERS = [(name, index) for name, recorded in RECORDED.items() for index in range(len(recorded["answers"]))]
VERBS = ("get", "post", "put", "patch", "delete", "head")


def ported(tmp_path: Path, name: str = "notes") -> Path:
    root = tmp_path / name
    shutil.copytree(HERE / "apps" / name, root)
    report = port_app(root)
    assert not report.errors
    return root


def app_routes(routes) -> set[tuple[str, str]]:
    return {(verb, path) for verb, path in routes if path.split("/")[1] in PLURALS}


@pytest.fixture
def notes(tmp_path, caplog):
    root = ported(tmp_path)
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        app = create_app(root)
        with TestClient(app) as api:
            yield app, api


@pytest.mark.parametrize("name", RECORDED)
def test_the_ported_app_serves_every_route_loopback_3_served_and_no_other(tmp_path, name):
    app = create_app(ported(tmp_path, name))
    with TestClient(app):
        document = swagger_document(app)
    ours = [(verb.upper(), path) for path, item in document["paths"].items() for verb in item if verb in VERBS]
    assert app_routes(ours) == app_routes(RECORDED[name]["routes"])


@pytest.mark.parametrize(("name", "index"), ANSWERS)
def test_declarations_answer_as_loopback_3_did(tmp_path, name, index):
    """Answers are replayed in order on one app (the memory connector's ids count up as LoopBack's did)."""
    answers = RECORDED[name]["answers"]
    with TestClient(create_app(ported(tmp_path, name))) as api:
        for earlier in answers[:index]:
            api.request(earlier["method"], earlier["path"], json=earlier["body"])
        recorded = answers[index]
        answer = api.request(recorded["method"], recorded["path"], json=recorded["body"])
    if recorded["path"].startswith("/api/Logs"):
        # Log's hooks wait on a timer (setTimeout), which lbpy never translates: the stub answers 501
        assert recorded["status"] == 200 and answer.status_code == 501
        error = answer.json()["error"]
        assert error["code"] == "NOT_IMPLEMENTED" and "common/models/log.js:" in error["message"]
    elif recorded["status"] == 404 and recorded["answer"]["error"]["message"].startswith("Shared class"):
        # a disabled method: lbpy answers 405 where other verbs serve the path (LoopBack answered 404)
        assert answer.status_code == 405
        assert answer.json()["error"]["message"] == recorded["answer"]["error"]["message"]
    else:
        assert (answer.status_code, answer.json()) == (recorded["status"], recorded["answer"])


def test_no_unported_javascript_warning_after_import(notes, caplog):
    assert not [r for r in caplog.records if "JavaScript file" in r.getMessage()]


def test_the_unported_app_says_so_in_one_line_pointing_at_import_lb3(tmp_path, caplog):
    root = tmp_path / "notes"
    shutil.copytree(HERE / "apps" / "notes", root)
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        create_app(root)
    warnings = [r.getMessage() for r in caplog.records if "JavaScript file" in r.getMessage()]
    assert len(warnings) == 1
    assert "\n" not in warnings[0] and "run `lbpy import-lb3`" in warnings[0]
    assert warnings[0].startswith("8 JavaScript file(s) not ported to Python (common/models/log.js,")


def test_a_stub_answers_501_naming_the_file_and_line_and_the_route_is_documented(notes):
    app, api = notes
    answer = api.get("/api/Logs/ping")
    assert answer.status_code == 501
    error = answer.json()["error"]
    assert error["code"] == "NOT_IMPLEMENTED"
    assert error["message"].startswith("common/models/log.js:19 was not ported")
    assert "/Logs/ping" in swagger_document(app)["paths"]


def test_the_javascript_mixin_is_ported_and_applied(notes):
    app, _ = notes
    assert app.models.Log.spec.properties["audited"].default is True
