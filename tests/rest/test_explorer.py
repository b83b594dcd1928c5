"""The API explorer: a Swagger UI page served from installed files, and the documents under it."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from browser import chromium_args, headless_page, needs_chromium
from conftest import write_app
from lbpy_process import lbpy_start

from lbpy._rest._openapi import openapi_document, swagger_document

NOTE = {"properties": {"title": {"type": "string", "required": True}, "content": {"type": "string"}}}
CUSTOMER = {"properties": {"name": {"type": "string", "required": True}, "born": {"type": "date"}}}


class _References(HTMLParser):
    """Every URL an HTML page loads or links to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data") and value:
                self.urls.append(value)


def references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.urls


# -- in process ------------------------------------------------------------------------------------


def test_page_names_the_app_and_its_models(make_client):
    client = make_client({"Note": NOTE, "Customer": CUSTOMER})
    response = client.get("/explorer/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert re.search(r"<title>app0 · API Explorer</title>", page)
    assert 'data-tag="Note"' in page and 'data-tag="Customer"' in page
    assert "<code>/api</code>" in page
    assert client.get("/explorer/index.html").text == page


def test_page_and_assets_load_nothing_from_the_network(make_client):
    client = make_client({"Note": NOTE})
    page = client.get("/explorer/")
    # the browser itself refuses anything but this server
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    urls = [u for u in references(page.text) if not u.startswith("#")]
    assert {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "lbpy-explorer.js",
        "lbpy-explorer.css",
        "openapi.json",
        "swagger.json",
    } <= set(urls)
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"the page references {url}"
        response = client.get(urljoin("http://testserver/explorer/", url))
        assert response.status_code == 200, url
    config = re.search(r'<script id="lbpy-explorer-config" type="application/json">(.*?)</script>', page.text)
    assert json.loads(config.group(1)) == {"url": "openapi.json"}
    for asset in ("lbpy-explorer.js", "lbpy-explorer.css"):
        assert not re.search(r"https?://", client.get(f"/explorer/{asset}").text)
    css = client.get("/explorer/swagger-ui.css").text
    assert all(url.strip("'\"").startswith("data:") for url in re.findall(r"url\(([^)]*)\)", css))


def test_assets_come_from_the_installed_swagger_ui_bundle(make_client):
    from swagger_ui_bundle import swagger_ui_path

    client = make_client({"Note": NOTE})
    bundle = client.get("/explorer/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.content == (Path(str(swagger_ui_path)) / "swagger-ui-bundle.js").read_bytes()
    again = client.get("/explorer/swagger-ui-bundle.js", headers={"if-none-match": bundle.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/explorer/swagger-ui.css").headers["content-type"] == "text/css; charset=utf-8"
    # swagger-ui's own page and initializer point at petstore.swagger.io: never served
    for name in ("swagger-initializer.js", "index.j2", "../__init__.py", "nope.js"):
        response = client.get(f"/explorer/{name}")
        assert response.status_code == 404, name
    assert client.get("/explorer/nope.js").json() == {
        "error": {"statusCode": 404, "name": "Error", "message": "Cannot GET /explorer/nope.js"}
    }


def test_documents_under_the_explorer(make_client):
    client = make_client({"Note": NOTE})
    swagger = client.get("/explorer/swagger.json")
    assert swagger.status_code == 200
    assert swagger.headers["content-type"] == "application/json; charset=utf-8"
    assert swagger.json() == swagger_document(client.app)
    assert swagger.json()["paths"]["/Notes"]["get"]["operationId"] == "Note.find"
    assert client.get("/explorer/openapi.json").json() == openapi_document(client.app)
    assert client.get("/openapi.json").content == client.get("/explorer/openapi.json").content
    assert client.get("/explorer/config.json").json() == {"url": "/explorer/swagger.json"}
    unchanged = client.get("/explorer/swagger.json", headers={"if-none-match": swagger.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content
    cross_origin = client.get("/openapi.json", headers={"origin": "http://editor.example"})
    assert cross_origin.headers["access-control-allow-origin"] == "http://editor.example"


def test_mount_path_without_slash_redirects(make_client):
    client = make_client({"Note": NOTE})
    response = client.get("/explorer", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/explorer/"
    response = client.get("/explorer?tag=Note", follow_redirects=False)
    assert response.headers["location"] == "/explorer/?tag=Note"
    assert client.get("/explorer").status_code == 200


def test_no_explorer_without_the_component(make_client):
    client = make_client({"Note": NOTE}, explorer=False)
    for path in ("/explorer", "/explorer/", "/explorer/swagger.json", "/explorer/swagger-ui-bundle.js"):
        assert client.get(path, follow_redirects=False).status_code == 404, path
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/api/Notes").json() == []


def test_mount_path_from_component_config(tmp_path):
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(tmp_path / "shop", {"Note": NOTE}, explorer=False)
    (root / "server" / "component-config.json").write_text(
        json.dumps({"loopback-component-explorer": {"mountPath": "/docs/"}})
    )
    with TestClient(create_app(root)) as client:
        assert client.get("/docs", follow_redirects=False).headers["location"] == "/docs/"
        assert "swagger-ui-bundle.js" in client.get("/docs/").text
        assert client.get("/docs/swagger.json").json()["basePath"] == "/api"
        assert client.get("/explorer/").status_code == 404


def test_page_without_public_models(make_client):
    client = make_client({})
    page = client.get("/explorer/").text
    assert "No public model yet" in page
    assert client.get("/openapi.json").json()["paths"] == {}


# -- in a browser, against a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """``lbpy start`` in a subprocess on a free port: yields its base URL."""
    root = write_app(tmp_path_factory.mktemp("live") / "notebook", {"Note": NOTE, "Customer": CUSTOMER})
    (root / "pyproject.toml").write_text('[project]\nname = "notebook"\nversion = "0.4.0"\n')
    with lbpy_start(root, "--port", "0") as server:
        yield server.url


@needs_chromium
def test_swagger_ui_renders_the_models_operations(live_app, tmp_path):
    result = subprocess.run(
        chromium_args(tmp_path / "profile") + ["--virtual-time-budget=15000", "--dump-dom", live_app + "/explorer/"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert "<title>notebook · API Explorer</title>" in dom, result.stderr[-2000:]
    # rendered by Swagger UI from openapi.json, not present in the served HTML
    assert 'class="swagger-ui"' in dom
    assert re.search(r'<h2 class="title">notebook.*0\.4\.0', dom)
    shown = re.findall(r'class="opblock-summary-operation-id">([^<]+)<', dom)
    assert {"Note.find", "Note.create", "Note.prototype.patchAttributes", "Customer.count"} <= set(shown)
    assert len(shown) == len(re.findall(r'class="opblock opblock-', dom)) == 36
    assert set(shown) == {
        op["operationId"]
        for item in httpx.get(live_app + "/openapi.json").json()["paths"].values()
        for op in item.values()
    }


@needs_chromium
def test_try_it_out_calls_the_live_api(live_app, tmp_path):
    """Click "Try it out" and "Execute" on POST /Notes as a user would; the note is created."""
    with headless_page(tmp_path / "profile") as session:
        session.call("Network.enable")
        session.call("Page.enable")
        session.call("Page.navigate", url=live_app + "/explorer/")
        outcome = session.evaluate(TRY_IT_OUT, timeout=60)
        requested = session.requested
    assert outcome == {"status": "200", "title": "written in the explorer"}, outcome
    notes = httpx.get(live_app + "/api/Notes").json()
    assert [n["title"] for n in notes] == ["written in the explorer"]
    assert requested and all(url.startswith((live_app, "data:")) for url in requested), requested


TRY_IT_OUT = """
(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function waitFor(find, what) {
    for (let i = 0; i < 400; i++) {
      const found = find();
      if (found) return found;
      await sleep(50);
    }
    throw new Error("timed out waiting for " + what);
  }
  const operation = await waitFor(() => Array.from(document.querySelectorAll(".opblock")).find(
    (block) => block.querySelector(".opblock-summary-operation-id")?.textContent === "Note.create"),
    "POST /Notes");
  (operation.querySelector(".opblock-summary-control") || operation.querySelector(".opblock-summary")).click();
  (await waitFor(() => operation.querySelector(".try-out__btn"), "Try it out")).click();
  const editor = await waitFor(() => operation.querySelector("textarea.body-param__text"), "the body editor");
  const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
  setValue.call(editor, JSON.stringify({title: "written in the explorer"}));
  editor.dispatchEvent(new Event("input", {bubbles: true}));
  await sleep(100);
  (await waitFor(() => operation.querySelector("button.execute"), "Execute")).click();
  const status = await waitFor(
    () => operation.querySelector(".live-responses-table tr.response .response-col_status"), "the response");
  const body = await waitFor(
    () => operation.querySelector(".live-responses-table tr.response .response-col_description pre"), "the body");
  return {status: status.textContent.trim(), title: JSON.parse(body.textContent).title};
})()
"""
