"""The hop through the rest connector: an lbpy app whose model lives in another lbpy app,
against that remote app served directly, measured in one run.

    python bench/bench_http.py [--seconds 5] [--rounds 3] [--connections 32]

The remote is an lbpy app (memory connector, 100 rows) under ``lbpy start``; the hop is a second
lbpy app whose Model1 is on a ``rest`` datasource in CRUD mode pointing at the remote, also under
``lbpy start``. wrk (one thread, 32 connections) drives the remote directly and then the hop, in
turns, round after round; figures are medians. A request through the hop costs the remote's
work plus the hop's own (reading the request, the model layer, a pooled HTTP call, the answer),
on the same two cores. Target: through the hop, under 2x the direct call's latency.

The floor is what any hop costs on this machine: a bare Starlette app under uvicorn that forwards
each GET to the remote with an httpx client on lbpy.http's transport, and answers the remote's
bytes as they are (bench/floor_http_proxy.py; ``--floor-client httpx`` puts it on httpx's own pool).
The table shows the hop and the floor against the direct call, side by side, from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import free_port, get_json, require_wrk, server, table
from bench_rest import write_app

SCENARIOS = {
    "findById": "/api/Model1s/3",
    "find (limit 10)": '/api/Model1s?filter={"limit":10}',
    "find (where)": '/api/Model1s?filter={"where":{"n":{"gt":140}}}',
}


def write_hop(root: Path, remote: str, connections: int) -> None:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000},
        "server/datasources.json": {
            "remote": {
                "name": "remote",
                "connector": "rest",
                "crud": True,
                "baseURL": f"{remote}/api",
                "maxConcurrency": connections,
            }
        },
        "server/model-config.json": {"_meta": {"sources": ["../common/models"]}, "Model1": {"dataSource": "remote"}},
        "common/models/model1.json": {
            "name": "Model1",
            "base": "PersistedModel",
            "properties": {"name": {"type": "string", "required": True}, "content": "string", "n": "number"},
        },
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))


def wrk_run(url: str, seconds: float, connections: int) -> tuple[float, float]:
    """(requests per second, mean latency in ms)."""
    out = subprocess.run(
        [require_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"{url}: error responses during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out).groups()
    latency = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--floor-client", choices=("lbpy", "httpx"), default="lbpy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        remote_root, hop_root = Path(tmp) / "remote", Path(tmp) / "hop"
        write_app(remote_root, 100)
        remote_url = f"http://127.0.0.1:{free_port()}"
        hop_port = free_port()
        hop_url = f"http://127.0.0.1:{hop_port}"
        write_hop(hop_root, remote_url, args.connections)
        remote_cmd = [
            sys.executable,
            "-m",
            "lbpy",
            "start",
            "--app",
            str(remote_root),
            "--port",
            remote_url.rsplit(":", 1)[1],
        ]
        hop_cmd = [sys.executable, "-m", "lbpy", "start", "--app", str(hop_root), "--port", str(hop_port)]
        floor_port = free_port()
        floor_url = f"http://127.0.0.1:{floor_port}"
        floor_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "floor_http_proxy:app",
            "--port",
            str(floor_port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        floor_env = {
            "FLOOR_REMOTE": remote_url,
            "FLOOR_CONNECTIONS": str(args.connections),
            "FLOOR_CLIENT": args.floor_client,
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
        }
        with (
            server(remote_cmd, remote_url + "/api/Model1s/1"),
            server(hop_cmd, hop_url + "/api/Model1s/1"),
            server(floor_cmd, floor_url + "/api/Model1s/1", env=floor_env),
        ):
            urls = {"direct": remote_url, "hop": hop_url, "floor": floor_url}
            for name, path in SCENARIOS.items():
                if get_json(remote_url + path) != get_json(hop_url + path):
                    sys.exit(f"{name}: the hop answers other JSON than the remote; the comparison would be unfair")
            for path in SCENARIOS.values():  # warm up every side
                for base in urls.values():
                    wrk_run(base + path, 1, args.connections)
            rows = []
            for name, path in SCENARIOS.items():
                samples: dict[str, list[tuple[float, float]]] = {side: [] for side in urls}
                for _ in range(args.rounds):
                    for side, base in urls.items():
                        samples[side].append(wrk_run(base + path, args.seconds, args.connections))
                rps = {side: statistics.median(s[0] for s in runs) for side, runs in samples.items()}
                ms = {side: statistics.median(s[1] for s in runs) for side, runs in samples.items()}
                rows.append(
                    [
                        name,
                        f"{rps['direct']:,.0f}",
                        f"{ms['direct']:.2f}",
                        f"{rps['hop']:,.0f}",
                        f"{ms['hop']:.2f}",
                        f"{rps['floor']:,.0f}",
                        f"{ms['floor']:.2f}",
                        f"{ms['hop'] / ms['direct']:.2f}x",
                        f"{ms['floor'] / ms['direct']:.2f}x",
                    ]
                )
    print(
        f"rest connector hop and a bare forwarding proxy (floor) vs the remote served directly, "
        f"floor on {args.floor_client}'s client, wrk -t1 -c{args.connections}, "
        f"{args.rounds} rounds of {args.seconds:g}s (medians)"
    )
    print(
        table(
            rows,
            [
                "scenario",
                "direct req/s",
                "direct ms",
                "hop req/s",
                "hop ms",
                "floor req/s",
                "floor ms",
                "hop / direct",
                "floor / direct",
            ],
        )
    )


if __name__ == "__main__":
    main()
