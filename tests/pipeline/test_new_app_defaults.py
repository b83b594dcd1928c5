"""A new app's server/middleware.json is safe by default: helmet's headers on, CORS for the app's own
origin only (never any origin with credentials), compression on, the explorer still working."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
from asgi_calls import call
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli


def test_a_new_app_answers_with_security_headers_and_an_origin_allowlist(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new-app", "demo", "--yes", "--template", "notes", "--datasource", "memory"])
    assert result.exit_code == 0, result.output
    app = create_app(tmp_path / "demo")

    async def run():
        try:
            return [
                await call(app, "GET", "/api/Notes", {"Origin": "http://localhost:3000", "Accept-Encoding": "gzip"}),
                await call(app, "GET", "/api/Notes", {"Origin": "https://evil.example"}),
                await call(
                    app,
                    "OPTIONS",
                    "/api/Notes",
                    {"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST"},
                ),
                await call(app, "GET", "/explorer/openapi.json", {"Accept-Encoding": "gzip"}),
                await call(app, "GET", "/favicon.ico"),
            ]
        finally:
            await app.stop()

    own, evil, preflight, document, icon = anyio.run(run)
    assert own.status == 200
    assert own.header("access-control-allow-origin") == "http://localhost:3000"
    assert own.header("x-frame-options") == "SAMEORIGIN"
    assert own.header("strict-transport-security") == "max-age=15552000; includeSubDomains"
    assert own.header("x-content-type-options") == "nosniff"
    assert own.header("referrer-policy") == "same-origin"
    assert evil.header("access-control-allow-origin") is None
    assert preflight.status == 204 and preflight.header("access-control-allow-origin") == "http://127.0.0.1:3000"
    assert document.header("content-encoding") == "gzip" and json.loads(document.body)["paths"]
    assert icon.status == 200 and icon.header("content-type") == "image/x-icon"
