"""What import-lb3 does with each kind of statement of a model file or boot script, seen from the app it
writes: the Python it boots, the routes and answers it serves, and the report."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app
from lbpy._lb3._port import port_app


def app_with(tmp_path: Path, javascript: dict[str, str], models: dict | None = None) -> Path:
    root = write_app(
        tmp_path / "app",
        models or {"Note": {"properties": {"title": {"type": "string"}}}, "Tag": {"properties": {}}},
    )
    for relative, text in javascript.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def entries(report, source: str) -> list[tuple[str, str, str]]:
    found = next(f.translation for f in report.files if f.translation.source == source)
    return [(e.what, e.status, e.reason) for e in found.entries]


def test_a_declaration_argument_that_is_not_constant_is_reported_and_left_as_a_comment(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              var path = process.env.SEARCH_PATH;
              Note.remoteMethod('search', {http: {verb: 'get', path: path}});
              Note.disableRemoteMethodByName('deleteById');
            };
            """
        },
    )
    report = port_app(root)
    found = entries(report, "common/models/note.js")
    assert found[0][1] == "skipped" and "bodies that use path are stubbed" in found[0][2]
    assert found[1][0].startswith("Note.remoteMethod('search'") and found[1][1] == "skipped"
    assert "an argument is not constant in this file: line 4: `path` is a name not bound" in found[1][2]
    assert found[2] == ("disableRemoteMethodByName deleteById", "translated", "")
    python = (root / "common" / "models" / "note.py").read_text()
    assert "# common/models/note.js:4: not ported (an argument is not constant" in python
    assert "#   Note.remoteMethod('search', {http: {verb: 'get', path: path}});" in python
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes").status_code == 200
        assert api.delete("/api/Notes/1").status_code in (404, 405)


def test_constants_are_resolved_through_names_spreads_and_concatenation(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            const BASE = '/find';
            const TEXT = {type: 'string', required: true};
            let verb = 'get';
            module.exports = function(Note) {
              const accepts = [{arg: 'text', ...TEXT}];
              Note.finder = async function(text) { return text; };
              Note.remoteMethod('finder', {
                accepts, http: {verb, path: BASE + '-it'}, returns: {arg: 'x', type: 'string'},
              });
            };
            """
        },
    )
    port_app(root)
    python = (root / "common" / "models" / "note.py").read_text()
    assert 'BASE = "/find"' in python and 'TEXT = {"type": "string", "required": True}' in python
    assert '    accepts = [{"arg": "text", "type": "string", "required": True}]' in python
    assert "        accepts=accepts," in python  # a constant keeps its name
    assert 'http={"verb": "get", "path": "/find-it"},' in python
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes/find-it").status_code == 400  # text is required
        answer = api.get("/api/Notes/find-it?text=a")
        assert (answer.status_code, answer.json()) == (200, {"x": "a"})


def test_setup_time_settings_and_mixins_go_into_the_model_json(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              Note.settings.strict = true;
              Note.settings.hidden = ['title'];
              Note.mixin('TimeStamp', {required: false});
            };
            """
        },
    )
    report = port_app(root)
    assert report.written["common/models/note.json"] == "update"
    definition = json.loads((root / "common" / "models" / "note.json").read_text())
    assert definition["strict"] is True and definition["hidden"] == ["title"]
    assert definition["mixins"] == {"TimeStamp": {"required": False}}
    with TestClient(create_app(root)) as api:
        created = api.post("/api/Notes", json={"title": "a"}).json()
        assert set(created) == {"id", "createdAt", "updatedAt"}
        assert api.post("/api/Notes", json={"other": 1}).status_code == 422


def test_hooks_on_named_functions_declared_later_in_the_file(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              Note.observe('before delete', guard);
              Note.afterRemote('find', guard2);
              Note.observe('before launch', guard);
              function guard(ctx, next) { var e = new Error('kept'); e.statusCode = 403; next(e); }
              function guard2(ctx, out, next) { ctx.result = {hooked: true}; next(); }
            };
            """
        },
    )
    report = port_app(root)
    found = entries(report, "common/models/note.js")
    assert ("operation hook guard", "translated", "") in found
    assert ("remote hook guard2", "translated", "") in found
    assert ('observe("before delete")', "translated", "") in found
    assert ('afterRemote("find")', "translated", "") in found
    assert any(status == "skipped" and "no such operation hook" in why for _, status, why in found)
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes").json() == {"hooked": True}  # guard2 ran after find
        assert api.post("/api/Notes", json={"title": "a"}).status_code == 200
        refused = api.delete("/api/Notes/1")  # guard ran before delete
        assert (refused.status_code, refused.json()["error"]["message"]) == (403, "kept")
        assert api.get("/api/Notes/1").status_code == 200


def test_code_outside_module_exports_and_a_file_exporting_no_function_are_reported(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            'use strict';
            var loopback = require('loopback');
            console.log('loading');
            module.exports = {};
            """,
            "common/models/tag.js": """
            module.exports = function(Tag) {
              Tag.on('changed', function() {});
              Tag.find();
            };
            """,
        },
    )
    report = port_app(root)
    note = entries(report, "common/models/note.js")
    assert note[0] == (
        "loopback = require('loopback')",
        "skipped",
        'require("loopback"): lbpy gives models and the app without it',
    )
    assert note[1][1] == "skipped" and "outside module.exports" in note[1][2]
    assert note[2] == ("module.exports", "skipped", "module.exports is not a function")
    assert not (root / "common" / "models" / "note.py").exists()
    tag = entries(report, "common/models/tag.js")
    assert [status for _, status, _ in tag] == ["skipped", "skipped"]
    assert 'only the "attached" event is translated' in tag[0][2]
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Tags").status_code == 200


def test_boot_scripts_look_models_up_and_declare_on_them(tmp_path):
    root = app_with(
        tmp_path,
        {
            "server/boot/setup.js": """
            module.exports = function(server) {
              const Note = server.models.Note;
              Note.disableRemoteMethodByName('find');
              server.models['Tag'].disableRemoteMethodByName('count');
            };
            """,
            "server/boot/seed.js": """
            module.exports = function(app, cb) {
              app.models.Note.create({title: 'x'}, cb);
            };
            """,
        },
    )
    report = port_app(root)
    assert (root / "server" / "boot" / "setup.py").read_text().splitlines()[-3:] == [
        '    Note = server.models["Note"]',
        '    Note.disable_remote_method_by_name("find")',
        '    server.models.Tag.disable_remote_method_by_name("count")',
    ]
    assert entries(report, "server/boot/seed.js") == [("boot script", "translated", "")]
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes").status_code in (404, 405)
        assert api.get("/api/Tags/count").status_code in (404, 405)
        assert api.get("/api/Tags").status_code == 200
        assert api.get("/api/Notes/1").json()["title"] == "x"  # the seed boot script ran


def test_old_model_hooks_are_reported_and_type_constructors_read_as_type_names(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              Note.afterInitialize = function() { console.log('made'); };
              Note.defineProperty('rank', {type: Number, default: 1});
            };
            """
        },
    )
    report = port_app(root)
    found = entries(report, "common/models/note.js")
    assert found[0][1] == "skipped" and found[0][2].startswith("afterInitialize is one of LoopBack's old model hooks")
    assert found[1] == ("defineProperty rank", "translated", "")
    with TestClient(create_app(root)) as api:
        assert api.post("/api/Notes", json={"title": "a"}).json()["rank"] == 1
        assert api.post("/api/Notes", json={"rank": "x"}).status_code == 422


def test_an_argument_name_python_cannot_spell_still_gives_a_file_that_imports(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              Note.whoami = function(requestId, cb) { cb(null, requestId); };
              Note.remoteMethod('whoami', {
                accepts: {arg: 'request-id', type: 'string', http: {source: 'header'}},
                returns: {arg: 'id', type: 'string'},
                http: {verb: 'get'},
              });
            };
            """
        },
    )
    report = port_app(root)
    assert not report.errors
    found = entries(report, "common/models/note.js")
    assert ("remote method whoami", "stubbed", 'the argument name "request-id" is not a Python name') in found
    assert "async def whoami(**arguments):" in (root / "common" / "models" / "note.py").read_text()
    with TestClient(create_app(root)) as api:
        answer = api.get("/api/Notes/whoami", headers={"request-id": "r1"})
        assert answer.status_code == 501
        assert answer.json()["error"]["message"].startswith("common/models/note.js:3 was not ported")


def test_boot_scripts_reach_models_by_the_other_names_loopback_gave_them(tmp_path):
    # LoopBack 3 registered a model named "sales_item" as app.models.sales_item, .SalesItem and .salesItem
    root = app_with(
        tmp_path,
        {
            "server/boot/seed.js": """
            module.exports = function(app, cb) {
              var Team = app.models.Team;
              Team.create({name: 'a'}, function(err) {
                if (err) return cb(err);
                app.models.salesItem.create({name: 'b'}, function(err) {
                  if (err) return cb(err);
                  app.models.SalesItem.create({name: 'c'}, cb);
                });
              });
            };
            """,
        },
        models={"team": {"properties": {"name": {"type": "string"}}}, "sales_item": {"properties": {"name": "string"}}},
    )
    report = port_app(root)
    assert entries(report, "server/boot/seed.js") == [("boot script", "translated", "")]
    with TestClient(create_app(root)) as api:
        assert [t["name"] for t in api.get("/api/teams").json()] == ["a"]
        assert [t["name"] for t in api.get("/api/sales_items").json()] == ["b", "c"]


def test_a_require_of_a_file_of_the_app_is_not_called_an_npm_module(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            var config = require('../../server/config.json');
            module.exports = function(Note) {
              Note.port = function(cb) { cb(null, config.port); };
              Note.remoteMethod('port', {returns: {arg: 'port', type: 'number'}, http: {verb: 'get'}});
            };
            """
        },
    )
    report = port_app(root)
    found = entries(report, "common/models/note.js")
    assert found[0] == (
        "config = require('../../server/config.json')",
        "skipped",
        (
            'require("../../server/config.json"): a file of the app, which lbpy does not load; '
            "bodies that use it are stubbed"
        ),
    )
    assert (
        "remote method port",
        "stubbed",
        "uses the file '../../server/config.json' of the app (require), which lbpy does not load",
    ) in found
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes/port").status_code == 501


def test_an_awaited_automigrate_in_a_boot_script_runs_on_the_datasource(tmp_path):
    root = app_with(
        tmp_path,
        {
            "server/boot/seed.js": """
            module.exports = async function(app) {
              await app.models.Note.create({title: 'a'});
              await app.dataSources.db.automigrate('Note');
              await app.models.Note.create({title: 'b'});
            };
            """,
        },
    )
    report = port_app(root)
    assert entries(report, "server/boot/seed.js") == [("boot script", "translated", "")]
    assert 'await app.datasources["db"].automigrate(["Note"])' in (root / "server" / "boot" / "seed.py").read_text()
    with TestClient(create_app(root)) as api:
        # LoopBack 3.28 on the memory connector: [{"title":"b","id":1}]
        assert api.get("/api/Notes").json() == [{"title": "b", "id": 1}]


def test_a_remote_hook_reads_the_result_through_its_second_parameter(tmp_path):
    root = app_with(
        tmp_path,
        {
            "common/models/note.js": """
            module.exports = function(Note) {
              Note.afterRemote('create', function(ctx, note, next) {
                ctx.result = {title: note.title + '!', same: note === ctx.result};
                next();
              });
            };
            """
        },
    )
    report = port_app(root)
    assert entries(report, "common/models/note.js")[0][1:] == ("translated", "")
    with TestClient(create_app(root)) as api:
        answer = api.post("/api/Notes", json={"title": "a"})
        # LoopBack 3.28: 200 {"title":"a!","same":true}
        assert (answer.status_code, answer.json()) == (200, {"title": "a!", "same": True})
