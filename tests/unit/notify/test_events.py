"""Notifications for what just happened to a ticket or a release: who is told, through the
outbox, and never an exception for the command that caused them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pubflow.config import Config, load_config
from pubflow.notify import events
from pubflow.notify.outbox import Delivery
from pubflow.records.states import State
from pubflow.records.tickets import Ticket
from tests.unit.notify.test_channels import Hook
from tests.unit.records.test_verify import make

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
AUTHOR = "jane.doe@example.org"
CONFIG = """\
reviewers:
  - {id: rlee, email: r.lee@example.org, industries: [saas]}
review_sla_days: 2
notifications:
  team: [editors@example.org, ops@example.org]
"""


def setup(repo: Path, extra: str = "") -> tuple[Config, Ticket]:
    (repo / "pubflow.yaml").write_text(CONFIG + extra)
    ticket = make(repo, state=State.IN_REVIEW)
    ticket.doc["reviewer"] = "rlee"
    ticket.doc["due"] = "2026-11-25T10:00:00Z"
    return load_config(repo), ticket


def sent(repo: Path) -> list[dict[str, Any]]:
    folder = repo / ".pubflow" / "outbox"
    return [json.loads(p.read_text())["message"] for p in sorted(folder.glob("*.json"))]


def test_a_new_ticket_tells_the_author_when_to_expect_a_review(repo: Path) -> None:
    config, ticket = setup(repo)
    assert events.ticket_created(config, ticket, NOW) == []
    [message] = sent(repo)
    assert message["kind"] == "ticket-created" and message["to"] == [AUTHOR]
    assert message["at"] == "2026-11-23T10:00:00Z"
    assert message["data"] == {"ticket": "PUB-2026-001", "pattern": "incident-escalation",
                               "version": "1.0.0", "state": "in_review",
                               "expectedReview": "2026-11-25T10:00:00Z"}  # review_sla_days: 2


def test_routing_tells_the_reviewer(repo: Path) -> None:
    config, ticket = setup(repo)
    events.ticket_routed(config, ticket, config.reviewers[0], NOW)
    [message] = sent(repo)
    assert message["kind"] == "ticket-routed" and message["to"] == ["r.lee@example.org"]
    assert message["data"]["due"] == "2026-11-25T10:00:00Z"
    assert message["data"]["reviewer"] == "rlee"


def test_a_decision_tells_the_author(repo: Path) -> None:
    config, ticket = setup(repo)
    events.ticket_decided(config, ticket, "request-changes", "rlee", "Name an owner", "minor",
                          NOW)
    [message] = sent(repo)
    assert message["to"] == [AUTHOR]
    assert message["subject"] == ("[pubflow] PUB-2026-001: incident-escalation request-changes "
                                  "(minor)")
    assert "Feedback:\nName an owner\n" in message["body"]


def test_publication_tells_the_author_and_the_team(repo: Path) -> None:
    config, ticket = setup(repo)
    events.published(config, ticket, "1.0.0", "production", {"id": "incident-escalation"}, NOW)
    [message] = sent(repo)
    assert message["to"] == [AUTHOR, "editors@example.org", "ops@example.org"]
    assert message["data"]["environment"] == "production"


def test_a_rollback_tells_the_team_and_the_author_when_there_is_a_ticket(repo: Path) -> None:
    config, ticket = setup(repo)
    events.rolled_back(config, "incident-escalation", "production", "1.1.0", "1.0.0",
                       "canary failed", ticket, NOW)
    events.rolled_back(config, "incident-escalation", "staging", "1.0.0", None, "withdrawn",
                       None, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    with_ticket, without = sent(repo)
    assert with_ticket["to"] == [AUTHOR, "editors@example.org", "ops@example.org"]
    assert with_ticket["data"]["ticket"] == "PUB-2026-001"
    assert without["to"] == ["editors@example.org", "ops@example.org"]
    assert without["data"]["ticket"] is None and without["data"]["to"] is None


def test_an_escalation_tells_the_author_and_the_team(repo: Path) -> None:
    config, _ticket = setup(repo)
    message, deliveries = events.escalation(
        config, "incident-escalation", "1.0.0", "production", ["v1", "v2", "v3"], "1 hour",
        "Rolled back to 0.9.0.", "PUB-2026-001", AUTHOR, "x", NOW)
    assert deliveries == []  # no channel configured: the outbox only
    [written] = sent(repo)
    assert written == message.to_json()
    assert written["kind"] == "escalation"
    assert written["to"] == [AUTHOR, "editors@example.org", "ops@example.org"]


def test_a_team_that_is_not_a_list_is_nobody(tmp_path: Path) -> None:
    config = Config(root=tmp_path, notifications={"team": "ops@example.org"})
    events.escalation(config, "p", None, "staging", ["v1"], "1 hour", "", None, None, "x", NOW)
    [path] = (tmp_path / ".pubflow" / "outbox").glob("*.json")
    assert json.loads(path.read_text())["message"]["to"] == []


def test_an_outbox_that_cannot_be_written_is_reported_not_raised(repo: Path) -> None:
    config, ticket = setup(repo, "  outbox: blocked/outbox\n")
    (repo / "blocked").write_text("a file where the folder should be\n")
    [result] = events.ticket_created(config, ticket, NOW)
    assert (result.file, result.channel, result.ok) == ("-", "outbox", False)
    assert result.detail.startswith("cannot write the outbox: ")


def test_deliveries_come_back_to_the_caller(repo: Path) -> None:
    hook = Hook()
    try:
        config, ticket = setup(repo, f"  webhook:\n    url: {hook.url}\n")
        results = events.ticket_routed(config, ticket, config.reviewers[0], NOW)
    finally:
        hook.close()
    [(_path, headers, _body)] = hook.received
    assert headers["X-Pubflow-Event"] == "ticket-routed"
    [message] = sent(repo)
    assert results == [Delivery(f"2026-11-23T100000Z-ticket-routed-{message['id']}.json",
                                "webhook", True, "webhook: HTTP 204")]
