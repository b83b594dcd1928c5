"""The API documents and the explorer of an app with access control: the OpenAPI 3 document
declares how a token is sent and which operations need one; in a real browser, the explorer's
Authorize control takes a token and "Try it out" sends it."""

from __future__ import annotations

import httpx
import pytest
from auth_app import write_auth_app
from browser import CHROMIUM, headless_page, needs_chromium
from lbpy_process import lbpy_start
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from lbpy import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = write_auth_app(tmp_path_factory.mktemp("docs") / "app")
    with TestClient(create_app(root)) as client:
        yield client


def operation(document, path, verb):
    return document["paths"][path][verb]


def test_openapi_declares_the_token_and_where_it_is_needed(client):
    document = client.get("/openapi.json").json()
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["AccessToken"] == {
        **schemes["AccessToken"],
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    needs = [{"AccessToken": []}, {"Bearer": []}]
    assert operation(document, "/Accounts", "get")["security"] == needs
    assert "401" in operation(document, "/Accounts", "get")["responses"]
    assert operation(document, "/Notes", "get")["security"] == needs
    # open to anonymous callers: a token is optional
    assert operation(document, "/Accounts/login", "post")["security"] == needs + [{}]
    assert operation(document, "/Accounts", "post")["security"] == needs + [{}]
    assert operation(document, "/Notes/ping", "get")["security"] == needs + [{}]
    assert operation(document, "/Items", "get")["security"] == needs + [{}]
    # the Swagger 2.0 document stays LoopBack's
    swagger = client.get("/explorer/swagger.json").json()
    assert "securityDefinitions" not in swagger and "security" not in swagger["paths"]["/Accounts"]["get"]


def test_no_security_without_access_control(make_client):
    plain = make_client({"Note": {"properties": {"title": "string"}}})
    document = plain.get("/openapi.json").json()
    assert "securitySchemes" not in document["components"]
    assert "security" not in document["paths"]["/Notes"]["get"]


_HELPERS = """
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function waitFor(find, what) {
    for (let i = 0; i < 400; i++) {
      const found = find();
      if (found) return found;
      await sleep(50);
    }
    throw new Error("timed out waiting for " + what);
  }
  const findOperation = () => Array.from(document.querySelectorAll(".opblock")).find(
    (block) => block.querySelector(".opblock-summary-operation-id")?.textContent === "Account.findById");
"""

# each step leaves the focus where the next keystrokes go (typed as a user types, through DevTools)
OPEN_AUTHORIZE = (
    "(async () => {"
    + _HELPERS
    + """
  (await waitFor(() => document.querySelector("button.authorize"), "the Authorize button")).click();
  const dialog = await waitFor(() => document.querySelector(".dialog-ux .modal-ux"), "the dialog");
  (await waitFor(() => dialog.querySelector("input"), "the token input")).focus();
  return true;
})()"""
)

AUTHORIZE_AND_OPEN = (
    "(async () => {"
    + _HELPERS
    + """
  const dialog = document.querySelector(".dialog-ux .modal-ux");
  (await waitFor(() => dialog.querySelector("button.modal-btn.auth.authorize"), "Authorize")).click();
  await sleep(200);
  (await waitFor(() => document.querySelector(".dialog-ux button.btn-done"), "Close")).click();
  const operation = await waitFor(findOperation, "GET /Accounts/{id}");
  (operation.querySelector(".opblock-summary-control") || operation.querySelector(".opblock-summary")).click();
  (await waitFor(() => operation.querySelector(".try-out__btn"), "Try it out")).click();
  // the inputs are disabled until Swagger UI has switched the operation to "try it out"
  const id = await waitFor(() => operation.querySelector('input[placeholder="id"]:not([disabled])'), "the id input");
  await sleep(200);
  id.click();
  id.focus();
  return true;
})()"""
)

EXECUTE = (
    "(async () => {"
    + _HELPERS
    + """
  const operation = findOperation();
  await waitFor(() => operation.querySelector('input[placeholder="id"]').value === "1", "the typed id");
  // the filter is left as Swagger UI fills it from the document's example ({})
  await sleep(1000);  // Swagger UI takes a parameter's value after a 300 ms debounce
  (await waitFor(() => operation.querySelector("button.execute"), "Execute")).click();
  const status = await waitFor(
    () => operation.querySelector(".live-responses-table tr.response .response-col_status"), "the response");
  const body = await waitFor(
    () => operation.querySelector(".live-responses-table tr.response .response-col_description pre"), "the body");
  const answer = JSON.parse(body.textContent);
  const url = operation.querySelector(".request-url pre")?.textContent;
  return answer.email ? {status: status.textContent.trim(), email: answer.email}
                      : {status: status.textContent.trim(), url: url, answer: answer};
})()"""
)


@needs_chromium
def test_authorize_in_the_explorer_then_try_it_out(tmp_path):
    root = write_auth_app(tmp_path / "live")
    with lbpy_start(root, "--port", "0") as server:
        token = httpx.post(
            server.url + "/api/Accounts/login", json={"email": "ann@example.com", "password": "ann-secret"}
        ).json()["id"]
        with headless_page(tmp_path / "profile") as session:
            session.call("Page.enable")
            session.call("Page.navigate", url=server.url + "/explorer/")
            session.evaluate(OPEN_AUTHORIZE, timeout=60)
            session.call("Input.insertText", text=token)
            session.evaluate(AUTHORIZE_AND_OPEN, timeout=60)
            session.call("Input.insertText", text="1")
            outcome = session.evaluate(EXECUTE, timeout=60)
    assert outcome == {"status": "200", "email": "ann@example.com"}, outcome
    assert CHROMIUM.exists()
