"""What an lbpy app answers its own client when the remote API behind a rest datasource
misbehaves: each fault is a real server doing it (tests/fake_remote.py), and each test reads the
answer the app's client gets."""

from __future__ import annotations

import logging

import pytest
from conftest import write_app
from fake_remote import fake_remote
from starlette.testclient import TestClient

from lbpy import create_app

SECRET = "s3cr3t-api-key-value"


@pytest.fixture(scope="module")
def remote():
    with fake_remote() as server:
        yield server


@pytest.fixture(scope="module")
def client(remote, tmp_path_factory):
    """An app whose Remote model has a rest datasource on the fake, with an API key."""
    datasource = {
        "name": "api",
        "connector": "rest",
        "baseURL": remote.url,
        "timeout": 500,
        "retries": 2,
        "retryBackoff": 5,
        "maxRetryWait": 2000,
        "maxResponseBytes": 100_000,
        "auth": {"type": "apiKey", "in": "query", "name": "api_key", "value": SECRET},
        "operations": [
            {"template": {"method": "GET", "url": "/{path}"}, "functions": {"fetch": ["path"]}},
            {"template": {"method": "GET", "url": "/status/{code}"}, "functions": {"status": ["code"]}},
            {
                "template": {"method": "GET", "url": "/retry-after/{seconds}/{times}"},
                "functions": {"limited": ["seconds", "times"]},
            },
            {"template": {"method": "GET", "url": "/slow/{seconds}"}, "functions": {"slow": ["seconds"]}},
            {
                "template": {"method": "POST", "url": "/drop", "body": {"name": "{name}"}},
                "functions": {"dropPost": ["name"]},
            },
        ],
    }
    root = write_app(
        tmp_path_factory.mktemp("faults"),
        {"Remote": {"base": "Model"}},
        datasources={"api": datasource},
        model_config={"Remote": {"dataSource": "api", "public": True}},
    )
    with TestClient(create_app(root), raise_server_exceptions=False) as test_client:
        yield test_client


def error(response) -> dict:
    return response.json()["error"]


def test_a_429_with_retry_after_is_waited_for_and_retried(client, remote):
    response = client.get("/api/Remotes/limited/1/1")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "attempt": 2}
    assert remote.hits["/retry-after/1/1"] == 2


def test_a_retry_after_longer_than_max_retry_wait_is_a_503_with_the_remote_retry_after(client, remote):
    response = client.get("/api/Remotes/limited/120/5")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert error(response)["code"] == "REMOTE_RATE_LIMITED"
    assert error(response)["details"] == {"remoteStatus": 429}
    assert remote.hits["/retry-after/120/5"] == 1  # not retried: the wait is the client's to decide


def test_a_503_is_retried_then_answered_502_with_the_remote_status(client, remote):
    response = client.get("/api/Remotes/fetch/unavailable")
    assert response.status_code == 502
    assert error(response)["details"] == {"remoteStatus": 503}
    assert 'datasource "api" failed: 503' in error(response)["message"]
    assert remote.hits["/unavailable"] == 3  # the first try and two retries


def test_a_response_slower_than_the_timeout_is_a_504(client, remote):
    response = client.get("/api/Remotes/slow/3")
    assert response.status_code == 504
    assert error(response)["code"] == "REMOTE_TIMEOUT"
    assert error(response)["message"] == 'the remote API of datasource "api" did not answer within 0.5 s'
    assert remote.hits["/slow/3"] == 1  # a slow server is not asked again


def test_a_dropped_connection_is_retried_for_a_get_then_answered_502(client, remote):
    response = client.get("/api/Remotes/fetch/drop")
    assert response.status_code == 502
    assert error(response)["code"] == "REMOTE_UNREACHABLE"
    assert "the connection dropped before an answer came (GET /drop)" in error(response)["message"]
    assert remote.hits["/drop"] == 3


def test_a_dropped_connection_is_not_retried_for_a_post(client, remote):
    before = remote.hits["/drop"]
    response = client.post("/api/Remotes/dropPost", json={"name": "x"})
    assert response.status_code == 502
    assert remote.hits["/drop"] == before + 1  # a POST may have been applied: never sent twice


def test_a_body_that_is_not_json_is_a_502_naming_it(client):
    response = client.get("/api/Remotes/fetch/malformed")
    assert response.status_code == 502
    assert error(response)["code"] == "REMOTE_MALFORMED_RESPONSE"
    assert "a body that is not JSON (application/json) for GET /malformed" in error(response)["message"]


def test_an_answer_beyond_max_response_bytes_is_a_502_naming_the_setting(client):
    response = client.get("/api/Remotes/fetch/endless")  # a body that never ends
    assert response.status_code == 502
    assert error(response)["code"] == "REMOTE_RESPONSE_TOO_LARGE"
    assert error(response)["message"] == (
        'the remote API of datasource "api" answered more than 100000 bytes for GET /endless; '
        "if such answers are expected, raise the datasource's maxResponseBytes"
    )
    assert client.get("/api/Remotes/fetch/ok").json() == {"ok": True}


@pytest.mark.parametrize(
    "status, expected, name",
    [
        (400, 400, "Error"),
        (404, 404, "Error"),
        (409, 409, "Error"),
        (422, 422, "ValidationError"),
        (500, 502, None),
        (401, 502, None),
    ],
)
def test_remote_errors_are_mapped_to_lbpy_errors(client, status, expected, name):
    response = client.get(f"/api/Remotes/status/{status}")
    assert response.status_code == expected
    if expected < 500:  # a 5xx answer carries no name outside debug mode, as in LoopBack
        assert error(response)["name"] == name
    if status < 500 and status != 401:
        assert error(response)["message"] == f"remote says {status}"
    if status == 422:
        assert error(response)["details"] == {
            "context": "Thing",
            "codes": {"name": ["presence"]},
            "messages": {"name": ["can't be blank"]},
        }
    if expected == 502:
        assert error(response)["details"] == {"remoteStatus": status}


def test_no_secret_reaches_an_answer_or_a_log_line(client, remote, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").info("HTTP Request: GET %s/ok?api_key=%s", remote.url, SECRET)
    assert "api_key=[redacted]" in caplog.text  # a line with a key in it is masked, whoever logs it
    answers = [
        client.get("/api/Remotes/fetch/unavailable"),
        client.get("/api/Remotes/fetch/drop"),
        client.get("/api/Remotes/slow/3"),
        client.get("/api/Remotes/fetch/ok"),
    ]
    assert remote.requests[-1]["query"]["api_key"] == [SECRET]  # the key did go to the remote
    assert all(SECRET not in a.text for a in answers)
    assert 'datasource "api": GET /ok -> 200' in caplog.text  # requests are logged, path only
    assert "retry 1 of 2" in caplog.text
    assert SECRET not in caplog.text


def one_operation_app(root, datasource, remote_model="Remote"):
    root = write_app(
        root,
        {remote_model: {"base": "Model"}},
        datasources={"api": {"name": "api", **datasource}},
        model_config={remote_model: {"dataSource": "api", "public": True}},
    )
    return TestClient(create_app(root), raise_server_exceptions=False)


def test_a_refused_connection_is_retried_then_answered_502(tmp_path):
    from lbpy_process import free_port

    datasource = {
        "connector": "rest",
        "baseURL": f"http://127.0.0.1:{free_port()}",
        "retries": 1,
        "retryBackoff": 1,
        "operations": [{"template": {"method": "GET", "url": "/things"}, "functions": {"things": []}}],
    }
    with one_operation_app(tmp_path, datasource) as client:
        response = client.get("/api/Remotes/things")
    assert response.status_code == 502
    assert error(response)["code"] == "REMOTE_UNREACHABLE"
    assert "could not be reached: the connection failed (GET /things)" in error(response)["message"]


def test_secrets_from_the_environment_and_the_template_are_sent_and_never_shown(tmp_path, remote, monkeypatch):
    monkeypatch.setenv("FAULTS_TOKEN", "env-token-9876")
    datasource = {
        "connector": "rest",
        "baseURL": remote.url,
        "retries": 0,
        "auth": {"type": "bearer", "token": "${FAULTS_TOKEN}"},
        "operations": [
            {
                "template": {"method": "GET", "url": "/status/{code}?key=literal-key-123"},
                "functions": {"status": ["code"]},
            }
        ],
    }
    with one_operation_app(tmp_path, datasource) as client:
        refused = client.get("/api/Remotes/status/401")
        failed = client.get("/api/Remotes/status/500")
        explorer = client.get("/openapi.json").text
    sent = remote.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer env-token-9876"
    assert sent["query"]["key"] == ["literal-key-123"]
    assert refused.status_code == failed.status_code == 502
    for text in (refused.text, failed.text, explorer):
        assert "env-token-9876" not in text and "literal-key-123" not in text
    assert "Calls the remote API: GET /status/{code}" in explorer
