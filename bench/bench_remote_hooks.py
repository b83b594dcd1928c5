"""What remote hooks and remote methods cost on the REST hot path, measured in one run.

    python bench/bench_remote_hooks.py [--seconds 5] [--rounds 3] [--baseline /work/main/src]

Four lbpy servers answer ``GET /api/Model1s/3`` (get by id), each under ``lbpy start`` (one
uvicorn process): the same app with no hooks, with a remote hook on another method (the model
then has a hook index to look in), and with a no-op ``before_remote("*")`` hook that runs on
every call; plus, with ``--baseline``, the same app served by the lbpy found in that source
folder (e.g. the main branch before remote hooks). A fifth line is the hello-world ``greet``
remote method. wrk drives them in turn, round after round; figures are medians and ratios are
against "no hooks" in the same run.

``--in-process`` times the same requests through the ASGI app itself, without sockets (each
variant in its own process, in turn, round after round): the router's own cost, with less of
the shared machine's noise than HTTP figures carry.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import free_port, interleaved, server, table, wrk

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_rest import write_app  # noqa: E402  (the bench app of bench_rest.py, 100 rows)

HOOKS = {
    "no hooks": "",
    "hook on another method": """
def customize(Model1):
    Model1.after_remote("create", lambda ctx: None)
""",
    "no-op hook on every call": """
def customize(Model1):
    Model1.before_remote("*", lambda ctx: None)
""",
    "remote method (greet)": """
def customize(Model1):
    @Model1.remote_method("greet", accepts={"arg": "msg", "type": "string"},
                          returns={"arg": "greeting", "type": "string"}, http={"verb": "get"})
    async def greet(msg=None):
        return f"Sender says {msg or 'hello'} to receiver"
""",
}


#: one process: boot the app, then call the ASGI app with the request for ``seconds``
IN_PROCESS = r"""
import asyncio, sys, time
from lbpy import create_app
root, path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
app = create_app(root)
raw_path, _, query = path.partition("?")
scope = {"type": "http", "method": "GET", "path": raw_path, "raw_path": raw_path.encode(),
         "query_string": query.encode(), "headers": [(b"host", b"bench")], "http_version": "1.1",
         "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": ""}
async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}
status = []
async def send(message):
    if message["type"] == "http.response.start":
        status.append(message["status"])
async def main():
    await app.start()
    for _ in range(200):
        await app(scope, receive, send)
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            await app(scope, receive, send)
        count += 100
    assert set(status) == {200}, set(status)
    print(count / seconds)
asyncio.run(main())
"""


def in_process(roots: dict[str, tuple[Path, str, dict]], seconds: float, rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in roots}
    for _ in range(rounds):
        for name, (root, path, env) in roots.items():
            done = subprocess.run(
                [sys.executable, "-c", IN_PROCESS, str(root), path, str(seconds)],
                capture_output=True,
                text=True,
                env={**os.environ, **env},
                check=True,
            )
            samples[name].append(float(done.stdout))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a src/ folder holding another lbpy to compare with")
    parser.add_argument("--in-process", action="store_true", help="call the ASGI app, no sockets, no wrk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls: dict[str, str] = {}
        commands: dict[str, tuple[list[str], dict]] = {}
        for name, code in HOOKS.items():
            root = Path(tmp) / name.replace(" ", "-").replace("(", "").replace(")", "")
            write_app(root, 100)
            if code:
                (root / "common" / "models" / "model1.py").write_text(code)
            port = free_port()
            path = "/api/Model1s/greet?msg=hi" if "greet" in name else "/api/Model1s/3"
            urls[name] = f"http://127.0.0.1:{port}{path}"
            commands[name] = ([sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", str(port)], {})
        if args.baseline is not None:
            root = Path(tmp) / "baseline"
            write_app(root, 100)
            port = free_port()
            urls["baseline lbpy, no hooks"] = f"http://127.0.0.1:{port}/api/Model1s/3"
            env = {"PYTHONPATH": str(args.baseline.resolve()) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            commands["baseline lbpy, no hooks"] = (
                [sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", str(port)],
                env,
            )
        if args.in_process:
            roots = {
                name: (Path(argv[argv.index("--app") + 1]), "/" + urls[name].split("/", 3)[3], env)
                for name, (argv, env) in commands.items()
            }
            results = in_process(roots, args.seconds, args.rounds)
        else:
            servers = [server(argv, urls[name], env=env) for name, (argv, env) in commands.items()]
            for context in servers:
                context.__enter__()
            try:
                for url in urls.values():
                    wrk(url, 1)  # warm up
                results = interleaved(
                    {name: (lambda u=url: wrk(u, args.seconds)) for name, url in urls.items()}, args.rounds
                )
            finally:
                for context in servers:
                    context.__exit__(None, None, None)
    reference = results["no hooks"]
    rows = [[name, f"{rps:,.0f}", f"{rps / reference:.2f}"] for name, rps in results.items()]
    print(table(rows, ["GET" + (" (in process)" if args.in_process else ""), "requests/s", "vs no hooks"]))
    print(
        json.dumps(
            {
                "seconds": args.seconds,
                "rounds": args.rounds,
                "in_process": args.in_process,
                "requests_per_second": results,
            }
        )
    )


if __name__ == "__main__":
    main()
