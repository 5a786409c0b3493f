"""The ticket workflow through the service functions, on a real git repository with a real
`pubflow.yaml`: every change validated, committed, audited and announced in the outbox."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pubflow.config import Config, Reviewer, load_config
from pubflow.errors import GateRefused, InputError, UsageError
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import Author
from pubflow.records.verify import verify
from pubflow.tickets import service
from tests.conftest import git, valid_pattern

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
PATTERN = "patterns/incident-escalation.json"
CONFIG = """\
reviewers:
  - id: rlee
    email: r.lee@example.org
    industries: [saas, telecom]
    max_queue: 1
  - id: mkhan
    email: m.khan@example.org
    industries: [saas]
  - id: jdoe
    email: jane.doe@example.org
    industries: [saas, telecom]
  - id: tchen
    email: t.chen@example.org
    industries: [retail]
review_sla_days: 3
editors: [editor]
"""
WritePattern = Callable[..., Path]


@pytest.fixture
def config(repo: Path, write_pattern: WritePattern) -> Config:
    (repo / "pubflow.yaml").write_text(CONFIG)
    write_pattern()
    write_pattern(valid_pattern(id="second-one"))
    write_pattern(valid_pattern(id="hospital-handover", industries=["healthcare"]))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "patterns")
    return load_config(repo)


def subjects(repo: Path) -> list[str]:
    return git(repo, "log", "--format=%s").splitlines()


def outbox(repo: Path) -> list[dict[str, Any]]:
    """The messages waiting in the outbox, oldest first."""
    folder = repo / ".pubflow" / "outbox"
    return [json.loads(p.read_text())["message"] for p in sorted(folder.glob("*.json"))]


def edit_pattern(repo: Path, **changes: Any) -> None:
    """Change the pattern and commit it: a ticket pins committed content only."""
    (repo / PATTERN).write_text(json.dumps(valid_pattern(**changes), indent=2) + "\n")
    git(repo, "commit", "-q", "--allow-empty", "-am", "edit the pattern")


def in_review(config: Config) -> str:
    ticket_id = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    service.route(config, ticket_id, "editor", NOW + timedelta(hours=1))
    return ticket_id


# --- create ------------------------------------------------------------------------------

def test_create_validates_pins_commits_and_notifies(config: Config, repo: Path) -> None:
    outcome = service.create(config, "incident-escalation", "jdoe", NOW)
    ticket = outcome.ticket
    assert (ticket.id, ticket.state, ticket.priority) == ("PUB-2026-001",
                                                          State.READY_FOR_REVIEW, "normal")
    assert outcome.validation is not None and outcome.validation.ready_for_review
    pinned = ticket.pattern
    assert (pinned.id, pinned.path, pinned.version) == ("incident-escalation", PATTERN, "1.0.0")
    assert pinned.digest == hashlib.sha256((repo / PATTERN).read_bytes()).hexdigest()
    assert pinned.industries == ("saas", "telecom")
    assert ticket.author == Author("jdoe", "jane.doe@example.org", "Jane Doe")
    assert [e.event for e in ticket.history] == ["submitted", "validated"]
    assert subjects(repo)[:2] == [
        "PUB-2026-001: ready_for_review (validated incident-escalation 1.0.0)",
        "PUB-2026-001: submission_received (incident-escalation 1.0.0 by jdoe)"]
    assert list(outcome.commits) == git(repo, "log", "-2", "--format=%H").split()[::-1]
    assert git(repo, "status", "--porcelain") == ""
    audit = (repo / ".pubflow" / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in audit] == ["submitted", "validated"]
    assert TicketStore(repo).load("PUB-2026-001").state is State.READY_FOR_REVIEW
    assert verify(repo).ok
    [message] = outbox(repo)
    assert message["kind"] == "ticket-created" and message["to"] == ["jane.doe@example.org"]
    assert message["data"]["expectedReview"] == "2026-11-26T10:00:00Z"
    assert outcome.deliveries == ()  # no channel configured: it waits in the outbox


def test_a_pattern_that_fails_validation_is_recorded_with_its_findings(
        config: Config, repo: Path) -> None:
    edit_pattern(repo, scorecard={**valid_pattern()["scorecard"], "handoffs": 2})
    outcome = service.create(config, "incident-escalation", "jdoe", NOW)
    ticket = outcome.ticket
    assert ticket.state is State.VALIDATION_FAILED
    assert [f["rule"] for f in ticket.findings] == ["scorecard.dimension-min"]
    assert ticket.findings[0]["file"] == PATTERN
    assert ticket.history[-1].reason == f"1 validation error(s) in {PATTERN}"
    assert subjects(repo)[0] == f"PUB-2026-001: validation_failed (1 validation error(s) in {PATTERN})"
    assert outbox(repo)[0]["data"]["state"] == "validation_failed"


def test_a_marginal_score_asks_for_priority_review(config: Config, repo: Path) -> None:
    edit_pattern(repo, scorecard=dict.fromkeys(valid_pattern()["scorecard"], 4))  # 32/40
    ticket = service.create(config, PATTERN, "jdoe", NOW).ticket
    assert ticket.state is State.READY_FOR_REVIEW
    assert ticket.priority == "high"
    assert ticket.history[-1].reason == ("validated incident-escalation 1.0.0 (marginal score "
                                         "32/40: priority review)")


def test_a_pattern_has_at_most_one_open_ticket(config: Config, repo: Path) -> None:
    service.create(config, "incident-escalation", "jdoe", NOW)
    before = subjects(repo)
    with pytest.raises(GateRefused, match=r"^patterns/incident-escalation\.json: ticket "
                       r"PUB-2026-001 for this pattern is still open \(ready_for_review\)$"):
        service.create(config, "incident-escalation", "jdoe", LATER)
    assert subjects(repo) == before
    assert service.create(config, "second-one", "jdoe", LATER).ticket.id == "PUB-2026-002"


def test_patterns_that_cannot_be_submitted(config: Config, repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^nope: no such pattern file \(patterns/nope\.json\)"):
        service.create(config, "nope", "jdoe", NOW)
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(valid_pattern()))
    with pytest.raises(InputError, match=r"the pattern file is outside the repository"):
        service.create(config, str(outside), "jdoe", NOW)
    (repo / "patterns" / "Bad_Name.json").write_text(json.dumps(valid_pattern()))
    with pytest.raises(InputError, match=r"'Bad_Name' is not a pattern id"):
        service.create(config, "patterns/Bad_Name.json", "jdoe", NOW)
    assert TicketStore(repo).ids() == []


# --- route -------------------------------------------------------------------------------

def test_route_picks_the_lightest_queue_never_the_author(config: Config, repo: Path) -> None:
    first = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    outcome = service.route(config, first, "editor", NOW)
    ticket = outcome.ticket
    assert (ticket.state, ticket.reviewer, ticket.due) == (State.IN_REVIEW, "rlee",
                                                           "2026-11-26T10:00:00Z")
    assert ticket.history[-1].reason == "routed to rlee"
    assert subjects(repo)[0] == "PUB-2026-001: in_review (routed to rlee, due 2026-11-26T10:00:00Z)"
    routed = outbox(repo)[-1]
    assert routed["kind"] == "ticket-routed" and routed["to"] == ["r.lee@example.org"]
    assert routed["data"]["due"] == "2026-11-26T10:00:00Z"
    second = service.create(config, "second-one", "jdoe", NOW).ticket.id
    # rlee's queue is full (1/1); jdoe wrote it; mkhan is next
    assert service.route(config, second, "editor", NOW).ticket.reviewer == "mkhan"
    assert git(repo, "status", "--porcelain") == ""


def test_nobody_qualifies_says_why_for_each_reviewer(config: Config, repo: Path) -> None:
    ticket_id = service.create(config, "hospital-handover", "jdoe", NOW).ticket.id
    with pytest.raises(GateRefused) as info:
        service.route(config, ticket_id, "editor", NOW)
    assert info.value.message == (
        "PUB-2026-001: no reviewer qualifies for hospital-handover (industries: healthcare): "
        "rlee covers saas, telecom; mkhan covers saas; jdoe is the author; tchen covers retail")
    assert TicketStore(repo).load(ticket_id).state is State.READY_FOR_REVIEW


def test_assigning_by_hand_follows_the_same_rules(config: Config) -> None:
    ticket_id = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    with pytest.raises(GateRefused, match=r"no reviewer qualifies .*: jdoe is the author$"):
        service.route(config, ticket_id, "editor", NOW, reviewer_id="jdoe")
    with pytest.raises(GateRefused, match=r"\(industries: saas, telecom\): tchen covers "
                                          r"retail$"):
        service.route(config, ticket_id, "editor", NOW, reviewer_id="tchen")
    with pytest.raises(GateRefused, match=r"'nobody' is not a configured reviewer"):
        service.route(config, ticket_id, "editor", NOW, reviewer_id="nobody")
    ticket = service.route(config, ticket_id, "editor", NOW, reviewer_id="M.Khan@example.org")
    assert ticket.ticket.reviewer == "mkhan"
    assert ticket.ticket.history[-1].reason == "assigned to mkhan"


def test_re_routing_a_ticket_in_review_needs_a_reason(config: Config) -> None:
    ticket_id = in_review(config)
    with pytest.raises(UsageError) as info:
        service.route(config, ticket_id, "editor", LATER)
    assert info.value.message == ("PUB-2026-001 is in review with rlee; re-routing it needs a "
                                  "--reason (say, the reviewer is away)")


def test_route_refuses_a_ticket_past_review(config: Config) -> None:
    ticket_id = in_review(config)
    service.review(config, ticket_id, "rlee", LATER, "approve", None, None)
    with pytest.raises(GateRefused) as info:
        service.route(config, ticket_id, "editor", LATER)
    assert info.value.message.startswith("PUB-2026-001: cannot move from approved to in_review")


# --- review ------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", ["jdoe", "Jane.Doe@example.org"])
def test_the_author_cannot_approve_their_own_pattern(config: Config, repo: Path,
                                                     actor: str) -> None:
    ticket_id = in_review(config)
    before = subjects(repo)
    with pytest.raises(GateRefused) as info:
        service.review(config, ticket_id, actor, LATER, "approve", None, None)
    assert info.value.message == (f"PUB-2026-001: {actor} is the author of incident-escalation "
                                  "and cannot review their own pattern")
    assert subjects(repo) == before
    assert TicketStore(repo).load(ticket_id).state is State.IN_REVIEW


def test_only_configured_reviewers_decide(config: Config) -> None:
    ticket_id = in_review(config)
    with pytest.raises(GateRefused, match=r"'editor' is not a configured reviewer"):
        service.review(config, ticket_id, "editor", LATER, "approve", None, None)


@pytest.mark.parametrize(("decision", "comment", "severity", "message"), [
    ("reject", None, None, "--decision reject needs a --comment"),
    ("request-changes", "   ", "major", "--decision request-changes needs a --comment"),
    ("accept", "fine", None, "unknown decision 'accept'; choose one of approve, reject, "
                             "request-changes"),
    ("reject", "no", "blocker", "unknown severity 'blocker'; choose one of critical, major, "
                                "minor"),
])
def test_review_usage_errors(config: Config, decision: str, comment: str | None,
                             severity: str | None, message: str) -> None:
    ticket_id = in_review(config)
    with pytest.raises(UsageError) as info:
        service.review(config, ticket_id, "rlee", LATER, decision, comment, severity)
    assert info.value.message.startswith(message)
    assert info.value.exit_code == 2


def test_a_decision_needs_a_ticket_in_review(config: Config) -> None:
    ticket_id = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    with pytest.raises(GateRefused) as info:
        service.review(config, ticket_id, "rlee", LATER, "approve", None, None)
    assert info.value.message == ("PUB-2026-001: cannot move from ready_for_review to approved; "
                                  "allowed next: in_review, withdrawn")


def test_approve_records_the_decision_and_tells_the_author(config: Config, repo: Path) -> None:
    ticket_id = in_review(config)
    outcome = service.review(config, ticket_id, "R.LEE@example.org", LATER, "approve",
                             None, "minor")
    ticket = outcome.ticket
    assert (ticket.state, ticket.due) == (State.APPROVED, None)
    last = ticket.history[-1]
    assert (last.actor, last.event, last.reason) == ("R.LEE@example.org", "reviewed", "approved")
    assert last.extra == {"decision": "approve", "reviewer": "rlee",  # no severity on approval
                          "digest": ticket.pattern.digest}
    assert subjects(repo)[0] == "PUB-2026-001: approved by rlee"
    decided = outbox(repo)[-1]
    assert decided["kind"] == "ticket-decision" and decided["to"] == ["jane.doe@example.org"]
    assert decided["subject"] == "[pubflow] PUB-2026-001: incident-escalation approve (minor)"
    assert verify(repo).ok


def test_approve_is_refused_when_the_pattern_changed_after_the_pin(config: Config,
                                                                    repo: Path) -> None:
    ticket_id = in_review(config)
    edit_pattern(repo, version="1.0.1")
    with pytest.raises(GateRefused, match=r"patterns/incident-escalation\.json differs from the "
                                          r"reviewed content pinned in the ticket"):
        service.review(config, ticket_id, "rlee", LATER, "approve", None, None)
    assert TicketStore(repo).load(ticket_id).state is State.IN_REVIEW


def test_reject_is_final(config: Config, repo: Path) -> None:
    ticket_id = in_review(config)
    ticket = service.review(config, ticket_id, "rlee", LATER, "reject", " Out of scope ",
                            "critical").ticket
    assert ticket.state is State.REJECTED and ticket.history[-1].reason == "Out of scope"
    assert subjects(repo)[0] == "PUB-2026-001: rejected by rlee (critical)"
    with pytest.raises(GateRefused, match=r"allowed next: none \(final state\)"):
        service.review(config, ticket_id, "mkhan", LATER, "approve", None, None)
    # a rejected ticket is closed: the pattern can be submitted again
    assert service.create(config, "incident-escalation", "jdoe", LATER).ticket.id == \
        "PUB-2026-002"


# --- resubmit ----------------------------------------------------------------------------

def test_changes_requested_then_resubmitted_goes_back_to_the_same_reviewer(
        config: Config, repo: Path) -> None:
    ticket_id = in_review(config)
    changed = service.review(config, ticket_id, "rlee", LATER, "request-changes",
                             "Step 4 needs a named owner", "major").ticket
    assert changed.state is State.CHANGES_REQUESTED
    assert changed.due == "2026-11-26T11:00:00Z"  # kept while the author works
    assert subjects(repo)[0] == "PUB-2026-001: changes_requested by rlee (major)"
    feedback = outbox(repo)[-1]
    assert "Feedback:\nStep 4 needs a named owner\n" in feedback["body"]
    edit_pattern(repo, version="1.1.0")
    resubmitted_at = LATER + timedelta(days=1)
    outcome = service.resubmit(config, ticket_id, "jdoe", resubmitted_at)
    ticket = outcome.ticket
    assert (ticket.state, ticket.reviewer) == (State.IN_REVIEW, "rlee")
    assert ticket.due == "2026-11-27T12:00:00Z"  # resubmitted + review_sla_days
    assert ticket.pattern.version == "1.1.0"
    assert ticket.pattern.digest == hashlib.sha256((repo / PATTERN).read_bytes()).hexdigest()
    assert ticket.history[-1].event == "resubmitted"
    assert subjects(repo)[0] == ("PUB-2026-001: in_review (validated incident-escalation "
                                 "1.1.0)")
    approved = service.review(config, ticket_id, "rlee", resubmitted_at, "approve", None, None)
    assert approved.ticket.state is State.APPROVED
    assert verify(repo).ok


def test_a_resubmission_is_validated_again(config: Config, repo: Path) -> None:
    ticket_id = in_review(config)
    service.review(config, ticket_id, "rlee", LATER, "request-changes", "Fix it", None)
    edit_pattern(repo, id="renamed-inside")
    failed = service.resubmit(config, ticket_id, "jdoe", LATER).ticket
    assert failed.state is State.VALIDATION_FAILED
    assert "repo.id-filename" in {f["rule"] for f in failed.findings}
    edit_pattern(repo, version="1.2.0")
    fixed = service.resubmit(config, ticket_id, "jdoe", LATER).ticket
    assert (fixed.state, fixed.reviewer, fixed.findings) == (State.IN_REVIEW, "rlee", [])
    assert verify(repo).ok


def test_a_ticket_that_never_had_a_reviewer_goes_back_to_the_queue(config: Config,
                                                                   repo: Path) -> None:
    edit_pattern(repo, scorecard={**valid_pattern()["scorecard"], "ownership": 1})
    ticket_id = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    edit_pattern(repo)
    ticket = service.resubmit(config, ticket_id, "jdoe", LATER).ticket
    assert (ticket.state, ticket.reviewer, ticket.due) == (State.READY_FOR_REVIEW, None, None)


def test_resubmit_needs_changes_requested_or_failed_validation(config: Config,
                                                               repo: Path) -> None:
    ticket_id = in_review(config)
    with pytest.raises(GateRefused) as info:
        service.resubmit(config, ticket_id, "jdoe", LATER)
    assert info.value.message == ("PUB-2026-001: resubmit needs a ticket in changes_requested "
                                  "or validation_failed, not in_review")
    service.review(config, ticket_id, "rlee", LATER, "request-changes", "Fix it", None)
    (repo / PATTERN).unlink()
    with pytest.raises(InputError, match=r"the pattern file of PUB-2026-001 is gone"):
        service.resubmit(config, ticket_id, "jdoe", LATER)


# --- the rest ----------------------------------------------------------------------------

def test_note_records_without_moving_the_ticket(config: Config, repo: Path) -> None:
    ticket_id = in_review(config)
    outcome = service.note(config, ticket_id, "monitor", LATER, "escalated", "3 reports",
                           reporters=["a", "b", "c"])
    assert outcome.ticket.state is State.IN_REVIEW
    last = outcome.ticket.history[-1]
    assert (last.from_state, last.to_state, last.extra) == ("in_review", "in_review",
                                                            {"reporters": ["a", "b", "c"]})
    assert subjects(repo)[0] == "PUB-2026-001: escalated (3 reports)"
    assert verify(repo).ok


def test_unknown_tickets_are_input_errors(config: Config) -> None:
    with pytest.raises(InputError, match=r"no ticket PUB-2026-007"):
        service.route(config, "PUB-2026-007", "editor", NOW)
    with pytest.raises(InputError, match=r"'7' is not a ticket id"):
        service.resubmit(config, "7", "jdoe", NOW)


def test_reviewers_and_authors_match_by_id_exactly_or_email_ignoring_case() -> None:
    config = Config(reviewers=(Reviewer("rlee", "r.lee@example.org"), Reviewer("mkhan")))
    assert service.find_reviewer(config, " rlee ") == config.reviewers[0]
    assert service.find_reviewer(config, "RLEE") is None  # ids are compared exactly
    assert service.find_reviewer(config, "R.Lee@Example.org") == config.reviewers[0]
    assert service.find_reviewer(config, "mkhan") == config.reviewers[1]
    assert service.find_reviewer(config, "nobody") is None
    author = Author("jdoe", "Jane.Doe@example.org")
    assert service.is_author(author, "jdoe")
    assert not service.is_author(author, "JDOE")
    assert service.is_author(author, "jane.doe@EXAMPLE.org")
    assert not service.is_author(author, "rlee", config.reviewers[0])
    # a reviewer entry whose email is the author's is the author, whatever id they act under
    assert service.is_author(author, "jane", Reviewer("jane", "jane.doe@example.org"))
    assert not service.is_author(Author(None, None), "anyone")


def test_an_empty_reviewer_name_is_not_a_reviewer(repo: Path, write_pattern: WritePattern) -> None:
    (repo / "pubflow.yaml").write_text(
        "reviewers:\n  - {id: rlee, email: r.lee@example.org, industries: [saas]}\n"
        "  - {id: mkhan, industries: [saas]}\neditors: [editor]\n")
    write_pattern()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "patterns")
    config = load_config(repo)
    ticket_id = service.create(config, "incident-escalation", "jdoe", NOW).ticket.id
    assert service.find_reviewer(config, " ") is None
    with pytest.raises(GateRefused, match=r"is not a configured reviewer"):
        service.route(config, ticket_id, "editor", NOW, reviewer_id="")


def test_a_pattern_repository_in_a_subfolder_of_a_checkout(repo: Path) -> None:
    catalog = repo / "catalog"
    (catalog / "patterns").mkdir(parents=True)
    (catalog / "pubflow.yaml").write_text(CONFIG)
    (catalog / PATTERN).write_text(json.dumps(valid_pattern(), indent=2) + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "catalog")
    config = load_config(catalog)
    ticket = service.create(config, "incident-escalation", "jdoe", NOW).ticket
    assert ticket.state is State.READY_FOR_REVIEW
    assert git(repo, "status", "--porcelain") == ""
