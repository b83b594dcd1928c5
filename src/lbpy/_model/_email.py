"""LoopBack's built-in ``Email`` model: ``await Email.send({to, from, subject, text, html})``
through the mail datasource it is attached to (model-config.json's ``"Email": {"dataSource":
"emailDs"}``, as in LoopBack 3 apps)."""

from __future__ import annotations

from typing import Any

from .._errors import HttpError
from ._persisted import Model


class EmailModel(Model):
    __slots__ = ()

    @classmethod
    async def send(cls, message: dict[str, Any]) -> dict[str, Any]:
        """Send ``message``; a 502 when the mail server does not take it (the log says why)."""
        ds = cls.datasource
        sender = getattr(ds.connector, "send", None) if ds is not None else None
        if sender is None:
            raise HttpError(
                f"{cls.spec.name} sends mail only on a mail datasource: attach it to one "
                '("connector": "mail") in server/model-config.json',
                status_code=501,
                code="MAIL_NOT_CONFIGURED",
            )
        result: dict[str, Any] = await sender(message)
        return result
