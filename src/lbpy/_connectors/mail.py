"""The ``mail`` connector: LoopBack's mail datasource, sending through SMTP (aiosmtplib), or, for
development, through a ``stub`` / ``log`` transport that writes the message to the log.

Settings as LoopBack's: ``transports``, a list of ``{"type": "SMTP", "host", "port", "secure",
"auth": {"user", "pass"}, "tls": {"rejectUnauthorized"}, "alias"}`` (the first is the default; a
message's ``transport`` names another by alias or type). Credentials come from ``${VAR}`` in
datasources.json and never reach a log line or an answer.
"""

from __future__ import annotations

import logging
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from .._errors import BadGatewayError, BadRequestError, BootError
from .._filter import Filter
from ._base import Connector, ConnectorHost

log = logging.getLogger("lbpy")

_TYPES = ("smtp", "stub", "log")


class MailConnector(Connector):
    name = "mail"
    blocking = False
    per_process = True

    def __init__(self, settings: dict[str, Any], models: dict[str, Any], *, app_dir: Any = None) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        transports = settings.get("transports") or ([settings["transport"]] if settings.get("transport") else [])
        if not isinstance(transports, list) or not transports:
            transports = [{"type": "stub"}]
            log.warning(
                'mail datasource "%s" has no "transports": messages are written to the log, not sent',
                settings.get("name"),
            )
        self.transports: list[dict[str, Any]] = []
        for index, transport in enumerate(transports):
            if not isinstance(transport, dict) or str(transport.get("type", "")).lower() not in _TYPES:
                raise BootError(
                    f'mail datasource "{settings.get("name")}": transports[{index}] needs "type": '
                    '"SMTP" (with host and port), or "stub" / "log" to write messages to the log'
                )
            self.transports.append(transport)
        if any(str(t.get("type")).lower() == "smtp" for t in self.transports):
            try:
                import aiosmtplib  # noqa: F401 - checked at boot, used when a message is sent
            except ImportError:
                raise BootError(
                    f'mail datasource "{settings.get("name")}" sends through SMTP, which needs aiosmtplib: '
                    "pip install 'lbpy[mail]'"
                ) from None

    # a mail datasource stores nothing: its models (Email) only send
    def all(self, model: str, filter: Filter, options: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        raise BadRequestError(f"{model} is on a mail datasource, which sends messages and stores none")

    def update_attributes(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        raise BadRequestError(f"{model} is on a mail datasource, which sends messages and stores none")

    def destroy_all(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
        return {"count": 0}

    def ping(self) -> None:
        return None

    def _transport(self, name: Any) -> dict[str, Any]:
        if name is None:
            return self.transports[0]
        for transport in self.transports:
            if name in (transport.get("alias"), str(transport.get("type", "")).lower(), transport.get("type")):
                return transport
        raise BadRequestError(f'no mail transport named "{name}"; the datasource has {self._names()}')

    def _names(self) -> str:
        return ", ".join(str(t.get("alias") or t.get("type")) for t in self.transports)

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send ``message`` (``to``, ``from``, ``subject``, ``text``, ``html``, ``cc``, ``bcc``,
        ``replyTo``, ``transport``); the answer names the accepted and rejected recipients."""
        built = build_message(message)
        recipients = [a for field in ("To", "Cc", "Bcc") for a in _addresses(message.get(field.lower()))]
        transport = self._transport(message.get("transport"))
        kind = str(transport.get("type")).lower()
        if kind in ("stub", "log"):
            log.info("mail (%s transport, not sent):\n%s", kind, built.as_string())
            return {
                "messageId": built["Message-ID"],
                "accepted": recipients,
                "rejected": [],
                "envelope": {"to": recipients},
            }
        del built["Bcc"]
        return await self._smtp(transport, built, recipients)

    async def _smtp(self, transport: dict[str, Any], built: EmailMessage, recipients: list[str]) -> dict[str, Any]:
        import aiosmtplib

        host = transport.get("host", "localhost")
        secure = bool(transport.get("secure", False))
        port = int(transport.get("port") or (465 if secure else 587))
        tls = transport.get("tls") or {}
        context = ssl.create_default_context()
        if tls.get("rejectUnauthorized") is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        auth = transport.get("auth") or {}
        try:
            errors, _ = await aiosmtplib.send(
                built,
                recipients=recipients,
                hostname=host,
                port=port,
                use_tls=secure,
                start_tls=None if not secure else False,
                tls_context=context,
                username=auth.get("user"),
                password=auth.get("pass"),
                timeout=float(transport.get("timeout", 30)),
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # the server's words and its address; never the credentials
            log.error(
                "mail: sending through %s:%s failed: %s", host, port, type(exc).__name__ + ": " + _safe(exc, auth)
            )
            raise BadGatewayError(
                f"The mail server at {host}:{port} did not take the message", code="MAIL_NOT_SENT"
            ) from None
        rejected = sorted(errors)
        return {
            "messageId": built["Message-ID"],
            "accepted": [r for r in recipients if r not in errors],
            "rejected": rejected,
            "envelope": {"from": built["From"], "to": recipients},
        }


def _safe(exc: BaseException, auth: dict[str, Any]) -> str:
    text = str(exc)
    for secret in (auth.get("pass"), auth.get("user")):
        if secret:
            text = text.replace(str(secret), "***")
    return text


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        found = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        found = [v.strip() for v in value if v.strip()]
    else:
        raise BadRequestError("a mail address must be a string or a list of strings")
    for address in found:
        if any(c in address for c in "\r\n\x00") or "@" not in parseaddr(address)[1]:
            raise BadRequestError(f"{address!r} is not a mail address; write name@example.com")
    return found


def build_message(message: dict[str, Any]) -> EmailMessage:
    """The MIME message for LoopBack's mail options (text and html as alternatives)."""
    if not isinstance(message, dict):
        raise BadRequestError("a mail message is an object: {to, from, subject, text, html}")
    for field in ("to", "from"):
        if not _addresses(message.get(field)):
            raise BadRequestError(f'a mail message needs "{field}"')
    built = EmailMessage()
    built["From"] = ", ".join(_addresses(message.get("from")))
    built["To"] = ", ".join(_addresses(message.get("to")))
    for field, header in (("cc", "Cc"), ("bcc", "Bcc"), ("replyTo", "Reply-To")):
        if message.get(field):
            built[header] = ", ".join(_addresses(message[field]))
    subject = message.get("subject", "")
    if any(c in str(subject) for c in "\r\n\x00"):
        raise BadRequestError("a mail subject is one line")
    built["Subject"] = str(subject)
    domain = _addresses(message.get("from"))[0].rpartition("@")[2] or "localhost"
    built["Message-ID"] = make_msgid(domain=domain.strip("<> "))
    built["Date"] = formatdate(localtime=False)
    text, html = message.get("text"), message.get("html")
    built.set_content(str(text) if text is not None else "")
    if html is not None:
        built.add_alternative(str(html), subtype="html")
    return built


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = MailConnector(datasource.settings, datasource.models, app_dir=datasource.app_dir)
