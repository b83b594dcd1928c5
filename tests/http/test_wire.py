"""Requests lbpy.http writes to bytes itself are the bytes httpx writes for the same call, and a
request it cannot write so is left to httpx."""

from __future__ import annotations

import anyio
import httpx
import orjson
import pytest
from fake_remote import fake_remote

from lbpy import BadGatewayError
from lbpy.http import HttpClient, http_settings
from lbpy.http._client import _query
from lbpy.http._transport import _serialize
from lbpy.http._wire import Wire

CALLS = [
    ("GET", "/Model1s/3", None, None, {}),
    ("GET", "/Model1s", {"filter": {"where": {"name": "a b+c&d=é/?#", "n": {"gt": 1}}, "limit": 10}}, None, {}),
    ("GET", "/Model1s/count", {"where": {"tags": ["x", "y"]}, "flag": True, "skip": None}, None, {}),
    ("GET", "/things", {"id": [1, 2, "three"], "empty": ""}, None, {"X-Trace": "t-1"}),
    ("POST", "/Model1s", None, {"name": "ann", "n": 3}, {}),
    ("PATCH", "/Model1s/a%20b", None, {"name": "bob"}, {"user-agent": "mine", "Accept": "text/plain"}),
    ("DELETE", "/Model1s/7", None, None, {}),
    ("PUT", "/Model1s/7", None, {}, {}),
]
AUTHS = [
    None,
    {"type": "bearer", "token": "tok-1"},
    {"type": "basic", "username": "ann", "password": "pw"},
    {"type": "apiKey", "name": "X-Key", "value": "k-1"},
]


def bytes_of(wire, client, method, url, params, json, headers):
    send = dict(headers)
    content = None
    if json is not None:
        content = orjson.dumps(json)
        send.setdefault("Content-Type", "application/json")
    send.setdefault("Accept", "application/json")
    plain = wire.build(method, url, _query(params), content, send)
    request = client.build_request(method, url, params=_query(params), content=content, headers=send)
    if client.auth is not None:
        request = next(client.auth.sync_auth_flow(request))
    head, body, _ = anyio.run(_serialize, request, method.encode())
    return plain, head, body


@pytest.mark.parametrize("auth", AUTHS, ids=["none", "bearer", "basic", "apikey"])
@pytest.mark.parametrize("call", CALLS, ids=[f"{c[0]} {c[1]}" for c in CALLS])
def test_the_bytes_are_the_ones_httpx_writes(call, auth):
    settings = http_settings(
        {
            "name": "api",
            "baseURL": "http://127.0.0.1:8080/api",
            "headers": {"X-Team": "blue"},
            **({"auth": auth} if auth else {}),
        }
    )
    client = HttpClient(settings).client
    wire = Wire.for_client(settings.base_url, client.headers, settings.auth)
    plain, head, body = bytes_of(wire, client, *call)
    assert plain is not None
    assert plain.head == head
    assert plain.body == body


@pytest.mark.parametrize("url", ["http://elsewhere/x", "/x?q=1", "/a/../b", "/x y", "/é", "relative"])
def test_what_httpx_would_rewrite_is_left_to_httpx(url):
    wire = Wire.for_client("http://127.0.0.1:8080/api", httpx.Headers(), None)
    assert wire.build("GET", url, None, None, {"Accept": "application/json"}) is None


def test_auth_with_a_flow_or_a_query_key_is_left_to_httpx():
    for auth in (
        {"type": "apiKey", "in": "query", "name": "k", "value": "v"},
        {"type": "oauth2", "tokenUrl": "http://127.0.0.1:1/token", "clientId": "c", "clientSecret": "s"},
    ):
        settings = http_settings({"name": "api", "baseURL": "http://127.0.0.1:8080", "auth": auth})
        assert Wire.for_client(settings.base_url, httpx.Headers(), settings.auth) is None


def test_a_header_value_with_a_line_break_never_reaches_the_wire():
    with fake_remote() as remote:

        async def go():
            async with HttpClient(http_settings({"name": "api", "baseURL": remote.url, "retries": 0})) as client:
                with pytest.raises(BadGatewayError, match='datasource "api" could not be reached'):
                    await client.request("GET", "/echo", headers={"X-Evil": "a\r\nX-Injected: 1"})

        anyio.run(go)
        assert all("x-injected" not in r["headers"] for r in remote.requests)


def test_the_remote_sees_the_same_request_either_way():
    """Once written by lbpy.http, once built by httpx (an absolute URL makes it so)."""
    with fake_remote() as remote:

        async def go():
            settings = {"name": "api", "baseURL": remote.url, "auth": {"type": "bearer", "token": "tok-9"}}
            async with HttpClient(http_settings(settings)) as client:
                params = {"filter": {"where": {"name": "a b"}}}
                written = await client.json("POST", "/echo", params=params, json={"a": 1})
                built = await client.json("POST", remote.url + "/echo", params=params, json={"a": 1})
                return written, built

        written, built = anyio.run(go)
        assert written == built
        assert written["headers"]["authorization"] == "Bearer tok-9"
        assert written["query"] == {"filter": ['{"where":{"name":"a b"}}']}
