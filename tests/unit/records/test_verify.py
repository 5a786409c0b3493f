"""`ticket verify`: every way a ticket file can stop telling the truth, reported with the file."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.records.chain import event_hash
from pubflow.records.states import State
from pubflow.records.store import TicketStore, new_document
from pubflow.records.tickets import (
    Author,
    PinnedPattern,
    Ticket,
    append_event,
    author_record,
    pin_record,
)
from pubflow.records.verify import Problem, VerifyResult, verify
from tests.conftest import valid_pattern

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FILE = ".pubflow/tickets/PUB-2026-001.yaml"
DUE = "2026-11-26T10:00:00Z"
PATH = [State.SUBMISSION_RECEIVED, State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED]


def write_pattern(root: Path, pattern_id: str = "incident-escalation") -> Path:
    path = root / "patterns" / f"{pattern_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(valid_pattern(id=pattern_id), indent=2) + "\n")
    return path


def make(root: Path, ticket_id: str = "PUB-2026-001", state: State = State.IN_REVIEW,
         pattern_id: str = "incident-escalation") -> Ticket:
    """A ticket for a real pattern file, moved through legal transitions up to `state`."""
    pattern = root / "patterns" / f"{pattern_id}.json"
    if not pattern.exists():
        write_pattern(root, pattern_id)
    store = TicketStore(root)
    doc = new_document(ticket_id)
    doc["state"] = State.SUBMISSION_RECEIVED.value
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org"}
    doc["priority"] = "normal"
    doc["reviewer"] = None
    doc["due"] = None
    ticket = Ticket(doc, store.path_of(ticket_id))
    digest = hashlib.sha256(pattern.read_bytes()).hexdigest()
    pin = PinnedPattern(pattern_id, f"patterns/{pattern_id}.json", "1.0.0", digest, ("saas",))
    ticket.pin(pin)
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW, digest=digest,
                 author=author_record(Author("jdoe", "jane.doe@example.org")),
                 pattern=pin_record(pin), priority="normal")
    steps = [State.VALIDATION_FAILED] if state is State.VALIDATION_FAILED else \
        PATH[1:PATH.index(state) + 1]
    for minutes, target in enumerate(steps, start=1):
        at = NOW + timedelta(minutes=minutes)
        if target is State.IN_REVIEW:
            doc["reviewer"], doc["due"] = "rlee", DUE
            ticket.transition(target, actor="editor", event="routed", now=at, reviewer="rlee",
                              due=DUE)
        elif target is State.APPROVED:
            doc["due"] = None
            ticket.transition(target, actor="rlee", event="reviewed", now=at,
                              decision="approve", reviewer="rlee", digest=digest)
        else:
            ticket.transition(target, actor="bot", event="validated", now=at, digest=digest)
    store.folder.mkdir(parents=True, exist_ok=True)
    store.save(ticket)
    return ticket


def messages(result: VerifyResult) -> list[str]:
    return [str(p) for p in result.problems]


def test_sound_tickets_verify(tmp_path: Path) -> None:
    make(tmp_path)
    make(tmp_path, "PUB-2026-002", State.APPROVED, "second-one")
    make(tmp_path, "PUB-2026-003", State.VALIDATION_FAILED, "third-one")
    result = verify(tmp_path)
    assert result == VerifyResult(3, ())
    assert result.ok


def test_a_repository_without_tickets_verifies_nothing(tmp_path: Path) -> None:
    result = verify(tmp_path)
    assert result.checked == 0 and result.ok


def test_a_hand_edited_past_event_is_reported_with_file_and_event(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    text = ticket.path.read_text()
    ticket.path.write_text(text.replace("actor: jdoe", "actor: someone-else", 1))
    result = verify(tmp_path)
    assert messages(result) == [
        f"{FILE}: PUB-2026-001: event 1 (submitted at 2026-11-23T10:00:00Z): its content does "
        "not match its hash (edited after the fact)",
        f"{FILE}: PUB-2026-001: event 1 (submitted at 2026-11-23T10:00:00Z): submitted by "
        "someone-else, who is not the pattern's author (jdoe) and is not recorded as an "
        "editor acting on their behalf"]
    assert not result.ok


def test_an_edit_with_comments_and_requoting_only_is_not_reported(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    text = ticket.path.read_text().replace("actor: jdoe", "actor: \"jdoe\"  # the author", 1)
    ticket.path.write_text("# reviewed by legal on 2026-11-24\n" + text)
    assert verify(tmp_path).ok


def test_a_deleted_event_breaks_the_chain_and_the_story(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    history = ticket.doc["history"]
    del history[1]  # submission_received -> ready_for_review
    TicketStore(tmp_path).save(ticket)
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: event 2 (routed at 2026-11-23T10:02:00Z): its prev does "
        "not match the hash of the event before it",
        f"{FILE}: PUB-2026-001: event 2 (routed at 2026-11-23T10:02:00Z): starts from "
        "ready_for_review but the ticket was in submission_received"]


def test_a_state_that_does_not_follow_from_the_history(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    ticket.path.write_text(ticket.path.read_text().replace("state: in_review",
                                                           "state: approved"))
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: state is approved but the history ends in in_review"]


def test_an_illegal_move_with_a_correct_hash_is_still_reported(tmp_path: Path) -> None:
    ticket = make(tmp_path, state=State.READY_FOR_REVIEW)
    # append_event does not check transitions: a forged approval, correctly chained
    append_event(ticket.doc, actor="rlee", event="reviewed", from_state=State.READY_FOR_REVIEW,
                 to=State.APPROVED, now=NOW + timedelta(hours=1))
    ticket.doc["state"] = "approved"
    TicketStore(tmp_path).save(ticket)
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: event 3 (reviewed at 2026-11-23T11:00:00Z): ready_for_review "
        "-> approved is not a legal transition",
        f"{FILE}: PUB-2026-001: event 3 (reviewed at 2026-11-23T11:00:00Z): a review decision "
        "'None' cannot move the ticket to approved"]


def test_a_history_that_does_not_start_at_submission(tmp_path: Path) -> None:
    ticket = make(tmp_path, state=State.SUBMISSION_RECEIVED)
    first = ticket.doc["history"][0]
    first["to"] = "ready_for_review"
    first["hash"] = event_hash(first)
    ticket.doc["state"] = "ready_for_review"
    TicketStore(tmp_path).save(ticket)
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: event 1 (submitted at 2026-11-23T10:00:00Z): a ticket starts "
        "in submission_received, not ready_for_review"]


def test_bookkeeping_events_keep_the_state_but_others_may_not(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    for event in ("renumbered", "merged", "environment", "escalated"):
        append_event(ticket.doc, actor="ops", event=event, from_state=State.IN_REVIEW,
                     to=State.IN_REVIEW, now=NOW + timedelta(hours=1))
    TicketStore(tmp_path).save(ticket)
    assert verify(tmp_path).ok
    append_event(ticket.doc, actor="ops", event="poked", from_state=State.IN_REVIEW,
                 to=State.IN_REVIEW, now=NOW + timedelta(hours=2))
    TicketStore(tmp_path).save(ticket)
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: event 8 (poked at 2026-11-23T12:00:00Z): in_review -> "
        "in_review is not a legal transition"]


def test_a_copied_ticket_file_is_reported_as_a_duplicate_id(tmp_path: Path) -> None:
    ticket = make(tmp_path, state=State.VALIDATION_FAILED)
    shutil.copy(ticket.path, ticket.path.with_name("PUB-2026-002.yaml"))
    result = verify(tmp_path)
    assert result.checked == 2
    assert messages(result) == [
        ".pubflow/tickets/PUB-2026-002.yaml: id 'PUB-2026-001' does not match the file name "
        "(PUB-2026-002)"]


def test_two_open_tickets_for_one_pattern(tmp_path: Path) -> None:
    make(tmp_path)
    make(tmp_path, "PUB-2026-002", State.READY_FOR_REVIEW)
    assert messages(verify(tmp_path)) == [
        ".pubflow/tickets/PUB-2026-002.yaml: PUB-2026-002: pattern incident-escalation has "
        "more than one open ticket: PUB-2026-001, PUB-2026-002"]


def test_a_pinned_digest_that_no_longer_matches(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    pattern = tmp_path / "patterns" / "incident-escalation.json"
    pattern.write_text(pattern.read_text().replace("1.0.0", "1.0.1"))
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: patterns/incident-escalation.json differs from the pinned "
        f"sha256 {ticket.pattern.digest[:12]} (in_review)"]


def test_a_pinned_pattern_that_is_gone(tmp_path: Path) -> None:
    make(tmp_path, state=State.APPROVED)
    (tmp_path / "patterns" / "incident-escalation.json").unlink()
    assert messages(verify(tmp_path)) == [
        f"{FILE}: PUB-2026-001: pinned pattern patterns/incident-escalation.json is missing"]


def test_an_unlocked_ticket_may_differ_from_its_pin(tmp_path: Path) -> None:
    make(tmp_path, state=State.VALIDATION_FAILED)
    (tmp_path / "patterns" / "incident-escalation.json").write_text("{}\n")
    assert verify(tmp_path).ok


def test_a_file_that_does_not_load_is_reported_and_the_rest_still_checked(
        tmp_path: Path) -> None:
    make(tmp_path)
    second = make(tmp_path, "PUB-2026-002", pattern_id="second-one")
    second.path.write_text("state: [unclosed\n")
    third = make(tmp_path, "PUB-2026-003", pattern_id="third-one")
    third.path.write_text(third.path.read_text().replace("actor: jdoe", "actor: x", 1))
    result = verify(tmp_path)
    assert result.checked == 3
    shown = messages(result)
    assert len(shown) == 3  # the edited event breaks the chain and names a non-author
    assert shown[0].startswith(".pubflow/tickets/PUB-2026-002.yaml:2:1: invalid YAML: ")
    assert shown[0].endswith("(PUB-2026-002)")
    assert all(s.startswith(".pubflow/tickets/PUB-2026-003.yaml: PUB-2026-003: event 1")
               for s in shown[1:])


def test_one_ticket_by_id(tmp_path: Path) -> None:
    make(tmp_path)
    broken = make(tmp_path, "PUB-2026-002", pattern_id="second-one")
    broken.path.write_text(broken.path.read_text().replace("state: in_review", "state: live"))
    assert verify(tmp_path, "PUB-2026-001") == VerifyResult(1, ())
    result = verify(tmp_path, "PUB-2026-002")
    assert result.checked == 1
    assert [p.ticket for p in result.problems] == ["PUB-2026-002"]


def test_an_unknown_ticket_id_is_an_input_error(tmp_path: Path) -> None:
    make(tmp_path)
    with pytest.raises(InputError, match=r"no ticket PUB-2026-009"):
        verify(tmp_path, "PUB-2026-009")
    with pytest.raises(InputError, match=r"'PUB-9' is not a ticket id"):
        verify(tmp_path, "PUB-9")


def test_problem_text_names_file_then_ticket() -> None:
    assert str(Problem("a.yaml", "PUB-2026-001", "broken")) == "a.yaml: PUB-2026-001: broken"
    assert str(Problem("a.yaml", "PUB-2026-001", "a.yaml:3:1: invalid")) == \
        "a.yaml:3:1: invalid (PUB-2026-001)"


def test_top_level_fields_that_disagree_with_the_history_are_named(tmp_path: Path) -> None:
    ticket = make(tmp_path)
    text = ticket.path.read_text()
    text = text.replace("id: jdoe", "id: mallory", 1)  # top-level lines only below
    text = text.replace("\nreviewer: rlee", "\nreviewer: mkhan")
    ticket.path.write_text(text.replace("\npriority: normal", "\npriority: low"))
    shown = messages(verify(tmp_path))
    assert f"{FILE}: PUB-2026-001: author.id is 'mallory' but the history says 'jdoe': the " \
           "field was edited by hand (restore it from `pubflow ticket history`)" in shown
    assert any(": reviewer is 'mkhan' but the history says 'rlee'" in s for s in shown)
    assert any(": priority is 'low' but the history says 'normal'" in s for s in shown)


def test_a_further_approval_keeps_the_state_and_verifies(tmp_path: Path) -> None:
    ticket = make(tmp_path, state=State.APPROVED)
    append_event(ticket.doc, actor="mkhan", event="reviewed", from_state=State.APPROVED,
                 to=State.APPROVED, now=NOW + timedelta(hours=1), decision="approve",
                 reviewer="mkhan", digest=ticket.pattern.digest)
    TicketStore(tmp_path).save(ticket)
    assert verify(tmp_path).ok
    assert [a.reviewer for a in ticket.replay().approvals] == ["rlee", "mkhan"]
