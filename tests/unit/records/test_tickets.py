"""The Ticket model over its YAML document, the history appender, UTC texts and ticket ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import GateRefused
from pubflow.records.chain import chain_breaks
from pubflow.records.states import State
from pubflow.records.store import TicketStore, new_document
from pubflow.records.tickets import (
    API_VERSION,
    KIND,
    TICKET_ID,
    Author,
    PinnedPattern,
    Ticket,
    append_event,
    parse_utc,
    utc_text,
)
from pubflow.storage.yaml import dump_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PIN = PinnedPattern("incident-escalation", "patterns/incident-escalation.json", "1.0.0",
                    "d" * 64, ("saas", "telecom"))


def ticket(tmp_path: Path, state: State = State.SUBMISSION_RECEIVED, **fields: Any) -> Ticket:
    doc = new_document("PUB-2026-001")
    doc["state"] = State.SUBMISSION_RECEIVED.value
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org", "name": "Jane Doe"}
    doc.update(fields)
    result = Ticket(doc, tmp_path / "PUB-2026-001.yaml")
    result.pin(PIN)
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW)
    if state is not State.SUBMISSION_RECEIVED:
        result.transition(State.READY_FOR_REVIEW, actor="bot", event="validated", now=NOW)
    if state is State.IN_REVIEW:
        result.transition(State.IN_REVIEW, actor="editor", event="routed", now=NOW)
    return result


# --- ids and times -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["PUB-2026-001", "PUB-2026-999", "PUB-2027-1000"])
def test_ticket_ids_that_match(text: str) -> None:
    match = TICKET_ID.match(text)
    assert match is not None
    assert f"PUB-{match.group(1)}-{match.group(2)}" == text


@pytest.mark.parametrize("text", ["PUB-26-001", "PUB-2026-01", "pub-2026-001", "PUB-2026-0a1",
                                  "XPUB-2026-001", "PUB-2026-001.yaml", "../PUB-2026-001", ""])
def test_texts_that_are_not_ticket_ids(text: str) -> None:
    assert TICKET_ID.match(text) is None


def test_utc_text_is_utc_to_the_second() -> None:
    assert utc_text(datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    paris = timezone(timedelta(hours=1))
    assert utc_text(datetime(2026, 1, 1, 0, 30, tzinfo=paris)) == "2025-12-31T23:30:00Z"


def test_parse_utc_reads_what_utc_text_writes() -> None:
    moment = parse_utc("2026-11-23T10:00:00Z")
    assert moment == NOW
    assert moment.tzinfo is UTC
    assert utc_text(moment) == "2026-11-23T10:00:00Z"


@pytest.mark.parametrize("text", ["2026-11-23T10:00:00", "2026-11-23T10:00:00+00:00",
                                  "2026-11-23 10:00:00Z", "2026-11-23T10:00:00.5Z", "soon"])
def test_parse_utc_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_utc(text)


# --- the model -----------------------------------------------------------------------------

def test_properties_read_the_document(tmp_path: Path) -> None:
    t = ticket(tmp_path, reviewer="rlee", due="2026-11-26T10:00:00Z", priority="high",
               findings=[{"file": "f", "line": 1, "column": 2, "rule": "r", "message": "m"}])
    assert t.doc["apiVersion"] == API_VERSION and t.doc["kind"] == KIND
    assert t.id == "PUB-2026-001"
    assert t.state is State.SUBMISSION_RECEIVED
    assert t.pattern == PIN
    assert t.author == Author("jdoe", "jane.doe@example.org", "Jane Doe")
    assert t.reviewer == "rlee"
    assert t.due == "2026-11-26T10:00:00Z"
    assert t.priority == "high"
    assert t.findings == [{"file": "f", "line": 1, "column": 2, "rule": "r", "message": "m"}]


def test_missing_optional_fields_have_defaults(tmp_path: Path) -> None:
    t = ticket(tmp_path, author={"id": None})
    t.doc["pattern"]["version"] = None
    del t.doc["pattern"]["industries"]
    assert t.reviewer is None and t.due is None
    assert t.priority == "normal"
    assert t.findings == []
    assert t.author == Author(None, None, None)
    assert t.pattern.version is None
    assert t.pattern.industries == ()


def test_findings_are_copies(tmp_path: Path) -> None:
    t = ticket(tmp_path, findings=[{"rule": "r"}])
    t.findings[0]["rule"] = "changed"
    assert t.findings == [{"rule": "r"}]


def test_pin_replaces_the_pinned_pattern(tmp_path: Path) -> None:
    t = ticket(tmp_path)
    new = PinnedPattern("incident-escalation", "patterns/incident-escalation.json", None,
                        "e" * 64)
    t.pin(new)
    assert t.pattern == new
    assert t.doc["pattern"]["industries"] == []


def test_history_events_carry_their_extra_fields(tmp_path: Path) -> None:
    t = ticket(tmp_path)
    t.transition(State.READY_FOR_REVIEW, actor="bot", event="validated", now=NOW,
                 reason="ok", digest="d" * 64, errors=0, due=None)
    first, second = t.history
    assert (first.from_state, first.to_state, first.prev) == (None, "submission_received", None)
    assert (second.at, second.actor, second.event) == ("2026-11-23T10:00:00Z", "bot",
                                                       "validated")
    assert (second.from_state, second.to_state, second.reason) == ("submission_received",
                                                                   "ready_for_review", "ok")
    assert second.prev == first.hash
    assert second.extra == {"digest": "d" * 64, "errors": 0}  # None values are left out


def test_transition_moves_the_state_and_extends_the_chain(tmp_path: Path) -> None:
    t = ticket(tmp_path, State.READY_FOR_REVIEW)
    entry = t.transition(State.IN_REVIEW, actor="editor", event="routed", now=NOW,
                         reason="routed to rlee", reviewer="rlee")
    assert t.state is State.IN_REVIEW
    assert t.doc["state"] == "in_review"
    assert entry["from"] == "ready_for_review" and entry["to"] == "in_review"
    assert entry["reviewer"] == "rlee"
    assert dict(t.doc["history"][-1]) == entry
    assert chain_breaks(list(t.doc["history"])) == []


def test_an_illegal_transition_changes_nothing(tmp_path: Path) -> None:
    t = ticket(tmp_path, State.READY_FOR_REVIEW)
    before = dump_yaml(t.doc)
    with pytest.raises(GateRefused) as info:
        t.transition(State.APPROVED, actor="rlee", event="reviewed", now=NOW)
    assert info.value.message == ("PUB-2026-001: cannot move from ready_for_review to approved; "
                                  "allowed next: in_review, withdrawn")
    assert dump_yaml(t.doc) == before


def test_is_overdue_only_in_review_and_past_due(tmp_path: Path) -> None:
    due = "2026-11-26T10:00:00Z"
    reviewing = ticket(tmp_path, State.IN_REVIEW, due=due)
    assert not reviewing.is_overdue(parse_utc(due))
    assert reviewing.is_overdue(parse_utc(due) + timedelta(seconds=1))
    waiting = ticket(tmp_path, State.READY_FOR_REVIEW, due=due)
    assert not waiting.is_overdue(parse_utc(due) + timedelta(days=30))
    assert not ticket(tmp_path, State.IN_REVIEW).is_overdue(NOW + timedelta(days=365))


def test_to_plain_is_json_ready(tmp_path: Path) -> None:
    import json

    t = ticket(tmp_path, State.READY_FOR_REVIEW)
    plain = t.to_plain()
    assert type(plain) is dict and type(plain["history"][0]) is dict
    assert json.loads(json.dumps(plain)) == plain
    assert plain["pattern"]["industries"] == ["saas", "telecom"]


def test_append_event_starts_a_history_and_chains_onto_it() -> None:
    doc: dict[str, Any] = {}
    first = append_event(doc, actor="jdoe", event="submitted", from_state=None,
                         to=State.SUBMISSION_RECEIVED, now=NOW)
    second = append_event(doc, actor="ops", event="escalated", from_state=State.LIVE,
                          to=State.LIVE, now=NOW, reason=None, reporters=["a", "b"],
                          note=None)
    assert first["prev"] is None and first["from"] is None and first["reason"] is None
    assert second["prev"] == first["hash"]
    assert second["reporters"] == ["a", "b"] and "note" not in second
    assert chain_breaks(doc["history"]) == []


def test_comments_survive_a_transition(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    t = ticket(tmp_path)
    t.path = store.path_of(t.id)
    store.folder.mkdir(parents=True)
    store.save(t)
    t.path.write_text("# owned by the editors\n" + t.path.read_text())
    loaded = store.load(t.id)
    loaded.transition(State.READY_FOR_REVIEW, actor="bot", event="validated", now=NOW)
    store.save(loaded)
    assert t.path.read_text().startswith("# owned by the editors\n")
    assert store.load(t.id).state is State.READY_FOR_REVIEW


# --- replaying the history ------------------------------------------------------------------

def _recorded_history() -> list[dict[str, Any]]:
    from pubflow.records.tickets import Author, PinnedPattern, author_record, pin_record

    pin = PinnedPattern("incident-escalation", "patterns/incident-escalation.json", "1.0.0",
                        "a" * 64, ("saas",))
    doc: dict[str, Any] = {}
    append_event(doc, actor="jane.doe@example.org", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW, digest=pin.digest,
                 author=author_record(Author("jdoe", "Jane.Doe@example.org ")),
                 pattern=pin_record(pin), priority="high")
    append_event(doc, actor="bot", event="validated", from_state=State.SUBMISSION_RECEIVED,
                 to=State.READY_FOR_REVIEW, now=NOW, digest=pin.digest,
                 pattern=pin_record(pin), priority="high")
    append_event(doc, actor="editor", event="routed", from_state=State.READY_FOR_REVIEW,
                 to=State.IN_REVIEW, now=NOW, reviewer="rlee", due="2026-11-26T10:00:00Z")
    append_event(doc, actor="rlee", event="reviewed", from_state=State.IN_REVIEW,
                 to=State.APPROVED, now=NOW, decision="approve", reviewer="rlee",
                 digest=pin.digest)
    history: list[dict[str, Any]] = doc["history"]
    return history


def test_replay_derives_every_field_from_the_history() -> None:
    from pubflow.records.tickets import replay

    found = replay(_recorded_history())
    assert found.state == "approved" and found.recorded
    assert found.author is not None and found.author.id == "jdoe"
    assert found.submitter == "jane.doe@example.org"  # the author's email, any case, trimmed
    assert (found.reviewer, found.due, found.priority) == ("rlee", None, "high")
    assert found.pin is not None and found.pin.version == "1.0.0"
    assert [(a.actor, a.digest) for a in found.approvals] == [("rlee", "a" * 64)]
    assert found.problems == () and found.missing == ()


def test_replay_names_what_an_older_history_lacks_and_still_derives_the_rest() -> None:
    from pubflow.records.tickets import replay

    doc: dict[str, Any] = {}
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW, digest="b" * 64)
    append_event(doc, actor="editor", event="routed", from_state=State.SUBMISSION_RECEIVED,
                 to=State.IN_REVIEW, now=NOW, reviewer="rlee", due="2026-11-26T10:00:00Z")
    found = replay(doc["history"])
    assert found.missing == ("author", "pattern id, path and version", "priority")
    assert (found.digest, found.reviewer, found.due) == ("b" * 64, "rlee", "2026-11-26T10:00:00Z")
    assert not found.recorded and found.problems == ()


def test_replay_reports_a_submitter_who_is_not_the_author_and_decisions_out_of_turn() -> None:
    from pubflow.records.tickets import replay

    history = _recorded_history()
    history[0]["actor"] = "mallory"
    history[3]["reviewer"] = "mkhan"
    history[3]["actor"] = "JDOE"  # ids are exact: not the author jdoe
    found = replay(history)
    messages = [message for _index, message in found.problems]
    assert messages[0].startswith("submitted by mallory, who is not the pattern's author")
    assert messages[1] == "decided by reviewer mkhan (JDOE), but the ticket was routed to rlee"
    assert len(messages) == 2


def test_replay_refuses_an_approval_by_the_author_and_of_other_content() -> None:
    from pubflow.records.tickets import replay

    history = _recorded_history()
    history[3]["actor"] = " jane.doe@EXAMPLE.org"
    history[3]["digest"] = "c" * 64
    messages = [message for _index, message in replay(history).problems]
    assert any("is the author of the pattern and cannot review it" in m for m in messages)
    assert any("approved content cccccccccccc, not the pinned aaaaaaaaaaaa" in m
               for m in messages)
