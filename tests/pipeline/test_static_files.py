"""Static files are served from their folder only: no way out of it (encoded ``..``, backslashes,
NUL, long or odd names), no dotfiles unless asked, and large files streamed in pieces."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from asgi_calls import call
from conftest import write_app

from lbpy import create_app


@pytest.fixture
def static_app(tmp_path: Path):
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": {"type": "string"}}}})
    middleware = {
        "routes": {"loopback#rest": {}},
        "files": {
            "loopback#static": {"params": "$!../client"},
            "serve-static": {"params": ["$!../public", {"dotfiles": "allow", "maxAge": "1d"}], "paths": ["/pub"]},
        },
        "final": {"loopback#urlNotFound": {}},
    }
    (root / "server" / "middleware.json").write_text(json.dumps(middleware))
    (root / "client").mkdir()
    (root / "client" / "index.html").write_text("<h1>home</h1>")
    (root / "client" / ".env").write_text("SECRET=1")
    (root / "public").mkdir()
    (root / "public" / ".well-known").mkdir()
    (root / "public" / ".well-known" / "security.txt").write_text("Contact: a@b.c")
    (root / "public" / "big.bin").write_bytes(b"\x01" * (1024 * 1024 + 17))
    (root / "secret.txt").write_text("outside the folder")
    return create_app(root)


def ask(app, path: str, headers: dict | None = None):
    async def run():
        try:
            return await call(app, "GET", path, headers)
        finally:
            await app.stop()

    return anyio.run(run)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/index.html%00",
        "/%00/../secret.txt",
        "/" + "a" * 5000,
        "/" + "/".join(["a"] * 600),
        "/.env",
        "/%2eenv",
        "/pub/../secret.txt",
        "/pub/%2e%2e/secret.txt",
    ],
)
def test_nothing_outside_the_folder_or_hidden_is_served(static_app, path: str) -> None:
    answer = ask(static_app, path)
    assert answer.status == 404
    assert b"outside the folder" not in answer.body and b"SECRET" not in answer.body


def test_dotfiles_allowed_where_the_entry_says_so_under_its_mount_path(static_app) -> None:
    answer = ask(static_app, "/pub/.well-known/security.txt")
    assert answer.status == 200 and answer.body == b"Contact: a@b.c"
    assert answer.header("cache-control") == "public, max-age=86400"


def test_a_large_file_is_streamed_in_pieces(static_app) -> None:
    answer = ask(static_app, "/pub/big.bin")
    assert answer.status == 200
    assert answer.header("content-length") == str(1024 * 1024 + 17)
    assert len(answer.chunks) >= 16, "read and sent 64 KiB at a time"
    assert answer.raw == b"\x01" * (1024 * 1024 + 17)


def test_a_range_of_a_large_file(static_app) -> None:
    answer = ask(static_app, "/pub/big.bin", {"Range": "bytes=1048576-"})
    assert answer.status == 206
    assert answer.header("content-range") == f"bytes 1048576-{1024 * 1024 + 16}/{1024 * 1024 + 17}"
    assert answer.raw == b"\x01" * 17
