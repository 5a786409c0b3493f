"""Notifications through real servers on loopback: an HTTP server for the webhook (HMAC
checked) and aiosmtpd for email. A channel that is down never fails the command; the
message waits in the outbox until `pubflow notify flush`."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.acceptance.release_support import approved, promote
from tests.acceptance.tickets_support import REVIEWERS, create, invoke, setup_repo
from tests.conftest import git

SECRET = "s3cret-for-tests"
WritePattern = Callable[..., Path]


class Hook:
    """A real HTTP server that records what pubflow POSTs."""

    def __init__(self, port: int = 0, status: int = 204) -> None:
        received: list[tuple[dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers.items()), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(webhook_port: int | None, smtp_port: int | None) -> str:
    text = REVIEWERS + "notifications:\n  team: [editors@example.org]\n"
    if webhook_port:
        text += (f"  webhook:\n    url: http://127.0.0.1:{webhook_port}/pubflow\n"
                 "    secret_env: PUBFLOW_WEBHOOK_SECRET\n    timeout_seconds: 2\n"
                 "    retries: 1\n")
    if smtp_port:
        text += f"  smtp:\n    host: 127.0.0.1\n    port: {smtp_port}\n    sender: pubflow@example.org\n"
    return text


def test_webhook_is_signed_and_email_reaches_the_reviewer(
        repo: Path, write_pattern: WritePattern, smtp: tuple[Mailbox, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_WEBHOOK_SECRET", SECRET)
    hook = Hook()
    box, port = smtp
    try:
        setup_repo(repo, write_pattern, config=_config(hook.port, port))
        ticket_id = create()
        code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
        assert code == 0, err
        assert "not delivered" not in err
    finally:
        hook.close()
    kinds = [json.loads(body)["kind"] for _headers, body in hook.received]
    assert kinds == ["ticket-created", "ticket-routed"]
    headers, body = hook.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Pubflow-Signature"] == expected
    created = json.loads(body)
    assert created["data"]["ticket"] == ticket_id and created["data"]["expectedReview"]
    recipients, email = box.messages[-1]
    assert recipients == ["r.lee@example.org"]
    assert email["Subject"].startswith(f"[pubflow] {ticket_id}: please review incident-escalation")
    assert "Review deadline:" in email.get_payload()
    assert git(repo, "status", "--porcelain") == ""


def test_a_channel_that_is_down_queues_the_message_until_flush(
        repo: Path, write_pattern: WritePattern, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_WEBHOOK_SECRET", SECRET)
    port = _free_port()  # nothing listens here yet
    setup_repo(repo, write_pattern, config=_config(port, None))
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 0, out + err
    assert "notification not delivered by webhook" in err and "notify flush" in err
    code, out, _ = invoke("notify", "pending")
    assert out.strip().endswith("1 pending") and ": webhook" in out
    assert git(repo, "status", "--porcelain") == ""
    hook = Hook(port)
    try:
        code, out, _ = invoke("notify", "flush")
    finally:
        hook.close()
    assert code == 0, out
    assert "1 delivered, 0 still pending" in out
    assert [json.loads(b)["kind"] for _h, b in hook.received] == ["ticket-created"]
    assert invoke("notify", "pending")[1].strip() == "0 pending"


def test_publication_and_rollback_tell_author_and_team(
        repo: Path, write_pattern: WritePattern, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    setup_repo(repo, write_pattern, config=_config(None, port))
    ticket_id = approved()
    decision = [m for _to, m in box.messages if "approve" in m["Subject"]]
    assert decision and ticket_id in decision[0]["Subject"]
    assert promote(ticket_id, "--to", "staging")[0] == 0
    assert promote(ticket_id, "--to", "production")[0] == 0
    recipients, email = box.messages[-1]
    assert email["Subject"] == "[pubflow] incident-escalation 1.0.0 is live in production"
    assert "editors@example.org" in recipients
    assert '"version": "1.0.0"' in email.get_payload()
    code, _out, err = invoke("--actor", "releng", "rollback", "incident-escalation", "--env",
                             "production", "--depublish", "--reason", "withdrawn")
    assert code == 0, err
    _recipients, email = box.messages[-1]
    assert "rolled back in production" in email["Subject"]
    assert "Reason: withdrawn" in email.get_payload()
