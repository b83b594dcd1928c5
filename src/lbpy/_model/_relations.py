"""Relations and include."""

from __future__ import annotations

from .._errors import BadRequestError


async def include_related(model, rows, includes, options) -> None:
    raise BadRequestError("include is not available yet", code="INVALID_FILTER")
