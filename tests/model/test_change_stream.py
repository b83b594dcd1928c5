"""``GET/POST /Models/change-stream``: server-sent events, read with a real streaming client from a
real server (LoopBack 3.28's format: ``:ok`` first, then ``event: data`` / ``data: {...}``)."""

from __future__ import annotations

import json
import signal
import threading
import time

import anyio
import httpx
import pytest
from conftest import write_app
from in_thread import serve_in_thread
from lbpy_process import clean_env, lbpy_start

from lbpy import create_app

NOTE = {"properties": {"title": "string", "vip": "boolean", "secret": "string"}, "hidden": ["secret"]}


@pytest.fixture
def server(tmp_path):
    """The app served by uvicorn in a thread: (base url, app)."""
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    with serve_in_thread(app) as url:
        yield url, app


class Stream:
    """One change stream read by an async httpx client; cancelling its task hangs up."""

    def __init__(self) -> None:
        self.text = ""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.opened = anyio.Event()
        #: set when more of the stream arrives (and replaced by a fresh one)
        self.arrived = anyio.Event()

    async def read(self, client: httpx.AsyncClient, url: str, method: str = "GET", **kwargs) -> None:
        async with client.stream(method, url, **kwargs) as response:
            self.status = response.status_code
            self.headers = dict(response.headers)
            async for chunk in response.aiter_raw():
                self.text += chunk.decode()
                self.opened.set()
                self.arrived.set()
                self.arrived = anyio.Event()

    async def events(self, count: int) -> list[dict]:
        """The stream's first ``count`` or more events, once they have arrived (within 5 s)."""
        with anyio.fail_after(5):
            while True:
                found = [
                    json.loads(line[len("data: ") :]) for line in self.text.splitlines() if line.startswith("data: ")
                ]
                if len(found) >= count:
                    return found
                await self.arrived.wait()


def streaming(test):
    """Run ``test(open_stream, api)`` in an event loop; ``open_stream(url, ...)`` starts reading a
    stream and returns it once it is open; every stream hangs up when the test returns."""

    def run(base: str):
        async def main():
            async with httpx.AsyncClient(base_url=base, timeout=None) as client, anyio.create_task_group() as tasks:

                async def open_stream(url: str, method: str = "GET", **kwargs) -> Stream:
                    stream = Stream()
                    tasks.start_soon(lambda: stream.read(client, url, method, **kwargs))
                    with anyio.fail_after(5):
                        await stream.opened.wait()
                    return stream

                await test(open_stream, client, tasks)
                tasks.cancel_scope.cancel()

        anyio.run(main)

    return run


def test_the_stream_opens_like_loopbacks(server):
    base, _ = server

    @streaming
    async def check(open_stream, api, tasks):
        stream = await open_stream("/api/Notes/change-stream")
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.headers["cache-control"] == "no-cache, no-transform"
        assert stream.headers["x-accel-buffering"] == "no"  # nginx passes each event on at once
        assert stream.text == ":ok\n\n"

    check(base)


def test_an_idle_stream_sends_a_heartbeat_comment_that_proxies_see_as_traffic(tmp_path):
    root = write_app(tmp_path / "app", {"Note": NOTE}, config={"http": {"streamHeartbeat": 100}})

    @streaming
    async def check(open_stream, api, tasks):
        stream = await open_stream("/api/Notes/change-stream")
        with anyio.fail_after(5):
            while stream.text.count(":\n\n") < 3:
                await stream.arrived.wait()
        assert stream.text.startswith(":ok\n\n:\n\n")
        await api.post("/api/Notes", json={"title": "after beats"})
        (created,) = await stream.events(1)
        assert created["data"]["title"] == "after beats"
        assert all(
            block in (":ok", ":", "") or block.startswith("event: data\ndata: ") for block in stream.text.split("\n\n")
        )

    with lbpy_start(root, "--port", "0") as server:
        check(server.url)


@pytest.mark.parametrize("value", [-1, "often", 1.5])
def test_a_wrong_heartbeat_stops_the_boot_naming_the_setting(tmp_path, value):
    from lbpy import BootError

    with pytest.raises(BootError, match="streamHeartbeat"):
        create_app(write_app(tmp_path / "app", {"Note": NOTE}, config={"http": {"streamHeartbeat": value}}))


def test_create_update_and_remove_events(server):
    base, _ = server

    @streaming
    async def check(open_stream, api, tasks):
        stream = await open_stream("/api/Notes/change-stream")
        await api.post("/api/Notes", json={"title": "cs", "vip": True, "secret": "s"})
        await api.patch("/api/Notes/1", json={"title": "p"})
        await api.post("/api/Notes/update", params={"where": '{"id":1}'}, json={"vip": False})
        await api.delete("/api/Notes/1")
        await api.post("/api/Notes", json={"title": "x"})
        await api.delete("/api/Notes/2")
        await api.post("/api/Notes", json={"title": "y", "vip": True})
        await api.post("/api/Notes/update", params={"where": '{"vip":true}'}, json={"title": "z"})
        assert await stream.events(8) == [
            {"target": 1, "data": {"title": "cs", "vip": True, "id": 1}, "type": "create"},
            {"target": 1, "data": {"title": "p", "vip": True, "id": 1}, "type": "update"},
            {"target": 1, "where": {"id": 1}, "data": {"vip": False}, "type": "update"},
            {"target": 1, "where": {"id": 1}, "type": "remove"},
            {"target": 2, "data": {"title": "x", "id": 2}, "type": "create"},
            {"target": 2, "where": {"id": 2}, "type": "remove"},
            {"target": 3, "data": {"title": "y", "vip": True, "id": 3}, "type": "create"},
            {"where": {"vip": True}, "data": {"title": "z"}, "type": "update"},  # no single target
        ]
        assert stream.text.split("\n\n")[1].startswith("event: data\ndata: {")

    check(base)


def test_a_where_in_the_options_filters_the_events(server):
    base, _ = server

    @streaming
    async def check(open_stream, api, tasks):
        vips = await open_stream("/api/Notes/change-stream", params={"options": '{"where": {"vip": true}}'})
        posted = await open_stream("/api/Notes/change-stream", "POST", data={"options": '{"where": {"title": "b"}}'})
        await api.post("/api/Notes", json={"title": "a", "vip": True})
        await api.post("/api/Notes", json={"title": "b", "vip": False})
        await api.post("/api/Notes", json={"title": "c", "vip": True})
        assert [e["data"]["title"] for e in await vips.events(2)] == ["a", "c"]
        assert [e["data"]["title"] for e in await posted.events(1)] == ["b"]

    check(base)


def test_a_bad_options_value_is_a_400(server):
    base, _ = server
    answer = httpx.get(base + "/api/Notes/change-stream", params={"options": "[1]"})
    assert answer.status_code == 400


def test_streams_do_not_block_other_requests_and_go_away_with_their_client(server):
    base, app = server
    Note = app.model("Note")

    @streaming
    async def check(open_stream, api, tasks):
        for _ in range(3):
            await open_stream("/api/Notes/change-stream")
        with anyio.fail_after(2):
            assert (await api.get("/api/Notes/count")).json() == {"count": 0}
        assert Note.listener_count() == 3

    check(base)  # returning hangs up every stream
    deadline = time.monotonic() + 5
    while Note.listener_count() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert Note.listener_count() == 0


def test_the_change_stream_is_documented_like_loopbacks(tmp_path):
    from lbpy._rest._openapi import swagger_document

    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    paths = swagger_document(app)["paths"]["/Notes/change-stream"]
    assert paths["get"]["operationId"] == "Note.createChangeStream__get_Notes_change-stream"
    assert paths["get"]["summary"] == "Create a change stream."
    assert paths["post"]["parameters"][0]["in"] == "formData"
    assert paths["get"]["responses"]["200"]["schema"] == {"type": "file"}


def test_change_streams_from_python(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")

    async def main():
        stream = Note.create_change_stream({"where": {"vip": True}})
        await Note.create({"title": "a", "vip": True})
        await Note.create({"title": "b"})
        change = await stream.__anext__()
        assert change == {"target": 1, "data": {"title": "a", "vip": True, "id": 1}, "type": "create"}
        stream.close()
        assert [c async for c in stream] == []
        assert Note.listener_count() == 0

    anyio.run(main)


def test_lbpy_start_stops_promptly_with_a_stream_open(tmp_path):
    root = write_app(tmp_path / "app", {"Note": NOTE})
    with lbpy_start(root, "--port", "0", env=clean_env(NO_COLOR="1")) as server:
        opened, ended = threading.Event(), threading.Event()

        async def read():
            async with httpx.AsyncClient(timeout=None) as client:
                stream = Stream()
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(stream.read, client, server.url + "/api/Notes/change-stream")
                    await stream.opened.wait()
                    opened.set()
            ended.set()  # the server closed the stream

        reader = threading.Thread(target=anyio.run, args=(read,), daemon=True)
        reader.start()
        assert opened.wait(10)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=10) == 0
        assert ended.wait(5)
