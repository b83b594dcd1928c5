"""The OpenAPI documents and the API explorer."""

from __future__ import annotations


def doc_routes(app, rest) -> list:
    return []
