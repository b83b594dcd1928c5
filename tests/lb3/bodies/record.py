"""Record LoopBack 3's answers to the body translator's test cases: ``python tests/lb3/bodies/record.py``.

Each case's JavaScript runs in a real LoopBack 3 app (``loopback@3`` from npm, see ``tests/loopback3.py``),
receives the case's requests in order, and its answers go to ``recorded/<case>.json``, which
``test_lb3_bodies.py`` holds lbpy's translation to. Needs node and npm; says so and stops without them."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

import httpx  # noqa: E402
from bodies_harness import CASES, RECORDED, comparable, write_loopback3_files  # noqa: E402


def record(name: str) -> list[dict]:
    from loopback3 import loopback3_server, write_loopback3_app

    case = CASES[name]
    models = {model: definition for model, (_, definition) in case.models.items()}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_loopback3_app(root, models, 0)
        write_loopback3_files(root, case)
        answers = []
        with loopback3_server(root, models) as url, httpx.Client(base_url=url, timeout=30) as client:
            for verb, path, body in case.requests:
                response = client.request(verb, path, json=body) if body is not None else client.request(verb, path)
                parsed = response.json() if response.content else None
                answers.append({"request": [verb, path, body], **comparable(response.status_code, parsed)})
    return answers


def main() -> int:
    if shutil.which("node") is None:
        print("record.py: node is not installed; the recorded answers were left as they are")
        return 0
    RECORDED.mkdir(exist_ok=True)
    for name in sys.argv[1:] or list(CASES):
        answers = record(name)
        (RECORDED / f"{name}.json").write_text(json.dumps(answers, indent=2) + "\n")
        print(f"recorded {len(answers)} answers of LoopBack 3 to {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
