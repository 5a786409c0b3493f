"""The git merge driver for ticket files: three-way merges of one ticket's history."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import GateRefused, InputError
from pubflow.records.chain import chain_breaks
from pubflow.records.merge import (
    ATTRIBUTES_LINE,
    DRIVER_NAME,
    driver_command,
    install_driver,
    merge_ticket,
    register_driver,
)
from pubflow.records.states import State
from pubflow.records.store import check_schema, parse_ticket_bytes
from pubflow.records.tickets import Ticket, append_event
from pubflow.records.verify import verify
from pubflow.storage.yaml import dump_yaml, to_plain
from tests.conftest import git
from tests.unit.records.test_verify import make

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MERGE_TIME = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NAME = ".pubflow/tickets/PUB-2026-001.yaml"
Change = Callable[[Ticket], None]


def base(root: Path, state: State = State.IN_REVIEW) -> bytes:
    ticket = make(root, state=state)  # routed to rlee, due 2026-11-26T10:00:00Z
    return ticket.path.read_bytes()


def branch(start: bytes, *changes: Change) -> bytes:
    """One side of the merge: the base file with some changes made through the model."""
    ticket = Ticket(parse_ticket_bytes(start, "side"), Path(NAME))
    for change in changes:
        change(ticket)
    return dump_yaml(ticket.doc)


def decide(decision: State, hour: int, who: str = "rlee") -> Change:
    def change(ticket: Ticket) -> None:
        verdict = {State.APPROVED: "approve", State.REJECTED: "reject",
                   State.CHANGES_REQUESTED: "request-changes"}[decision]
        ticket.transition(decision, actor=who, event="reviewed",
                          now=NOW + timedelta(hours=hour), reason=f"{decision} by {who}",
                          decision=verdict, reviewer=who, digest=ticket.pattern.digest)
        ticket.doc["due"] = None
    return change


def escalate(hour: int) -> Change:
    def change(ticket: Ticket) -> None:
        append_event(ticket.doc, actor="ops", event="escalated", from_state=ticket.state,
                     to=ticket.state, now=NOW + timedelta(hours=hour), reason="3 reports")
    return change


def history(content: bytes | None) -> list[Any]:
    assert content is not None
    return list(parse_ticket_bytes(content, "merged")["history"])


def verifies(root: Path, content: bytes | None) -> None:
    """The merged file passes the schema and `ticket verify` as the working copy."""
    assert content is not None
    check_schema(parse_ticket_bytes(content, NAME), NAME)
    (root / NAME).write_bytes(content)
    result = verify(root)
    assert result.ok, [str(p) for p in result.problems]


def test_the_same_history_on_both_sides_asks_for_a_text_merge(tmp_path: Path) -> None:
    start = base(tmp_path)
    ours = start.replace(b"reviewer: rlee", b"reviewer: rlee  # agreed on the phone")
    outcome = merge_ticket(ours, start, NAME, "merger", MERGE_TIME)
    assert outcome.content is None
    assert outcome.needs_text_merge
    assert outcome.notes == []


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_one_side_only_appended_takes_that_side(tmp_path: Path, side: str) -> None:
    start = base(tmp_path)
    moved = branch(start, decide(State.APPROVED, 1))
    ours, theirs = (moved, start) if side == "ours" else (start, moved)
    outcome = merge_ticket(ours, theirs, NAME, "merger", MERGE_TIME)
    assert outcome.content == moved
    assert not outcome.needs_text_merge and outcome.notes == []


@pytest.mark.parametrize(("escalated_at", "decided_at"), [(1, 2), (2, 1)])
def test_both_appended_events_that_follow_each_other_are_united(
        tmp_path: Path, escalated_at: int, decided_at: int) -> None:
    start = base(tmp_path)
    ours = branch(start, escalate(escalated_at))
    theirs = branch(start, decide(State.APPROVED, decided_at))
    outcome = merge_ticket(ours, theirs, NAME, "merger", MERGE_TIME)
    merged = history(outcome.content)
    assert [e["event"] for e in merged] == ["submitted", "validated", "routed",
                                            "escalated", "reviewed"]
    assert chain_breaks(merged) == []
    assert merged[-1]["merged_from"] == history(theirs)[-1]["hash"]
    assert "merged_from" not in merged[-2]  # ours' event stays as it was
    doc = parse_ticket_bytes(outcome.content or b"", NAME)
    assert doc["state"] == "approved"
    assert doc["due"] is None  # the top-level fields follow the branch whose event is last
    assert outcome.notes == [f"{NAME}: united the histories of both branches (1 event(s) from "
                             "ours, 1 from theirs; theirs's re-chained after ours's)"]
    verifies(tmp_path, outcome.content)


def test_the_older_tail_goes_first_when_both_orders_are_legal(tmp_path: Path) -> None:
    start = base(tmp_path, State.APPROVED)
    ours = branch(start, escalate(3))
    theirs = branch(start, escalate(2))
    outcome = merge_ticket(ours, theirs, NAME, "merger", MERGE_TIME)
    merged = history(outcome.content)
    assert [e["at"] for e in merged[-2:]] == ["2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z"]
    assert "merged_from" in merged[-1] and "merged_from" not in merged[-2]
    assert "ours's re-chained after theirs's" in outcome.notes[0]
    verifies(tmp_path, outcome.content)


@pytest.mark.parametrize(("reject_at", "approve_at", "stands", "superseded"), [
    (1, 2, "rejected", "approved"),
    (2, 1, "approved", "rejected"),
])
def test_conflicting_decisions_keep_the_first_and_record_the_other(
        tmp_path: Path, reject_at: int, approve_at: int, stands: str, superseded: str) -> None:
    start = base(tmp_path)
    ours = branch(start, decide(State.REJECTED, reject_at, "rlee"))
    theirs = branch(start, decide(State.APPROVED, approve_at, "rlee"))
    outcome = merge_ticket(ours, theirs, NAME, "merger", MERGE_TIME)
    doc = parse_ticket_bytes(outcome.content or b"", NAME)
    assert doc["state"] == stands  # the later decision does not take effect
    merged = list(doc["history"])
    assert chain_breaks(merged) == []
    last = merged[-1]
    assert (last["event"], last["from"], last["to"]) == ("merged", stands, stands)
    assert (last["actor"], last["at"]) == ("merger", "2026-11-24T08:00:00Z")
    losing = theirs if stands == "rejected" else ours
    assert to_plain(last["superseded"]) == to_plain(history(losing)[-1:])
    assert f"in_review->{superseded}" in last["reason"]
    first, later = ("ours", "theirs") if stands == "rejected" else ("theirs", "ours")
    assert outcome.notes[0].startswith(
        f"{NAME}: both branches moved ticket PUB-2026-001; kept {first}'s history (state "
        f"{stands}) and recorded {later}'s 1 event(s) as superseded (reviewed in_review->"
        f"{superseded} by ")
    assert outcome.notes[0].endswith("review it with `pubflow ticket history PUB-2026-001`")
    verifies(tmp_path, outcome.content)


def test_two_different_tickets_with_one_id_are_left_as_a_conflict(tmp_path: Path) -> None:
    ours = base(tmp_path)
    other_root = tmp_path / "other"
    theirs = make(other_root, pattern_id="second-one").path.read_bytes()
    outcome = merge_ticket(ours, theirs, NAME, "merger", MERGE_TIME)
    assert outcome.content is None and not outcome.needs_text_merge
    assert outcome.notes == [
        f"{NAME}: both branches created a ticket with id PUB-2026-001 (ours for "
        "incident-escalation, theirs for second-one); run `pubflow ticket resolve-ids` to give "
        "theirs a free id"]


def test_a_side_that_is_not_a_ticket_is_named(tmp_path: Path) -> None:
    start = base(tmp_path)
    with pytest.raises(InputError, match=r"\(theirs\):1:1: a ticket must be a YAML mapping"):
        merge_ticket(start, b"- a list\n", NAME, "merger", MERGE_TIME)
    with pytest.raises(InputError, match=r"\(ours\): not a ticket \(no history\)"):
        merge_ticket(b"id: PUB-2026-001\n", start, NAME, "merger", MERGE_TIME)


def test_a_side_that_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    start = base(tmp_path)
    broken = start.replace(b"state: in_review", b"state: published")
    with pytest.raises(GateRefused) as info:
        merge_ticket(start, broken, NAME, "merger", MERGE_TIME)
    assert info.value.message.startswith(f"{NAME} (theirs): does not follow the ticket schema")
    assert info.value.hint == "Fix that side of the merge by hand."


# --- registering the driver with git ------------------------------------------------------

def test_driver_command_runs_this_python(tmp_path: Path) -> None:
    command = driver_command()
    assert command.startswith(shlex.quote(sys.executable) + " -m pubflow ")
    assert command.endswith(" ticket merge-driver %O %A %B %P")


def test_install_driver_commits_the_attributes_once(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitattributes").write_text("*.png binary")  # no newline at the end
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "start")
    setup = install_driver(tmp_path, "my-driver %O %A %B %P")
    assert setup.attributes_added and setup.config_set
    assert setup.commit == git(tmp_path, "rev-parse", "HEAD").strip()
    assert (tmp_path / ".gitattributes").read_text() == (
        "*.png binary\n# pubflow unites ticket histories on merge\n" + ATTRIBUTES_LINE + "\n")
    assert git(tmp_path, "status", "--porcelain") == ""
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.driver").strip() == \
        "my-driver %O %A %B %P"
    assert git(tmp_path, "check-attr", "merge", NAME).strip() == \
        f"{NAME}: merge: {DRIVER_NAME}"
    again = install_driver(tmp_path, "my-driver %O %A %B %P")
    assert (again.attributes_added, again.config_set, again.commit) == (False, False, None)
    assert git(tmp_path, "rev-list", "--count", "HEAD").strip() == "2"


def test_register_driver_reports_whether_it_changed_anything(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert register_driver(tmp_path, "one")
    assert not register_driver(tmp_path, "one")
    assert register_driver(tmp_path, "two")
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.driver").strip() == "two"
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.name").strip() == \
        "pubflow: unite the histories of a publication ticket"
