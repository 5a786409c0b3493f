"""The outbox as real files: every message written first, delivered per channel, retried by
`flush`, and never part of the repository's history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pubflow.config import Config, load_config
from pubflow.notify import messages
from pubflow.notify.outbox import Delivery, flush, outbox_dir, pending, send
from tests.conftest import git
from tests.unit.notify.test_channels import Hook, free_port

MESSAGE = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                 "r.lee@example.org", "2026-11-26T10:00:00Z",
                                 "2026-11-23T10:00:00Z")
FILE = f"2026-11-23T100000Z-ticket-routed-{MESSAGE.id}.json"


def configure(repo: Path, notifications: str = "") -> Config:
    text = "notifications:\n  team: [editors@example.org]\n" + notifications
    (repo / "pubflow.yaml").write_text(text)
    return load_config(repo)


def webhook(port: int) -> str:
    return f"  webhook:\n    url: http://127.0.0.1:{port}/pubflow\n    retries: 0\n"


def smtp(port: int) -> str:
    return f"  smtp:\n    host: 127.0.0.1\n    port: {port}\n    timeout_seconds: 2\n"


def record(repo: Path, name: str = FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo / ".pubflow" / "outbox" / name).read_text())
    return data


def test_a_message_waits_in_the_outbox_without_channels(repo: Path) -> None:
    config = configure(repo)
    assert send(config, MESSAGE) == []
    folder = repo / ".pubflow" / "outbox"
    assert outbox_dir(config) == folder
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", FILE]
    assert record(repo) == {"message": MESSAGE.to_json(), "channels": {}}
    assert pending(config) == []
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == "?? pubflow.yaml\n"


def test_a_delivered_message_is_marked_sent(repo: Path) -> None:
    hook = Hook()
    try:
        config = configure(repo, webhook(hook.port))
        results = send(config, MESSAGE)
    finally:
        hook.close()
    assert results == [Delivery(FILE, "webhook", True, "webhook: HTTP 204")]
    assert record(repo)["channels"] == {
        "webhook": {"status": "sent", "attempts": 1, "detail": "webhook: HTTP 204"}}
    assert len(hook.received) == 1
    assert pending(config) == []


def test_a_failed_delivery_stays_pending_until_flush(repo: Path) -> None:
    port = free_port()  # nothing listens yet
    config = configure(repo, webhook(port))
    [failed] = send(config, MESSAGE)
    assert (failed.file, failed.channel, failed.ok) == (FILE, "webhook", False)
    assert failed.detail.startswith(f"webhook http://127.0.0.1:{port}/pubflow: ")
    state = record(repo)["channels"]["webhook"]
    assert (state["status"], state["attempts"], state["detail"]) == ("pending", 1,
                                                                     failed.detail)
    assert pending(config) == [(FILE, "webhook")]
    hook = Hook(port=port)
    try:
        assert flush(config) == [Delivery(FILE, "webhook", True, "webhook: HTTP 204")]
        assert flush(config) == []  # nothing left to do: not sent twice
    finally:
        hook.close()
    assert len(hook.received) == 1
    assert json.loads(hook.received[0][2]) == MESSAGE.to_json()
    assert record(repo)["channels"]["webhook"]["attempts"] == 2
    assert pending(config) == []


def test_each_channel_has_its_own_state(repo: Path) -> None:
    hook = Hook()
    try:
        config = configure(repo, webhook(hook.port) + smtp(free_port()))
        results = send(config, MESSAGE)
    finally:
        hook.close()
    assert [(d.channel, d.ok) for d in results] == [("webhook", True), ("smtp", False)]
    assert pending(config) == [(FILE, "smtp")]
    channels = record(repo)["channels"]
    assert (channels["webhook"]["status"], channels["smtp"]["status"]) == ("sent", "pending")


def test_flush_offers_old_messages_to_a_channel_configured_since(repo: Path) -> None:
    send(configure(repo), MESSAGE)
    hook = Hook()
    try:
        config = configure(repo, webhook(hook.port))
        assert pending(config) == []  # written before there was a channel to owe it to
        assert flush(config) == [Delivery(FILE, "webhook", True, "webhook: HTTP 204")]
    finally:
        hook.close()
    assert len(hook.received) == 1


def test_an_unreadable_outbox_file_is_reported_and_skipped(repo: Path) -> None:
    config = configure(repo, webhook(free_port()))
    send(config, MESSAGE)
    (outbox_dir(config) / "0000-broken.json").write_text("{not json")
    results = flush(config)
    assert results[0] == Delivery("0000-broken.json", "-", False, "unreadable outbox file")
    assert [(d.file, d.channel, d.ok) for d in results[1:]] == [(FILE, "webhook", False)]
    assert pending(config) == [(FILE, "webhook")]


def test_the_outbox_folder_comes_from_the_configuration(repo: Path) -> None:
    config = configure(repo, "  outbox: var/queue\n")
    send(config, MESSAGE)
    assert outbox_dir(config) == repo / "var" / "queue"
    assert (repo / "var" / "queue" / FILE).is_file()
    assert (repo / "var" / "queue" / ".gitignore").read_text().endswith("\n*\n")
    assert not (repo / ".pubflow").exists()


def test_an_empty_outbox(repo: Path) -> None:
    config = configure(repo)
    assert flush(config) == []
    assert pending(config) == []


def test_messages_at_the_same_second_do_not_overwrite_each_other(repo: Path) -> None:
    config = configure(repo)
    other = messages.ticket_routed("PUB-2026-002", "second-one", "rlee", "r.lee@example.org",
                                   "2026-11-26T10:00:00Z", MESSAGE.at)
    send(config, MESSAGE)
    send(config, other)
    files = sorted(outbox_dir(config).glob("*.json"))
    assert len(files) == 2
    assert {json.loads(p.read_text())["message"]["data"]["ticket"] for p in files} == {
        "PUB-2026-001", "PUB-2026-002"}
