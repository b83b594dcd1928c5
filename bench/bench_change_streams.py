"""Change streams across processes: two `lbpy start` processes on one PostgreSQL database, N
creates through the second (4 clients at once), a change-stream client on each. Counts the events
each client received and the delivery latency from sending the create to the event's arrival:
on the other process (through LISTEN/NOTIFY, or Redis pub/sub) and, for reference, on the process
that made the change.

    python bench/bench_change_streams.py                  # 400 creates, PostgreSQL and Redis
    python bench/bench_change_streams.py --creates 1000 --transports postgresql

Results are printed and written to bench/results/bench_change_streams.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
POSTGRESQL_URL = os.environ.get("LBPY_BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LBPY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NOTE = {"name": "Note", "base": "PersistedModel", "properties": {"title": "string", "n": "number"}}


def sql(*statements: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRESQL_URL.replace("postgresql://", "postgres://"))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def write_app(root: Path, schema: str, transport: str) -> Path:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    db = {"name": "db", "connector": "postgresql", "url": POSTGRESQL_URL, "schema": schema, "autoupdate": True}
    if transport == "redis":
        db["changeStream"] = {"redis": REDIS_URL, "channel": f"bench:{schema}"}
    (root / "server" / "config.json").write_text(json.dumps({"restApiRoot": "/api", "port": 3000}))
    (root / "server" / "datasources.json").write_text(json.dumps({"db": db}))
    (root / "server" / "model-config.json").write_text(
        json.dumps({"_meta": {"sources": ["../common/models"]}, "Note": {"dataSource": "db", "public": True}})
    )
    (root / "common" / "models" / "note.json").write_text(json.dumps(NOTE))
    return root


class Started:
    """`lbpy start --port 0` until it says where it listens."""

    def __init__(self, root: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for line in self.process.stdout:
            found = re.search(r"Web server listening at:? \S+:(\d+)", line)
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                break
        else:
            raise RuntimeError("lbpy start exited before listening")
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Receiver:
    """A change-stream client in a thread: arrival time of each created id."""

    def __init__(self, url: str) -> None:
        self.arrived: dict[int, float] = {}
        self.opened = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        threading.Thread(target=self._read, args=(url,), daemon=True).start()
        if not self.opened.wait(20):
            raise RuntimeError(f"{url} did not open")

    def _read(self, url: str) -> None:
        try:
            with self.client.stream("GET", url) as response:
                for line in response.iter_lines():
                    self.opened.set()
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        if event["type"] == "create":
                            self.arrived[event["target"]] = time.perf_counter()
        except httpx.HTTPError:
            pass


def measure(transport: str, creates: int) -> dict:
    schema = f"lbpy_bench_cs_{os.getpid()}_{transport}"
    sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    servers: list[Started] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = write_app(Path(folder) / "app", schema, transport)
            servers.append(Started(root))
            servers.append(Started(root))
            other, local = servers
            remote_rx = Receiver(other.url + "/api/Notes/change-stream")
            local_rx = Receiver(local.url + "/api/Notes/change-stream")
            sent: dict[int, float] = {}
            api = httpx.Client(base_url=local.url + "/api", timeout=30, limits=httpx.Limits(max_connections=4))

            def create(i: int) -> None:
                start = time.perf_counter()
                answer = api.post("/Notes", json={"title": f"note {i}", "n": i})
                answer.raise_for_status()
                sent[answer.json()["id"]] = start

            began = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(create, range(creates)))
            elapsed = time.perf_counter() - began
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (len(remote_rx.arrived) < creates or len(local_rx.arrived) < creates):
                time.sleep(0.05)

            def latencies(rx: Receiver) -> list[float]:
                return sorted((rx.arrived[i] - sent[i]) * 1000 for i in sent if i in rx.arrived)

            remote, near = latencies(remote_rx), latencies(local_rx)
            return {
                "transport": transport,
                "sent": creates,
                "creates_per_s": round(creates / elapsed),
                "received_other": len(remote),
                "received_same": len(near),
                "median_ms_other": round(statistics.median(remote), 2) if remote else None,
                "p99_ms_other": round(remote[int(len(remote) * 0.99) - 1], 2) if remote else None,
                "median_ms_same": round(statistics.median(near), 2) if near else None,
                "p99_ms_same": round(near[int(len(near) * 0.99) - 1], 2) if near else None,
            }
    finally:
        for server in servers:
            server.stop()
        sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=400)
    parser.add_argument("--transports", default="postgresql,redis")
    args = parser.parse_args()
    rows = [measure(transport, args.creates) for transport in args.transports.split(",")]
    print(f"\n{args.creates} creates through process B (4 clients); a change-stream client on A and on B")
    print(
        "| transport | sent | creates/s | received on A | median / p99 ms on A | received on B | median / p99 ms on B |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['transport']} | {r['sent']} | {r['creates_per_s']} | {r['received_other']} | "
            f"{r['median_ms_other']} / {r['p99_ms_other']} | {r['received_same']} | "
            f"{r['median_ms_same']} / {r['p99_ms_same']} |"
        )
    out = HERE / "results" / "bench_change_streams.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
