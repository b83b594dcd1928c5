"""A change stream stops when its caller may no longer read the model: after a logout, once the
token has expired, or once the role that let it read is taken away (LoopBack 3 went on sending
every change to whoever had once opened the stream). Each event is checked with the same cached
decision a request gets, so a stream costs no look-up per event."""

from __future__ import annotations

import copy
import json

import anyio
import httpx
import pytest
from auth_app import MODELS, PASSWORDS, write_auth_app
from in_thread import serve_in_thread

from lbpy import create_app

#: only admins read it; anyone authenticated adds to it
LEDGER = {
    "properties": {"entry": "string"},
    "acls": [
        {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
        {"principalType": "ROLE", "principalId": "admin", "permission": "ALLOW"},
        {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW", "property": "create"},
    ],
}


@pytest.fixture
def base(tmp_path, monkeypatch):
    """The auth test app (with a Ledger only admins may use, and RoleMapping public, so that an
    admin can take a role away over REST), served by uvicorn in a thread."""
    monkeypatch.setattr("auth_app.MODELS", {**copy.deepcopy(MODELS), "Ledger": LEDGER})
    root = write_auth_app(tmp_path / "app")
    config = json.loads((root / "server" / "model-config.json").read_text())
    config["RoleMapping"] = {"dataSource": "db", "public": True}
    (root / "server" / "model-config.json").write_text(json.dumps(config))
    with serve_in_thread(create_app(root)) as url:
        yield url


class Stream:
    def __init__(self) -> None:
        self.text = ""
        self.status = 0
        self.opened = anyio.Event()
        self.ended = anyio.Event()
        #: set when more of the stream arrives (and replaced by a fresh one)
        self.arrived = anyio.Event()

    async def read(self, client: httpx.AsyncClient, url: str, **kwargs) -> None:
        try:
            async with client.stream("GET", url, **kwargs) as response:
                self.status = response.status_code
                async for chunk in response.aiter_raw():
                    self.text += chunk.decode()
                    self.opened.set()
                    self.arrived.set()
                    self.arrived = anyio.Event()
        finally:
            self.opened.set()
            self.ended.set()

    def events(self) -> list[dict]:
        return [json.loads(line[len("data: ") :]) for line in self.text.splitlines() if line.startswith("data: ")]

    async def wait_for_events(self, count: int) -> list[dict]:
        with anyio.fail_after(10):
            while len(self.events()) < count:
                await self.arrived.wait()
        return self.events()


def run(base: str, test) -> None:
    async def main():
        async with httpx.AsyncClient(base_url=base, timeout=None) as client, anyio.create_task_group() as tasks:

            async def login(name: str, **extra) -> dict:
                answer = await client.post(
                    "/api/Accounts/login", json={"email": f"{name}@example.com", "password": PASSWORDS[name], **extra}
                )
                assert answer.status_code == 200
                return {"Authorization": answer.json()["id"]}

            async def open_stream(url: str, headers: dict) -> Stream:
                stream = Stream()
                tasks.start_soon(lambda: stream.read(client, url, headers=headers))
                with anyio.fail_after(10):
                    await stream.opened.wait()
                assert stream.status == 200
                return stream

            await test(client, login, open_stream)
            tasks.cancel_scope.cancel()

    anyio.run(main)


async def _ends_without(stream: Stream, client, writer: dict, path: str, body: dict, seen: int) -> None:
    assert (await client.post(path, json=body, headers=writer)).status_code == 200
    with anyio.fail_after(10):
        await stream.ended.wait()
    assert len(stream.events()) == seen


def test_a_logout_ends_the_stream(base):
    async def check(client, login, open_stream):
        ann, cat = await login("ann"), await login("cat")
        stream = await open_stream("/api/Notes/change-stream", ann)
        assert (await client.post("/api/Notes", json={"title": "one"}, headers=cat)).status_code == 200
        assert [e["data"]["title"] for e in await stream.wait_for_events(1)] == ["one"]
        assert (await client.post("/api/Accounts/logout", headers=ann)).status_code == 204
        await _ends_without(stream, client, cat, "/api/Notes", {"title": "two"}, 1)

    run(base, check)


def test_an_expired_token_ends_the_stream(base):
    async def check(client, login, open_stream):
        ann, cat = await login("ann", ttl=1), await login("cat")
        stream = await open_stream("/api/Notes/change-stream", ann)
        await anyio.sleep(1.2)  # the token's second is over
        await _ends_without(stream, client, cat, "/api/Notes", {"title": "late"}, 0)

    run(base, check)


def test_taking_the_role_away_ends_the_stream(base):
    async def check(client, login, open_stream):
        cat = await login("cat")
        stream = await open_stream("/api/Ledgers/change-stream", cat)
        assert (await client.post("/api/Ledgers", json={"entry": "a"}, headers=cat)).status_code == 200
        await stream.wait_for_events(1)
        mappings = (await client.get("/api/RoleMappings", headers=cat)).json()
        assert len(mappings) == 1
        assert (await client.delete(f"/api/RoleMappings/{mappings[0]['id']}", headers=cat)).status_code == 200
        # anyone authenticated adds entries; Cat, no longer an admin, does not see them
        await _ends_without(stream, client, await login("bob"), "/api/Ledgers", {"entry": "b"}, 1)

    run(base, check)
