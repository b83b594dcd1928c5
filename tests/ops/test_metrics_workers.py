"""Metrics of ``lbpy start`` processes: one process, and ``--workers 2`` whose figures add up
in whichever worker answers the scrape (prometheus-client's multiprocess mode, in a folder lbpy
makes for the run and removes after it)."""

from __future__ import annotations

import httpx
from conftest import write_app
from lbpy_process import clean_env, lbpy_start
from ops.test_metrics import samples

NOTE = {"Note": {"properties": {"title": "string"}}}
FIND = (("method", "find"), ("model", "Note"), ("status", "200"))


def _scrape(url: str) -> str:
    answer = httpx.get(f"{url}/metrics")
    assert answer.status_code == 200
    return answer.text


def test_one_process_counts_requests_and_change_stream_clients(tmp_path):
    root = write_app(tmp_path / "app", NOTE, config={"metrics": True})
    with lbpy_start(root, "--port", "0") as server:
        for _ in range(5):
            httpx.get(f"{server.url}/api/Notes")
        with httpx.stream("GET", f"{server.url}/api/Notes/change-stream", timeout=10) as stream:
            chunks = stream.iter_bytes()  # kept: a dropped iterator would close the stream
            assert next(chunks) == b":ok\n\n"
            during = _scrape(server.url)
        after = _scrape(server.url)
    assert samples(during, "lbpy_http_requests_total")[FIND] == 5
    assert samples(during, "lbpy_change_stream_clients")[(("model", "Note"),)] == 1
    assert samples(after, "lbpy_change_stream_clients")[(("model", "Note"),)] == 0
    assert samples(after, "process_resident_memory_bytes")


def test_two_workers_add_up(tmp_path):
    root = write_app(tmp_path / "app", NOTE, config={"metrics": True})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with lbpy_start(root, "--port", "0", "--workers", "2", env=clean_env(TMPDIR=str(scratch))) as server:
        folders = list(scratch.glob("lbpy-metrics-*"))
        assert len(folders) == 1
        sent = 0
        # new connections until both workers have answered some (the kernel picks the worker)
        while len(list(folders[0].glob("counter_*.db"))) < 2 and sent < 400:
            assert httpx.get(f"{server.url}/api/Notes").status_code == 200
            sent += 1
        assert len(list(folders[0].glob("counter_*.db"))) == 2, "one worker answered every request"
        counts = [samples(_scrape(server.url), "lbpy_http_requests_total")[FIND] for _ in range(6)]
    assert counts == [sent] * 6
    assert not folders[0].exists()  # removed when lbpy start ended
