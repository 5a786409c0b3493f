"""What an escalation does in a real repository: the team is told (the outbox), the ticket
records it, and with auto-rollback the pattern goes back to its previous release or out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pubflow.config import load_config
from pubflow.monitoring.engagement import Escalation, load_live, monitor
from pubflow.monitoring.escalation import EscalationOutcome, escalate
from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    live_in,
    new_version,
    promote,
    ticket_state,
)
from tests.acceptance.tickets_support import invoke

WritePattern = Callable[..., Path]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
FIRST, LAST = datetime(2030, 1, 1, 10, 5, tzinfo=UTC), datetime(2030, 1, 1, 10, 50, tzinfo=UTC)
WINDOW = "10:05-10:50 UTC on 2030-01-01"


def reported(version: str = "1.0.0") -> Escalation:
    return Escalation(PATTERN, version, ("ann", "bob", "cy"), FIRST, LAST)


def outbox(repo: Path) -> list[dict[str, Any]]:
    files = sorted((repo / ".pubflow" / "outbox").glob("*-escalation-*.json"))
    return [json.loads(path.read_text())["message"] for path in files]


def last_ticket_event(ticket_id: str) -> dict[str, Any]:
    code, out, err = invoke("ticket", "history", ticket_id, "--format", "json")
    assert code == 0, err
    event: dict[str, Any] = json.loads(out)["history"][-1]
    return event


def test_the_team_is_told_and_the_ticket_records_it(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    ticket = approved_repo(repo, write_pattern)
    assert promote(ticket, "--to", "staging")[0] == 0
    events = repo.parent / "events.jsonl"
    events.write_text("".join(json.dumps(
        {"type": "report", "pattern": PATTERN, "version": "1.0.0", "visitor": who,
         "at": at}) + "\n" for who, at in (("ann", "2030-01-01T10:05:00Z"),
                                          ("bob", "2030-01-01T10:20:00Z"),
                                          ("ann", "2030-01-01T10:30:00Z"),
                                          ("cy", "2030-01-01T10:50:00Z"))))
    with events.open(encoding="utf-8") as stream:
        result = monitor(stream, load_live(repo, "staging", NOW), NOW)
    assert result.escalations == (reported(),)
    config = load_config(repo)
    outcome = escalate(config, result.escalations[0], "staging", ticket, "monitor-bot", NOW,
                       auto_rollback=False)
    assert outcome == EscalationOutcome(PATTERN, ticket, None, ())
    assert outcome.to_json() == {"pattern": PATTERN, "ticketEvent": ticket, "rollback": None,
                                 "problems": []}
    action = "no automatic action (run with --auto-rollback to roll back)"
    [message] = outbox(repo)
    assert message["kind"] == "escalation"
    assert message["data"] == {"pattern": PATTERN, "version": "1.0.0",
                               "reporters": ["ann", "bob", "cy"], "action": action}
    event = last_ticket_event(ticket)
    assert (event["event"], event["actor"]) == ("escalated", "monitor-bot")
    assert event["reason"] == f"3 users reported problems ({WINDOW}); {action}"
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.0.0"  # nothing rolled back
    assert ticket_state(ticket) == "staged"


def test_auto_rollback_goes_back_to_the_previous_release(repo: Path,
                                                         write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    outcome = escalate(load_config(repo), reported("1.1.0"), "production", second,
                       "monitor-bot", NOW, auto_rollback=True)
    assert outcome == EscalationOutcome(PATTERN, second, "rolled back 1.1.0 -> 1.0.0", ())
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.0.0", first)
    assert live["history"][-1]["reason"] == "auto-rollback: 3 users reported problems within " \
                                            "an hour"
    assert ticket_state(second) == "rolled_back"
    assert last_ticket_event(second)["reason"].endswith(
        f"({WINDOW}); rolled back 1.1.0 -> 1.0.0")
    assert outbox(repo)[-1]["data"]["action"] == "rolled back 1.1.0 -> 1.0.0"
    assert invoke("verify")[0] == 0


def test_with_nothing_to_go_back_to_the_pattern_is_taken_out(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = approved_repo(repo, write_pattern)
    assert promote(ticket, "--to", "staging")[0] == 0
    outcome = escalate(load_config(repo), reported(), "staging", ticket, "monitor-bot", NOW,
                       auto_rollback=True)
    assert outcome.rollback == "depublished 1.0.0 (no earlier release)"
    assert outcome.problems == ()
    assert live_in(repo, "staging") is None
    assert ticket_state(ticket) == "depublished"
    catalog = json.loads((repo / ".pubflow" / "catalog" / "staging.json").read_text())
    assert catalog["patterns"] == []


def test_failed_steps_are_reported_and_do_not_stop_the_others(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = approved_repo(repo, write_pattern)
    assert promote(ticket, "--to", "staging")[0] == 0
    outcome = escalate(load_config(repo), reported(), "production", "PUB-2030-999",
                       "monitor-bot", NOW, auto_rollback=True)
    assert outcome.pattern == PATTERN
    assert (outcome.rollback, outcome.ticket_event) == (None, None)
    assert outcome.problems == (f"{PATTERN} is not live in production",
                                ".pubflow/tickets/PUB-2030-999.yaml: no ticket PUB-2030-999")
    assert outcome.to_json()["problems"] == list(outcome.problems)
    # the team is still told, saying the rollback failed
    assert outbox(repo)[-1]["data"]["action"] == "the automatic rollback failed"
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.0.0"
