"""The openapi connector's operations: each a model method named by its operationId, its
arguments checked against the document's schemas before anything is sent, its credentials
from ``authorizations``; the remote a real server (tests/fake_remote.py's /echo)."""

from __future__ import annotations

import json

import anyio
import pytest
from conftest import write_app
from fake_remote import fake_remote
from starlette.testclient import TestClient

from lbpy import BadRequestError, BootError, create_app


def petstore(version: int, server: str) -> dict:
    """A small pet store, as OpenAPI 3.0 or Swagger 2.0, every path under the fake's /echo."""
    pet = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "minLength": 1},
            "tag": {"type": "string", "nullable": True},
            "born": {"type": "string", "format": "date"},
        },
    }
    if version == 3:
        return {
            "openapi": "3.0.3",
            "info": {"title": "Pets", "version": "1"},
            "servers": [{"url": server + "/echo"}],
            "components": {
                "schemas": {"Pet": pet},
                "securitySchemes": {
                    "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                    "token": {"type": "http", "scheme": "bearer"},
                },
            },
            "security": [{"key": []}],
            "paths": {
                "/pets": {
                    "get": {
                        "operationId": "listPets",
                        "parameters": [
                            {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["cat", "dog"]}},
                        ],
                        "responses": {"200": {"description": "ok"}},
                    },
                    "post": {
                        "operationId": "create-pet",
                        "security": [{"token": []}],
                        "requestBody": {
                            "required": True,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                        },
                        "responses": {"201": {"description": "ok"}},
                    },
                },
                "/pets/{petId}": {
                    "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "get": {"operationId": "showPetById", "responses": {"200": {"description": "ok"}}},
                },
            },
        }
    return {
        "swagger": "2.0",
        "info": {"title": "Pets", "version": "1"},
        "host": server.split("//")[1],
        "basePath": "/echo",
        "schemes": ["http"],
        "definitions": {"Pet": dict(pet)},
        "securityDefinitions": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}},
        "security": [{"key": []}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "parameters": [
                        {"name": "limit", "in": "query", "type": "integer", "maximum": 100},
                        {"name": "kind", "in": "query", "type": "string", "enum": ["cat", "dog"]},
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
                "post": {
                    "operationId": "create-pet",
                    "parameters": [
                        {"name": "pet", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Pet"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
            },
            "/pets/{petId}": {
                "get": {
                    "operationId": "showPetById",
                    "parameters": [{"name": "petId", "in": "path", "required": True, "type": "integer"}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }


@pytest.fixture(scope="module")
def remote():
    with fake_remote() as server:
        yield server


def make_app(root, remote, version, **settings):
    (root / "server").mkdir(parents=True, exist_ok=True)
    (root / "server" / "petstore.json").write_text(json.dumps(petstore(version, remote.url)))
    datasource = {
        "name": "pets",
        "connector": "openapi",
        "spec": "server/petstore.json",
        "authorizations": {"key": "key-123", **({"token": {"token": "tok-456"}} if version == 3 else {})},
        **settings,
    }
    root = write_app(
        root,
        {"PetService": {"base": "Model"}},
        datasources={"pets": datasource},
        model_config={"PetService": {"dataSource": "pets", "public": True}},
    )
    return create_app(root)


@pytest.fixture(scope="module", params=[3, 2], ids=["openapi3", "swagger2"])
def version(request):
    return request.param


@pytest.fixture(scope="module")
def app(remote, tmp_path_factory, version):
    return make_app(tmp_path_factory.mktemp(f"pets{version}"), remote, version)


def call(app, name, *args, **kwargs):
    async def go():
        return await getattr(app.models["PetService"], name)(*args, **kwargs)

    return anyio.run(go)


def test_each_operation_is_a_method_named_by_its_operation_id(app, remote, version):
    echoed = call(app, "showPetById", petId=7)
    assert echoed["path"] == "/echo/pets/7"
    listed = call(app, "listPets", 5, "cat")  # positional, in the order of the parameters
    assert {k: v for k, v in listed["query"].items() if k != "api_key"} == {"limit": ["5"], "kind": ["cat"]}
    # an operationId that is not an identifier becomes its camelCase, as LoopBack's connector did
    created = (
        call(app, "createPet", pet={"name": "Rex", "born": "2020-01-02"})
        if version == 2
        else call(app, "createPet", body={"name": "Rex", "born": "2020-01-02"})
    )
    assert json.loads(created["body"]) == {"name": "Rex", "born": "2020-01-02"}


def test_credentials_go_as_the_security_scheme_says(app, remote, version):
    call(app, "listPets")
    sent = remote.requests[-1]
    if version == 3:
        assert sent["headers"]["x-api-key"] == "key-123"
        call(app, "createPet", body={"name": "Rex"})  # this operation requires the bearer token
        assert remote.requests[-1]["headers"]["authorization"] == "Bearer tok-456"
        assert "x-api-key" not in remote.requests[-1]["headers"]
    else:
        assert sent["query"]["api_key"] == ["key-123"]


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("listPets", {"limit": 500}, "`limit` 500 is greater than the maximum of 100"),
        ("listPets", {"kind": "fish"}, "`kind` 'fish' is not one of ['cat', 'dog']"),
        ("listPets", {"limit": "many"}, "`limit` 'many' is not of type 'integer'"),
        ("showPetById", {}, "`petId` is required (path)"),
    ],
)
def test_bad_arguments_are_a_400_and_nothing_is_sent(app, remote, name, kwargs, message):
    before = len(remote.requests)
    with pytest.raises(BadRequestError) as caught:
        call(app, name, **kwargs)
    assert message in caught.value.message
    assert caught.value.message.startswith(f"{name}: ")
    assert len(remote.requests) == before


def test_a_body_is_checked_against_its_schema(app, remote, version):
    arg = "pet" if version == 2 else "body"
    before = len(remote.requests)
    with pytest.raises(BadRequestError) as caught:
        call(app, "createPet", **{arg: {"name": "", "born": "yesterday", "id": "x"}})
    message = caught.value.message
    assert (
        "name: '' should be non-empty" in message
        and "'yesterday' is not a 'date'" in message
        and "'x' is not of type 'integer'" in message
    )
    with pytest.raises(BadRequestError, match="'name' is a required property"):
        call(app, "createPet", **{arg: {"tag": "x"}})
    assert len(remote.requests) == before


def test_operations_are_remote_methods_on_the_paths_of_the_document(app, remote, version):
    with TestClient(app) as client:
        response = client.get("/api/PetServices/pets/3")
        assert response.status_code == 200 and response.json()["path"] == "/echo/pets/3"
        assert client.get("/api/PetServices/pets", params={"limit": 1000}).status_code == 400
        arg = "pet" if version == 2 else "body"
        created = client.post("/api/PetServices/pets", json={"name": "Rex"})
        assert created.status_code == 200, created.text
        assert json.loads(created.json()["body"]) == {"name": "Rex"}
        paths = client.get("/openapi.json").json()["paths"]
        assert "/PetServices/pets/{petId}" in paths and arg


def test_remote_methods_false_keeps_operations_off_the_rest_api(remote, tmp_path):
    app = make_app(tmp_path, remote, 3, remoteMethods=False)
    assert call(app, "showPetById", petId=1)["path"] == "/echo/pets/1"
    with TestClient(app) as client:
        assert client.get("/api/PetServices/pets/1").status_code == 404


@pytest.mark.parametrize(
    "spec, message",
    [
        ("missing.json", 'cannot read the spec "missing.json"'),
        ({"info": {}}, "is not an OpenAPI document"),
        (
            {
                "openapi": "3.0.0",
                "paths": {"/x": {"get": {"operationId": "x", "parameters": [{"$ref": "other.json#/p"}]}}},
            },
            "points to another document",
        ),
    ],
)
def test_unusable_documents_are_boot_errors(tmp_path, spec, message):
    root = write_app(
        tmp_path,
        {"S": {"base": "Model"}},
        datasources={"s": {"name": "s", "connector": "openapi", "spec": spec}},
        model_config={"S": {"dataSource": "s", "public": True}},
    )
    with pytest.raises(BootError, match=message):
        create_app(root)


def test_authorizations_must_name_schemes_of_the_document(remote, tmp_path):
    with pytest.raises(BootError, match=r'authorizations\.nope: the spec has no security scheme "nope"'):
        app = make_app(tmp_path, remote, 3, authorizations={"nope": "x"})
        call(app, "listPets")


def test_validate_checks_the_document_at_boot(remote, tmp_path):
    app = make_app(tmp_path / "good", remote, 3, validate=True)
    assert call(app, "showPetById", petId=2)["path"] == "/echo/pets/2"
    broken = petstore(3, remote.url)
    broken["paths"]["/pets"]["get"]["responses"] = "none"
    root = write_app(
        tmp_path / "bad",
        {"S": {"base": "Model"}},
        datasources={"s": {"name": "s", "connector": "openapi", "spec": broken, "validate": True}},
        model_config={"S": {"dataSource": "s", "public": True}},
    )
    with pytest.raises(BootError, match="is not a valid OpenAPI document"):
        create_app(root)


@pytest.mark.parametrize(
    "servers, said",
    [
        (
            [{"url": "/api"}],
            (
                'the spec\'s servers URL "/api" is relative and the spec was not read from a URL: set its baseURL '
                'in server/datasources.json, e.g. "https://api.example.com/api"'
            ),
        ),
        (
            [],
            'the spec names no server URL: set its baseURL in server/datasources.json, e.g. "https://api.example.com"',
        ),
    ],
)
def test_a_spec_whose_server_cannot_be_resolved_stops_the_boot_naming_base_url(tmp_path, servers, said):
    # before, the app booted and answered every operation with a 500
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": servers,
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}}}}},
    }
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "spec.json").write_text(json.dumps(spec))
    root = write_app(
        tmp_path,
        {"S": {"base": "Model"}},
        datasources={"s": {"name": "s", "connector": "openapi", "spec": "server/spec.json"}},
        model_config={"S": {"dataSource": "s", "public": True}},
    )
    with pytest.raises(BootError) as caught:
        create_app(root)
    assert str(caught.value) == f'model "S": datasource "s": {said}'
