"""lbpy.http's client against fakes of remote APIs (ASGI apps behind httpx's ASGI transport):
authentication, OAuth2 token renewal, paging, bounds, settings that cannot be used."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs

import anyio
import anyio.lowlevel
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from lbpy import BootError, HttpError
from lbpy.http import HttpClient, Paging, http_settings
from lbpy.http._bounds import RequestBounds


def client_for(app, **settings) -> HttpClient:
    return HttpClient(
        http_settings(
            {"name": "api", "baseURL": "http://remote/v1", "transport": httpx.ASGITransport(app=app), **settings}
        )
    )


def run(fn):
    return anyio.run(fn)


# -- authentication ---------------------------------------------------------------------------


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {"headers": dict(request.headers), "query": dict(request.query_params), "path": request.url.path}
    )


ECHO = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])


@pytest.mark.parametrize(
    "auth, header, query",
    [
        (
            {"type": "basic", "username": "ann", "password": "pw-123"},
            "Basic " + base64.b64encode(b"ann:pw-123").decode(),
            None,
        ),
        ({"user": "ann", "pass": "pw-123"}, "Basic " + base64.b64encode(b"ann:pw-123").decode(), None),
        ({"type": "bearer", "token": "tok-123"}, "Bearer tok-123", None),
        ({"bearer": "tok-123"}, "Bearer tok-123", None),
        ({"type": "apiKey", "in": "query", "name": "key", "value": "k-123"}, None, ("key", "k-123")),
    ],
)
def test_each_kind_of_credential_goes_where_it_should(auth, header, query):
    async def go():
        async with client_for(ECHO, auth=auth) as client:
            return await client.json("GET", "/items", params={"q": "x"})

    seen = run(go)
    assert seen["path"] == "/v1/items"
    assert seen["headers"].get("authorization") == header
    if query:
        assert seen["query"] == {"q": "x", query[0]: query[1]}


def test_an_api_key_header_and_default_headers_are_sent():
    async def go():
        async with client_for(
            ECHO, auth={"type": "apiKey", "name": "X-Key", "value": "k-123"}, headers={"X-Team": "blue"}
        ) as client:
            return await client.json("GET", "/items")

    headers = run(go)["headers"]
    assert headers["x-key"] == "k-123" and headers["x-team"] == "blue"


class TokenServer:
    """An OAuth2 token endpoint and an API that accepts only the newest token."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.issued = 0
        self.lifetime = lifetime
        self.revoked: set[str] = set()
        self.app = Starlette(routes=[Route("/token", self.token, methods=["POST"]), Route("/v1/{path:path}", self.api)])

    async def token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        expected = "Basic " + base64.b64encode(b"app:secret-xyz").decode()
        if request.headers.get("authorization") != expected or form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        self.issued += 1
        return JSONResponse(
            {
                "access_token": f"token-{self.issued}",
                "token_type": "bearer",
                "expires_in": self.lifetime,
                "scope": form.get("scope"),
            }
        )

    async def api(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token.startswith("token-") or token in self.revoked:
            return JSONResponse({"error": {"message": "expired"}}, status_code=401)
        return JSONResponse({"token": token})


OAUTH = {
    "type": "oauth2",
    "tokenUrl": "http://remote/token",
    "clientId": "app",
    "clientSecret": "secret-xyz",
    "scope": ["read", "write"],
}


def test_oauth2_client_credentials_fetch_one_token_for_many_requests():
    server = TokenServer()

    async def go():
        async with client_for(server.app, auth=OAUTH) as client:
            results = []

            async def one():
                results.append(await client.json("GET", "/items"))

            async with anyio.create_task_group() as group:
                for _ in range(5):
                    group.start_soon(one)
            return results

    assert run(go) == [{"token": "token-1"}] * 5
    assert server.issued == 1


def test_oauth2_renews_a_token_the_api_refuses_and_one_that_expires():
    server = TokenServer(lifetime=10)  # shorter than the 30 s lbpy renews early: every call renews

    async def go():
        async with client_for(server.app, auth={**OAUTH}) as client:
            first = await client.json("GET", "/items")
            second = await client.json("GET", "/items")
            server.revoked.add(second["token"])
            third = await client.json("GET", "/items")
            return first, second, third

    first, second, third = run(go)
    assert (first, second) == ({"token": "token-1"}, {"token": "token-2"})
    assert third["token"] not in server.revoked


def test_oauth2_refused_client_credentials_are_a_502_without_the_secret():
    server = TokenServer()

    async def go():
        async with client_for(server.app, auth={**OAUTH, "clientSecret": "wrong-secret"}) as client:
            await client.json("GET", "/items")

    with pytest.raises(HttpError) as caught:
        run(go)
    assert caught.value.status_code == 502
    assert "refused the client credentials (401)" in caught.value.message
    assert "wrong-secret" not in str(caught.value)


# -- paging -------------------------------------------------------------------------------------

RECORDS = [{"id": n} for n in range(1, 8)]


async def offset_page(request: Request) -> JSONResponse:
    q = request.query_params
    offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
    return JSONResponse({"data": RECORDS[offset : offset + limit]})


async def numbered_page(request: Request) -> JSONResponse:
    page, size = int(request.query_params["page"]), int(request.query_params["per_page"])
    return JSONResponse(RECORDS[(page - 1) * size : page * size])


async def cursor_page(request: Request) -> JSONResponse:
    start = int(request.query_params.get("cursor", 0))
    end = start + 3
    return JSONResponse({"items": RECORDS[start:end], "meta": {"next": str(end) if end < len(RECORDS) else None}})


async def link_page(request: Request) -> Response:
    page = int(request.query_params.get("page", 1))
    headers = {"Link": f'<http://remote/v1/linked?page={page + 1}>; rel="next"'} if page < 3 else {}
    return JSONResponse(RECORDS[(page - 1) * 3 : page * 3], headers=headers)


async def elsewhere(request: Request) -> Response:
    return JSONResponse([{"id": 1}], headers={"Link": '<https://evil.example/steal>; rel="next"'})


PAGED = Starlette(
    routes=[
        Route("/v1/offset", offset_page),
        Route("/v1/numbered", numbered_page),
        Route("/v1/cursor", cursor_page),
        Route("/v1/linked", link_page),
        Route("/v1/elsewhere", elsewhere),
    ]
)


@pytest.mark.parametrize(
    "path, paging",
    [
        ("/offset", {"type": "offset", "pageSize": 3, "itemsPath": "$.data"}),
        ("/numbered", {"type": "page", "pageSize": 2}),
        ("/cursor", {"type": "cursor", "nextCursorPath": "$.meta.next", "itemsPath": "$.items"}),
        ("/linked", {"type": "link"}),
    ],
)
def test_every_kind_of_paging_reads_the_whole_collection(path, paging):
    async def go():
        async with client_for(PAGED, paging=paging) as client:
            return [record async for page in client.pages(path) for record in page]

    assert run(go) == RECORDS


def test_a_next_link_to_another_host_is_not_followed():
    async def go():
        async with client_for(PAGED, paging={"type": "link"}) as client:
            return [page async for page in client.pages("/elsewhere")]

    with pytest.raises(HttpError) as caught:
        run(go)
    assert caught.value.status_code == 502
    assert "a next-page Link to another host" in caught.value.message


def test_paging_stops_after_max_pages():
    async def go():
        async with client_for(
            PAGED, paging={"type": "offset", "pageSize": 1, "maxPages": 2, "itemsPath": "$.data"}
        ) as client:
            return [record async for page in client.pages("/offset") for record in page]

    assert run(go) == RECORDS[:2]


# -- bounds ---------------------------------------------------------------------------------


def test_no_more_requests_than_max_concurrency_are_in_flight():
    state = {"now": 0, "most": 0}

    async def slow(request: Request) -> JSONResponse:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        await anyio.sleep(0.01)
        state["now"] -= 1
        return JSONResponse({})

    app = Starlette(routes=[Route("/v1/x", slow)])

    async def go():
        async with client_for(app, maxConcurrency=3) as client, anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(client.json, "GET", "/x")

    run(go)
    assert state["most"] == 3


def test_requests_cancelled_while_waiting_for_a_slot_give_no_slot_away():
    """A caller cancelled while it waits, or just as a slot was handed to it, leaves the bound
    whole: later requests still get every slot, one at a time."""
    bounds = RequestBounds(max_concurrency=1)
    state = {"now": 0, "most": 0, "done": 0}

    async def waiter(scope_box: list, entered: list) -> None:
        with anyio.CancelScope() as scope:
            scope_box.append(scope)
            async with bounds:
                entered.append(True)

    async def one() -> None:
        async with bounds:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            await anyio.lowlevel.checkpoint()
            state["now"] -= 1
            state["done"] += 1

    async def go():
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                entered: list = []
                early, handed = [], []
                async with bounds:
                    group.start_soon(waiter, early, entered)
                    group.start_soon(waiter, handed, entered)
                    for _ in range(5):
                        await anyio.lowlevel.checkpoint()  # both wait for the slot held here
                    early[0].cancel()  # cancelled while waiting
                    for _ in range(5):
                        await anyio.lowlevel.checkpoint()
                # the slot was handed to the second waiter on leaving; cancel it as it wakes
                handed[0].cancel()
            assert len(entered) <= 1  # the first never entered
            async with anyio.create_task_group() as group:
                for _ in range(6):
                    group.start_soon(one)

    run(go)
    assert state == {"now": 0, "most": 1, "done": 6}


def test_the_rate_bound_spaces_requests_after_a_burst(monkeypatch):
    """Requests beyond the burst wait 1/rate each; the clock is the test's, not the machine's."""
    clock = {"now": 1000.0}
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        clock["now"] += seconds

    monkeypatch.setattr(time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(anyio, "sleep", sleep)
    bounds = RequestBounds(rate=4, burst=2)

    async def go():
        for _ in range(5):
            async with bounds:
                pass

    run(go)
    assert waits == [0.25, 0.25, 0.25]  # two in the burst, then one every quarter second


@pytest.mark.parametrize("path", ["/big", "/streamed"])
def test_a_body_beyond_max_response_bytes_is_a_502_on_any_transport(path):
    async def big(request: Request) -> Response:
        return Response(b'"' + b"x" * 5000 + b'"', media_type="application/json")

    async def streamed(request: Request) -> StreamingResponse:
        return StreamingResponse(iter([b'"', b"x" * 3000, b"x" * 2000, b'"']), media_type="application/json")

    app = Starlette(routes=[Route("/v1/big", big), Route("/v1/streamed", streamed)])

    async def go():
        async with client_for(app, maxResponseBytes=4096) as client:
            with pytest.raises(HttpError) as caught:
                await client.json("GET", path)
            return caught.value

    error = run(go)
    assert error.status_code == 502 and "maxResponseBytes" in str(error)


# -- settings that cannot be used -------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"baseURL": "ftp://x"}, "baseURL must be an http(s) URL"),
        ({"timeout": "fast"}, "timeout must be a number"),
        ({"retries": 1.5}, "retries must be a whole number"),
        ({"auth": {"type": "magic"}}, 'auth type "magic" is not one of'),
        ({"auth": {"type": "bearer"}}, 'auth of type "bearer" needs "token"'),
        ({"auth": {"type": "apiKey", "value": "k", "in": "body"}}, 'auth.in must be "header", "query" or "cookie"'),
        (
            {"auth": {"type": "oauth2", "clientId": "a", "clientSecret": "b", "tokenUrl": "x"}},
            "auth.tokenUrl must be an http(s) URL",
        ),
        ({"paging": {"type": "cursor"}}, 'cursor paging needs "nextCursorPath"'),
        ({"paging": {"type": "offset", "itemsPath": "$[?(@.x)]"}}, "paging.itemsPath: JSONPath"),
        ({"headers": ["x"]}, '"headers" must be an object'),
        ({"maxResponseBytes": 0}, "maxResponseBytes must be a whole number of at least 1"),
    ],
)
def test_bad_settings_are_boot_errors_naming_the_datasource_and_setting(settings, message):
    with pytest.raises(BootError) as caught:
        http_settings({"name": "api", **settings})
    assert caught.value.args[0].startswith('datasource "api": ')
    assert message in caught.value.args[0]


def test_paging_defaults_to_none():
    assert not Paging.from_settings(None, where="x").enabled
