"""The API documents over HTTP and the API explorer, as loopback-component-explorer mounted them.

``/openapi.json`` is always served. With ``loopback-component-explorer`` in
``server/component-config.json`` (``mountPath``, default ``/explorer``), the mount serves a
Swagger UI page, ``openapi.json``, LoopBack 3's ``swagger.json`` and ``config.json``. Every file
the page loads comes from the installed ``swagger-ui-bundle`` package or from lbpy itself, and its
Content-Security-Policy forbids anything else, so the explorer works with no network.
"""

from __future__ import annotations

import hashlib
import html
import json
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import HttpError
from .._version import __version__
from ._errors import error_body
from ._openapi import ApiDocuments

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ._invoke import RestApp
    from ._served import ServedApp

PAGE_DIR = Path(__file__).parent / "explorer"

#: the files of swagger-ui-bundle the page uses; its own index.html and initializer point at
#: petstore.swagger.io, so they are never served
SWAGGER_UI_FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-bundle.js.map",
    "swagger-ui.css",
    "swagger-ui.css.map",
    "favicon-16x16.png",
    "favicon-32x32.png",
)
PAGE_FILES = ("lbpy-explorer.js", "lbpy-explorer.css")

#: the page may load and call its own server only
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


def doc_routes(app: ServedApp, rest: RestApp) -> list[Any]:
    """The Starlette routes for the documents and, when configured, the explorer."""
    from starlette.routing import Route

    cors = rest.cors
    documents = ApiDocuments(app)
    routes = [Route("/openapi.json", _document(documents, "openapi", cors), methods=["GET"])]
    if not app.explorer_path:
        return routes
    mount = app.explorer_path.rstrip("/")
    page = _page_endpoint(documents)
    if mount:
        routes.append(Route(mount, _redirect_to_slash, methods=["GET"]))
    routes += [
        Route(f"{mount}/", page, methods=["GET"]),
        Route(f"{mount}/index.html", page, methods=["GET"]),
        Route(f"{mount}/openapi.json", _document(documents, "openapi", cors), methods=["GET"]),
        Route(f"{mount}/swagger.json", _document(documents, "swagger", cors), methods=["GET"]),
        Route(f"{mount}/config.json", _config, methods=["GET"]),
        Route(f"{mount}/{{name:path}}", _asset_endpoint(), methods=["GET"]),
    ]
    return routes


# ---------------------------------------------------------------------------------------------
# Documents


def _document(documents: ApiDocuments, kind: str, cors: bool) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        body = documents.body(kind)
        headers = {"cache-control": "no-cache", "etag": _etag(body)}
        if cors:
            # LoopBack's CORS middleware answered every route; tools fetch documents cross-origin
            headers.update({"vary": "Origin", "access-control-allow-credentials": "true"})
            origin = request.headers.get("origin")
            if origin:
                headers["access-control-allow-origin"] = origin
        return _cached_response(request, body, "application/json; charset=utf-8", headers)

    return endpoint


async def _config(request: Request) -> Response:
    """What loopback-component-explorer's page read to find its document."""
    from starlette.responses import JSONResponse

    here = request.url.path.rsplit("/", 1)[0]
    return JSONResponse({"url": f"{here}/swagger.json"})


# ---------------------------------------------------------------------------------------------
# The page


@dataclass
class _Page:
    key: tuple[Any, ...]
    body: bytes
    etag: str


def _page_endpoint(documents: ApiDocuments) -> Callable[..., Any]:
    built: list[_Page] = []

    async def endpoint(request: Request) -> Response:
        current = documents.current()
        if not built or built[0].key != current.key:
            body = render_page(current.openapi).encode("utf-8")
            built[:] = [_Page(current.key, body, _etag(body))]
        page = built[0]
        headers = {
            "cache-control": "no-cache",
            "etag": page.etag,
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
        }
        return _cached_response(request, page.body, "text/html; charset=utf-8", headers)

    return endpoint


def render_page(openapi: dict[str, Any]) -> str:
    """The explorer page for an app's OpenAPI document: its title, version and models."""
    info = openapi.get("info") or {}
    counts: dict[str, int] = {tag["name"]: 0 for tag in openapi.get("tags") or []}
    for operations in (openapi.get("paths") or {}).values():
        for operation in operations.values():
            for tag in operation.get("tags") or ():
                counts[tag] = counts.get(tag, 0) + 1
    if counts:
        models = "\n        ".join(
            f'<a class="lbpy-model" href="#/{html.escape(name)}" data-tag="{html.escape(name)}">'
            f'{html.escape(name)}<span class="lbpy-model-count" title="operations">{count}</span></a>'
            for name, count in counts.items()
        )
    else:
        models = '<span class="lbpy-empty">No public model yet: add one with <code>lbpy model</code>.</span>'
    config = json.dumps({"url": "openapi.json"}).replace("<", "\\u003c")
    servers = openapi.get("servers") or [{"url": "/"}]
    values = {
        "title": html.escape(str(info.get("title") or "LoopBack Application")),
        "version": html.escape(str(info.get("version") or "")),
        "api_root": html.escape(str(servers[0].get("url") or "/")),
        "models": models,
        "lbpy_version": html.escape(_lbpy_version()),
        "swagger_ui_version": html.escape(_swagger_ui_version()),
        "config": config,
    }
    text = (PAGE_DIR / "index.html").read_text("utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _lbpy_version() -> str:
    return __version__


def _swagger_ui_version() -> str:
    return _swagger_ui_dir().name.removeprefix("swagger-ui-")


def _swagger_ui_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


# ---------------------------------------------------------------------------------------------
# Static files


def _asset_endpoint() -> Callable[..., Any]:
    files: dict[str, Path] = {}

    def locate(name: str) -> Path | None:
        if not files:
            ui_dir = _swagger_ui_dir()
            files.update({f: ui_dir / f for f in SWAGGER_UI_FILES})
            files.update({f: PAGE_DIR / f for f in PAGE_FILES})
        path = files.get(name)
        return path if path is not None and path.is_file() else None

    async def endpoint(request: Request) -> Response:
        from starlette.responses import FileResponse

        name = request.path_params["name"]
        path = locate(name)
        if path is None:
            return _not_found(request)
        stat = path.stat()
        etag = f'W/"{stat.st_size:x}-{int(stat.st_mtime * 1000):x}"'
        if _fresh(request, etag):
            return _not_modified(etag)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type.endswith("javascript"):
            media_type += "; charset=utf-8"
        return FileResponse(
            path,
            media_type=media_type,
            stat_result=stat,
            headers={
                "cache-control": "public, max-age=0",
                "etag": etag,
                "x-content-type-options": "nosniff",
            },
        )

    return endpoint


def _not_found(request: Request) -> Response:
    from starlette.responses import Response

    error = HttpError(f"Cannot {request.method} {request.url.path}", status_code=404)
    status, body = error_body(error)
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json; charset=utf-8")


# ---------------------------------------------------------------------------------------------
# HTTP helpers


async def _redirect_to_slash(request: Request) -> Response:
    """``/explorer`` -> 301 ``/explorer/``, keeping the query string, as Express's static did."""
    from starlette.responses import RedirectResponse

    location = request.url.path + "/"
    if request.url.query:
        location += "?" + request.url.query
    return RedirectResponse(location, status_code=301)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:27] + '"'


def _fresh(request: Request, etag: str) -> bool:
    match = request.headers.get("if-none-match")
    if not match:
        return False
    return any(tag.strip() in (etag, "*") for tag in match.split(","))


def _not_modified(etag: str, headers: dict[str, Any] | None = None) -> Response:
    from starlette.responses import Response

    return Response(status_code=304, headers={**(headers or {}), "etag": etag})


def _cached_response(request: Request, body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    from starlette.responses import Response

    if _fresh(request, headers["etag"]):
        return _not_modified(headers["etag"], {k: v for k, v in headers.items() if k != "etag"})
    return Response(body, media_type=media_type, headers=headers)
