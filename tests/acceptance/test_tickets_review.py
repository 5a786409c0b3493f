"""`pubflow ticket route|review|resubmit`: routing rules, review gates, re-review."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import (
    REVIEWERS,
    create,
    in_review,
    invoke,
    setup_repo,
    ticket_json,
)
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def test_route_picks_matching_reviewer_never_the_author(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 0, err
    data = ticket_json(ticket_id)
    assert data["state"] == "in_review"
    assert data["reviewer"] == "rlee"  # jdoe matches too, but is the author
    assert data["due"] is not None
    assert f"reviewer rlee, due {data['due']}" in out
    assert git(repo, "log", "-1", "--format=%s").startswith(f"{ticket_id}: in_review (routed to rlee")


def test_route_balances_queues_and_respects_max_queue(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    patterns = tuple(valid_pattern(id=f"pattern-{n}", industries=["saas"]) for n in range(5))
    setup_repo(repo, write_pattern, patterns)
    reviewers = [ticket_json(in_review(f"pattern-{n}"))["reviewer"] for n in range(4)]
    # ties go to the first listed reviewer; then the lightest queue wins
    assert reviewers == ["rlee", "mkhan", "rlee", "mkhan"]
    config = (repo / "pubflow.yaml").read_text().replace("industries: [saas]\n",
                                                        "industries: [saas]\n    max_queue: 2\n")
    (repo / "pubflow.yaml").write_text(config)
    ticket_id = create("pattern-4")
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 1
    assert f"{ticket_id}: no reviewer qualifies for pattern-4 (industries: saas)" in err
    assert "rlee has a full queue (2/2)" in err
    assert "jdoe is the author" in err
    assert ticket_json(ticket_id)["state"] == "ready_for_review"


def test_nobody_with_the_industry(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(industries=["mining"]),))
    ticket_id = create()
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 1
    assert "no reviewer qualifies for incident-escalation (industries: mining)" in err
    assert "mkhan covers saas" in err


def test_manual_assignment_follows_the_same_rules(repo: Path,
                                                   write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id,
                             "--reviewer", "jane.doe@example.org")
    assert code == 1
    assert "jdoe is the author" in err
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id,
                             "--reviewer", "nobody")
    assert code == 1
    assert "'nobody' is not a configured reviewer" in err
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id,
                             "--reviewer", "m.khan@example.org")
    assert code == 0, err
    assert ticket_json(ticket_id)["reviewer"] == "mkhan"
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 2
    assert "re-routing it needs a --reason" in err


def test_a_ticket_in_review_is_re_routed_with_a_reason(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    """Beat 8: the reviewer is unavailable; the editor re-routes, recorded with the reason."""
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    assert ticket_json(ticket_id)["reviewer"] == "rlee"
    code, out, err = invoke("--actor", "editor", "ticket", "route", ticket_id, "--reason",
                            "rlee is on leave")
    assert code == 0, out + err
    data = ticket_json(ticket_id)
    assert (data["state"], data["reviewer"]) == ("in_review", "mkhan")
    last = data["history"][-1]
    assert (last["event"], last["from"], last["to"], last["reviewer"],
            last["previous_reviewer"]) == ("routed", "in_review", "in_review", "mkhan", "rlee")
    assert last["reason"] == "re-routed from rlee to mkhan: rlee is on leave"
    # only the new reviewer decides now
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                             "approve")
    assert code == 1 and "routed to mkhan" in err
    assert invoke("--actor", "mkhan", "ticket", "review", ticket_id, "--decision",
                  "approve")[0] == 0
    code, out, err = invoke("ticket", "verify")
    assert code == 0, out + err
    assert invoke("verify")[0] == 0


def test_the_due_date_follows_the_priority(repo: Path, write_pattern: WritePattern) -> None:
    """review_sla_days per priority: high 1, normal 3, low 5 by default."""
    from datetime import datetime, timedelta

    setup_repo(repo, write_pattern, config=REVIEWERS.replace("review_sla_days: 3\n", ""))
    ticket_id = in_review()
    data = ticket_json(ticket_id)
    assert data["priority"] == "normal"
    routed_at = datetime.fromisoformat(data["history"][-1]["at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(data["due"].replace("Z", "+00:00"))
    assert due - routed_at == timedelta(days=3)
    (repo / "pubflow.yaml").write_text(REVIEWERS.replace(
        "review_sla_days: 3", "review_sla_days: {normal: 2, high: 0.5}"))
    git(repo, "commit", "-q", "-am", "faster reviews")
    code, out, err = invoke("--actor", "editor", "ticket", "route", ticket_id, "--reason",
                            "rebalance")
    assert code == 0, out + err
    data = ticket_json(ticket_id)
    routed_at = datetime.fromisoformat(data["history"][-1]["at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(data["due"].replace("Z", "+00:00"))
    assert due - routed_at == timedelta(days=2)


def test_approve(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, out, err = invoke("--actor", "r.lee@example.org", "ticket", "review", ticket_id,
                            "--decision", "approve")
    assert code == 0, err
    assert out.strip() == f"{ticket_id}: approved"
    data = ticket_json(ticket_id)
    assert data["state"] == "approved"
    assert data["history"][-1]["actor"] == "r.lee@example.org"
    assert data["history"][-1]["decision"] == "approve"
    assert git(repo, "log", "-1", "--format=%s").strip() == f"{ticket_id}: approved by rlee"


def test_author_can_never_approve(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    for actor in ("jdoe", "jane.doe@example.org", "JANE.DOE@example.org"):
        code, _out, err = invoke("--actor", actor, "ticket", "review", ticket_id,
                                 "--decision", "approve")
        assert code == 1
        assert "is the author of incident-escalation and cannot review their own pattern" in err
    assert ticket_json(ticket_id)["state"] == "in_review"


def test_only_configured_reviewers_decide(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, _out, err = invoke("--actor", "intern", "ticket", "review", ticket_id,
                             "--decision", "approve")
    assert code == 1
    assert "'intern' is not a configured reviewer" in err


def test_review_only_in_review(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id,
                             "--decision", "approve")
    assert code == 1
    assert (f"{ticket_id}: cannot move from ready_for_review to approved; "
            "allowed next: in_review, withdrawn") in err


def test_reject_and_request_changes_need_a_comment(repo: Path,
                                                   write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    for decision in ("reject", "request-changes"):
        code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id,
                                 "--decision", decision, "--comment", "  ")
        assert code == 2
        assert f"--decision {decision} needs a --comment" in err
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id,
                             "--decision", "maybe")
    assert code == 2


def test_reject_is_final(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                             "reject", "--comment", "Out of scope", "--severity", "critical")
    assert code == 0, err
    event = ticket_json(ticket_id)["history"][-1]
    assert (event["to"], event["reason"], event["severity"]) == ("rejected", "Out of scope",
                                                                 "critical")
    code, _out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 1
    assert "resubmit needs a ticket in changes_requested or validation_failed, not rejected" in err


def test_request_changes_then_resubmit_returns_to_same_reviewer(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                             "request-changes", "--comment", "Name an owner", "--severity",
                             "major")
    assert code == 0, err
    assert ticket_json(ticket_id)["state"] == "changes_requested"
    write_pattern(valid_pattern(version="1.0.1"))
    git(repo, "commit", "-qam", "owner named")
    code, _out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, err
    data = ticket_json(ticket_id)
    assert data["state"] == "in_review"
    assert data["reviewer"] == "rlee"
    assert data["pattern"]["version"] == "1.0.1"
    assert data["pattern"]["digest"] == hashlib.sha256(
        (repo / "patterns/incident-escalation.json").read_bytes()).hexdigest()


def test_resubmit_that_still_fails(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision", "request-changes",
           "--comment", "Fix it")
    broken = valid_pattern()
    broken["scorecard"]["visibility"] = 1
    write_pattern(broken)
    git(repo, "commit", "-q", "-am", "still failing")
    code, out, _err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 1
    assert "scorecard.dimension-min" in out
    assert ticket_json(ticket_id)["state"] == "validation_failed"
    write_pattern(valid_pattern())
    git(repo, "commit", "-q", "-am", "fixed")
    code, _out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, err
    data = ticket_json(ticket_id)
    assert (data["state"], data["reviewer"]) == ("in_review", "rlee")


def test_approve_refused_when_pattern_changed_since_submission(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    write_pattern(valid_pattern(name="Sneaky late edit"))
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id,
                             "--decision", "approve")
    assert code == 1
    assert "differs from the reviewed content pinned in the ticket" in err


def test_overdue_and_reviewer_filters(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    config = (repo / "pubflow.yaml").read_text().replace("review_sla_days: 3",
                                                         "review_sla_days: 0.00000001")
    (repo / "pubflow.yaml").write_text(config)
    ticket_id = in_review()
    time.sleep(1.1)
    _code, out, _ = invoke("ticket", "list", "--overdue", "--format", "json")
    assert [t["id"] for t in json.loads(out)["tickets"]] == [ticket_id]
    assert json.loads(out)["tickets"][0]["overdue"] is True
    _code, out, _ = invoke("ticket", "list", "--reviewer", "r.lee@example.org", "--format", "json")
    assert len(json.loads(out)["tickets"]) == 1
    _code, out, _ = invoke("ticket", "list", "--reviewer", "mkhan", "--format", "json")
    assert json.loads(out)["tickets"] == []
    _code, out, _ = invoke("ticket", "show", ticket_id)
    assert "OVERDUE" in out
