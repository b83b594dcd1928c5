"""lbpy.http's HTTP/1.1 connections against a real server on a local port (tests/fake_remote.py):
keep-alive, bodies framed every way HTTP frames them, a remote that closes connections, timeouts,
refused connections, large bodies, TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess

import anyio
import pytest
from fake_remote import fake_remote

from lbpy import HttpError
from lbpy.http import HttpClient, http_settings


def client_for(url: str, **settings) -> HttpClient:
    return HttpClient(http_settings({"name": "api", "baseURL": url, "retries": 0, **settings}))


@pytest.fixture()
def remote():
    with fake_remote() as server:
        yield server


async def until(condition) -> None:
    """Wait (without a clock in the assertion) for the remote to have done something."""
    for _ in range(500):
        if condition():
            await anyio.sleep(0.05)  # and for this side's event loop to read the remote's close
            return
        await anyio.sleep(0.02)
    raise AssertionError("the remote never did it")


def test_requests_one_after_another_share_one_kept_alive_connection(remote):
    async def go():
        async with client_for(remote.url) as client:
            return [await client.json("GET", "/ok") for _ in range(5)]

    assert anyio.run(go) == [{"ok": True}] * 5
    assert remote.connections == 1


def test_concurrent_requests_open_connections_that_later_requests_reuse(remote):
    async def go():
        async with client_for(remote.url, maxConcurrency=4) as client:

            async def one():
                assert await client.json("GET", "/ok") == {"ok": True}

            for _ in range(3):
                async with anyio.create_task_group() as group:
                    for _ in range(8):
                        group.start_soon(one)

    anyio.run(go)
    assert 1 <= remote.connections <= 4


def test_a_chunked_answer_and_one_that_ends_with_the_connection_are_read_whole(remote):
    async def go():
        async with client_for(remote.url) as client:
            return (
                await client.json("GET", "/chunked"),
                await client.json("GET", "/until-close"),
                await client.json("GET", "/ok"),
            )

    chunked, until_close, after = anyio.run(go)
    assert chunked == {"items": list(range(50)), "text": "y" * 3000}
    assert until_close == {"ended": "by close"}
    assert after == {"ok": True}
    assert remote.connections == 2  # the body read until close took its connection with it


def test_connection_close_from_the_remote_is_honoured(remote):
    async def go():
        async with client_for(remote.url) as client:
            return await client.json("GET", "/close"), await client.json("GET", "/ok")

    assert anyio.run(go) == ({"closing": True}, {"ok": True})
    assert remote.connections == 2


def test_a_connection_the_remote_closed_while_idle_is_not_reused_even_for_a_post(remote):
    async def go():
        async with client_for(remote.url) as client:
            assert await client.json("GET", "/close-after") == {"ok": True}
            await until(lambda: remote.closed == 1)
            return await client.json("POST", "/length", json={"name": "ann"})

    assert anyio.run(go) == {"length": len(b'{"name":"ann"}')}
    assert remote.connections == 2


def test_a_get_on_a_kept_alive_connection_the_remote_dropped_is_sent_once_more_on_a_new_one(remote):
    async def go():
        async with client_for(remote.url) as client:  # retries: 0, so only the resend helps
            return await client.json("GET", "/stale"), await client.json("GET", "/stale")

    assert anyio.run(go) == ({"ok": True}, {"ok": True})
    assert remote.hits["/stale dropped"] == 1
    assert remote.connections == 2


def test_a_post_on_a_kept_alive_connection_the_remote_dropped_is_not_sent_again(remote):
    async def go():
        async with client_for(remote.url) as client:
            await client.json("POST", "/stale", json={"n": 1})
            with pytest.raises(HttpError) as caught:
                await client.json("POST", "/stale", json={"n": 2})
            return caught.value

    error = anyio.run(go)
    assert error.status_code == 502
    assert "the connection dropped before an answer came (POST /stale)" in str(error)
    assert remote.hits["/stale"] == 1 and remote.hits["/stale dropped"] == 1  # sent once only


@pytest.mark.parametrize("path", ["/slow/3", "/slow-body/3"])
def test_a_remote_slower_than_the_timeout_is_a_504_and_the_client_still_works(remote, path):
    async def go():
        async with client_for(remote.url, timeout=300) as client:
            with pytest.raises(HttpError) as caught:
                await client.json("GET", path)
            return caught.value, await client.json("GET", "/ok")

    error, after = anyio.run(go)
    assert error.status_code == 504 and "did not answer within 0.3 s" in str(error)
    assert after == {"ok": True}


def test_a_refused_connection_is_a_502_that_says_so():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there

    async def go():
        async with client_for(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(HttpError) as caught:
                await client.json("GET", "/ok")
            return caught.value

    error = anyio.run(go)
    assert error.status_code == 502
    assert "could not be reached: the connection failed (GET /ok)" in str(error)


def test_an_answer_that_is_not_http_is_a_502(remote):
    async def go():
        async with client_for(remote.url) as client:
            with pytest.raises(HttpError) as caught:
                await client.json("GET", "/garbage")
            return caught.value

    assert anyio.run(go).status_code == 502


def test_large_bodies_go_and_come_whole(remote):
    big = {"text": "é" * 1_500_000}

    async def go():
        async with client_for(remote.url) as client:
            return await client.json("POST", "/length", json=big), await client.json("GET", "/big/3000000")

    sent, received = anyio.run(go)
    assert sent == {"length": len(b'{"text":""}') + 3_000_000}
    assert received == "x" * 3_000_000


@pytest.mark.parametrize("path", ["/endless", "/big/300000", "/gzip/50000000"])
def test_an_answer_beyond_max_response_bytes_is_a_502_naming_the_setting(remote, path):
    # a body that never ends, a Content-Length beyond the bound, a small body that inflates beyond it
    async def go():
        async with client_for(remote.url, maxResponseBytes=200_000) as client:
            with anyio.fail_after(10), pytest.raises(HttpError) as caught:  # the endless body is not read on
                await client.json("GET", path)
            return caught.value, await client.json("GET", "/ok")

    error, after = anyio.run(go)
    assert error.status_code == 502 and error.code == "REMOTE_RESPONSE_TOO_LARGE"
    assert str(error) == (
        f'the remote API of datasource "api" answered more than 200000 bytes for GET {path}; '
        "if such answers are expected, raise the datasource's maxResponseBytes"
    )
    assert after == {"ok": True}  # the client still works


def test_max_response_bytes_defaults_to_ten_mebibytes(remote):
    async def go():
        async with client_for(remote.url) as client:
            assert len(await client.json("GET", f"/big/{10 * 2**20 - 2}")) == 10 * 2**20 - 2
            with pytest.raises(HttpError, match="maxResponseBytes"):
                await client.json("GET", f"/big/{10 * 2**20 - 1}")

    anyio.run(go)


def test_head_and_a_request_after_it(remote):
    async def go():
        async with client_for(remote.url) as client:
            head = await client.request("HEAD", "/ok")
            return head.status_code, head.content, await client.json("GET", "/ok")

    assert anyio.run(go) == (200, b"", {"ok": True})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def test_https_with_strict_ssl_off_talks_to_a_self_signed_remote(certificate):
    with fake_remote(tls=certificate) as remote:

        async def go():
            async with client_for(remote.url, strictSSL=False) as client:
                return [await client.json("GET", "/ok") for _ in range(3)]

        assert anyio.run(go) == [{"ok": True}] * 3
        assert remote.connections == 1


def test_https_refuses_a_certificate_that_does_not_verify(certificate):
    with fake_remote(tls=certificate) as remote:

        async def go():
            async with client_for(remote.url) as client:
                with pytest.raises(HttpError) as caught:
                    await client.json("GET", "/ok")
                return caught.value

        error = anyio.run(go)
        assert error.status_code == 502 and "the connection failed (GET /ok)" in str(error)
