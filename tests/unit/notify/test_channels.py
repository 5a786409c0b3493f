"""The delivery channels against real servers on loopback: an `http.server` for the signed
webhook and aiosmtpd for email."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pubflow.notify import messages
from pubflow.notify.channels import (
    SIGNATURE_HEADER,
    DeliveryError,
    send_email,
    send_webhook,
    sign,
)

SECRET = "s3cret-for-tests"
MESSAGE = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                 "r.lee@example.org", "2026-11-26T10:00:00Z",
                                 "2026-11-23T10:00:00Z")


class Hook:
    """A real HTTP server that records what it is sent and answers with `statuses` in turn
    (the last one repeats)."""

    def __init__(self, *statuses: int, port: int = 0) -> None:
        received: list[tuple[str, dict[str, str], bytes]] = []
        answers = list(statuses or (204,))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers.items()), body))
                status = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/pubflow"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.mail_from,
                              message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp(**parameters: Any) -> tuple[Mailbox, Controller]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), **parameters)
    controller.start()
    return box, controller


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, controller = start_smtp()
    yield box, controller.port
    controller.stop()


# --- webhook -----------------------------------------------------------------------------

def test_sign_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a": 1}'
    assert sign(body, SECRET) == "sha256=" + hmac.new(SECRET.encode(), body,
                                                      hashlib.sha256).hexdigest()
    assert sign(body, SECRET) != sign(body + b" ", SECRET)


def test_the_webhook_posts_the_message_signed(hook: Hook,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    detail = send_webhook({"url": hook.url, "secret_env": "HOOK_SECRET"}, MESSAGE)
    assert detail == "webhook: HTTP 204"
    [(path, headers, body)] = hook.received
    assert path == "/pubflow"
    assert json.loads(body) == MESSAGE.to_json()
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Pubflow-Event"] == "ticket-routed"
    assert headers["X-Pubflow-Delivery"] == MESSAGE.id
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected


def test_without_a_secret_the_webhook_is_unsigned(hook: Hook) -> None:
    assert send_webhook({"url": hook.url}, MESSAGE) == "webhook: HTTP 204"
    [(_path, headers, _body)] = hook.received
    assert SIGNATURE_HEADER not in headers


def test_a_missing_secret_sends_nothing(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    with pytest.raises(DeliveryError) as info:
        send_webhook({"url": hook.url, "secret_env": "HOOK_SECRET"}, MESSAGE)
    assert str(info.value) == ("webhook: environment variable HOOK_SECRET (the signing secret) "
                               "is not set")
    assert hook.received == []


def test_a_refusal_is_not_retried() -> None:
    refusing = Hook(400)
    try:
        with pytest.raises(DeliveryError) as info:
            send_webhook({"url": refusing.url, "retries": 3}, MESSAGE)
    finally:
        refusing.close()
    assert str(info.value) == f"webhook {refusing.url}: HTTP 400 Bad Request (after 1 attempt(s))"
    assert len(refusing.received) == 1


@pytest.mark.parametrize("status", [503, 429])
def test_a_server_error_or_throttle_is_retried(status: int) -> None:
    flaky = Hook(status, 200)
    try:
        detail = send_webhook({"url": flaky.url, "retries": 1}, MESSAGE)
    finally:
        flaky.close()
    assert detail == "webhook: HTTP 200"
    assert len(flaky.received) == 2
    assert flaky.received[0][2] == flaky.received[1][2]  # the same message both times


def test_retries_run_out() -> None:
    failing = Hook(500)
    try:
        with pytest.raises(DeliveryError) as info:
            send_webhook({"url": failing.url, "retries": 1}, MESSAGE)
    finally:
        failing.close()
    assert str(info.value).endswith("HTTP 500 Internal Server Error (after 2 attempt(s))")
    assert len(failing.received) == 2


def test_nobody_listening_is_a_delivery_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/pubflow"
    with pytest.raises(DeliveryError) as info:
        send_webhook({"url": url, "retries": 0, "timeout_seconds": 2}, MESSAGE)
    assert str(info.value).startswith(f"webhook {url}: ")
    assert "refused" in str(info.value).lower()
    assert str(info.value).endswith("(after 1 attempt(s))")


# --- email -------------------------------------------------------------------------------

def test_email_reaches_the_recipients(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    message = messages.published("PUB-2026-001", "incident-escalation", "1.0.0", "production",
                                 {"id": "incident-escalation"}, "jane.doe@example.org",
                                 ["editors@example.org"], "2026-11-23T10:00:00Z")
    detail = send_email({"host": "127.0.0.1", "port": port, "sender": "pubflow@example.org"},
                        message)
    assert detail == "smtp: sent to 2 recipient(s)"
    [(recipients, sender, email)] = box.messages
    assert recipients == ["jane.doe@example.org", "editors@example.org"]
    assert sender == "pubflow@example.org"
    assert email["Subject"] == "[pubflow] incident-escalation 1.0.0 is live in production"
    assert email["To"] == "jane.doe@example.org, editors@example.org"
    assert email["Message-ID"] == f"<{message.id}@pubflow>"
    assert email.get_payload().replace("\r\n", "\n") == message.body


def test_email_has_a_default_sender(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    send_email({"host": "127.0.0.1", "port": port}, MESSAGE)
    [(recipients, sender, _email)] = box.messages
    assert (recipients, sender) == (["r.lee@example.org"], "pubflow@localhost")


def test_no_recipients_means_no_connection() -> None:
    nobody = messages.ticket_routed("PUB-2026-001", "p", "rlee", None, "d", "t")
    # nothing listens on this port: a connection attempt would fail
    assert send_email({"host": "127.0.0.1", "port": free_port()}, nobody) == \
        "smtp: nobody to send to"


def test_a_server_that_is_down_is_a_delivery_error() -> None:
    port = free_port()
    with pytest.raises(DeliveryError, match=rf"^smtp 127\.0\.0\.1:{port}: .*refused"):
        send_email({"host": "127.0.0.1", "port": port, "timeout_seconds": 2}, MESSAGE)


def test_login_needs_both_variables(smtp: tuple[Mailbox, int],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    box, port = smtp
    monkeypatch.setenv("SMTP_USER", "pubflow")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError) as info:
        send_email({"host": "127.0.0.1", "port": port, "username_env": "SMTP_USER",
                    "password_env": "SMTP_PASSWORD"}, MESSAGE)
    assert str(info.value) == "smtp: set SMTP_USER and SMTP_PASSWORD to log in"
    assert box.messages == []


def test_login_with_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"right", handled=False)

    box, controller = start_smtp(authenticator=authenticator, auth_require_tls=False)
    settings = {"host": "127.0.0.1", "port": controller.port, "username_env": "SMTP_USER",
                "password_env": "SMTP_PASSWORD"}
    monkeypatch.setenv("SMTP_USER", "pubflow")
    try:
        monkeypatch.setenv("SMTP_PASSWORD", "right")
        assert send_email(settings, MESSAGE) == "smtp: sent to 1 recipient(s)"
        monkeypatch.setenv("SMTP_PASSWORD", "wrong")
        with pytest.raises(DeliveryError, match=rf"^smtp 127\.0\.0\.1:{controller.port}: .*535"):
            send_email(settings, MESSAGE)
    finally:
        controller.stop()
    assert seen[0] == ("pubflow", "right")
    assert set(seen[1:]) == {("pubflow", "wrong")}  # smtplib tries each mechanism offered
    assert len(box.messages) == 1


def test_starttls_against_a_server_without_it_is_a_delivery_error(
        smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    with pytest.raises(DeliveryError, match=r"STARTTLS extension not supported"):
        send_email({"host": "127.0.0.1", "port": port, "starttls": True}, MESSAGE)
    assert box.messages == []
