"""The rest connector's rate bound (``rateLimit`` requests per second, ``rateBurst``) across
processes: counted in Redis when the datasource's ``rateLimitStorage`` or the app's
``rateLimit.storage`` names Redis, so that every process of the app together keeps the remote's
quota; each process for itself otherwise (the bound's own tests: tests/http/test_client.py). Two app
instances call one real remote (tests/fake_remote.py), which notes when each request arrived."""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path

import pytest
from conftest import write_app
from fake_remote import fake_remote
from starlette.testclient import TestClient

from lbpy import BootError, create_app

REDIS = "redis://127.0.0.1:6379/0"


def _redis_unreachable() -> str | None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError as exc:
        return f"Redis is not reachable at 127.0.0.1:6379 ({exc}); start it to test the shared bound"
    return None


needs_redis = pytest.mark.skipif(_redis_unreachable() is not None, reason=_redis_unreachable() or "")


def rest_app(root: Path, url: str, name: str, *, datasource: dict | None = None, config: dict | None = None) -> Path:
    settings = {
        "name": name,
        "connector": "rest",
        "baseURL": url,
        "rateLimit": 2,  # 2 requests a second, 2 at once after a quiet spell
        "rateBurst": 2,
        "operations": [{"template": {"method": "GET", "url": "/ok"}, "functions": {"ping": []}}],
        **(datasource or {}),
    }
    return write_app(
        root,
        {"Remote": {"base": "Model"}},
        datasources={name: settings},
        model_config={"Remote": {"dataSource": name, "public": True}},
        config=config,
    )


def call_from_both(roots: list[Path], calls: int) -> list[int]:
    """``calls`` requests from each of two app instances at once; their answers' statuses."""
    statuses: list[int] = []
    with TestClient(create_app(roots[0])) as one, TestClient(create_app(roots[1])) as two:

        def run(client: TestClient) -> None:
            for _ in range(calls):
                statuses.append(client.get("/api/Remotes/ping").status_code)

        threads = [threading.Thread(target=run, args=(client,)) for client in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    return statuses


def busiest_half_second(arrivals: list[float]) -> int:
    """The most requests the remote received within any half second (the bound's windows are a
    second long: half a second leaves room for the requests' own time on the way)."""
    arrivals = sorted(arrivals)
    return max(sum(1 for t in arrivals if start <= t < start + 0.5) for start in arrivals)


@needs_redis
@pytest.mark.parametrize("declared", ["datasource", "app"])
def test_two_app_instances_share_the_rate_bound_through_redis(tmp_path, declared):
    name = f"api{secrets.token_hex(4)}"  # counters of a run of its own
    with fake_remote() as remote:
        if declared == "datasource":
            options = {"datasource": {"rateLimitStorage": REDIS}}
        else:  # the app's rate-limit storage, which the datasource follows
            options = {"config": {"rateLimit": {"storage": REDIS}}}
        roots = [rest_app(tmp_path / f"app{i}", remote.url, name, **options) for i in range(2)]
        assert call_from_both(roots, 3) == [200] * 6
        arrivals = [request["at"] for request in remote.requests]
    assert len(arrivals) == 6
    # both instances together: 2 a second (each for itself would send 4 at once, then 2)
    assert busiest_half_second(arrivals) <= 2
    assert max(arrivals) - min(arrivals) >= 1.5  # 6 requests at 2 a second: the last after 2 s


@pytest.mark.parametrize(
    "value, message",
    [
        ("ftp://x", 'rateLimitStorage must be "memory" or a Redis URL such as "redis://127.0.0.1:6379/0"'),
        (5, 'rateLimitStorage must be "memory" or a Redis URL'),
    ],
)
def test_a_wrong_storage_stops_the_boot_naming_the_setting(tmp_path, value, message):
    root = rest_app(tmp_path / "app", "http://127.0.0.1:9", "api", datasource={"rateLimitStorage": value})
    with pytest.raises(BootError) as caught:
        create_app(root)
    assert 'datasource "api"' in str(caught.value) and message in str(caught.value)


def test_a_redis_that_goes_away_leaves_each_process_its_own_bound(tmp_path, caplog):
    # nothing listens on port 9: the bound falls back to the process's own, with a warning
    with fake_remote() as remote:
        root = rest_app(tmp_path / "app", remote.url, "api", datasource={"rateLimitStorage": "redis://127.0.0.1:9/0"})
        with TestClient(create_app(root)) as client:
            assert [client.get("/api/Remotes/ping").status_code for _ in range(3)] == [200] * 3
        arrivals = [request["at"] for request in remote.requests]
    assert max(arrivals) - min(arrivals) >= 0.4  # the third waited for the process's own bound
    assert "rateLimitStorage" in caplog.text and "this process's own bound" in caplog.text
