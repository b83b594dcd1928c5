"""GET /metrics: Prometheus text of requests by model, remote method and status, their
durations, SQL pools and change-stream clients; off by default, optionally behind a token."""

from __future__ import annotations

import re
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

NOTE = {"Note": {"properties": {"title": "string"}}}


def samples(text: str, name: str) -> dict[tuple, float]:
    """``name``'s samples in a scrape, by their labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_are_off_unless_enabled(make_client):
    assert make_client(NOTE).get("/metrics").status_code == 404


def test_requests_are_counted_by_model_method_and_status_never_by_path(make_client):
    client = make_client(NOTE, config={"metrics": {"enabled": True}})
    created = client.post("/api/Notes", json={"title": "a"}).json()
    for _ in range(3):
        assert client.get(f"/api/Notes/{created['id']}").status_code == 200
    assert client.get("/api/Notes/987654").status_code == 404
    client.patch(f"/api/Notes/{created['id']}", json={"title": "b"})
    client.get("/api/Nowhere/1")
    scrape = client.get("/metrics")
    assert scrape.status_code == 200 and scrape.headers["content-type"].startswith("text/plain")
    counts = samples(scrape.text, "lbpy_http_requests_total")
    assert counts[(("method", "findById"), ("model", "Note"), ("status", "200"))] == 3
    assert counts[(("method", "findById"), ("model", "Note"), ("status", "404"))] == 1
    assert counts[(("method", "create"), ("model", "Note"), ("status", "200"))] == 1
    assert counts[(("method", "prototype.patchAttributes"), ("model", "Note"), ("status", "200"))] == 1
    assert counts[(("method", ""), ("model", ""), ("status", "404"))] == 1
    assert "987654" not in scrape.text and "Nowhere" not in scrape.text
    durations = samples(scrape.text, "lbpy_http_request_duration_seconds_count")
    assert durations[(("method", "findById"), ("model", "Note"))] == 4
    # the operator's own paths are not counted
    assert not [labels for labels in counts if ("method", "") in labels and ("status", "200") in labels]


def test_a_token_protects_the_metrics(make_client):
    token = "a-long-metrics-token-1234"
    client = make_client(NOTE, config={"metrics": {"path": "/internal/metrics", "token": token}})
    refused = client.get("/internal/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert token not in refused.text
    assert client.get("/internal/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/internal/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_sql_pool_figures(make_client, tmp_path):
    datasources = {
        "db": {"name": "db", "connector": "sqlite", "file": str(tmp_path / "db.sqlite3"), "autoupdate": True}
    }
    client = make_client(NOTE, datasources=datasources, config={"metrics": True})
    client.post("/api/Notes", json={"title": "a"})
    text = client.get("/metrics").text
    assert samples(text, "lbpy_sql_pool_connections_max")[(("datasource", "db"),)] >= 1
    assert samples(text, "lbpy_sql_pool_connections_in_use")[(("datasource", "db"),)] == 0


def test_enabled_without_the_library_says_which_extra_to_install(tmp_path):
    from conftest import write_app

    root = write_app(tmp_path / "app", NOTE, config={"metrics": True})
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "from lbpy import create_app\n"
        "from lbpy._errors import BootError\n"
        f"try:\n    create_app({str(root)!r})\nexcept BootError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert re.fullmatch(r".*prometheus-client is not installed: pip install 'lbpy\[metrics\]'\n", out.stdout)
