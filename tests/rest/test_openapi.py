"""The API documents: LoopBack 3's Swagger 2.0 document and the OpenAPI 3.0 document."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app
from lbpy._rest._openapi import openapi_document, swagger_document

NOTE = {
    "properties": {
        "title": {"type": "string", "required": True},
        "content": {"type": "string"},
    },
}

CUSTOMER = {
    "strict": True,
    "description": "A person who buys",
    "properties": {
        "name": {"type": "string", "required": True},
        "age": {"type": "number"},
        "vip": {"type": "boolean"},
        "born": {"type": "date"},
        "tags": {"type": ["string"]},
        "address": {"type": "object"},
        "secret": {"type": "string"},
        "location": {"type": "geopoint"},
    },
    "hidden": ["secret"],
}

MISC = {
    "properties": {
        "a": {"type": "any"},
        "arr": {"type": "array"},
        "arrd": {"type": ["date"]},
        "b": {"type": "buffer"},
        "label": {"type": "string", "default": "x", "max": 20, "description": "Shown in lists"},
        "shipping": {"type": "Address"},
        "previous": {"type": ["Address"]},
    },
}

ADDRESS = {"base": "Model", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}

GADGET = {"idInjection": False, "properties": {"code": {"type": "string", "id": True}, "name": "string"}}

PRODUCT = {"forceId": False, "properties": {"name": {"type": "string", "required": True}}}

#: LoopBack 3.28's paths and operation ids for Note, from its /explorer/swagger.json
#: (/work/notes/lb3-swagger.json).
LB3_NOTE_OPERATIONS = {
    ("/Notes", "post", "Note.create"),
    ("/Notes", "patch", "Note.patchOrCreate"),
    ("/Notes", "put", "Note.replaceOrCreate__put_Notes"),
    ("/Notes", "get", "Note.find"),
    ("/Notes/replaceOrCreate", "post", "Note.replaceOrCreate__post_Notes_replaceOrCreate"),
    ("/Notes/upsertWithWhere", "post", "Note.upsertWithWhere"),
    ("/Notes/{id}/exists", "get", "Note.exists__get_Notes_{id}_exists"),
    ("/Notes/{id}", "head", "Note.exists__head_Notes_{id}"),
    ("/Notes/{id}", "get", "Note.findById"),
    ("/Notes/{id}", "put", "Note.replaceById__put_Notes_{id}"),
    ("/Notes/{id}", "delete", "Note.deleteById"),
    ("/Notes/{id}", "patch", "Note.prototype.patchAttributes"),
    ("/Notes/{id}/replace", "post", "Note.replaceById__post_Notes_{id}_replace"),
    ("/Notes/findOne", "get", "Note.findOne"),
    ("/Notes/update", "post", "Note.updateAll"),
    ("/Notes/count", "get", "Note.count"),
    ("/Notes/change-stream", "post", "Note.createChangeStream__post_Notes_change-stream"),
    ("/Notes/change-stream", "get", "Note.createChangeStream__get_Notes_change-stream"),
}

LB3_FILTER = {
    "name": "filter",
    "in": "query",
    "description": "Filter defining fields, where, include, order, offset, and limit - must be a "
    'JSON-encoded string (`{"where":{"something":"value"}}`).  See '
    "https://loopback.io/doc/en/lb3/Querying-data.html#using-stringified-json-in-rest-"
    "queries for more details.",
    "required": False,
    "type": "string",
    "format": "JSON",
}


def sample_app(root: Path, **options) -> Path:
    models = {
        "Note": NOTE,
        "Customer": CUSTOMER,
        "Misc": MISC,
        "Address": ADDRESS,
        "Gadget": GADGET,
        "Product": PRODUCT,
    }
    model_config = {"Address": {"dataSource": None, "public": False}}
    return write_app(root, models, model_config=model_config, **options)


@pytest.fixture
def app(tmp_path):
    return create_app(sample_app(tmp_path / "shop"))


def operations(document: dict, prefix: str = "") -> set[tuple[str, str, str]]:
    return {
        (path, verb, operation["operationId"])
        for path, item in document["paths"].items()
        if path.startswith(prefix)
        for verb, operation in item.items()
    }


# -- Swagger 2.0, as LoopBack 3 wrote it ---------------------------------------------------------


def test_note_paths_and_operation_ids_are_loopback_3s(app):
    assert operations(swagger_document(app), "/Notes") == LB3_NOTE_OPERATIONS


def test_note_operations_read_like_loopback_3s(app):
    paths = swagger_document(app)["paths"]
    assert paths["/Notes"]["get"] == {
        "tags": ["Note"],
        "summary": "Find all instances of the model matched by filter from the data source.",
        "operationId": "Note.find",
        "parameters": [LB3_FILTER],
        "responses": {
            "200": {
                "description": "Request was successful",
                "schema": {"type": "array", "items": {"$ref": "#/definitions/Note"}},
            }
        },
        "deprecated": False,
    }
    assert paths["/Notes"]["post"]["parameters"] == [
        {
            "name": "data",
            "in": "body",
            "description": "Model instance data",
            "required": False,
            "schema": {"description": "Model instance data", "$ref": "#/definitions/$new_Note"},
        }
    ]
    assert paths["/Notes/{id}"]["patch"] == {
        "tags": ["Note"],
        "summary": "Patch attributes for a model instance and persist it into the data source.",
        "operationId": "Note.prototype.patchAttributes",
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "description": "Note id",
                "required": True,
                "type": "string",
                "format": "JSON",
            },
            {
                "name": "data",
                "in": "body",
                "description": "An object of model property name/value pairs",
                "required": False,
                "schema": {"description": "An object of model property name/value pairs", "$ref": "#/definitions/Note"},
            },
        ],
        "responses": {"200": {"description": "Request was successful", "schema": {"$ref": "#/definitions/Note"}}},
        "deprecated": False,
    }
    assert paths["/Notes/{id}"]["delete"]["parameters"] == [
        {"name": "id", "in": "path", "description": "Model id", "required": True, "type": "string", "format": "JSON"},
    ]
    assert paths["/Notes/{id}"]["delete"]["responses"] == {
        "200": {"description": "Request was successful", "schema": {"type": "object"}}
    }
    assert paths["/Notes/update"]["post"]["responses"]["200"]["schema"] == {
        "description": "Information related to the outcome of the operation",
        "type": "object",
        "properties": {
            "count": {"description": "The number of instances updated", "type": "number", "format": "double"}
        },
    }
    assert paths["/Notes/count"]["get"]["responses"]["200"]["schema"] == {
        "type": "object",
        "properties": {"count": {"type": "number", "format": "double"}},
    }
    assert paths["/Notes/{id}/exists"]["get"]["responses"]["200"]["schema"] == {
        "type": "object",
        "properties": {"exists": {"type": "boolean"}},
    }


def test_top_level_fields(tmp_path):
    root = sample_app(tmp_path / "shop", config={"restApiRoot": "/v1"})
    (root / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [project]
        name = "shop"
        version = "2.3.0"
        description = "The shop's API"
    """)
    )
    document = swagger_document(create_app(root))
    assert list(document) == ["swagger", "info", "basePath", "paths", "tags", "consumes", "produces", "definitions"]
    assert document["swagger"] == "2.0"
    assert document["info"] == {"version": "2.3.0", "title": "shop", "description": "The shop's API"}
    assert document["basePath"] == "/v1"
    # one tag per public model with methods, in model-config order; Address is not public
    assert document["tags"] == [
        {"name": "Note"},
        {"name": "Customer", "description": "A person who buys"},
        {"name": "Misc"},
        {"name": "Gadget"},
        {"name": "Product"},
    ]
    assert document["consumes"][0] == document["produces"][0] == "application/json"


def test_info_falls_back_to_package_json_then_the_folder_name(tmp_path):
    root = write_app(tmp_path / "inventory", {"Note": NOTE})
    assert swagger_document(create_app(root))["info"] == {
        "version": "1.0.0",
        "title": "inventory",
        "description": "LoopBack Application",
    }
    root = write_app(tmp_path / "lb3", {"Note": NOTE})
    (root / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0", "description": ""}))
    assert swagger_document(create_app(root))["info"] == {
        "version": "1.0.0",
        "title": "app",
        "description": "LoopBack Application",
    }


def test_api_info_from_config_json(tmp_path):
    root = write_app(
        tmp_path / "shop",
        {"Note": NOTE},
        config={"apiInfo": {"title": "Shop API", "description": ["Line one", "line two"]}},
    )
    info = swagger_document(create_app(root))["info"]
    assert info == {"title": "Shop API", "description": "Line one\nline two", "version": "1.0.0"}


def test_definitions_map_types_like_loopback(app):
    definitions = swagger_document(app)["definitions"]
    # LoopBack 3's own Customer definition for this model (lb3-swagger.json)
    assert definitions["Customer"] == {
        "description": "A person who buys",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "number", "format": "double"},
            "vip": {"type": "boolean"},
            "born": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "address": {"type": "object"},
            "location": {"$ref": "#/definitions/GeoPoint"},
            "id": {"type": "number", "format": "double"},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    misc = definitions["Misc"]["properties"]
    assert misc["a"] == {"$ref": "#/definitions/x-any"}
    assert misc["arr"] == {"type": "array", "items": {"$ref": "#/definitions/x-any"}}
    assert misc["arrd"] == {"type": "array", "items": {"type": "string", "format": "date-time"}}
    assert misc["b"] == {"type": "string", "format": "byte"}
    assert misc["label"] == {"maximum": 20, "default": "x", "description": "Shown in lists", "type": "string"}
    assert misc["shipping"] == {"$ref": "#/definitions/Address"}
    assert misc["previous"] == {"type": "array", "items": {"$ref": "#/definitions/Address"}}
    # nested model types are described though Address has no routes of its own
    assert definitions["Address"] == {
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "additionalProperties": False,
    }
    assert definitions["x-any"] == {"properties": {}}
    assert definitions["GeoPoint"] == {"properties": {"lat": {"type": "number"}, "lng": {"type": "number"}}}


def test_create_only_definitions_leave_out_a_generated_id(app):
    definitions = swagger_document(app)["definitions"]
    assert definitions["$new_Note"] == {
        "properties": {"title": {"type": "string"}, "content": {"type": "string"}},
        "required": ["title"],
        "additionalProperties": False,
    }
    assert "id" in definitions["Note"]["properties"]
    # forceId false, or an id the client sets: one definition, as LoopBack 3 wrote them
    assert "$new_Product" not in definitions and "$new_Gadget" not in definitions
    assert definitions["Gadget"]["required"] == ["code"]
    paths = swagger_document(app)["paths"]
    assert paths["/Products"]["post"]["parameters"][0]["schema"]["$ref"] == "#/definitions/Product"


def test_create_only_definitions_can_be_turned_off(tmp_path):
    root = write_app(tmp_path / "shop", {"Note": NOTE})
    (root / "server" / "component-config.json").write_text(
        json.dumps({"loopback-component-explorer": {"mountPath": "/explorer", "generateOperationScopedModels": False}})
    )
    document = swagger_document(create_app(root))
    assert "$new_Note" not in document["definitions"]
    assert document["paths"]["/Notes"]["post"]["parameters"][0]["schema"]["$ref"] == "#/definitions/Note"


def test_relation_properties_when_asked(tmp_path):
    models = {
        "Customer": {
            "properties": {"name": "string"},
            "relations": {"orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"}},
        },
        "Order": {
            "properties": {"total": "number"},
            "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
        },
    }
    root = write_app(tmp_path / "shop", models)
    (root / "server" / "component-config.json").write_text(
        json.dumps({"loopback-component-explorer": {"generateRelationProperties": True}})
    )
    document = swagger_document(create_app(root))
    find = document["paths"]["/Customers"]["get"]["responses"]["200"]["schema"]
    assert find == {"type": "array", "items": {"$ref": "#/definitions/CustomerWithRelations"}}
    with_relations = document["definitions"]["CustomerWithRelations"]["properties"]
    assert with_relations["orders"] == {"type": "array", "items": {"$ref": "#/definitions/OrderWithRelations"}}
    assert document["definitions"]["OrderWithRelations"]["properties"]["customer"] == {
        "$ref": "#/definitions/CustomerWithRelations"
    }
    # writes still take the plain model
    assert document["paths"]["/Customers"]["patch"]["parameters"][0]["schema"]["$ref"] == "#/definitions/Customer"


def test_shared_methods_switched_off_leave_the_documents(tmp_path):
    note = {**NOTE, "options": {"remoting": {"sharedMethods": {"deleteById": False, "upsert": False}}}}
    app = create_app(write_app(tmp_path / "shop", {"Note": note}))
    ids = {operation_id for _, _, operation_id in operations(swagger_document(app))}
    assert "Note.deleteById" not in ids and "Note.patchOrCreate" not in ids
    assert "Note.find" in ids
    assert {op for _, _, op in operations(openapi_document(app))} == ids


# -- Remote methods an app adds ------------------------------------------------------------------

NOTE_METHODS = """
async def search(Note, text, limit=None):
    return [n for n in await Note.find() if text in n.title][: limit or None]


async def share(note, to, message=None):
    return {"sent": True, "to": to}


async def forget(Note, key):
    return None


def customize(Note):
    Note.remote_method(
        "search", classmethod(search), description="Notes whose title contains a text.",
        accepts=[{"arg": "text", "type": "string", "required": True, "description": "Text to look for"},
                 {"arg": "limit", "type": "number"}],
        returns={"arg": "notes", "type": ["Note"], "root": True},
        http={"verb": "get", "path": "/search"},
    )
    Note.remote_method(
        "prototype.share", share, description="Send a note to someone.",
        accepts=[{"arg": "to", "type": "string", "required": True, "http": {"source": "path"}},
                 {"arg": "message", "type": "string"}],
        returns=[{"arg": "sent", "type": "boolean"}, {"arg": "to", "type": "string"}],
        http={"verb": "post", "path": "/:id/share/:to"},
    )
    Note.remote_method(
        "forget", classmethod(forget), accepts={"arg": "key", "type": "string", "http": {"source": "header"}},
        http={"verb": "delete", "path": "/cache"},
    )
"""


@pytest.fixture
def app_with_methods(tmp_path):
    root = write_app(tmp_path / "notes", {"Note": NOTE})
    (root / "common" / "models" / "note.py").write_text(NOTE_METHODS)
    return create_app(root)


def test_remote_methods_appear_in_both_documents(app_with_methods):
    swagger = swagger_document(app_with_methods)
    search = swagger["paths"]["/Notes/search"]["get"]
    assert search["operationId"] == "Note.search"
    assert search["summary"] == "Notes whose title contains a text."
    assert search["parameters"] == [
        {"name": "text", "in": "query", "description": "Text to look for", "required": True, "type": "string"},
        {"name": "limit", "in": "query", "required": False, "type": "number", "format": "double"},
    ]
    assert search["responses"]["200"]["schema"] == {"type": "array", "items": {"$ref": "#/definitions/Note"}}

    share = swagger["paths"]["/Notes/{id}/share/{to}"]["post"]
    assert share["operationId"] == "Note.prototype.share"
    assert share["parameters"] == [
        {"name": "id", "in": "path", "description": "Note id", "required": True, "type": "string", "format": "JSON"},
        {"name": "to", "in": "path", "required": True, "type": "string"},
        {"name": "message", "in": "formData", "required": False, "type": "string"},
    ]
    assert share["responses"]["200"]["schema"] == {
        "type": "object",
        "properties": {"sent": {"type": "boolean"}, "to": {"type": "string"}},
    }

    forget = swagger["paths"]["/Notes/cache"]["delete"]
    assert forget["parameters"] == [{"name": "key", "in": "header", "required": False, "type": "string"}]
    assert forget["responses"] == {"204": {"description": "Request was successful"}}

    openapi = openapi_document(app_with_methods)
    share3 = openapi["paths"]["/Notes/{id}/share/{to}"]["post"]
    assert [(p["name"], p["in"]) for p in share3["parameters"]] == [("id", "path"), ("to", "path")]
    form = share3["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form == {"type": "object", "properties": {"message": {"type": "string"}}}
    assert openapi["paths"]["/Notes/search"]["get"]["operationId"] == "Note.search"


def test_every_documented_operation_is_served(app_with_methods):
    """The documents and the router come from the same declarations: no documented route 404s."""
    with TestClient(app_with_methods) as client:
        note = client.post("/api/Notes", json={"title": "hello"}).json()
        document = swagger_document(app_with_methods)
        assert len(operations(document)) == 21
        for path, verb, operation_id in sorted(operations(document)):
            if path.endswith("/change-stream"):
                continue  # streams until the client leaves: tests/test_change_stream.py reads it
            url = document["basePath"] + path.replace("{id}", str(note["id"])).replace("{to}", "ann")
            response = client.request(
                verb.upper(), url, json={"title": "hello"}, params={"text": "h"} if "search" in path else None
            )
            if verb == "delete":  # keep the note for the next operations
                note = client.post("/api/Notes", json={"title": "hello"}).json()
            # the record exists: a 404 could only mean the router has no such route
            assert response.status_code != 404, (operation_id, response.text)
            assert response.status_code < 500, (operation_id, response.text)


def test_methods_added_after_a_first_build_appear(tmp_path):
    app = create_app(write_app(tmp_path / "notes", {"Note": NOTE}))
    first = swagger_document(app)
    assert "/Notes/stats" not in first["paths"]
    assert swagger_document(app) == first  # built once, kept

    async def stats(Note):
        return {"total": await Note.count()}

    Note = app.model("Note")
    Note.remote_method(
        "stats",
        classmethod(stats),
        returns={"arg": "stats", "type": "object", "root": True},
        http={"verb": "get", "path": "/stats"},
    )
    assert swagger_document(app)["paths"]["/Notes/stats"]["get"]["operationId"] == "Note.stats"
    assert openapi_document(app)["paths"]["/Notes/stats"]["get"]["operationId"] == "Note.stats"


def test_callers_cannot_change_the_cached_document(app):
    document = swagger_document(app)
    document["paths"].clear()
    assert swagger_document(app)["paths"]


# -- OpenAPI 3.0 -----------------------------------------------------------------------------------


def test_openapi_document_is_valid(app, app_with_methods):
    from openapi_spec_validator import validate

    validate(openapi_document(app))
    validate(openapi_document(app_with_methods))


def test_openapi_has_the_same_operations(app):
    swagger, openapi = swagger_document(app), openapi_document(app)
    assert operations(openapi) == operations(swagger)
    assert openapi["openapi"] == "3.0.3"
    assert openapi["servers"] == [{"url": "/api"}]
    assert openapi["info"] == swagger["info"]
    assert openapi["tags"] == swagger["tags"]


def test_openapi_request_bodies_parameters_and_schemas(app):
    openapi = openapi_document(app)
    create = openapi["paths"]["/Notes"]["post"]
    assert "parameters" not in create
    assert create["requestBody"]["description"] == "Model instance data"
    assert create["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0] == {
        "$ref": "#/components/schemas/NewNote"
    }
    assert create["responses"]["200"]["content"]["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/Note"},
            {"type": "array", "items": {"$ref": "#/components/schemas/Note"}},
        ]
    }

    find_by_id = openapi["paths"]["/Notes/{id}"]["get"]["parameters"]
    assert find_by_id[0] == {
        "name": "id",
        "in": "path",
        "description": "Model id",
        "required": True,
        "schema": {"type": "string"},
    }
    assert find_by_id[1]["in"] == "query"
    assert find_by_id[1]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/lbpy.Filter.Note"}}
    }

    schemas = openapi["components"]["schemas"]
    assert "$new_Note" not in schemas and "x-any" not in schemas
    as_text = [{"type": "number"}, {"type": "boolean"}]  # stored as their text, as LoopBack 3 stores them
    assert schemas["NewNote"]["properties"] == {
        "title": {"anyOf": [{"type": "string", "minLength": 1}, *as_text]},
        "content": {"anyOf": [{"type": "string"}, *as_text], "nullable": True},
    }
    misc = schemas["Misc"]["properties"]
    assert misc["a"] == {"nullable": True}
    assert misc["shipping"] == {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Address"}]}
    assert misc["b"] == {"type": "string", "format": "byte", "nullable": True}
    assert schemas["Customer"]["properties"]["location"] == {
        "nullable": True,
        "allOf": [{"$ref": "#/components/schemas/GeoPoint"}],
    }
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(openapi)))
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs)
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(schemas)


def test_openapi_model_schemas_say_what_answers_hold(app):
    schemas = openapi_document(app)["components"]["schemas"]
    note = schemas["Note"]
    # an answer may leave any property out (``fields``) and a stored value may be null
    assert "required" not in note and note["type"] == "object"
    assert note["properties"]["content"]["nullable"] is True
    # a non-strict model answers what it was given beyond its properties
    assert "additionalProperties" not in note
    customer = schemas["Customer"]
    assert customer["additionalProperties"] is False  # strict: others are refused
    # a hidden property may be sent, never answered
    assert customer["properties"]["secret"] == {"type": "string", "writeOnly": True, "nullable": True}
    assert customer["properties"]["tags"]["items"] == {"type": "string", "nullable": True}


def test_openapi_request_bodies_are_whole_instances_or_patches(app):
    openapi = openapi_document(app)
    paths, schemas = openapi["paths"], openapi["components"]["schemas"]

    def body(path, verb):
        request = paths[path][verb]["requestBody"]
        assert list(request["content"]) == ["application/json"]
        schema = request["content"]["application/json"]["schema"]
        if "oneOf" in schema:  # a create: an instance, or an array of them
            instance, batch = schema["oneOf"]
            assert batch == {"type": "array", "items": instance}
            schema = instance
        return request["required"], schema["$ref"].rsplit("/", 1)[1]

    for path, verb in [
        ("/Notes", "post"),
        ("/Notes", "put"),
        ("/Notes", "patch"),
        ("/Notes/{id}", "put"),
        ("/Notes/upsertWithWhere", "post"),
    ]:
        assert body(path, verb) == (True, "NewNote"), (path, verb)
    assert body("/Notes/{id}", "patch") == (False, "NotePatch")
    assert body("/Notes/update", "post") == (False, "NotePatch")
    assert schemas["NewNote"]["required"] == ["title"]
    assert "required" not in schemas["NotePatch"] and "id" not in schemas["NotePatch"]["properties"]
    # a number or a boolean is stored as its text, as LoopBack 3 stores it
    assert schemas["NotePatch"]["properties"]["title"] == {
        "anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}, {"type": "boolean"}]
    }
    update = {p["name"]: p["required"] for p in paths["/Notes/update"]["post"]["parameters"]}
    assert update == {"where": True}


def test_openapi_documents_every_status_an_operation_answers(app):
    paths = openapi_document(app)["paths"]

    def statuses(path, verb):
        return sorted(paths[path][verb]["responses"])

    assert statuses("/Notes", "get") == ["200", "400", "503"]
    assert statuses("/Notes", "post") == ["200", "400", "409", "413", "422", "503"]
    assert statuses("/Notes/{id}", "get") == ["200", "400", "404", "503"]
    assert statuses("/Notes/{id}", "delete") == ["200", "400", "404", "503"]
    assert statuses("/Notes/findOne", "get") == ["200", "400", "404", "503"]
    assert statuses("/Notes/{id}", "head") == ["200", "400", "404", "503"]
    assert "content" not in paths["/Notes/{id}"]["head"]["responses"]["200"]
    error = paths["/Notes"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_openapi_describes_an_optional_belongs_to_and_the_page_bound(tmp_path):
    root = write_app(
        tmp_path / "shop",
        {
            "Customer": {"properties": {"name": "string"}},
            "Order": {
                "properties": {"total": "number"},
                "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
            },
        },
        config={"remoting": {"rest": {"maxLimit": 100}}},
    )
    paths = openapi_document(create_app(root))["paths"]
    customer = paths["/Orders/{id}/customer"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert customer == {
        "anyOf": [{"$ref": "#/components/schemas/Customer"}, {"type": "object", "maxProperties": 0}],
        "nullable": True,
    }
    assert "X-Max-Limit" in paths["/Orders"]["get"]["responses"]["200"]["headers"]
    assert "headers" not in paths["/Orders/count"]["get"]["responses"]["200"]


def test_documents_are_served_over_http(make_client):
    client = make_client({"Note": NOTE}, explorer=False)
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == openapi_document(client.app)
