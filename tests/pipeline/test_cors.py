"""The ``cors`` entry answers as the Express ``cors`` package (2.8.6) answered the same options and
requests; recorded/cors.json holds the package's answers."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from asgi_calls import call

from lbpy._pipeline._cors import cors

CASES = json.loads((Path(__file__).parent / "recorded" / "cors.json").read_text())["cases"]


async def next_answer(scope, receive, send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"4")],
        }
    )
    await send({"type": "http.response.body", "body": b"next"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_answers_as_the_cors_package(case: str) -> None:
    recorded = CASES[case]
    method, headers = recorded["request"]
    app = cors(next_answer, recorded["options"])
    answer = anyio.run(call, app, method, "/", headers)
    assert answer.status == recorded["status"]
    assert answer.headers == [tuple(h) for h in recorded["headers"]]
    assert answer.raw.decode() == recorded["body"]


def test_a_regular_expression_in_the_origin_list() -> None:
    app = cors(next_answer, {"origin": ["/^https://[a-z]+\\.example\\.com$/"]})
    allowed = anyio.run(call, app, "GET", "/", {"Origin": "https://shop.example.com"})
    refused = anyio.run(call, app, "GET", "/", {"Origin": "https://shop.example.com.evil.org"})
    assert allowed.header("access-control-allow-origin") == "https://shop.example.com"
    assert refused.header("access-control-allow-origin") is None
