"""What an escalation does in a real repository: the author and the team are told (the
outbox), the ticket of the reported version records it, and with auto-rollback the pattern goes
back to its previous release or out; an incident recorded before is not escalated again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pubflow.config import load_config
from pubflow.monitoring.engagement import Escalation, load_live, monitor
from pubflow.monitoring.escalation import (
    EscalationOutcome,
    Notice,
    RecordedIncident,
    escalate,
    incident_id,
)
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


AUTHOR = "jane.doe@example.org"


def reported(version: str | None = "1.0.0") -> Escalation:
    return Escalation(PATTERN, version, ("ann", "bob", "cy"), FIRST, LAST, FIRST, LAST)


def told(to: tuple[str, ...] = (AUTHOR,)) -> Notice:
    """The escalation message with no channel configured: in the outbox, nothing sent."""
    return Notice("escalation", to, None, (), ())


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
    outcome = escalate(config, result.escalations[0], "staging", "monitor-bot", NOW,
                       auto_rollback=False)
    incident = f"staging/{PATTERN}@1.0.0/2030-01-01T10:05:00Z"
    assert incident_id("staging", reported()) == incident
    assert outcome == EscalationOutcome(PATTERN, "1.0.0", incident, ticket, "live in staging",
                                        ticket, None, None, (told(),), ())
    assert outcome.to_json() == {
        "pattern": PATTERN, "version": "1.0.0", "incident": incident, "ticket": ticket,
        "ticketFound": "live in staging", "ticketEvent": ticket, "alreadyEscalated": None,
        "rollback": None,
        "notifications": [{"kind": "escalation", "to": [AUTHOR], "outboxFile": None,
                           "sent": [], "waiting": [], "error": None}],
        "problems": []}
    action = "no automatic action (run with --auto-rollback to roll back)"
    [message] = outbox(repo)
    assert message["kind"] == "escalation" and message["to"] == [AUTHOR]
    assert message["data"] == {"pattern": PATTERN, "version": "1.0.0", "environment": "staging",
                               "ticket": ticket, "incident": incident,
                               "reporters": ["ann", "bob", "cy"], "action": action}
    event = last_ticket_event(ticket)
    assert (event["event"], event["actor"]) == ("escalated", "monitor-bot")
    assert event["reason"] == (f"3 users reported problems with {PATTERN} 1.0.0 in staging "
                               f"({WINDOW}); {action}")
    assert (event["incident"], event["reportsFrom"], event["reportsUntil"]) == (
        incident, "2030-01-01T10:05:00Z", "2030-01-01T10:50:00Z")
    again = escalate(config, reported(), "staging", "monitor-bot", NOW, auto_rollback=True)
    assert again.already == RecordedIncident(ticket, event["at"], incident, "staging", "1.0.0",
                                             FIRST, LAST)
    assert (again.ticket_event, again.rollback, again.notices) == (None, None, ())
    assert len(outbox(repo)) == 1
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
    outcome = escalate(load_config(repo), reported("1.1.0"), "production", "monitor-bot", NOW,
                       auto_rollback=True)
    assert (outcome.ticket, outcome.ticket_event) == (second, second)
    assert (outcome.rollback, outcome.problems) == ("rolled back 1.1.0 -> 1.0.0", ())
    assert [notice.kind for notice in outcome.notices] == ["escalation", "rolled-back"]
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
    outcome = escalate(load_config(repo), reported(), "staging", "monitor-bot", NOW,
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
    outcome = escalate(load_config(repo), reported(), "production", "monitor-bot", NOW,
                       auto_rollback=True)
    assert outcome.pattern == PATTERN
    assert (outcome.rollback, outcome.ticket, outcome.ticket_event) == (
        "the automatic rollback failed", ticket, ticket)
    assert outcome.ticket_found == "submitted 1.0.0; it was never live in production"
    assert outcome.problems == (f"{PATTERN} is not live in production",)
    assert outcome.to_json()["problems"] == list(outcome.problems)
    # the author is still told, saying the rollback failed
    assert outbox(repo)[-1]["data"]["action"] == "the automatic rollback failed"
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.0.0"


def test_without_a_version_the_live_ticket_is_escalated(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = approved_repo(repo, write_pattern)
    assert promote(ticket, "--to", "staging")[0] == 0
    outcome = escalate(load_config(repo), reported(None), "staging", "monitor-bot", NOW,
                       auto_rollback=False)
    assert (outcome.ticket_event, outcome.ticket_found) == (
        ticket, "the live ticket: the reports name no version")
    assert outcome.incident == f"staging/{PATTERN}@-/2030-01-01T10:05:00Z"
    assert "reportedVersion" not in last_ticket_event(ticket)


def test_the_notice_says_what_became_of_each_delivery() -> None:
    from pubflow.notify.outbox import Delivery

    both = ("jane.doe@example.org", "team@example.org")
    sent = Notice.of("escalation", both, [Delivery("f.json", "webhook", True, "204"),
                                          Delivery("f.json", "smtp", False, "smtp x:25: down")])
    assert sent == Notice("escalation", both, "f.json", ("webhook",),
                          (("smtp", "smtp x:25: down"),))
    assert sent.describe() == (
        "escalation message for jane.doe@example.org, team@example.org: sent by webhook; "
        "NOT delivered by smtp (smtp x:25: down): waits in the outbox as f.json, "
        "`pubflow notify flush` retries it")
    broken = Notice.of("escalation", both, [Delivery("-", "outbox", False, "cannot write")])
    assert broken.error == "cannot write" and "NOT sent: cannot write" in broken.describe()
    assert Notice.of("escalation", (), []).describe() == (
        "escalation message for nobody (no author email, no team) written to the outbox only: "
        "no webhook or smtp is configured in pubflow.yaml, so nothing was sent")
    assert Notice.of("rolled-back", None, [Delivery("g.json", "webhook", True, "204")]
                     ).describe() == "rolled-back message: sent by webhook"


@pytest.mark.parametrize(("environment", "version", "since", "until", "same"), [
    ("staging", "1.0.0", FIRST, LAST, True),                          # the same reports
    ("staging", "1.0.0", LAST + timedelta(minutes=59), LAST + timedelta(hours=3), True),
    ("staging", "1.0.0", FIRST - timedelta(hours=3), FIRST - timedelta(minutes=59), True),
    ("staging", "1.0.0", LAST + timedelta(minutes=61), LAST + timedelta(hours=3), False),
    ("staging", "1.1.0", FIRST, LAST, False),                         # another version
    ("production", "1.0.0", FIRST, LAST, False),                      # another environment
])
def test_a_recorded_incident_covers_reports_less_than_an_hour_apart(
        environment: str, version: str, since: datetime, until: datetime, same: bool) -> None:
    recorded = RecordedIncident("PUB-2030-001", "2030-01-01T11:00:00Z", "x", "staging",
                                "1.0.0", FIRST, LAST)
    seen = Escalation(PATTERN, version, ("a", "b", "c"), since, until, since, until)
    assert recorded.covers(environment, seen) is same


def test_an_outbox_pubflow_refuses_is_a_problem_not_a_crash(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = approved_repo(repo, write_pattern)
    assert promote(ticket, "--to", "staging")[0] == 0
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(repo / ".pubflow" / "outbox")  # the promotion's messages
    (repo / ".pubflow" / "outbox").symlink_to(elsewhere, target_is_directory=True)
    outcome = escalate(load_config(repo), reported(), "staging", "monitor-bot", NOW,
                       auto_rollback=False)
    assert outcome.ticket_event == ticket and outcome.notices == ()
    [problem] = outcome.problems
    assert problem.startswith("nobody was told: ") and ".pubflow/outbox" in problem
    assert list(elsewhere.iterdir()) == []


def test_reports_about_an_old_version_never_suggest_rolling_back_the_live_one(
        repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    second = new_version_live(repo, write_pattern, first)
    outcome = escalate(load_config(repo), reported("1.0.0"), "production", "monitor-bot", NOW,
                       auto_rollback=False)
    assert (outcome.ticket_event, outcome.rollback) == (first, None)
    assert last_ticket_event(first)["reason"].endswith(
        f"; not rolled back: {PATTERN} 1.0.0 is no longer live in production (1.1.0 is)")
    assert last_ticket_event(second)["event"] != "escalated"


def new_version_live(repo: Path, write_pattern: WritePattern, first: str) -> str:
    """`first` live in production, then 1.1.0 on a new ticket live there too."""
    for env in ("staging", "production"):
        assert promote(first, "--to", env)[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    for env in ("staging", "production"):
        assert promote(second, "--to", env)[0] == 0
    return second
