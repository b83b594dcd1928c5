"""Rate limits per client address and per access token (``rateLimit`` in server/config.json):
429 with LoopBack's error body, Retry-After and the RateLimit-* headers; the operator's paths
uncounted; X-Forwarded-For believed only from proxies ``trust proxy`` names; counters in Redis
shared by every process."""

from __future__ import annotations

import secrets

import httpx
import pytest
from auth.auth_app import login, write_auth_app
from conftest import write_app
from lbpy_process import lbpy_start
from redis_support import REDIS_URL, needs_redis

NOTE = {"Note": {"properties": {"title": "string"}}}


def test_limits_are_off_by_default(make_client):
    client = make_client(NOTE)
    answers = [client.get("/api/Notes") for _ in range(5)]
    assert {a.status_code for a in answers} == {200} and "ratelimit-limit" not in answers[0].headers


def test_an_address_over_its_limit_is_answered_429(make_client):
    client = make_client(NOTE, config={"rateLimit": {"perAddress": "3/minute"}})
    for _ in range(5):
        assert client.get("/health").status_code == 200 and client.get("/ready").status_code == 200
    answers = [client.get("/api/Notes") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    refused = answers[-1]
    assert (
        1 <= int(refused.headers["retry-after"]) <= 60
        and refused.headers["ratelimit-reset"] == refused.headers["retry-after"]
    )
    assert refused.json() == {
        "error": {
            "statusCode": 429,
            "name": "Error",
            "code": "TOO_MANY_REQUESTS",
            "message": f"Too many requests: try again in {refused.headers['retry-after']} seconds",
        }
    }
    assert client.get("/explorer/").status_code == 429  # every path of the app counts but the operator's
    assert client.get("/health").status_code == 200


def test_a_valid_token_is_counted_by_itself_an_invented_one_by_its_address(make_client, tmp_path):
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_auth_app(tmp_path / "auth", config={"rateLimit": {"perAddress": "4/minute", "perToken": "6/minute"}})
    with TestClient(create_app(root)) as client:
        token = login(client, "ann")  # the login counts against the address: 1 of 4
        with_token = [client.get("/api/Notes", headers={"Authorization": token}) for _ in range(7)]
        assert [a.status_code for a in with_token] == [200] * 6 + [429]
        assert with_token[0].headers["ratelimit-limit"] == "6"
        invented = [
            client.get("/api/Notes/count", headers={"Authorization": secrets.token_urlsafe(48)}) for _ in range(4)
        ]
        assert [a.status_code for a in invented] == [401, 401, 401, 429]  # LoopBack's 401, then counted out
        assert invented[0].headers["ratelimit-limit"] == "4"


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(make_client):
    spoofed = make_client(NOTE, config={"rateLimit": {"perAddress": "2/minute"}})
    codes = [spoofed.get("/api/Notes", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # one client, whatever it claims
    behind = make_client(NOTE, config={"rateLimit": {"perAddress": "2/minute"}, "trust proxy": True})
    codes = [behind.get("/api/Notes", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 200]


@pytest.mark.parametrize("trust", [True, "loopback", 2])
@pytest.mark.parametrize("forwarded", ["bogus-{}", "203.0.113.7, not-an-ip-{}", "999.1.1.{}", "10.0.0.{}:8080"])
def test_a_malformed_forwarded_hop_is_never_the_client(tmp_path, trust, forwarded):
    # proxy-addr 2.0.7 (Express) answers "bogus" for "X-Forwarded-For: bogus"; lbpy counts only IP
    # addresses: a hop that is not one ends the chain, and the address that forwarded it is the client
    from starlette.testclient import TestClient

    from lbpy import create_app

    config = {"rateLimit": {"perAddress": "2/minute"}, "trust proxy": trust}
    root = write_app(tmp_path / "app", NOTE, config=config)
    with TestClient(create_app(root), client=("127.0.0.1", 50000)) as client:
        codes = [
            client.get("/api/Notes", headers={"X-Forwarded-For": forwarded.format(i)}).status_code for i in range(3)
        ]
    assert codes == [200, 200, 429]  # one client (the proxy on loopback), whatever the hops claim


@pytest.mark.parametrize(
    "config, word",
    [
        ({"perAddress": "lots"}, "perAddress"),
        ({"perAddress": "5/minute", "storage": "ftp://x"}, "storage"),
    ],
)
def test_a_bad_setting_stops_the_boot_naming_it(tmp_path, config, word):
    from lbpy import create_app
    from lbpy._errors import BootError

    root = write_app(tmp_path / "app", NOTE, config={"rateLimit": config})
    with pytest.raises(BootError, match=word):
        create_app(root)


def test_lbpy_start_ignores_forwarded_for_unless_trusted(tmp_path):
    root = write_app(tmp_path / "app", NOTE, config={"rateLimit": {"perAddress": "2/minute"}})
    with lbpy_start(root, "--port", "0") as server:
        codes = [
            httpx.get(f"{server.url}/api/Notes", headers={"X-Forwarded-For": f"10.1.1.{i}"}).status_code
            for i in range(3)
        ]
    assert codes == [200, 200, 429]


@needs_redis
def test_two_processes_count_together_in_redis(tmp_path):
    # each run counts a client address of its own (forwarded by a trusted proxy on loopback)
    client = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    limit = {"perAddress": "5 per 10 minutes", "storage": REDIS_URL}
    config = {"rateLimit": limit, "trust proxy": "loopback"}
    roots = [write_app(tmp_path / f"app{i}", NOTE, config=config) for i in range(2)]
    headers = {"X-Forwarded-For": client}
    with (
        lbpy_start(roots[0], "--port", "0") as one,
        lbpy_start(roots[1], "--port", "0") as two,
    ):
        codes = [
            httpx.get(f"{server.url}/api/Notes", headers=headers).status_code
            for server in (one, two, one, two, one, two)
        ]
    assert codes == [200, 200, 200, 200, 200, 429]
