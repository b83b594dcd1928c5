"""Mixins: the built-in TimeStamp and an app's own, found through model-config's _meta.mixins."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import BootError, create_app
from lbpy._rest._openapi import swagger_document

META = {"_meta": {"sources": ["../common/models"], "mixins": ["../common/mixins", "./mixins"]}}


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def api(make_client):
    return make_client(
        {
            "Note": {"properties": {"title": "string"}, "mixins": {"TimeStamp": True}},
            "Renamed": {
                "properties": {"title": "string"},
                "mixins": {"TimeStamp": {"createdAt": "created", "updatedAt": "modified", "required": False}},
            },
        }
    )


def test_timestamp_sets_both_dates_on_create(api):
    note = api.post("/api/Notes", json={"title": "a"}).json()
    assert set(note) == {"title", "id", "createdAt", "updatedAt"}
    assert abs((stamp(note["updatedAt"]) - stamp(note["createdAt"])).total_seconds()) < 1


def test_timestamp_moves_updated_at_and_keeps_created_at(api):
    note = api.post("/api/Notes", json={"title": "a"}).json()
    patched = api.patch(f"/api/Notes/{note['id']}", json={"title": "b"}).json()
    assert patched["createdAt"] == note["createdAt"]
    assert stamp(patched["updatedAt"]) >= stamp(note["updatedAt"])
    assert api.get(f"/api/Notes/{note['id']}").json() == patched
    api.post("/api/Notes/update?where={}", json={"title": "c"})
    after_bulk = api.get(f"/api/Notes/{note['id']}").json()
    assert stamp(after_bulk["updatedAt"]) >= stamp(patched["updatedAt"])
    assert after_bulk["createdAt"] == note["createdAt"]


def test_timestamp_property_names_are_options(api):
    thing = api.post("/api/Renameds", json={"title": "a"}).json()
    assert {"created", "modified"} <= set(thing) and "createdAt" not in thing


def test_timestamp_properties_are_documented(tmp_path):
    app = create_app(
        write_app(tmp_path / "app", {"Note": {"properties": {"title": "string"}, "mixins": {"TimeStamp": True}}})
    )
    definition = swagger_document(app)["definitions"]["Note"]
    assert definition["properties"]["createdAt"] == {"type": "string", "format": "date-time"}
    assert set(definition["required"]) == {"createdAt", "updatedAt"}


def test_skip_updated_at_in_the_options_leaves_it(tmp_path):
    import anyio

    app = create_app(
        write_app(tmp_path / "app", {"Note": {"properties": {"title": "string"}, "mixins": {"TimeStamp": True}}})
    )
    Note = app.model("Note")

    async def main():
        note = await Note.create({"title": "a"})
        before = note.updatedAt
        await note.update_attributes({"title": "b"}, {"skipUpdatedAt": True})
        assert (await Note.find_by_id(note.id)).updatedAt == before
        await note.update_attributes({"title": "c"})
        assert (await Note.find_by_id(note.id)).updatedAt >= before

    anyio.run(main)


def test_false_leaves_a_mixin_out(make_client):
    api = make_client({"Note": {"properties": {"title": "string"}, "mixins": {"TimeStamp": False}}})
    assert set(api.post("/api/Notes", json={"title": "a"}).json()) == {"title", "id"}


# -- an app's own mixins -------------------------------------------------------------------------------

OWNED = '''
def mixin(Model, options):
    """Adds an owner, filled from the options when the client sends none."""
    Model.define_property("owner", {"type": "string", "default": options.get("default", "nobody")})

    @Model.observe("before save")
    def lower(ctx):
        record = ctx.instance if ctx.instance is not None else ctx.data
        if record.get("owner"):
            record["owner"] = record["owner"].lower()
'''


def app_with_mixin(tmp_path: Path, mixins: dict, files: dict[str, str], meta: dict | None = META) -> Path:
    root = write_app(
        tmp_path / "app", {"Note": {"properties": {"title": "string"}, "mixins": mixins}}, model_config=meta
    )
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_an_apps_mixin_is_found_by_its_file_name(tmp_path):
    root = app_with_mixin(tmp_path, {"OwnedBy": {"default": "ann"}}, {"common/mixins/owned-by.py": OWNED})
    with TestClient(create_app(root)) as api:
        assert api.post("/api/Notes", json={"title": "a"}).json()["owner"] == "ann"
        assert api.post("/api/Notes", json={"title": "b", "owner": "BOB"}).json()["owner"] == "bob"


def test_mixins_in_server_mixins_are_found_without_meta(tmp_path):
    """loopback-boot's default: ./mixins beside the server files."""
    root = app_with_mixin(tmp_path, {"OwnedBy": True}, {"server/mixins/owned_by.py": OWNED}, meta=None)
    with TestClient(create_app(root)) as api:
        assert api.post("/api/Notes", json={"title": "a"}).json()["owner"] == "nobody"


def test_an_apps_mixin_replaces_the_builtin_of_its_name(tmp_path):
    root = app_with_mixin(
        tmp_path,
        {"TimeStamp": True},
        {
            "common/mixins/time-stamp.py": """
        def mixin(Model, options):
            Model.define_property("stamped", {"type": "boolean", "default": True})
    """
        },
    )
    with TestClient(create_app(root)) as api:
        assert set(api.post("/api/Notes", json={"title": "a"}).json()) == {"title", "id", "stamped"}


def test_an_unknown_mixin_warns_once_and_the_app_boots_without_it(tmp_path, caplog):
    root = app_with_mixin(tmp_path, {"SoftDelete": True}, {})
    with caplog.at_level("WARNING", logger="lbpy"), TestClient(create_app(root)) as api:
        assert api.post("/api/Notes", json={"title": "a"}).status_code == 200
    warnings = [r.getMessage() for r in caplog.records if "SoftDelete" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith('mixin "SoftDelete" (common/models/note.json) is not applied')
    assert "soft-delete.py" in warnings[0] and "common/mixins" in warnings[0] and "lbpy import-lb3" in warnings[0]


def test_a_failing_mixin_names_its_file_and_line(tmp_path):
    root = app_with_mixin(
        tmp_path,
        {"Broken": True},
        {
            "common/mixins/broken.py": """
        def mixin(Model, options):
            raise RuntimeError("cannot mix")
    """
        },
    )
    with pytest.raises(
        BootError,
        match=r"^common/mixins/broken.py:3: mixin Broken failed on Note: "
        r"RuntimeError: cannot mix$",
    ):
        create_app(root)


def test_a_mixin_file_without_a_mixin_function(tmp_path):
    root = app_with_mixin(tmp_path, {"Empty": True}, {"common/mixins/empty.py": "x = 1\n"})
    with pytest.raises(BootError, match=r"common/mixins/empty.py must define mixin\(Model, options\)"):
        create_app(root)


def test_a_bad_timestamp_option_is_a_boot_error(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {"properties": {}, "mixins": {"TimeStamp": {"created": "c"}}}})
    with pytest.raises(BootError, match='mixin TimeStamp failed on Note: ValueError: unknown option "created"'):
        create_app(root)


def test_a_mixin_applies_to_a_derived_model_too(tmp_path):
    root = write_app(
        tmp_path / "app",
        {
            "Base": {"properties": {"title": "string"}, "mixins": {"TimeStamp": True}},
            "Child": {"base": "Base", "properties": {"extra": "string"}},
        },
    )
    with TestClient(create_app(root)) as api:
        child = api.post("/api/Children", json={"title": "a"}).json()
        assert {"createdAt", "updatedAt"} <= set(child)
