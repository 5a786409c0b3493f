"""The delivery channels against real servers on loopback: an `http.server` for the signed
webhook and aiosmtpd for email."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pubflow.config import load_config
from pubflow.notify import messages
from pubflow.notify.channels import (
    RETRY_BUDGET_SECONDS,
    SIGNATURE_HEADER,
    DeliveryError,
    backoff_seconds,
    retry_after_seconds,
    send_email,
    send_webhook,
    sign,
)
from pubflow.notify.outbox import pending, send

SECRET = "s3cret-for-tests"
MESSAGE = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                 "r.lee@example.org", "2026-11-26T10:00:00Z",
                                 "2026-11-23T10:00:00Z")


class Hook:
    """A real HTTP server that records what it is sent (and when) and answers with `statuses`
    in turn (the last one repeats); an answer may be `(status, {header: value})`."""

    def __init__(self, *statuses: int | tuple[int, dict[str, str]], port: int = 0) -> None:
        received: list[tuple[str, dict[str, str], bytes]] = []
        times: list[float] = []
        answers = list(statuses or (204,))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, dict(self.headers.items()), body))
                times.append(time.monotonic())
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                status, extra = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # what urllib sends after a 301/302/303 is recorded too

            def log_message(self, *args: Any) -> None:
                return

        self.received = received
        self.times = times
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


# --- redirects and Retry-After -------------------------------------------------------------

@pytest.mark.parametrize("status", [302, 303, 307])
def test_a_redirect_to_another_host_is_not_followed(status: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    other = Hook(204)
    elsewhere = f"http://localhost:{other.port}/steal"
    redirecting = Hook((status, {"Location": elsewhere}))
    try:
        with pytest.raises(DeliveryError) as info:
            send_webhook({"url": redirecting.url, "secret_env": "HOOK_SECRET", "retries": 2},
                         MESSAGE)
    finally:
        redirecting.close()
        other.close()
    assert other.received == []  # neither the message nor its signature left the host
    assert len(redirecting.received) == 1  # a redirect is an answer: not retried
    assert str(info.value) == (f"webhook {redirecting.url}: HTTP {status} "
                               f"{HTTPStatus(status).phrase}: a redirect to another host "
                               f"({elsewhere}) is not followed (after 1 attempt(s))")


def test_a_redirect_to_another_host_leaves_the_message_pending(repo: Path) -> None:
    other = Hook(204)
    redirecting = Hook((302, {"Location": other.url}))  # same address, another port
    try:
        (repo / "pubflow.yaml").write_text(
            f"notifications:\n  webhook:\n    url: {redirecting.url}\n    retries: 0\n")
        config = load_config(repo)
        [delivery] = send(config, MESSAGE)
    finally:
        redirecting.close()
        other.close()
    assert other.received == []
    assert not delivery.ok
    assert "a redirect to another host" in delivery.detail
    assert [channel for _file, channel in pending(config)] == ["webhook"]


def test_a_same_host_307_is_followed_with_the_signed_body(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    moved = Hook((307, {"Location": "/pubflow/v2"}), 204)
    try:
        detail = send_webhook({"url": moved.url, "secret_env": "HOOK_SECRET"}, MESSAGE)
    finally:
        moved.close()
    assert detail == "webhook: HTTP 204"
    [(first, _h1, body1), (second, headers, body2)] = moved.received
    assert (first, second) == ("/pubflow", "/pubflow/v2")
    assert body1 == body2 and json.loads(body2) == MESSAGE.to_json()
    assert headers[SIGNATURE_HEADER] == sign(body2, SECRET)


def test_a_same_host_302_is_not_followed() -> None:
    moved = Hook((302, {"Location": "/elsewhere"}), 204)
    try:
        with pytest.raises(DeliveryError, match=r"only 307 and 308 redirects are followed"):
            send_webhook({"url": moved.url}, MESSAGE)
    finally:
        moved.close()
    assert [path for path, _headers, _body in moved.received] == ["/pubflow"]


def test_retry_after_is_waited_for() -> None:
    throttled = Hook((503, {"Retry-After": "1"}), 204)
    try:
        detail = send_webhook({"url": throttled.url, "retries": 1}, MESSAGE)
    finally:
        throttled.close()
    assert detail == "webhook: HTTP 204"
    assert len(throttled.received) == 2
    first, second = throttled.times
    assert 1.0 <= second - first < 3.0  # the back-off alone would be 0.2 s at most


def test_a_retry_after_beyond_the_budget_leaves_the_message_pending() -> None:
    asked = int(RETRY_BUDGET_SECONDS) + 60
    throttled = Hook((429, {"Retry-After": str(asked)}), 204)
    try:
        with pytest.raises(DeliveryError) as info:
            send_webhook({"url": throttled.url, "retries": 3}, MESSAGE)
    finally:
        throttled.close()
    assert len(throttled.received) == 1  # not retried sooner than the server asked
    assert str(info.value) == (
        f"webhook {throttled.url}: HTTP 429 Too Many Requests; it asks to retry after "
        f"{asked} s, beyond the retry budget of {RETRY_BUDGET_SECONDS:g} s (after 1 attempt(s))")


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = 1_445_412_420.0  # Wed, 21 Oct 2015 07:27:00 GMT
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now) == 60.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0  # in the past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None
    assert retry_after_seconds(None, now) is None


def test_the_back_off_is_jittered() -> None:
    first = {backoff_seconds(1) for _ in range(50)}
    assert len(first) > 1
    assert all(0.1 <= pause <= 0.2 for pause in first)
    assert all(1.0 <= backoff_seconds(10) <= 2.0 for _ in range(50))


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
                    "password_env": "SMTP_PASSWORD", "allow_plaintext_login": True}, MESSAGE)
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
                "password_env": "SMTP_PASSWORD", "allow_plaintext_login": True}
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


def test_a_password_is_not_sent_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        seen.append(mechanism)
        return AuthResult(success=True, handled=False)

    box, controller = start_smtp(authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setenv("SMTP_USER", "pubflow")
    monkeypatch.setenv("SMTP_PASSWORD", "secret")
    try:
        with pytest.raises(DeliveryError) as info:
            send_email({"host": "127.0.0.1", "port": controller.port,
                        "username_env": "SMTP_USER", "password_env": "SMTP_PASSWORD"}, MESSAGE)
    finally:
        controller.stop()
    assert str(info.value) == (f"smtp 127.0.0.1:{controller.port}: refusing to send the "
                               "password without TLS; set starttls: true (or "
                               "allow_plaintext_login: true) under notifications.smtp")
    assert seen == []
    assert box.messages == []
