"""A model's default ``scope`` and named ``scopes`` (recorded against LoopBack 3.28: a Thing model
with ``"scope": {"where": {"kind": "a"}, "order": "name DESC", "limit": 2}``, a Note with
``"scopes": {"vips": {"where": {"vip": true}}}``)."""

from __future__ import annotations

import json

import anyio
import pytest
from conftest import write_app

from lbpy import BootError, create_app
from lbpy._rest._openapi import swagger_document

THING = {
    "properties": {"name": "string", "kind": "string"},
    "scope": {"where": {"kind": "a"}, "order": "name DESC", "limit": 2},
}
NOTE = {"properties": {"title": "string", "vip": "boolean"}, "scopes": {"vips": {"where": {"vip": True}}}}


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


@pytest.fixture
def things(make_client):
    api = make_client({"Thing": THING})
    for name, kind in (("one", None), ("two", "b"), ("three", "a"), ("four", "a")):
        api.post("/api/Things", json={"name": name, **({"kind": kind} if kind else {})})
    return api


def q(value) -> str:
    return json.dumps(value)


def test_the_default_scope_writes_its_where_values(things):
    """LoopBack stored kind "a" for a create without kind, and for kind "b" too."""
    assert {row["kind"] for row in things.get("/api/Things", params={"filter": q({"limit": 10})}).json()} == {"a"}
    assert things.get("/api/Things/2").json() == {"name": "two", "kind": "a", "id": 2}
    assert things.patch("/api/Things/2", json={"kind": "other"}).json()["kind"] == "a"


def test_the_default_scope_orders_and_limits_every_find(things):
    assert names(things.get("/api/Things")) == ["two", "three"]
    # the scope's limit wins over the query's; the query's order wins over the scope's
    assert names(things.get("/api/Things", params={"filter": q({"limit": 10})})) == ["two", "three"]
    assert names(things.get("/api/Things", params={"filter": q({"order": "name ASC"})})) == ["four", "one"]
    assert things.get("/api/Things/findOne").json()["name"] == "two"


def test_the_default_scope_ands_its_where(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Thing": THING}))
    Thing = app.model("Thing")

    async def main():
        ds = Thing.datasource
        await ds.call("create", "Thing", {"name": "outside", "kind": "b"}, {})  # stored around the scope
        await Thing.create({"name": "inside"})
        assert [t.name for t in await Thing.find()] == ["inside"]
        assert await Thing.count() == 1
        assert await Thing.find_by_id(1) is None
        assert await Thing.update_all({}, {"name": "renamed"}) == {"count": 1}
        assert await Thing.destroy_all() == {"count": 1}
        assert await ds.count("Thing", None, {}) == 1  # the record outside the scope is untouched

    anyio.run(main)


def test_the_default_scopes_fields(make_client):
    api = make_client(
        {"Thing": {"properties": {"name": "string", "secret": "string"}, "scope": {"fields": ["id", "name"]}}}
    )
    api.post("/api/Things", json={"name": "a", "secret": "s"})
    assert api.get("/api/Things").json() == [{"name": "a", "id": 1}]


def test_a_bad_default_scope_is_a_boot_error(tmp_path):
    root = write_app(
        tmp_path / "app", {"Thing": {"properties": {"n": "number"}, "scope": {"where": {"n": {"near": 1}}}}}
    )
    with pytest.raises(BootError, match=r"^common/models/thing.json: scope: `filter.where.n` has an unknown operator"):
        create_app(root)


# -- named scopes ------------------------------------------------------------------------------------


@pytest.fixture
def notes(make_client):
    api = make_client({"Note": NOTE})
    api.post("/api/Notes", json=[{"title": "a", "vip": True}, {"title": "b", "vip": False}])
    return api


def test_a_named_scope_is_served_like_loopbacks(notes):
    assert [n["title"] for n in notes.get("/api/Notes/vips").json()] == ["a"]
    assert notes.get("/api/Notes/vips", params={"filter": q({"where": {"title": "nope"}})}).json() == []
    assert notes.get("/api/Notes/vips/count").json() == {"count": 1}
    assert notes.get("/api/Notes/vips/count", params={"where": q({"title": "zzz"})}).json() == {"count": 0}


def test_creating_in_a_named_scope_sets_its_values(notes):
    created = notes.post("/api/Notes/vips", json={"title": "c", "vip": False})
    assert created.json() == {"title": "c", "vip": True, "id": 3}


def test_deleting_a_named_scope_removes_only_its_records(notes):
    answer = notes.delete("/api/Notes/vips")
    assert (answer.status_code, answer.content) == (204, b"")
    assert [n["title"] for n in notes.get("/api/Notes").json()] == ["b"]


def test_named_scopes_come_before_the_builtin_routes_in_the_documents(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    document = swagger_document(app)
    ids = [op["operationId"] for path, item in document["paths"].items() for op in item.values()]
    assert ids[:4] == ["Note.__get__vips", "Note.__create__vips", "Note.__delete__vips", "Note.__count__vips"]
    assert document["paths"]["/Notes/vips/count"]["get"]["summary"] == "Counts vips of Note."


def test_named_scopes_from_python(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")
    Note.scope("plain", {"where": {"vip": False}, "order": "title DESC"})

    async def main():
        await Note.create([{"title": "a", "vip": True}, {"title": "b"}, {"title": "c", "vip": False}])
        assert [n.title for n in await Note.vips()] == ["a"]
        assert await Note.vips.count() == 1
        made = await Note.plain.create({"title": "d"})
        assert made.vip is False
        assert [n.title for n in await Note.plain.find()] == ["d", "c"]
        assert await Note.plain.destroy_all() == {"count": 2}

    anyio.run(main)


@pytest.mark.parametrize("name", ["title", "find", "not valid"])
def test_a_scope_name_that_is_taken_is_a_boot_error(tmp_path, name):
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": "string"}, "scopes": {name: {"where": {}}}}})
    with pytest.raises(BootError, match=f"common/models/note.json: scopes.{name}"):
        create_app(root)
