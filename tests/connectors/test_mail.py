"""The ``mail`` connector and LoopBack's ``Email`` model, against a real SMTP server (aiosmtpd)
started by the test: an app's own ``Email.send``, the User model's verification e-mail (the same
subject, recipients and link shape as LoopBack 3.28 sent; recorded/lb3_verify_mail.json), a mail
server that is down, and the log transport."""

from __future__ import annotations

import email
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_app
from lbpy_process import free_port
from starlette.testclient import TestClient

from lbpy import create_app

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="the mail tests need aiosmtpd")
RECORDED = json.loads((Path(__file__).parent / "recorded" / "lb3_verify_mail.json").read_text())


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def text_of(message: email.message.Message, kind: str = "text/plain") -> str:
    for part in message.walk():
        if part.get_content_type() == kind:
            return part.get_payload(decode=True).decode()
    raise AssertionError(f"no {kind} part")


def mail_app(tmp_path: Path, port: int, *, password: str = "") -> Path:
    transport = {"type": "SMTP", "host": "127.0.0.1", "port": port, "secure": False}
    if password:
        transport["auth"] = {"user": "mailer", "pass": password}
    root = write_app(
        tmp_path / "app",
        {
            "user": {"base": "User", "options": {"emailVerificationRequired": True}},
        },
        datasources={
            "db": {"name": "db", "connector": "memory"},
            "emailDs": {"name": "emailDs", "connector": "mail", "transports": [transport]},
        },
        model_config={"Email": {"dataSource": "emailDs"}},
    )
    (root / "common" / "models" / "user.py").write_text(
        "def customize(User):\n"
        "    Email = User.get_model('Email')\n\n"
        "    @User.remote_method('hello', accepts={'arg': 'to', 'type': 'string', 'required': True},\n"
        "                        returns={'arg': 'sent', 'type': 'object', 'root': True},\n"
        "                        http={'verb': 'post', 'path': '/hello'})\n"
        "    async def hello(to):\n"
        "        return await Email.send({'to': to, 'from': 'app@example.com', 'subject': 'Hello',\n"
        "                                 'text': 'plain words', 'html': '<b>bold words</b>'})\n"
    )
    acl = {"accessType": "EXECUTE", "principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW"}
    definition = json.loads((root / "common" / "models" / "user.json").read_text())
    definition["acls"] = [{**acl, "property": "hello"}, {**acl, "property": "verify"}]
    (root / "common" / "models" / "user.json").write_text(json.dumps(definition))
    return root


def test_an_apps_own_email_send(tmp_path: Path, smtp) -> None:
    port, inbox = smtp
    with TestClient(create_app(mail_app(tmp_path, port))) as client:
        answer = client.post("/api/users/hello", json={"to": "ann@example.com"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == ["ann@example.com"]
    ((sender, recipients, message),) = inbox.messages
    assert (sender, recipients) == ("app@example.com", ["ann@example.com"])
    assert message["Subject"] == "Hello"
    assert text_of(message).strip() == "plain words"
    assert text_of(message, "text/html").strip() == "<b>bold words</b>"


def test_the_verification_mail_is_loopbacks_and_its_link_confirms(tmp_path: Path, smtp) -> None:
    port, inbox = smtp
    with TestClient(create_app(mail_app(tmp_path, port))) as client:
        created = client.post("/api/users", json={"email": "ann@example.com", "password": "secret123"})
        assert created.status_code == 200, created.text
        verify = client.post(f"/api/users/{created.json()['id']}/verify")
        assert verify.status_code == RECORDED["verify_status"], verify.text
        ((sender, recipients, message),) = inbox.messages
        assert {"from": sender, "to": recipients} == RECORDED["envelope"]
        assert {k: message[k] for k in ("From", "To", "Subject")} == RECORDED["headers"]
        assert [p.get_content_type() for p in message.walk() if not p.is_multipart()] == RECORDED["parts"]
        # LoopBack's words, and a link of the same shape (its host and port are the app's own)
        shape = re.compile(r"^(.*)\n\thttps?://[^/]+/api/users/confirm\?uid=(\d+)&redirect=%2F&token=([0-9a-f]{128})$")
        theirs, ours = shape.match(RECORDED["text"].strip()), shape.match(text_of(message).strip())
        assert theirs and ours and ours.group(1) == theirs.group(1)
        link = re.search(r"(/api/users/confirm\?\S+)", text_of(message)).group(1)
        assert link in text_of(message, "text/html").replace("&amp;", "&")
        confirmed = client.get(link, follow_redirects=False)
        assert confirmed.status_code in (302, 204), confirmed.text
        login = client.post("/api/users/login", json={"email": "ann@example.com", "password": "secret123"})
        assert login.status_code == 200, login.text


def test_a_mail_server_that_is_down_is_a_502_and_no_password_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = mail_app(tmp_path, free_port(), password="hunter2-secret")
    with caplog.at_level(logging.INFO), TestClient(create_app(root)) as client:
        answer = client.post("/api/users/hello", json={"to": "ann@example.com"})
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "MAIL_NOT_SENT"
    assert "hunter2-secret" not in answer.text
    assert "hunter2-secret" not in caplog.text
    assert "mail: sending through 127.0.0.1" in caplog.text


def test_the_log_transport_writes_the_message_instead_of_sending(tmp_path: Path, caplog) -> None:
    root = mail_app(tmp_path, 1)
    datasources = json.loads((root / "server" / "datasources.json").read_text())
    datasources["emailDs"]["transports"] = [{"type": "log"}]
    (root / "server" / "datasources.json").write_text(json.dumps(datasources))
    with caplog.at_level(logging.INFO, logger="lbpy"), TestClient(create_app(root)) as client:
        answer = client.post("/api/users/hello", json={"to": "bob@example.com"})
    assert answer.status_code == 200
    assert "Subject: Hello" in caplog.text and "To: bob@example.com" in caplog.text


@pytest.mark.parametrize(
    ("to", "status"),
    [("", 400), ("a@example.com\r\nBcc: everyone@example.com", 400)],
)
def test_a_bad_message_is_a_400_not_a_sent_mail(tmp_path: Path, smtp, to: str, status: int) -> None:
    port, inbox = smtp
    with TestClient(create_app(mail_app(tmp_path, port))) as client:
        answer = client.post("/api/users/hello", json={"to": to})
    assert answer.status_code == status, answer.text
    assert inbox.messages == []
