"""Paging through a collection a remote API answers in pages, as a datasource's ``paging``
setting declares it::

    {"type": "offset", "limitParam": "limit", "offsetParam": "offset", "pageSize": 100}
    {"type": "page", "pageParam": "page", "sizeParam": "per_page", "firstPage": 1, "pageSize": 100}
    {"type": "cursor", "cursorParam": "cursor", "nextCursorPath": "$.next", "pageSize": 100}
    {"type": "link"}                       # the Link header's rel="next" (GitHub's style)

``itemsPath`` (a JSONPath, default: the body itself when it is a list) says where a page's
records are. Paging stops at an empty or short page, at a missing next cursor or link, and after
``maxPages`` pages (default 1,000), so a remote that never stops cannot stall a request. A
``Link`` to another host is refused: credentials are never sent anywhere but the datasource's
own API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import BootError
from ._jsonpath import JsonPath, JsonPathError

PAGING_TYPES = ("none", "offset", "page", "cursor", "link")


@dataclass(frozen=True)
class Paging:
    type: str = "none"
    page_size: int = 100
    limit_param: str = "limit"
    offset_param: str = "offset"
    page_param: str = "page"
    size_param: str = "per_page"
    first_page: int = 1
    cursor_param: str = "cursor"
    #: whether cursor paging also sends the page size (``limitParam`` given)
    cursor_sends_limit: bool = False
    next_cursor: JsonPath | None = None
    items: JsonPath | None = None
    max_pages: int = 1000

    @classmethod
    def from_settings(cls, raw: Any, *, where: str) -> Paging:
        if raw in (None, False, "none") or raw == {}:
            return cls()
        if isinstance(raw, str):
            raw = {"type": raw}
        if not isinstance(raw, Mapping):
            raise BootError(f'{where}: "paging" must be an object such as {{"type": "offset", "pageSize": 100}}')
        kind = raw.get("type", "offset")
        if kind not in PAGING_TYPES:
            raise BootError(f'{where}: paging.type "{kind}" is not one of {", ".join(PAGING_TYPES)}')

        def number(key: str, default: int, minimum: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise BootError(f"{where}: paging.{key} must be a whole number of at least {minimum}")
            return value

        def path(key: str, default: str | None = None) -> JsonPath | None:
            text = raw.get(key, default)
            if text is None:
                return None
            try:
                return JsonPath(text)
            except JsonPathError as exc:
                raise BootError(f"{where}: paging.{key}: {exc}") from None

        if kind == "cursor" and not raw.get("nextCursorPath"):
            raise BootError(
                f'{where}: cursor paging needs "nextCursorPath", the JSONPath of the '
                'next cursor in a page, e.g. "$.meta.next"'
            )
        return cls(
            type=kind,
            page_size=number("pageSize", 100, 1),
            limit_param=str(raw.get("limitParam", "limit")),
            offset_param=str(raw.get("offsetParam", "offset")),
            page_param=str(raw.get("pageParam", "page")),
            size_param=str(raw.get("sizeParam", "per_page")),
            first_page=number("firstPage", 1, 0),
            cursor_param=str(raw.get("cursorParam", "cursor")),
            cursor_sends_limit=kind == "cursor" and "limitParam" in raw,
            next_cursor=path("nextCursorPath"),
            items=path("itemsPath"),
            max_pages=number("maxPages", 1000, 1),
        )

    @property
    def enabled(self) -> bool:
        return self.type != "none"

    def first_params(self) -> dict[str, Any]:
        if self.type == "offset":
            return {self.limit_param: self.page_size, self.offset_param: 0}
        if self.type == "page":
            return {self.page_param: self.first_page, self.size_param: self.page_size}
        if self.type == "cursor" and self.cursor_sends_limit:
            return {self.limit_param: self.page_size}
        return {}

    def records(self, body: Any) -> list[Any]:
        """The records of one page."""
        if self.items is not None:
            found = self.items.find(body)
            if len(found) == 1 and isinstance(found[0], list):
                return found[0]
            return found
        return body if isinstance(body, list) else []
