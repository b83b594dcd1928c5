"""What the REST layer needs of the application it serves, and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._app_files import AppConfig, AppFiles

if TYPE_CHECKING:
    from .._model._persisted import Model


class ServedApp(Protocol):
    """The application as the REST layer sees it (``lbpy.Application`` is one)."""

    root: Path
    files: AppFiles
    config: AppConfig
    debug: bool
    rest_api_root: str
    explorer_path: str | None
    started: bool
    #: the app's access control (``lbpy._auth.AccessControl``), or None
    auth: Any

    #: the app's models by name
    @property
    def models(self) -> Mapping[str, type[Model]]: ...

    #: any request may be answered 429 (server/config.json's ``rateLimit``)
    rate_limited: bool

    def exposed_models(self) -> list[type[Model]]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
