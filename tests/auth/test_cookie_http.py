"""The signed access-token cookie (``auth.cookie.secret``): HttpOnly and SameSite=Lax always, and
Secure when the request came over HTTPS, directly or through a proxy the server trusts
(``X-Forwarded-Proto`` from a proxy that server/config.json's ``trust proxy`` believes), so a
browser never sends the token over plain HTTP."""

from __future__ import annotations

import copy

import httpx
import pytest
from auth_app import write_auth_app
from lbpy_process import clean_env, lbpy_start
from starlette.testclient import TestClient

from lbpy import create_app

COOKIE = {"auth": {"cookie": {"secret": "a secret of some length"}}}
ANN = {"email": "ann@example.com", "password": "ann-secret"}


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0] for part in header.split(";")[1:]}


@pytest.mark.parametrize("base_url,secure", [("https://testserver", True), ("http://testserver", False)])
def test_the_cookie_is_secure_over_https(tmp_path, base_url, secure):
    root = write_auth_app(tmp_path / "app", config=copy.deepcopy(COOKIE))
    with TestClient(create_app(root), base_url=base_url) as client:
        login = client.post("/api/Accounts/login", json=ANN)
        assert login.status_code == 200
        assert _attributes(login.headers["set-cookie"]) >= {"HttpOnly", "SameSite", "Path", "Max-Age"}
        assert ("Secure" in _attributes(login.headers["set-cookie"])) is secure
        assert "SameSite=Lax" in login.headers["set-cookie"]
        logout = client.post("/api/Accounts/logout", headers={"Authorization": login.json()["id"]})
        assert logout.status_code == 204
        assert ("Secure" in _attributes(logout.headers["set-cookie"])) is secure


@pytest.mark.parametrize("trusted,secure", [("loopback", True), ("10.9.8.7", False), (None, False)])
def test_behind_a_proxy_the_forwarded_scheme_counts_when_the_proxy_is_trusted(tmp_path, trusted, secure):
    config = copy.deepcopy(COOKIE)
    if trusted is not None:
        config["trust proxy"] = trusted  # Express's setting, as server/config.json holds it
    root = write_auth_app(tmp_path / "app", config=config)
    with lbpy_start(root, "--port", "0", env=clean_env()) as server:
        login = httpx.post(
            server.url + "/api/Accounts/login",
            json=ANN,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"},
            timeout=10,
        )
        assert login.status_code == 200
        assert ("Secure" in _attributes(login.headers["set-cookie"])) is secure
