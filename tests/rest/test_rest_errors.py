"""Error bodies, request bodies LoopBack refuses, limits, CORS, and what a 500 shows."""

from __future__ import annotations

import logging

import pytest

NOTE = {"properties": {"title": {"type": "string", "required": True}, "content": "string"}}


@pytest.fixture
def api(make_client):
    return make_client({"Note": NOTE})


def post_raw(api, body: bytes, content_type: str | None = "application/json", path="/api/Notes"):
    headers = {"content-type": content_type} if content_type else {}
    return api.post(path, content=body, headers=headers)


def test_malformed_json_is_400_syntax_error(api):
    response = post_raw(api, b"{bad")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["name"] == "SyntaxError" and error["statusCode"] == 400
    assert "Malformed JSON" in error["message"]
    assert api.get("/api/Notes/count").json() == {"count": 0}


@pytest.mark.parametrize("body", [b'"hello"', b"5", b"true"])
def test_a_body_that_is_not_an_object_is_400(api, body):
    response = post_raw(api, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Value is not an object."


@pytest.mark.parametrize("verb", ["PUT", "PATCH"])
def test_an_array_body_on_an_instance_is_400(api, verb):
    api.post("/api/Notes", json={"title": "a"})
    response = api.request(verb, "/api/Notes/1", json=[{"title": "x"}])
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Value is not an object."


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"", None),
        (b'{"title":"plain"}', "text/plain"),
    ],
)
def test_bodies_that_carry_no_data_are_treated_as_empty(api, body, content_type):
    response = post_raw(api, body, content_type)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["codes"] == {"title": ["presence"]}


def test_urlencoded_bodies_are_read(api):
    response = post_raw(api, b"title=form&content=c", "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json() == {"title": "form", "content": "c", "id": 1}


def test_a_body_over_the_limit_is_413_and_stores_nothing(api):
    big = b'{"title":"' + b"x" * (101 * 1024) + b'"}'
    response = post_raw(api, big)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["name"] == "PayloadTooLargeError"
    assert error["message"].startswith("request entity too large")
    assert api.get("/api/Notes/count").json() == {"count": 0}


def test_the_limit_comes_from_config(make_client):
    api = make_client({"Note": NOTE}, config={"remoting": {"json": {"limit": "1kb"}}})
    assert post_raw(api, b'{"title":"' + b"x" * 2000 + b'"}').status_code == 413
    assert post_raw(api, b'{"title":"short"}').status_code == 200


def _boom(Note):
    @Note.observe("access")
    def fail(ctx):
        raise RuntimeError("secret database password in a message")


def test_an_unexpected_error_is_500_without_details(make_client, caplog, tmp_path):
    api = make_client({"Note": NOTE})
    model = api.app.models["Note"]
    _boom(model)
    with caplog.at_level(logging.ERROR, logger="lbpy"):
        response = api.get("/api/Notes")
    assert response.status_code == 500
    assert response.json() == {"error": {"statusCode": 500, "message": "Internal Server Error"}}
    assert "secret database password" in caplog.text


def test_debug_mode_shows_the_error_and_its_stack(make_client):
    api = make_client({"Note": NOTE}, config={"debug": True})
    _boom(api.app.models["Note"])
    error = api.get("/api/Notes").json()["error"]
    assert error["name"] == "RuntimeError"
    assert "secret database password" in error["message"]
    assert "Traceback" in error["stack"]


def test_client_errors_carry_no_stack_outside_debug_mode(api):
    assert "stack" not in api.get("/api/Notes/999").json()["error"]


def test_preflight_echoes_the_origin(api):
    response = api.options(
        "/api/Notes",
        headers={
            "Origin": "http://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Custom",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://example.com"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.headers["access-control-allow-headers"] == "Content-Type, X-Custom"
    assert response.headers["access-control-max-age"] == "86400"
    assert response.content == b""


def test_responses_echo_the_origin_even_on_errors(api):
    ok = api.get("/api/Notes", headers={"Origin": "http://a.test"})
    assert ok.headers["access-control-allow-origin"] == "http://a.test"
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in ok.headers["vary"]
    error = api.get("/api/Notes/999", headers={"Origin": "http://a.test"})
    assert error.headers["access-control-allow-origin"] == "http://a.test"
    plain = api.get("/api/Notes")
    assert "access-control-allow-origin" not in plain.headers


def test_options_without_an_origin_answers_204(api):
    response = api.options("/api/Notes")
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
