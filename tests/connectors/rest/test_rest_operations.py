"""The rest connector's template operations: each function is a model method and a remote
method (served over REST, described in the explorer), its placeholders filled as LoopBack's
connector filled them, the remote a real server (tests/fake_remote.py's /echo)."""

from __future__ import annotations

import json

import anyio
import pytest
from conftest import write_app
from fake_remote import fake_remote
from starlette.testclient import TestClient

from lbpy import BootError, create_app

OPERATIONS = [
    {
        "template": {
            "method": "GET",
            "url": "/echo/geocode",
            "query": {"address": "{street},{city},{zipcode}", "sensor": "{sensor=false}"},
            "responsePath": "$.query.address[0]",
        },
        "functions": {"geocode": ["street", "city", "zipcode"]},
    },
    {
        "template": {"method": "GET", "url": "/echo/users/{!id}/posts", "query": {"limit": "{limit=10:number}"}},
        "functions": {"posts": ["id", "limit"]},
    },
    {
        "template": {
            "method": "POST",
            "url": "/echo/things",
            "headers": {"X-Trace": "{trace}"},
            "body": {"name": "{!name}", "size": "{size:number}", "tags": "{tags:array}"},
            "fullResponse": True,
        },
        "functions": {"makeThing": ["name", "size", "tags", {"name": "trace", "source": "header"}]},
    },
]


@pytest.fixture(scope="module")
def remote():
    with fake_remote() as server:
        yield server


def app_with(root, remote, operations=OPERATIONS, model=None):
    datasource = {"name": "geo", "connector": "rest", "baseURL": remote.url, "operations": operations}
    return write_app(
        root,
        {"Geo": model or {"base": "Model"}},
        datasources={"geo": datasource},
        model_config={"Geo": {"dataSource": "geo", "public": True}},
    )


@pytest.fixture(scope="module")
def app(remote, tmp_path_factory):
    return create_app(app_with(tmp_path_factory.mktemp("geo"), remote))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_function_is_a_model_method_taking_positional_arguments(app, remote):
    async def go():
        return await app.models["Geo"].geocode("107 S B St", "San Mateo", "94401")

    assert anyio.run(go) == ["107 S B St,San Mateo,94401"]  # responsePath answers every match
    assert remote.requests[-1]["query"]["sensor"] == ["false"]  # {sensor=false}


def test_a_function_is_served_over_rest_where_loopback_served_it(client, remote):
    response = client.get("/api/Geos/geocode", params={"street": "1 Main St", "city": "X", "zipcode": "1"})
    assert response.status_code == 200
    assert response.json() == ["1 Main St,X,1"]
    posts = client.get("/api/Geos/posts/42", params={"limit": "5"})  # url placeholders: path params
    assert posts.status_code == 200
    assert posts.json()["path"] == "/echo/users/42/posts"
    assert posts.json()["query"] == {"limit": ["5"]}


def test_defaults_types_headers_and_the_body_are_filled_in(client):
    response = client.post(
        "/api/Geos/makeThing", json={"name": "box", "size": "3", "tags": ["a"]}, headers={"trace": "t-1"}
    )  # a header argument is read by its name
    assert response.status_code == 200
    full = response.json()  # fullResponse: the status, the headers and the body
    assert full["statusCode"] == 200 and full["headers"]["content-type"] == "application/json"
    echoed = full["body"]
    assert json.loads(echoed["body"]) == {"name": "box", "size": 3, "tags": ["a"]}
    assert echoed["headers"]["x-trace"] == "t-1"
    assert client.get("/api/Geos/posts/7").json()["query"] == {"limit": ["10"]}


def test_a_missing_required_argument_is_a_400_and_nothing_is_sent(client, remote):
    before = len(remote.requests)
    response = client.post("/api/Geos/makeThing", json={"size": 1})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "name is a required argument"
    bad = client.post("/api/Geos/makeThing", json={"name": "box", "size": "big"})
    assert bad.status_code == 400
    assert "size" in bad.json()["error"]["message"]
    assert len(remote.requests) == before


def test_a_url_argument_cannot_leave_its_path_segment(app, remote):
    async def go():
        return await app.models["Geo"].posts("../admin?x=1")

    assert anyio.run(go)["path"] == "/echo/users/..%2Fadmin%3Fx%3D1/posts"
    sent = remote.requests[-1]
    assert sent["path"] == "/echo/users/..%2Fadmin%3Fx%3D1/posts"
    assert sent["query"] == {"limit": ["10"]}


def test_the_explorer_describes_each_function(client):
    paths = client.get("/openapi.json").json()["paths"]
    geocode = paths["/Geos/geocode"]["get"]
    assert [p["name"] for p in geocode["parameters"]] == ["street", "city", "zipcode"]
    assert paths["/Geos/posts/{id}"]["get"]["parameters"][0]["required"] is True
    assert "post" in paths["/Geos/makeThing"]


def test_the_model_json_methods_entry_replaces_the_remote_declaration(remote, tmp_path):
    model = {
        "base": "Model",
        "methods": {
            "geocode": {
                "accepts": [
                    {"arg": "street", "type": "string"},
                    {"arg": "city", "type": "string"},
                    {"arg": "zipcode", "type": "string"},
                ],
                "returns": {"arg": "where", "type": "any", "root": True},
                "http": {"verb": "get", "path": "/lookup"},
            }
        },
    }
    with TestClient(create_app(app_with(tmp_path, remote, model=model))) as client:
        response = client.get("/api/Geos/lookup", params={"street": "a", "city": "b", "zipcode": "c"})
        assert response.json() == ["a,b,c"]
        assert client.get("/api/Geos/geocode").status_code == 404


@pytest.mark.parametrize(
    "operations, message",
    [
        ([{"functions": {"x": []}}], "the operation template is missing"),
        ([{"template": {"url": "http://{host}/x"}, "functions": {"x": ["host"]}}], "placeholder in its scheme or host"),
        ([{"template": {"url": "{base}/x"}, "functions": {"x": ["base"]}}], "starts with a placeholder"),
        ([{"template": {"url": "/x", "responsePath": "$[?(@.a)]"}, "functions": {"x": []}}], "responsePath"),
        ([{"template": {"url": "/x", "method": "FETCH"}, "functions": {"x": []}}], "is not an HTTP method"),
        ([{"template": {"url": "/x", "verb": "GET"}, "functions": {"x": []}}], "unknown keys verb"),
        ([{"template": {"url": "/x/{n:integer}"}, "functions": {"x": ["n"]}}], 'unknown type "integer"'),
        ([{"template": {"url": "/x"}, "functions": {"find": []}}], "would replace Geo.find"),
    ],
)
def test_unusable_operations_are_boot_errors(remote, tmp_path, operations, message):
    with pytest.raises(BootError, match=message.replace("$[?(@.a)]", "")):
        create_app(app_with(tmp_path, remote, operations=operations, model={"base": "PersistedModel"}))


def test_template_options_lbpy_cannot_honour_are_named_once_at_boot(remote, tmp_path, caplog):
    # loopback-connector-rest passed a template's "options" to the request library
    operations = [
        {
            "template": {
                "method": "GET",
                "url": "/echo/a",
                "options": {"headers": {"X-From-Options": "yes"}, "timeout": 5000, "proxy": "http://p:3128"},
            },
            "functions": {"a": []},
        },
        {
            "template": {
                "method": "GET",
                "url": "/echo/b",
                "headers": {"X-Own": "1"},
                "options": {
                    "headers": {"X-Lost": "1"},
                    "followRedirect": False,
                    "proxy": "http://p:3128",
                    "json": True,
                },
            },
            "functions": {"b": []},
        },
    ]
    with caplog.at_level("WARNING", logger="lbpy"):
        app = create_app(app_with(tmp_path, remote, operations=operations))
    warnings = [r.getMessage() for r in caplog.records if "options" in r.getMessage()]
    assert warnings == [
        (
            'datasource "geo": lbpy ignores these template options, which loopback-connector-rest passed to '
            "the request library: proxy (operations[0], operations[1]), headers (operations[1]: the template "
            "has headers of its own, which LoopBack sent instead), followRedirect (operations[1])"
        )
    ]
    with TestClient(app) as client:
        sent = client.get("/api/Geos/a").json()["headers"]
        assert sent["x-from-options"] == "yes"  # options.headers of a template without headers
        sent = client.get("/api/Geos/b").json()["headers"]
        assert sent["x-own"] == "1" and "x-lost" not in sent


def test_a_template_options_timeout_bounds_its_requests(remote, tmp_path):
    operations = [
        {
            "template": {"method": "GET", "url": "/slow/{seconds}", "options": {"timeout": 300}},
            "functions": {"slow": ["seconds"]},
        }
    ]
    with TestClient(create_app(app_with(tmp_path, remote, operations=operations))) as client:
        answer = client.get("/api/Geos/slow/2")  # the datasource's own timeout is 30 s
        assert answer.status_code == 504
        assert answer.json()["error"]["message"] == 'the remote API of datasource "geo" did not answer within 0.3 s'
        assert client.get("/api/Geos/slow/0.05").status_code == 200
