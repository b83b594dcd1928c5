"""include against the query-per-parent pattern it replaces, in one run, as ratios.

    python bench/bench_include.py [--parents 500] [--children 4] [--latency-ms 1]

Three ways to load customers with their orders through lbpy's model layer, on the memory
connector as is and with a simulated round trip per query (``--latency-ms``, what a database
server adds to each query):

* ``include``    ``Customer.find({"include": "orders"})``: one query per level
* ``per parent`` ``Customer.find()`` then ``customer.related("orders").find()`` for each (N+1)
* ``two finds``  ``Customer.find()`` and ``Order.find()``, no grouping: the floor

The numbers are ratios to ``two finds`` in the same run; only those are comparable between runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

CONNECTOR = """
import time
from lbpy._connectors.memory import MemoryConnector


class SlowMemory(MemoryConnector):
    name = "slow"

    def all(self, model, filter, options):
        time.sleep(float(self.settings.get("latency", 0)))
        return super().all(model, filter, options)


def initialize(datasource):
    datasource.connector = SlowMemory(datasource.settings, datasource)
"""


def build(latency: float) -> object:
    from lbpy import create_app

    root = Path(tempfile.mkdtemp(prefix="lbpy-bench-include-"))
    (root / "server").mkdir()
    (root / "common" / "models").mkdir(parents=True)
    (root / "connectors").mkdir()
    (root / "connectors" / "slow.py").write_text(CONNECTOR)
    models = {
        "Customer": {"properties": {"name": "string"}, "relations": {"orders": {"type": "hasMany", "model": "Order"}}},
        "Order": {
            "properties": {"total": "number"},
            "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
        },
    }
    for name, definition in models.items():
        (root / "common" / "models" / f"{name.lower()}.json").write_text(
            json.dumps({"name": name, "base": "PersistedModel", **definition})
        )
    (root / "server" / "config.json").write_text(json.dumps({"restApiRoot": "/api"}))
    (root / "server" / "datasources.json").write_text(
        json.dumps({"db": {"name": "db", "connector": "slow", "latency": latency}})
    )
    (root / "server" / "model-config.json").write_text(
        json.dumps({"_meta": {"sources": ["../common/models"]}, **{n: {"dataSource": "db"} for n in models}})
    )
    return create_app(root)


async def seed(app, parents: int, children: int) -> None:
    Customer, Order = app.model("Customer"), app.model("Order")
    await Customer.create([{"name": f"c{i}"} for i in range(parents)])
    await Order.create([{"total": j, "customerId": i + 1} for i in range(parents) for j in range(children)])


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        anyio.run(fn)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(parents: int, children: int, latency_ms: float, repeat: int) -> dict[str, float]:
    app = build(latency_ms / 1000)
    Customer, Order = app.model("Customer"), app.model("Order")
    app.datasources["db"].connector.settings["latency"] = 0
    anyio.run(seed, app, parents, children)
    app.datasources["db"].connector.settings["latency"] = latency_ms / 1000

    async def include():
        found = await Customer.find({"include": "orders"})
        assert sum(len(c.orders) for c in found) == parents * children

    async def per_parent():
        found = await Customer.find()
        total = 0
        for customer in found:
            total += len(await customer.related("orders").find())
        assert total == parents * children

    async def two_finds():
        await Customer.find()
        await Order.find()

    floor = timed(two_finds, repeat)
    return {"two finds": floor, "include": timed(include, repeat), "per parent": timed(per_parent, max(1, repeat // 3))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=500)
    parser.add_argument("--children", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    for latency in (0.0, args.latency_ms):
        results = run(args.parents, args.children, latency, args.repeat)
        floor = results["two finds"]
        print(f"{args.parents} customers x {args.children} orders, {latency:g} ms per query:")
        for name, seconds in results.items():
            print(f"  {name:<11} {seconds * 1000:9.1f} ms   {seconds / floor:6.2f} x two finds")


if __name__ == "__main__":
    main()
