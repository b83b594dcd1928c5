"""lbpy's REST runtime against a bare Starlette app serving the same JSON, measured in one run.

    python bench/bench_rest.py [--seconds 5] [--rounds 3]
    python bench/bench_rest.py --ops      # lbpy with metrics and the access log on, against off
    python bench/bench_rest.py --granian  # the same app under lbpy start (uvicorn) and under granian

Both servers run under uvicorn (one process each, uvloop + httptools, no access log) on this
machine, and wrk (one thread, 32 connections) drives them in turn, round after round; the
figures are medians. Targets: get by id at least 0.4 of the bare Starlette figure, and an idle
lbpy app under 60 MB resident.

``--ops`` runs the same app twice instead, once as it is and once with ``"metrics": true`` and
``--access-log`` (its lines written to a file, as a server's log would be), and prints what
they cost: target at most 10% fewer requests per second.

``--middleware`` runs the same app twice, once without server/middleware.json and once with the
one ``lbpy new-app`` writes (favicon, compression, CORS allowlist, helmet's headers, urlNotFound,
strong-error-handler), asked by a browser-like client (``Origin``, ``Accept-Encoding: gzip``):
target at most 10% fewer requests per second.

``--granian`` serves one app twice, with ``lbpy start`` (uvicorn with lbpy's ``http`` bounds) and
with granian (``pip install granian``; one process, uvloop, ASGI interface, no access log), and
prints the ratio granian/uvicorn per scenario, on the memory connector (where the server's own
share of a request is largest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _harness import free_port, get_json, interleaved, rss_mb, server, table, wrk

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "get by id": "/api/Model1s/3",
    "filtered find": '/api/Model1s?filter={"where":{"name":{"like":"row1"}}}',
    "limit find": '/api/Model1s?filter={"limit":10}',
    "find 100 rows": "/api/Model1s",
}


def write_app(root: Path, rows: int, config: dict | None = None) -> None:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    data = {
        "ids": {"Model1": rows + 1},
        "models": {
            "Model1": {
                str(i): json.dumps({"name": f"row{i}", "content": "hello world " * 3, "n": i * 1.5, "id": i})
                for i in range(1, rows + 1)
            }
        },
    }
    (root / "data.json").write_text(json.dumps(data))
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000, **(config or {})},
        "server/datasources.json": {"db": {"name": "db", "connector": "memory", "file": str(root / "data.json")}},
        "server/model-config.json": {"_meta": {"sources": ["../common/models"]}, "Model1": {"dataSource": "db"}},
        "common/models/model1.json": {
            "name": "Model1",
            "base": "PersistedModel",
            "properties": {"name": {"type": "string", "required": True}, "content": "string", "n": "number"},
        },
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--ops", action="store_true", help="measure metrics and the access log: lbpy with them on against off"
    )
    parser.add_argument(
        "--granian",
        action="store_true",
        help="measure granian: the same app under lbpy start (uvicorn) and under granian",
    )
    parser.add_argument(
        "--middleware", action="store_true", help="measure a new app's server/middleware.json against no file"
    )
    args = parser.parse_args()
    if args.middleware:
        compare_middleware(args)
        return
    if args.ops:
        compare_operations(args)
        return
    if args.granian:
        compare_granian(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "app"
        write_app(root, 100)
        lbpy_port, ref_port = free_port(), free_port()
        lbpy_url, ref_url = f"http://127.0.0.1:{lbpy_port}", f"http://127.0.0.1:{ref_port}"
        lbpy_cmd = [sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", str(lbpy_port)]
        with server(lbpy_cmd, lbpy_url + "/api/Model1s/1") as lbpy_proc:
            time.sleep(1.0)
            idle_rss = rss_mb(lbpy_proc.pid)
            rows_file = Path(tmp) / "rows.json"
            rows_file.write_text(json.dumps(get_json(lbpy_url + "/api/Model1s")))
            ref_cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "reference_app:app",
                "--port",
                str(ref_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
            with server(ref_cmd, ref_url + "/api/Model1s/1", cwd=HERE, env={"BENCH_ROWS": str(rows_file)}):
                for name, path in SCENARIOS.items():
                    mine, theirs = get_json(lbpy_url + path), get_json(ref_url + path)
                    if mine != theirs:
                        sys.exit(f"{name}: the two servers answer different JSON; the comparison would be unfair")
                for path in SCENARIOS.values():  # warm up both
                    wrk(lbpy_url + path, 1)
                    wrk(ref_url + path, 1)
                results = {}
                for name, path in SCENARIOS.items():
                    results[name] = interleaved(
                        {
                            "lbpy": lambda p=path: wrk(lbpy_url + p, args.seconds),
                            "starlette": lambda p=path: wrk(ref_url + p, args.seconds),
                        },
                        args.rounds,
                    )
                loaded_rss = rss_mb(lbpy_proc.pid)
    rows = []
    for name, figures in results.items():
        ratio = figures["lbpy"] / figures["starlette"]
        target = "≥ 0.40" if name == "get by id" else ""
        verdict = ("ok" if ratio >= 0.4 else "MISSED") if target else ""
        rows.append([name, f"{figures['lbpy']:,.0f}", f"{figures['starlette']:,.0f}", f"{ratio:.2f}", target, verdict])
    print(table(rows, ["scenario", "lbpy req/s", "bare Starlette req/s", "ratio", "target", ""]))
    print()
    print(
        f"lbpy resident memory: idle {idle_rss:.1f} MB (target < 60 MB: "
        f"{'ok' if idle_rss < 60 else 'MISSED'}), after the runs {loaded_rss:.1f} MB"
    )
    print(f"({args.rounds} rounds of {args.seconds:g} s per server and scenario, medians; wrk -t1 -c32)")


OPS_SCENARIOS = ("get by id", "limit find", "find 100 rows")
NEW_APP_MIDDLEWARE = HERE.parent / "templates" / "app" / "{{cookiecutter.directory}}" / "server" / "middleware.json"


def compare_middleware(args) -> None:
    """The same app without and with a new app's middleware.json, in turn, round after round."""
    headers = ["-H", "Origin: http://localhost:3000", "-H", "Accept-Encoding: gzip"]
    with tempfile.TemporaryDirectory() as tmp:
        plain_root, piped_root = Path(tmp) / "plain", Path(tmp) / "piped"
        write_app(plain_root, 100)
        write_app(piped_root, 100)
        text = NEW_APP_MIDDLEWARE.read_text().replace("{{ cookiecutter.port }}", "3000")
        (piped_root / "server" / "middleware.json").write_text(text)
        plain_port, piped_port = free_port(), free_port()
        plain_url, piped_url = f"http://127.0.0.1:{plain_port}", f"http://127.0.0.1:{piped_port}"
        start = [sys.executable, "-m", "lbpy", "start", "--app"]
        with (
            server([*start, str(plain_root), "--port", str(plain_port)], plain_url + "/api/Model1s/1"),
            server([*start, str(piped_root), "--port", str(piped_port)], piped_url + "/api/Model1s/1"),
        ):
            for name in OPS_SCENARIOS:  # warm up both
                wrk(plain_url + SCENARIOS[name], 1, headers)
                wrk(piped_url + SCENARIOS[name], 1, headers)
            results = {
                name: interleaved(
                    {
                        "none": lambda p=SCENARIOS[name]: wrk(plain_url + p, args.seconds, headers),
                        "piped": lambda p=SCENARIOS[name]: wrk(piped_url + p, args.seconds, headers),
                    },
                    args.rounds,
                )
                for name in OPS_SCENARIOS
            }
    rows = []
    for name, figures in results.items():
        ratio = figures["piped"] / figures["none"]
        rows.append(
            [
                name,
                f"{figures['none']:,.0f}",
                f"{figures['piped']:,.0f}",
                f"{ratio:.2f}",
                f"{1 - ratio:+.1%}",
                "ok" if 1 - ratio <= 0.10 else "MISSED",
            ]
        )
    print(table(rows, ["scenario", "no middleware.json req/s", "new app's req/s", "ratio", "cost", "target ≤ 10%"]))
    print(f"({args.rounds} rounds of {args.seconds:g} s per server and scenario, medians; wrk -t1 -c32, gzip asked)")


def compare_operations(args) -> None:
    """The same app with metrics and the access log off, and on, in turn, round after round."""
    with tempfile.TemporaryDirectory() as tmp:
        plain_root, ops_root = Path(tmp) / "plain", Path(tmp) / "ops"
        write_app(plain_root, 100)
        write_app(ops_root, 100, {"metrics": {"enabled": True}})
        plain_port, ops_port = free_port(), free_port()
        plain_url, ops_url = f"http://127.0.0.1:{plain_port}", f"http://127.0.0.1:{ops_port}"
        start = [sys.executable, "-m", "lbpy", "start", "--app"]
        log_path = Path(tmp) / "access.log"
        with (
            open(log_path, "w") as log_file,
            server([*start, str(plain_root), "--port", str(plain_port)], plain_url + "/api/Model1s/1"),
            server(
                [*start, str(ops_root), "--port", str(ops_port), "--access-log"],
                ops_url + "/api/Model1s/1",
                stderr=log_file,
            ),
        ):
            for name in OPS_SCENARIOS:  # warm up both
                wrk(plain_url + SCENARIOS[name], 1)
                wrk(ops_url + SCENARIOS[name], 1)
            results = {
                name: interleaved(
                    {
                        "off": lambda p=SCENARIOS[name]: wrk(plain_url + p, args.seconds),
                        "on": lambda p=SCENARIOS[name]: wrk(ops_url + p, args.seconds),
                    },
                    args.rounds,
                )
                for name in OPS_SCENARIOS
            }
            scraped = get_text(ops_url + "/metrics")
        with open(log_path) as log:
            lines = sum(1 for _ in log)
    if "lbpy_http_requests_total" not in scraped or lines < 1000:
        sys.exit("the measured server did not count or log its requests; the comparison would be unfair")
    rows = []
    for name, figures in results.items():
        cost = 1 - figures["on"] / figures["off"]
        rows.append(
            [
                name,
                f"{figures['off']:,.0f}",
                f"{figures['on']:,.0f}",
                f"{figures['on'] / figures['off']:.2f}",
                f"{cost:+.1%}",
                "ok" if cost <= 0.10 else "MISSED",
            ]
        )
    print(table(rows, ["scenario", "off req/s", "metrics + access log req/s", "ratio", "cost", "target ≤ 10%"]))
    print()
    print(
        f"({args.rounds} rounds of {args.seconds:g} s per server and scenario, medians; wrk -t1 -c32; "
        f"{lines:,} access-log lines written)"
    )


#: percent-encoded: granian refuses a request line with raw quotes and braces, as RFC 9112 allows
GRANIAN_SCENARIOS = {
    name: urllib.parse.quote(SCENARIOS[name], safe="/?=&") for name in ("get by id", "limit find", "find 100 rows")
}


def compare_granian(args) -> None:
    """One app under ``lbpy start`` and under granian, in turn, round after round."""
    granian = shutil.which("granian", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if granian is None:
        sys.exit("--granian needs granian: pip install granian")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "app"
        write_app(root, 100)
        uvicorn_port, granian_port = free_port(), free_port()
        uvicorn_url, granian_url = f"http://127.0.0.1:{uvicorn_port}", f"http://127.0.0.1:{granian_port}"
        uvicorn_cmd = [sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", str(uvicorn_port)]
        granian_cmd = [
            granian,
            "--interface",
            "asgi",
            "--factory",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
            "--host",
            "127.0.0.1",
            "--port",
            str(granian_port),
            "lbpy._serve:factory",
        ]
        with (
            server(uvicorn_cmd, uvicorn_url + "/api/Model1s/1"),
            server(granian_cmd, granian_url + "/api/Model1s/1", env={"LBPY_APP_DIR": str(root)}),
        ):
            for name in GRANIAN_SCENARIOS:
                if get_json(uvicorn_url + GRANIAN_SCENARIOS[name]) != get_json(granian_url + GRANIAN_SCENARIOS[name]):
                    sys.exit(f"{name}: the two servers answer different JSON; the comparison would be unfair")
                wrk(uvicorn_url + GRANIAN_SCENARIOS[name], 1)  # warm up both
                wrk(granian_url + GRANIAN_SCENARIOS[name], 1)
            results = {
                name: interleaved(
                    {
                        "uvicorn": lambda p=path: wrk(uvicorn_url + p, args.seconds),
                        "granian": lambda p=path: wrk(granian_url + p, args.seconds),
                    },
                    args.rounds,
                )
                for name, path in GRANIAN_SCENARIOS.items()
            }
    rows = [
        [
            name,
            f"{figures['uvicorn']:,.0f}",
            f"{figures['granian']:,.0f}",
            f"{figures['granian'] / figures['uvicorn']:.2f}",
        ]
        for name, figures in results.items()
    ]
    print(table(rows, ["scenario (memory connector)", "lbpy start req/s", "granian req/s", "granian/uvicorn"]))
    print()
    print(
        f"({args.rounds} rounds of {args.seconds:g} s per server and scenario, medians; wrk -t1 -c32; one process each)"
    )


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


if __name__ == "__main__":
    main()
