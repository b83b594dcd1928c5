"""The {{ cookiecutter.name }} connector: lbpy's connector contract over a remote REST API.

``{{ cookiecutter.client_class }}`` talks to the API through lbpy's HTTP layer (``lbpy.http``: a
pooled httpx client with timeouts, authentication, retries on connection errors, 429 and 503
with Retry-After, a bound on concurrency and rate, paging, and the API's errors as lbpy's);
``{{ cookiecutter.class_name }}`` maps lbpy's calls onto the client.

As generated, the API is the one ``tests/fake_api.py`` fakes, shaped like many SaaS APIs::

    GET    /{resource}?offset=0&limit=100&where.<prop>=<json>   {"records": [...], "totalSize": n}
    GET    /{resource}/{id}          the record, or 404
    POST   /{resource}               201 {"id": ..., "success": true}
    PATCH  /{resource}/{id}          204 (no body), or 404
    PUT    /{resource}/{id}          200 the record, or 404
    DELETE /{resource}/{id}          204, or 404

Comments marked "YOUR SYSTEM" say where a real API (Salesforce's sobjects, Google Sheets' rows,
your CRM) differs and what to change there; keep ``pytest`` passing as you do.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from lbpy import Capabilities, Connector, Filter, NotFoundError, Setting
from lbpy.http import HttpClient, http_settings

#: YOUR SYSTEM: the field that holds a record's id (Salesforce: "Id")
API_ID = "id"

#: YOUR SYSTEM: how the API pages its lists (lbpy.http reads "offset", "page", "cursor" or
#: "link"; Salesforce answers a ``nextRecordsUrl``: {"type": "cursor", "nextCursorPath":
#: "$.nextRecordsUrl"}). A datasource's own "paging" setting replaces this.
DEFAULT_PAGING = {"type": "offset", "pageSize": 100, "limitParam": "limit", "offsetParam": "offset",
                  "itemsPath": "$.records"}


class {{ cookiecutter.client_class }}:
    """The remote API, one method per call. Creating it does no I/O; connections open on the
    first request and are pooled until ``close()``."""

    def __init__(self, settings: dict[str, Any], name: str) -> None:
        settings = {"paging": DEFAULT_PAGING, **settings}
        # baseURL, timeout, retries, auth (basic, bearer, apiKey, oauth2), maxConcurrency,
        # rateLimit, paging, headers: see lbpy.http; "${VAR}" in datasources.json reads a secret
        # from the environment, and no secret ever appears in a log line or an error
        self.http = HttpClient(http_settings(settings, name=name, require_base_url=True))

    @staticmethod
    def _item(resource: str, id: Any) -> str:
        return f"/{resource}/{quote(str(id), safe='')}"

    async def close(self) -> None:
        await self.http.aclose()

    async def check(self, resource: str) -> None:
        """YOUR SYSTEM: the cheapest call that proves the API answers and takes the credentials
        (Salesforce: GET /services/data/; Sheets: the spreadsheet's metadata)."""
        await self.http.json("GET", f"/{resource}", params={"limit": 1})

    async def find(self, resource: str, equals: dict[str, Any]) -> list[dict]:
        """Every record whose properties equal ``equals``, page by page.

        YOUR SYSTEM: how the API filters: this one takes ``where.<prop>=<json>``; Salesforce
        takes a SOQL query (GET /query?q=SELECT ... WHERE Name = 'x'), Sheets filters nothing
        (send nothing: the connector checks every record itself)."""
        params = {f"where.{name}": _json(value) for name, value in equals.items()}
        records: list[dict] = []
        async for page in self.http.pages(f"/{resource}", params=params):
            records.extend(page)
        return records

    async def get(self, resource: str, id: Any) -> dict | None:
        response = await self.http.request("GET", self._item(resource, id), allow=(404,))
        return None if response.status_code == 404 else self.http.decode(response)

    async def create(self, resource: str, record: dict) -> Any:
        """The new record's id. YOUR SYSTEM: where the API says it (Salesforce: {"id", "success",
        "errors"}; some APIs only send a Location header)."""
        body = await self.http.json("POST", f"/{resource}", json=record)
        return body["id"]

    async def update(self, resource: str, id: Any, changes: dict) -> dict | None:
        """The record after the change, or None when there is no such record. YOUR SYSTEM: this
        API answers 204 with no body, as Salesforce does, so the record is read again."""
        response = await self.http.request("PATCH", self._item(resource, id), json=changes, allow=(404,))
        if response.status_code == 404:
            return None
        return self.http.decode(response) or await self.get(resource, id)

    async def replace(self, resource: str, id: Any, record: dict) -> dict | None:
        response = await self.http.request("PUT", self._item(resource, id), json=record, allow=(404,))
        return None if response.status_code == 404 else self.http.decode(response)

    async def delete(self, resource: str, id: Any) -> bool:
        response = await self.http.request("DELETE", self._item(resource, id), allow=(404,))
        return response.status_code != 404


class {{ cookiecutter.class_name }}(Connector):
    name = "{{ cookiecutter.name }}"
    #: every method is ``async def`` and waits on the network without blocking the event loop
    blocking = False
    #: the API answers equality conditions itself (``where.<prop>``); lbpy evaluates every other
    #: part of a filter (operators, order, fields, limit, skip) on what ``all`` returns.
    #: YOUR SYSTEM: declare what your API really evaluates (a query language may do it all).
    capabilities = Capabilities(operators=frozenset({"eq", "and"}), fields=False, order=False,
                                limit=False, nested_paths=False)
    #: what ``lbpy datasource`` asks for
    settings_schema = (
        Setting("baseURL", required=True, description="the API's base URL, e.g. https://api.example.com/v1"),
        Setting("auth.type", default="bearer", choices=("none", "basic", "bearer", "apiKey", "oauth2"),
                description="how the API authenticates"),
        Setting("auth.token", required=True, secret=True, description="the API token", when={"auth.type": ("bearer",)}),
        Setting("auth.username", required=True, description="user name", when={"auth.type": ("basic",)}),
        Setting("auth.password", required=True, secret=True, description="password", when={"auth.type": ("basic",)}),
        Setting("auth.value", required=True, secret=True, description="the API key", when={"auth.type": ("apiKey",)}),
        Setting("auth.tokenUrl", required=True, description="the OAuth2 token URL", when={"auth.type": ("oauth2",)}),
        Setting("auth.clientId", required=True, description="the OAuth2 client id", when={"auth.type": ("oauth2",)}),
        Setting("auth.clientSecret", required=True, secret=True, description="the OAuth2 client secret",
                when={"auth.type": ("oauth2",)}),
    )

    def __init__(self, settings=None, models=None, *, app_dir=None):
        super().__init__(settings, models, app_dir=app_dir)
        self.client = {{ cookiecutter.client_class }}(self.settings, str(self.settings.get("name") or self.name))

    def resource(self, model: str) -> str:
        """The API's name for the model's records: ``"{{ cookiecutter.name }}": {"resource": "Account"}`` in the
        model JSON, else the model's plural. YOUR SYSTEM: Salesforce names sobjects in the singular."""
        named = self.model_settings(model).get("resource")
        spec = self.models.get(model)
        return str(named or (spec.plural if spec is not None else model))

    # -- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Nothing to open: the first request connects (and logs in, for OAuth2)."""

    async def disconnect(self) -> None:
        await self.client.close()

    async def ping(self) -> None:
        for model in list(self.models)[:1]:
            await self.client.check(self.resource(model))

    # -- the required core ----------------------------------------------------------------

    async def all(self, model: str, filter: Filter, options: dict) -> list[dict]:
        equals = _equalities(filter.where)
        id_name = self.id_name(model)
        if len(equals) == 1 and equals[0][0] == id_name and equals[0][1] is not None:
            found = await self.client.get(self.resource(model), equals[0][1])
            rows = [found] if found is not None else []
        else:
            # the API compares text, numbers and booleans; nulls and dates are checked here
            sent = {k: v for k, v in self._to_api(model, dict(equals)).items()
                    if isinstance(v, (str, int, float, bool))}
            rows = await self.client.find(self.resource(model), sent)
        rows = [self._loaded(model, row) for row in rows]
        return [row for row in rows if _matches(row, equals)]

    async def create(self, model: str, data: dict, options: dict) -> Any:
        return await self.client.create(self.resource(model), self._to_api(model, data))

    async def update_attributes(self, model: str, id: Any, data: dict, options: dict) -> dict:
        changes = {k: v for k, v in data.items() if k != self.id_name(model)}
        record = await self.client.update(self.resource(model), id, self._to_api(model, changes))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return self._loaded(model, record)

    async def destroy_all(self, model: str, where: dict | None, options: dict) -> dict:
        id_name = self.id_name(model)
        rows = await self.all(model, Filter(where=where), options)
        count = 0
        for row in rows:
            if await self.client.delete(self.resource(model), row[id_name]):
                count += 1
        return {"count": count}

    # -- what the API does better than lbpy's defaults ---------------------------------------

    async def replace_by_id(self, model: str, id: Any, data: dict, options: dict) -> dict:
        record = await self.client.replace(self.resource(model), id,
                                           self._to_api(model, {**data, self.id_name(model): id}))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return self._loaded(model, record)

    # -- values -------------------------------------------------------------------------------

    def _to_api(self, model: str, data: dict) -> dict:
        """A record as the API takes it: JSON values, the model's id property as the API's
        ``id``. YOUR SYSTEM: rename the model's properties to the API's fields here if they
        differ (Salesforce's ``Id``, ``Name``)."""
        out = _json_values(data)
        id_name = self.id_name(model)
        if id_name != API_ID and id_name in out:
            out[API_ID] = out.pop(id_name)
        return out

    def _loaded(self, model: str, row: dict) -> dict:
        """A record as lbpy wants it: the API's ``id`` as the model's id property, dates and
        buffers as Python values (JSON has neither). YOUR SYSTEM: the reverse of ``_to_api``
        (and drop what the API adds, such as Salesforce's ``attributes``)."""
        id_name = self.id_name(model)
        if id_name != API_ID and API_ID in row:
            row[id_name] = row.pop(API_ID)
        spec = self.models.get(model)
        for name, prop in (spec.properties.items() if spec is not None else ()):
            value = row.get(name)
            if value is not None and prop.type.name in ("date", "buffer"):
                row[name] = prop.type.coerce(value)
        return row


def _equalities(where: dict | None) -> list[tuple[str, Any]]:
    """The conditions of a where: (property, value) pairs, for the capabilities say lbpy sends
    only eq, combined with and."""
    if where is None:
        return []
    (key, value), = where.items()
    if key == "and":
        return [pair for part in value for pair in _equalities(part)]
    return [(key, value["eq"])]


def _matches(row: dict, equals: list[tuple[str, Any]]) -> bool:
    return all(row.get(name) == value for name, value in equals)


def _json(value: Any) -> str:
    return json.dumps(value)


def _json_values(data: dict) -> dict:
    """Dates as ISO 8601 text and bytes as LoopBack's buffer JSON, for the request body."""
    out = {}
    for key, value in data.items():
        if isinstance(value, datetime):
            value = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, (bytes, bytearray)):
            value = {"type": "Buffer", "data": list(value)}
        out[key] = value
    return out
