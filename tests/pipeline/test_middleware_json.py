"""server/middleware.json as an app writes it: phases in LoopBack's order, ``enabled``, ``params``,
``paths``, ``$!`` paths, ``${restApiRoot}``, its ``.local`` and ``.<env>`` variants merged as
loopback-boot merged them, Python middleware by reference, and what a boot script adds with
``app.use`` and ``app.mount``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anyio
import pytest
from asgi_calls import call
from conftest import write_app

from lbpy import BootError, create_app


def app_with(tmp_path: Path, middleware: dict, *, files: dict[str, str] | None = None, **options) -> Path:
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": {"type": "string"}}}}, **options)
    (root / "server" / "middleware.json").write_text(json.dumps(middleware))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def ask(root: Path, *requests: tuple[str, str, dict]) -> list:
    app = create_app(root)

    async def run() -> list:
        try:
            return [await call(app, method, path, headers) for method, path, headers in requests]
        finally:
            await app.stop()

    return anyio.run(run)


def test_the_rest_api_explorer_and_documents_work_behind_every_phase(tmp_path: Path) -> None:
    root = app_with(
        tmp_path,
        {
            "initial": {
                "compression": {},
                "helmet": {},
                "cors": {"params": {"origin": ["http://localhost:3000"], "credentials": True}},
            },
            "routes": {"loopback#rest": {"paths": ["${restApiRoot}"]}},
            "final": {"loopback#urlNotFound": {}},
            "final:after": {"strong-error-handler": {}},
        },
    )
    notes, explorer, document, preflight, other = ask(
        root,
        ("GET", "/api/Notes", {}),
        ("GET", "/explorer/", {}),
        ("GET", "/explorer/openapi.json", {"Accept-Encoding": "gzip"}),
        ("OPTIONS", "/api/Notes", {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}),
        ("OPTIONS", "/api/Notes", {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}),
    )
    assert notes.status == 200 and json.loads(notes.body) == []
    assert notes.header("x-content-type-options") == "nosniff"
    assert explorer.status == 200 and b"<html" in explorer.body.lower()
    assert document.status == 200 and document.header("content-encoding") == "gzip"
    assert "/Notes" in json.loads(document.body)["paths"]
    assert preflight.status == 204
    assert preflight.header("access-control-allow-origin") == "http://localhost:3000"
    assert other.header("access-control-allow-origin") is None


def test_without_a_cors_entry_no_origin_is_echoed(tmp_path: Path) -> None:
    root = app_with(tmp_path, {"routes": {"loopback#rest": {}}})
    (answer,) = ask(root, ("GET", "/api/Notes", {"Origin": "http://evil.example"}))
    assert answer.status == 200
    assert answer.header("access-control-allow-origin") is None
    assert answer.header("access-control-allow-credentials") is None


def test_variants_merge_over_the_main_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBPY_ENV", "staging")
    root = app_with(
        tmp_path,
        {"initial": {"helmet#frameguard": {"params": {"action": "deny"}}, "helmet#noSniff": {}}},
        files={
            "server/middleware.local.json": json.dumps({"initial": {"helmet#noSniff": {"enabled": False}}}),
            "server/middleware.staging.json": json.dumps(
                {"initial": {"helmet#frameguard": {"params": {"action": "sameorigin"}}}}
            ),
        },
    )
    (answer,) = ask(root, ("GET", "/api/Notes", {}))
    assert answer.header("x-frame-options") == "SAMEORIGIN"
    assert answer.header("x-content-type-options") is None


def test_a_variant_may_only_change_what_the_main_file_names(tmp_path: Path) -> None:
    root = app_with(
        tmp_path,
        {"initial": {"helmet#noSniff": {}}},
        files={"server/middleware.local.json": json.dumps({"initial": {"compression": {}}})},
    )
    with pytest.raises(
        BootError,
        match=r'local.json: the middleware "compression" in phase "initial" is not in server/middleware.json',
    ):
        create_app(root)


@pytest.mark.parametrize(
    ("middleware", "message"),
    [
        ({"initial": []}, r'the phase "initial" must be an object'),
        ({"initial:during": {}}, r'"initial:during" is not a phase'),
        ({"initial": {"cors": {"paths": 5}}}, r'"paths" must be a path or a list of paths'),
        ({"files": {"loopback#static": {"params": "$!../nowhere"}}}, r"is not a folder"),
        ({"files": {"loopback#static": {}}}, r"name the folder to serve"),
        ({"initial": {"compression": {"params": {"threshold": "lots"}}}}, r'"lots" is not a size'),
        ({"initial": {"./server/middleware/missing.py:factory": {}}}, r"missing.py does not exist"),
        ({"initial": {"no_such_module_xyz:factory": {}}}, r"cannot import no_such_module_xyz"),
        ([1, 2], r"must hold a JSON object"),
    ],
)
def test_a_bad_file_stops_the_boot_with_one_line_naming_it(tmp_path: Path, middleware, message: str) -> None:
    root = app_with(tmp_path, middleware)
    with pytest.raises(BootError, match=message) as caught:
        create_app(root)
    assert "\n" not in str(caught.value)


def test_an_unknown_entry_is_one_warning_and_the_rest_runs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = app_with(tmp_path, {"initial": {"morgan": {"params": "dev"}, "helmet#noSniff": {}}})
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        (answer,) = ask(root, ("GET", "/api/Notes", {}))
    warnings = [r.getMessage() for r in caplog.records if "morgan" in r.getMessage()]
    assert len(warnings) == 1 and "no middleware named 'morgan'" in warnings[0]
    assert answer.status == 200 and answer.header("x-content-type-options") == "nosniff"


AUDIT = """
def factory(app, header="x-audit", value="yes"):
    async def audit(scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (header.encode(), value.encode())]
            await send(message)
        await app(scope, receive, sending)
    return audit
"""


def test_python_middleware_by_reference_in_a_phase_and_on_paths(tmp_path: Path) -> None:
    root = app_with(
        tmp_path,
        {"routes:before": {"./server/middleware/audit.py:factory": {"params": {"value": "seen"}, "paths": ["/api"]}}},
        files={"server/middleware/audit.py": AUDIT},
    )
    inside, outside = ask(root, ("GET", "/api/Notes", {}), ("GET", "/explorer/", {}))
    assert inside.header("x-audit") == "seen"
    assert outside.header("x-audit") is None


BOOT = """
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router


def stamp(app, name):
    async def stamped(scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-stamp", name.encode())]
            await send(message)
        await app(scope, receive, sending)
    return stamped


async def hello(request):
    return PlainTextResponse("hello from " + request.scope["root_path"])


def boot(app):
    app.use(stamp, phase="initial", name="boot")
    app.mount("/reports", Router(routes=[Route("/hello", hello)]))
"""


def test_a_boot_script_adds_middleware_and_mounts_an_asgi_app(tmp_path: Path) -> None:
    root = app_with(tmp_path, {"routes": {"loopback#rest": {}}}, files={"server/boot/extend.py": BOOT})
    app = create_app(root)

    async def run():
        try:
            await app.start()
            return [await call(app, "GET", path) for path in ("/reports/hello", "/api/Notes", "/nowhere")]
        finally:
            await app.stop()

    mounted, rest, missing = anyio.run(run)
    assert mounted.status == 200 and mounted.body == b"hello from /reports"
    assert mounted.header("x-stamp") == "boot"
    assert rest.status == 200 and rest.header("x-stamp") == "boot"
    assert missing.status == 404 and json.loads(missing.body)["error"]["message"] == "Cannot GET /nowhere"


def test_use_and_mount_work_without_middleware_json(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": {"type": "string"}}}})
    (root / "server" / "boot").mkdir()
    (root / "server" / "boot" / "extend.py").write_text(BOOT)
    app = create_app(root)

    async def run():
        try:
            await app.start()
            return [await call(app, "GET", path) for path in ("/reports/hello", "/api/Notes", "/")]
        finally:
            await app.stop()

    mounted, rest, status = anyio.run(run)
    assert mounted.body == b"hello from /reports" and rest.status == 200 and status.status == 200


def test_a_boot_script_naming_an_unknown_phase_is_told_the_phases(tmp_path: Path) -> None:
    root = app_with(
        tmp_path,
        {"routes": {"loopback#rest": {}}},
        files={"server/boot/bad.py": "def boot(app):\n    app.use(lambda a: a, phase='middle')\n"},
    )
    app = create_app(root)
    with pytest.raises(BootError, match=r"unknown phase 'middle'; the phases are initial, session"):
        anyio.run(app.start)
